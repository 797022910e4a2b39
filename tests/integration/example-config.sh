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
echo "1..4"
out=$("$KP" check-config -c "$WORK/conf/ketenpoort.conf" 2>&1)
if [ "$out" = "configuration OK: Gemeente Voorbeeld, OIN 00000001823288444000, 2 partner profiles" ]; then
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
if [ $rc -eq 1 ] && echo "$out" | grep -qx "$WORK/conf/../profiles/klantcontactcentrum.xml:8: Element '{urn:ketenpoort:profiel:1}rol': \[facet 'enumeration'\] The value 'kcc' is not an element of the set {'gemeente', 'ketenpartner', 'callcenter'}."; then
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
