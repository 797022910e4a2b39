#!/usr/bin/env bash
# The shipped example configuration and profiles are valid: with a demo PKI
# in place, check-config accepts them; a broken copy is reported file:line.
set -u
WORK=$(mktemp -d /tmp/kp-example.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp -r "$SRCDIR/conf" "$SRCDIR/profiles" "$WORK/"
mkdir -p "$WORK/certs"
"$KP" pki init "$WORK/certs/demo" >/dev/null
"$KP" pki issue "$WORK/certs/demo" gemeente --oin 00000001823288444000 \
    --org "Gemeente Voorbeeld" >/dev/null
echo "xsd_dir $SRCDIR/xsd" >> "$WORK/conf/ketenpoort.conf"
sed -i "s|^store.*|store $WORK/store.db|" "$WORK/conf/ketenpoort.conf"
echo "1..9"
out=$("$KP" check-config -c "$WORK/conf/ketenpoort.conf" 2>&1)
if [ "$out" = "configuration OK: Gemeente Voorbeeld, OIN 00000001823288444000, 3 partner profiles" ]; then
	echo "ok 1 - the example configuration and profiles check out"
else
	echo "not ok 1 - the example configuration and profiles check out"; echo "$out" | sed 's/^/# /'
fi
sed -i 's|^threads.*|threads many|' "$WORK/conf/ketenpoort.conf"
sed -i 's|<rol>callcenter</rol>|<rol>kcc</rol>|' "$WORK/profiles/klantcontactcentrum.xml"
out=$("$KP" check-config -c "$WORK/conf/ketenpoort.conf" 2>&1); rc=$?
line=$(grep -n '^threads' "$WORK/conf/ketenpoort.conf" | cut -d: -f1)
if [ $rc -eq 1 ] && echo "$out" | grep -qx "$WORK/conf/ketenpoort.conf:$line: threads must be a whole number, not \"many\""; then
	echo "ok 2 - a bad option is reported as file:line: what"
else
	echo "not ok 2 - a bad option is reported as file:line: what"; echo "$out" | sed 's/^/# /'
fi
sed -i 's|^threads.*|threads 0|' "$WORK/conf/ketenpoort.conf"
out=$("$KP" check-config -c "$WORK/conf/ketenpoort.conf" 2>&1); rc=$?
l=$(grep -n '<rol>' "$WORK/profiles/klantcontactcentrum.xml" | cut -d: -f1)
if [ $rc -eq 1 ] && echo "$out" | grep -qx "$WORK/conf/../profiles/klantcontactcentrum.xml:$l: Element '{urn:ketenpoort:profiel:1}rol': \[facet 'enumeration'\] The value 'kcc' is not an element of the set {'gemeente', 'ketenpartner', 'callcenter'}."; then
	echo "ok 3 - a bad profile is reported as file:line naming the element"
else
	echo "not ok 3 - a bad profile is reported as file:line naming the element"; echo "$out" | sed 's/^/# /'
fi
chmod 644 "$WORK/certs/demo/gemeente.key"
sed -i 's|<rol>kcc</rol>|<rol>callcenter</rol>|' "$WORK/profiles/klantcontactcentrum.xml"
out=$("$KP" check-config -c "$WORK/conf/ketenpoort.conf" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q "gemeente.key: private key is accessible to group or others (mode 0644); run: chmod 600"; then
	echo "ok 4 - a world-readable private key is refused with the fix"
else
	echo "not ok 4 - a world-readable private key is refused with the fix"; echo "$out" | sed 's/^/# /'
fi

# What the schema cannot say (PROTOCOL.md 5): each contradiction at file:line.
chmod 600 "$WORK/certs/demo/gemeente.key"
P="$WORK/profiles"
cp "$P/ggd.xml" "$WORK/ggd.orig"; cp "$P/klantcontactcentrum.xml" "$WORK/kcc.orig"
cp "$P/woningcorporatie.xml" "$WORK/woco.orig"
sed -i 's|<veld>behandelaar</veld>|<veld>behandelaarNaam</veld>|' "$P/ggd.xml"
sed -i 's|<vraag functie="context" doel="klantcontact"/>|<vraag functie="context" doel="schuldhulp"/>|' "$P/klantcontactcentrum.xml"
sed -i '/<endpoint>/d' "$P/woningcorporatie.xml"
out=$("$KP" check-config -c "$WORK/conf/ketenpoort.conf" 2>&1); rc=$?
l_ggd=$(grep -n 'entiteit type="ZAK"' "$P/ggd.xml" | cut -d: -f1)
l_kcc=$(grep -n 'doel="schuldhulp"' "$P/klantcontactcentrum.xml" | cut -d: -f1)
l_woco=$(grep -n 'entiteit type="PRS"' "$P/woningcorporatie.xml" | cut -d: -f1)
if [ $rc -eq 1 ] && echo "$out" | grep -qx "$WORK/conf/../profiles/ggd.xml:$l_ggd: ZAK has no field \"behandelaarNaam\" (PROTOCOL.md 3.1); remove it or correct its name"; then
	echo "ok 5 - a field the entity does not have is reported at file:line"
else
	echo "not ok 5 - a field the entity does not have is reported at file:line"; echo "$out" | sed 's/^/# /'
fi
if echo "$out" | grep -qx "$WORK/conf/../profiles/klantcontactcentrum.xml:$l_kcc: context for doel schuldhulp can be asked, but no <ontvangen> rule has that purpose, so nothing could ever be answered; add a rule or remove the question"; then
	echo "ok 6 - a purpose nobody can be answered for is reported at file:line"
else
	echo "not ok 6 - a purpose nobody can be answered for is reported at file:line"; echo "$out" | sed 's/^/# /'
fi
if echo "$out" | grep -qx "$WORK/conf/../profiles/woningcorporatie.xml:$l_woco: Woningcorporatie Voorbeeld may receive PRS as notices but has no <endpoint> to send them to; add one, or make the rule verstrekking=\"opvraag\""; then
	echo "ok 7 - a receiving partner without an endpoint is reported at file:line"
else
	echo "not ok 7 - a receiving partner without an endpoint is reported at file:line"; echo "$out" | sed 's/^/# /'
fi
cp "$WORK/ggd.orig" "$P/ggd.xml"; cp "$WORK/kcc.orig" "$P/klantcontactcentrum.xml"
cp "$WORK/woco.orig" "$P/woningcorporatie.xml"
sed -i 's|maxVertrouwelijkheid="zaakvertrouwelijk"||; s|<entiteit type="PRS" doel="vroegsignalering">|<entiteit type="PRS" doel="vroegsignalering" maxVertrouwelijkheid="geheim">|' "$P/woningcorporatie.xml"
out=$("$KP" check-config -c "$WORK/conf/ketenpoort.conf" 2>&1); rc=$?
l_woco=$(grep -n 'entiteit type="PRS"' "$P/woningcorporatie.xml" | cut -d: -f1)
if [ $rc -eq 1 ] && [ "$out" = "$WORK/conf/../profiles/woningcorporatie.xml:$l_woco: maxVertrouwelijkheid is for cases (ZAK), not PRS" ]; then
	echo "ok 8 - a confidentiality limit on a non-case is reported, and nothing else"
else
	echo "not ok 8 - a confidentiality limit on a non-case is reported, and nothing else"; echo "$out" | sed 's/^/# /'
fi
cp "$WORK/woco.orig" "$P/woningcorporatie.xml"
sed -i '/<vraag functie="context"/d; /<endpoint>/d' "$P/klantcontactcentrum.xml"
out=$("$KP" check-config -c "$WORK/conf/ketenpoort.conf" 2>&1); rc=$?
want=""
for t in PRS ZAK KCT; do
	l=$(grep -n "entiteit type=\"$t\"" "$P/klantcontactcentrum.xml" | cut -d: -f1)
	want="$want$WORK/conf/../profiles/klantcontactcentrum.xml:$l: $t for doel klantcontact is given only on request (verstrekking=\"opvraag\"), but Klantcontactcentrum Voorbeeld may not ask context for klantcontact; add <vraag functie=\"context\" doel=\"klantcontact\"/> or send it as notices
"
done
if [ $rc -eq 1 ] && [ "$out" = "${want%
}" ]; then
	echo "ok 9 - rules given only on request that nobody may ask for are reported, and a partner that only asks needs no endpoint"
else
	echo "not ok 9 - rules given only on request that nobody may ask for are reported, and a partner that only asks needs no endpoint"; echo "$out" | sed 's/^/# /'
fi
cp "$WORK/kcc.orig" "$P/klantcontactcentrum.xml"
