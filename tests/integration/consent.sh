#!/usr/bin/env bash
# Consent-aware disclosure (PROTOCOL.md 5) with five gateways on 127.0.0.1:
# a municipality (the hub) and four partners, two per role —
#   ggd   chain partner, every type on a legal basis (wet)
#   woco  chain partner, every type on the citizen's consent (vroegsignalering)
#   kcc   call centre,   every type on consent (klantcontact)
#   kcw   call centre,   every type on a legal basis; cases only up to
#         zaakvertrouwelijk
# Six citizens, one per consent situation for woco and kcc: granted (1),
# never granted (2), granted then withdrawn (3), expired (4), starting
# tomorrow (5), granted before any record and later expired by the
# schedule (6); and citizen 7 with a "geheim" case.  Each citizen has a
# person, a case and a contact moment; the consents themselves are TST
# records that travel too.  Asserted in the partners' stores (never from
# logs): exactly which records and which fields arrived, and in the hub's
# audit chain which disclosures were withheld or retracted and why.
# Withdrawal and expiry retract exactly what was held on that consent and
# nothing held on a legal basis.  No BSN in clear in the audit tables, the
# message index or any log.
set -u
WORK=$(mktemp -d /tmp/kp-consent.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
t=0
echo "1..58"

WOCO=00000003512345670000
KCW=00000004000000077000
KP_GATEWAYS="gemeente ggd woco kcc kcw"
kp_pki && kp_org gemeente $GEM && kp_org ggd $GGD && kp_org woco $WOCO &&
    kp_org kcc $KCC && kp_org kcw $KCW
P1=$(kp_free_port); P2=$(kp_free_port); P3=$(kp_free_port)
P4=$(kp_free_port); P5=$(kp_free_port)
kp_gateway gemeente $GEM "$P1"; kp_gateway ggd $GGD "$P2"
kp_gateway woco $WOCO "$P3"; kp_gateway kcc $KCC "$P4"; kp_gateway kcw $KCW "$P5"
echo "consent_check_interval 2" >> "$WORK/gemeente/ketenpoort.conf"

# rules BASIS DOEL [ZAK-MAX]: <ontvangen> with every type on that basis
rules() {
	local basis=$1 doel=$2 max=${3:-}
	[ "$basis" = wet ] && basis="<wet>Testwet art. 2</wet>" || basis="<toestemming/>"
	[ -n "$max" ] && max=" maxVertrouwelijkheid=\"$max\""
	echo "<ontvangen>
	  <entiteit type=\"PRS\" doel=\"$doel\">$basis<veld>geslachtsnaam</veld><veld>telefoon</veld></entiteit>
	  <entiteit type=\"ZAK\" doel=\"$doel\"$max>$basis<veld>zaaktype</veld><veld>status</veld><veld>behandelaar</veld></entiteit>
	  <entiteit type=\"KCT\" doel=\"$doel\">$basis<veld>kanaal</veld><veld>onderwerp</veld></entiteit>
	  <entiteit type=\"TST\" doel=\"$doel\">$basis<veld>partner</veld><veld>doel</veld><veld>status</veld></entiteit>
	</ontvangen>"
}
KP_ONTVANGEN=$(rules wet ketentest) kp_profile gemeente ggd $GGD "$P2" ketenpartner kctLk01
KP_ONTVANGEN=$(rules toestemming vroegsignalering) kp_profile gemeente woco $WOCO "$P3" ketenpartner kctLk01
KP_ONTVANGEN=$(rules toestemming klantcontact) kp_profile gemeente kcc $KCC "$P4" callcenter
KP_ONTVANGEN=$(rules wet klantcontact zaakvertrouwelijk) kp_profile gemeente kcw $KCW "$P5" callcenter
for g in ggd woco kcc kcw; do
	KP_ONTVANGEN='<ontvangen><entiteit type="KCT" doel="ketentest"><wet>Testwet art. 2</wet><veld>kanaal</veld><veld>onderwerp</veld></entiteit></ontvangen>' \
	    kp_profile $g gemeente $GEM "$P1" gemeente prsLk01 zakLk01 kctLk01+relay tstLk01 dosLv01
done
for g in $KP_GATEWAYS; do
	kp_start $g || { echo "Bail out! $g did not start"; exit 1; }
done
HUB="$WORK/gemeente/ketenpoort.conf"

declare -a B
for i in 1 2 3 4 5 6 7; do B[$i]=$(kp_bsn $((500 + i))); done
TODAY=$(date +%F)
YESTERDAY=$(date -d yesterday +%F)
TOMORROW=$(date -d tomorrow +%F)

records() {
	local i=$1
	mkdir -p "$WORK/in"
	kp_local_change "$WORK/in/p$i.xml" T PRS $GEM "P$i" 1 "${B[$i]}"
	kp_local_change "$WORK/in/z$i.xml" T ZAK $GEM "Z$i" 1 "${B[$i]}"
	kp_local_change "$WORK/in/k$i.xml" T KCT $GEM "K$i" 1 "${B[$i]}"
	"$KP" dossier put -c "$HUB" "$WORK/in/p$i.xml" "$WORK/in/z$i.xml" "$WORK/in/k$i.xml" >/dev/null
}
grant() {	# grant CITIZEN PARTNER [options]
	local i=$1 p=$2 doel
	shift 2
	[ $p = woco ] && doel=vroegsignalering || doel=klantcontact
	"$KP" consent grant -c "$HUB" --bsn "${B[$i]}" --partner $p --doel $doel "$@" >/dev/null
}

# Records first, then the consents (disclosure follows the consent) ...
for i in 1 2 3 4 5; do records $i; done
for p in woco kcc; do
	grant 1 $p
	grant 3 $p
	grant 4 $p --from 2026-01-01 --until "$YESTERDAY"
	grant 5 $p --from "$TOMORROW"
	grant 6 $p --until 2099-12-31
done
# ... and for citizen 6 the consent first, then the records.
records 6
for p in woco kcc; do
	"$KP" consent withdraw -c "$HUB" --bsn "${B[3]}" --partner $p \
	    --doel $([ $p = woco ] && echo vroegsignalering || echo klantcontact) >/dev/null
done
# Citizen 7: a case above what kcw may see.
cat > "$WORK/in/z7.xml" <<XML
<kd:lokaleWijziging xmlns:kd="urn:ketenpoort:ketendossier:1"><kd:mutatiesoort>T</kd:mutatiesoort><kd:object><kd:zaak><kd:bron>$GEM</kd:bron><kd:identificatie>Z7</kd:identificatie><kd:bronversie>1</kd:bronversie><kd:bsn>${B[7]}</kd:bsn><kd:zaaktype>Jeugdhulp</kd:zaaktype><kd:status>open</kd:status><kd:startdatum>2026-11-01</kd:startdatum><kd:vertrouwelijkheidaanduiding>geheim</kd:vertrouwelijkheidaanduiding></kd:zaak></kd:object></kd:lokaleWijziging>
XML
"$KP" dossier put -c "$HUB" "$WORK/in/z7.xml" >/dev/null
check "everything queued is delivered" kp_drained

# held GATEWAY: "TYPE ID citizen-index fieldnames" per record it holds
held() {
	local g=$1 i
	for i in 1 2 3 4 5 6 7; do
		kp_sql $g "SELECT entiteittype || ' ' || identificatie || ' $i ' || replace(fields, '$KP_NL', ';') FROM record WHERE bsn = '${B[$i]}' AND deleted = 0 ORDER BY entiteittype, identificatie"
	done | sed -E 's/=[^;]*;/,/g; s/,$//; s/ TST-[0-9a-f-]+ / TST /' | sort
}
# expect CITIZENS [TST-COUNT-PER-CITIZEN]: what a full-seeing partner holds
expect() {
	local i n
	for i in $1; do
		echo "KCT K$i $i kanaal,onderwerp"
		echo "PRS P$i $i geslachtsnaam,telefoon"
		[ $i = 7 ] || echo "ZAK Z$i $i zaaktype,status,behandelaar"
		[ $i = 7 ] && [ "${3:-}" = with-secret ] && echo "ZAK Z7 7 zaaktype,status"
		for n in $(seq 1 "${2:-0}"); do echo "TST TST $i partner,doel,status"; done
	done | sed '/^KCT K7\|^PRS P7/d' | sort
}
eq_held() { eq "$(held $1 | tr '\n' '|')" "$(echo "$2" | tr '\n' '|')"; }

# Every TST of citizens 1 and 3-6 (two each) goes to the partners on wet.
check "ggd (wet): every citizen's records, the case marked geheim too, every consent, only its fields" \
    eq_held ggd "$( { expect "1 2 3 4 5 6" 0; expect "7" 0 with-secret; for i in 1 3 4 5 6; do echo "TST TST $i partner,doel,status"; echo "TST TST $i partner,doel,status"; done; } | sort)"
check "kcw (call centre, wet): the same but not the geheim case" \
    eq_held kcw "$( { expect "1 2 3 4 5 6" 0; for i in 1 3 4 5 6; do echo "TST TST $i partner,doel,status"; echo "TST TST $i partner,doel,status"; done; } | sort)"
check "woco (consent): only citizens 1 and 6, whose consent is in force, with both their consents" \
    eq_held woco "$(expect "1 6" 2)"
check "kcc (call centre, consent): the same two citizens" \
    eq_held kcc "$(expect "1 6" 2)"
check "no partner holds a field its profile does not list (no e-mail, toelichting, inhoud)" \
    eq "$(for g in ggd woco kcc kcw; do kp_sql $g "SELECT count(*) FROM record WHERE fields LIKE '%email=%' OR fields LIKE '%toelichting=%' OR fields LIKE '%inhoud=%' OR fields LIKE '%medewerker=%'"; done | tr '\n' ' ')" "0 0 0 0 "
check "the fields that arrived have the hub's values" \
    eq "$(kp_sql woco "SELECT fields FROM record WHERE identificatie = 'P1'")" "geslachtsnaam=Jansen-P1-1
telefoon=06-111"

# The hub's audit chain: pseudonyms, not BSNs.
KEY=$(cat "$(kp_audit_key gemeente)")
pseudo() { printf '%s' "$1" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$KEY" | sed 's/.*= //'; }
aud() {	# aud CITIZEN PARTNER OUTCOME: count of entries
	kp_sql gemeente "SELECT count(*) FROM audit WHERE subject = '$(pseudo "${B[$1]}")' AND partner_oin = '$2' AND outcome = '$3'"
}
check "the audit key file is mode 0600" eq "$(stat -c %a "$(kp_audit_key gemeente)")" 600
check "citizen 2, never granted: 3 disclosures to woco withheld with KP021, none queued" \
    eq "$(aud 2 $WOCO withheld) $(aud 2 $WOCO queued) $(kp_sql gemeente "SELECT count(*) FROM audit WHERE subject = '$(pseudo "${B[2]}")' AND partner_oin = '$WOCO' AND outcome = 'withheld' AND code = 'KP021' AND detail LIKE '%no consent of the citizen for doel vroegsignalering%'")" "3 0 3"
check "  and the same to kcc" eq "$(aud 2 $KCC withheld) $(aud 2 $KCC queued)" "3 0"
check "citizen 4, expired: withheld, the reason says when it ended" \
    eq "$(aud 4 $WOCO queued) $(kp_sql gemeente "SELECT CASE WHEN count(*) > 0 THEN 1 ELSE 0 END FROM audit WHERE subject = '$(pseudo "${B[4]}")' AND partner_oin = '$WOCO' AND outcome = 'withheld' AND detail LIKE '%ended on $YESTERDAY%'")" "0 1"
check "citizen 5, from tomorrow: withheld, the reason says when it starts" \
    eq "$(aud 5 $KCC queued) $(kp_sql gemeente "SELECT CASE WHEN count(*) > 0 THEN 1 ELSE 0 END FROM audit WHERE subject = '$(pseudo "${B[5]}")' AND partner_oin = '$KCC' AND outcome = 'withheld' AND detail LIKE '%starts on $TOMORROW%'")" "0 1"
check "citizen 3, withdrawn: what woco had (person, case, contact, two consents) was retracted, each audited" \
    eq "$(aud 3 $WOCO retracted)" 5
check "  and at woco those copies are gone, no tombstone left" \
    eq "$(kp_sql woco "SELECT count(*) FROM record WHERE bsn = '${B[3]}'")" 0
check "  the retractions were V notices with reden intrekking, delivered" \
    eq "$(kp_sql gemeente "SELECT count(*) FROM outbox WHERE partner_oin = '$WOCO' AND bsn = '${B[3]}' AND mutatiesoort = 'V' AND reden = 'intrekking' AND state = 'delivered'")" 5
check "  the legal-basis partners kept citizen 3's records" \
    eq "$(kp_sql ggd "SELECT count(*) FROM record WHERE bsn = '${B[3]}' AND deleted = 0") $(kp_sql kcw "SELECT count(*) FROM record WHERE bsn = '${B[3]}' AND deleted = 0")" "5 5"
check "every disclosure audited as delivered names its fields, basis and purpose" \
    eq "$(kp_sql gemeente "SELECT count(*) FROM audit WHERE outcome = 'delivered' AND detail IS NULL AND (velden IS NULL OR basis IS NULL OR doel IS NULL)")" 0
check "  a consent-based one names the TST record" \
    eq "$(kp_sql gemeente "SELECT CASE WHEN count(*) > 0 THEN 1 ELSE 0 END FROM audit WHERE outcome = 'delivered' AND partner_oin = '$WOCO' AND subject = '$(pseudo "${B[1]}")' AND basis LIKE 'toestemming: TST-%' AND doel = 'vroegsignalering'")" 1
check "  a legal one names the law" \
    eq "$(kp_sql gemeente "SELECT CASE WHEN count(*) > 0 THEN 1 ELSE 0 END FROM audit WHERE outcome = 'delivered' AND partner_oin = '$GGD' AND basis = 'wet: Testwet art. 2' AND doel = 'ketentest'")" 1
check "the geheim case was withheld from kcw, saying why" \
    eq "$(kp_sql gemeente "SELECT detail FROM audit WHERE outcome = 'withheld' AND partner_oin = '$KCW'")" "local change: the case is geheim, above the zaakvertrouwelijk that doel klantcontact allows"
check "consent list shows each consent and whether it is in force" \
    eq "$("$KP" consent list -c "$HUB" --bsn "${B[4]}" | grep -c 'not in force')" 2

# A retraction from someone who did not deliver the copy is refused
# (KP022): the GGD tries to retract the hub's copy of a contact moment that
# woco delivered.
kp_local_change "$WORK/in/w1.xml" T KCT $WOCO "WK1" 1 "${B[2]}"
"$KP" dossier put -c "$WORK/woco/ketenpoort.conf" "$WORK/in/w1.xml" >/dev/null
wait_for gemeente "SELECT received_from FROM record WHERE identificatie = 'WK1'" $WOCO 20
check "a record woco owns reaches the hub" eq "$?" 0
cat > "$WORK/in/retract.xml" <<XML
<kd:kctLk01 xmlns:kd="urn:ketenpoort:ketendossier:1"><kd:stuurgegevens><kd:berichtcode>Lk01</kd:berichtcode><kd:zender><kd:organisatie>$GGD</kd:organisatie><kd:applicatie>ketenpoort-ggd</kd:applicatie></kd:zender><kd:ontvanger><kd:organisatie>$GEM</kd:organisatie><kd:applicatie>ketenpoort-gemeente</kd:applicatie></kd:ontvanger><kd:referentienummer>retract-1</kd:referentienummer><kd:tijdstipBericht>20261124100000000</kd:tijdstipBericht><kd:entiteittype>KCT</kd:entiteittype></kd:stuurgegevens><kd:parameters><kd:mutatiesoort>V</kd:mutatiesoort><kd:partitie>0</kd:partitie><kd:volgnummer>1</kd:volgnummer><kd:reden>intrekking</kd:reden></kd:parameters><kd:object><kd:klantcontact><kd:bron>$WOCO</kd:bron><kd:identificatie>WK1</kd:identificatie><kd:bronversie>1</kd:bronversie><kd:bsn>${B[2]}</kd:bsn></kd:klantcontact></kd:object></kd:kctLk01>
XML
before=$(kp_sql gemeente "SELECT count(*) FROM record")
out=$("$KPSEND" -c "$WORK/ggd/ketenpoort.conf" --to gemeente "$WORK/in/retract.xml" 2>&1)
check "a retraction from a partner that did not deliver the copy: KP022" \
    eval 'echo "$out" | grep -q "KP022.*delivered to us by $WOCO, not by you"'
check "  and the copy is still there, nothing else changed" \
    eq "$(kp_sql gemeente "SELECT count(*) FROM record WHERE identificatie = 'WK1'") $(kp_sql gemeente "SELECT count(*) FROM record")" "1 $before"

# Expiry by the schedule: citizen 6's consents end yesterday (the hub's
# records edited as time would have it); the hub's consent check
# (consent_check_interval 2) retracts what woco and kcc hold on them.
kp_sql gemeente "UPDATE record SET fields = replace(fields, 'einddatum=2099-12-31', 'einddatum=$YESTERDAY') WHERE entiteittype = 'TST' AND bsn = '${B[6]}'"
check "after the consents of citizen 6 expire, the schedule retracts woco's copies" \
    wait_for woco "SELECT count(*) FROM record WHERE bsn = '${B[6]}'" 0 20
check "  and kcc's" wait_for kcc "SELECT count(*) FROM record WHERE bsn = '${B[6]}'" 0 20
check "  citizen 1's stay where they were (woco, kcc: 5 each)" \
    eq "$(kp_sql woco "SELECT count(*) FROM record WHERE bsn = '${B[1]}'") $(kp_sql kcc "SELECT count(*) FROM record WHERE bsn = '${B[1]}'")" "5 5"
check "  and the legal-basis partners keep citizen 6's" \
    eq "$(kp_sql ggd "SELECT count(*) FROM record WHERE bsn = '${B[6]}'")" 5
check "  each retraction audited with the reason" \
    eq "$(aud 6 $WOCO retracted) $(aud 6 $KCC retracted)" "5 5"

# A new consent brings the records back: no tombstone stood in the way.
grant 6 woco --until 2099-12-31
check "a new consent for citizen 6 discloses again, and woco applies it" \
    wait_for woco "SELECT count(*) FROM record WHERE bsn = '${B[6]}'" 5 20
kp_drained >/dev/null
check "  (the digests of woco's link agree)" \
    eval '"$KP" sync verify -c "$HUB" --partner woco | grep -q " 0 differ"'

# No BSN in clear: audit tables, message index, checkpoints, every log.
bsn_re=$(printf '%s\|' "${B[@]}" | sed 's/\\|$//')
for g in $KP_GATEWAYS; do
	kp_sql $g "SELECT * FROM audit" > "$WORK/$g.audit.sql"
	kp_sql $g "SELECT id, direction, partner_oin, message_id, referentienummer, berichtcode, entiteittype, root, at, bytes_sha256, outcome FROM message" > "$WORK/$g.index"
done
check "no BSN in clear in any audit table (each read)" eval '[ -s "$WORK/gemeente.audit.sql" ] && ! grep -q "$bsn_re" "$WORK"/*.audit.sql'
check "  nor in the message index" eval '! grep -q "$bsn_re" "$WORK"/*.index'
check "  nor in any daemon's log" eval '! grep -q "$bsn_re" "$WORK"/*/log'
check "  while the audit does name the citizens by pseudonym" \
    eq "$(kp_sql gemeente "SELECT count(DISTINCT subject) FROM audit WHERE subject IS NOT NULL")" 7
check "the pseudonym is HMAC-SHA256 of the BSN under the audit key (64 hex)" \
    eq "$(pseudo "${B[1]}" | grep -cE '^[0-9a-f]{64}$')" 1
check "the hub's log says nothing of BSNs while it reconsidered consents" \
    eval 'grep -q "consent check: .* citizens reconsidered" "$WORK/gemeente/log"'
# The auditor's tools on the hub's log.
# inzage: every disclosure of citizen 1 is exactly what the partners hold.
"$KP" audit inzage -c "$HUB" --bsn "${B[1]}" --format json > "$WORK/inzage.json"
"$KP" audit inzage -c "$HUB" --bsn "${B[1]}" > "$WORK/inzage.txt"
# rows FILTER: the JSON report's rows for which the Python expression is true
rows() {
	/usr/bin/python3 -c 'import json, re, sys
for r in json.load(open(sys.argv[1]))["regels"]:
    if eval(sys.argv[2]): print(eval(sys.argv[3]))' "$WORK/inzage.json" "$1" "${2:-1}"
}
got=$(rows 'r["wat_code"] == "received"' '" ".join([r["oin"], r["entiteittype"], r["identificatie"], r["bronversie"], r["velden"]])' | sort)
want=$(for g in ggd woco kcc kcw; do
	o=$(kp_oin_of $g); [ $g = woco ] && o=$WOCO; [ $g = kcw ] && o=$KCW
	kp_sql $g "SELECT '$o ' || entiteittype || ' ' || identificatie || ' ' || bronversie || ' ' || replace(fields, '$KP_NL', ';') FROM record WHERE bsn = '${B[1]}' AND received_from = '$GEM'" | sed -E 's/=[^;]*;/,/g; s/,$//'
done | sort)
check "inzage lists every disclosure of citizen 1 (20, one per copy a partner holds) and nothing else received" \
    eq "$(echo "$got" | wc -l) $got" "20 $want"
check "  each with its purpose and basis" \
    eq "$(rows 'r["wat_code"] == "received" and re.fullmatch("[a-z]+", r["doel"]) and re.match("wet: Testwet art. 2$|toestemming: TST-", r["grondslag"])' | grep -c .)" 20
check "  and the refusals, with their reasons" \
    eq "$(rows 'r["wat_code"] == "withheld" and "no consent of the citizen" in r["toelichting"]' | grep -c .)" 7
check "  nothing else (20 received + 7 withheld)" eq "$(rows True | grep -c .)" 27
# The citizen's own words: B1 Dutch, Dutch time, names, grouped.
check "the report speaks Dutch to the citizen: 20 times 'heeft gekregen', 7 times 'heeft niet gekregen' with the reason in a sentence" \
    eq "$(grep -c '^- [0-9]* [a-z]* 20[0-9][0-9], [0-2][0-9]:[0-5][0-9]: heeft gekregen: ' "$WORK/inzage.txt") $(grep -c ': heeft niet gekregen: ' "$WORK/inzage.txt") $(grep -c '^    .*Niet gedeeld: er was geen wet die dit toestaat, en u had er geen toestemming voor gegeven\.$' "$WORK/inzage.txt")" "20 7 7"
check "  with the fields in words (each of the 20 received), and no codes, UTC times or English" \
    eq "$(grep -c 'Welke gegevens: .*\(uw\|het\|de\|hoe\|wanneer\)' "$WORK/inzage.txt") $(grep -c 'T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\|[0-9]Z\b\|\bPRS\b\|\bZAK\b\|\bKCT\b\|received\|refused\|basis\|purpose\|plaatsgevondenOp\|geslachtsnaam' "$WORK/inzage.txt")" "20 0"
norgs=$(rows True 'r["organisatie"]' | sort -u | wc -l)
check "  grouped by organisation, each once under its full name ($norgs)" \
    eq "$(grep -c '^[^ -].* (OIN [0-9]\{20\})$' "$WORK/inzage.txt") $(rows True 'r["organisatie"]' | sort -u | tr '\n' '|')" \
    "$norgs $(grep '^[^ -].* (OIN [0-9]\{20\})$' "$WORK/inzage.txt" | sed 's/ (OIN .*//' | sort | tr '\n' '|')"
"$KP" audit inzage -c "$HUB" --bsn "${B[1]}" --format html > "$WORK/inzage.html"
check "the HTML report is one self-contained page with the same 27 rows and the same words" \
    eq "$(grep -c '^<tr><td><time datetime=' "$WORK/inzage.html") $(grep -c 'src=\|href=\|<script' "$WORK/inzage.html") $(grep -c '<td>heeft gekregen: ' "$WORK/inzage.html")" "27 0 20"
"$KP" audit inzage -c "$HUB" --bsn "${B[1]}" --format csv > "$WORK/inzage.csv"
check "  and as CSV (a header and 27 rows)" eq "$(wc -l < "$WORK/inzage.csv")" 28
"$KP" audit inzage -c "$HUB" --bsn "${B[3]}" --format json > "$WORK/inzage.json"
check "inzage of citizen 3 shows the copies withdrawn from woco" \
    eq "$(rows "r['wat_code'] == 'withdrawn' and r['oin'] == '$WOCO'" | grep -c .)" 5
check "  and in words, as every copy withdrawn ($(rows "r['wat_code'] == 'withdrawn'" | grep -c .))" \
    eq "$("$KP" audit inzage -c "$HUB" --bsn "${B[3]}" | grep -c ': moest verwijderen wat het eerder kreeg: ')" "$(rows "r['wat_code'] == 'withdrawn'" | grep -c .)"
# query: by citizen, partner and outcome, as CSV and JSON Lines
check "audit query --bsn --partner --outcome finds citizen 2's withheld disclosures to woco" \
    eq "$("$KP" audit query -c "$HUB" --bsn "${B[2]}" --partner woco --outcome withheld --format csv | tail -n +2 | wc -l)" 3
check "  as JSON Lines, one object a line, naming the pseudonym, never the BSN" \
    eq "$("$KP" audit query -c "$HUB" --bsn "${B[2]}" --partner woco --outcome withheld --format jsonl | grep -c "\"subject\": \"$(pseudo "${B[2]}")\"")" 3
out=$("$KP" audit query -c "$HUB" --until 2000-01-01 --format csv); rc=$?
check "  a period filter: nothing before the test began (the query ran: exit 0)" \
    eq "$rc $(printf '%s' "$out" | grep -c .)" "0 0"
# show: one delivered message with its proof
mid=$(kp_sql gemeente "SELECT message_id FROM audit WHERE outcome = 'delivered' AND partner_oin = '$WOCO' LIMIT 1")
out=$("$KP" audit show -c "$HUB" "$mid")
check "audit show prints the entry, the archived signed message and that it still verifies" \
    eval 'echo "$out" | grep -q "delivered" && echo "$out" | grep -q "<wsse:Security\|Security" && echo "$out" | grep -q "^signature: verifies"'
check "the audit chain of the hub verifies, on a copy, with its checkpoints" \
    eval 'kp_backup gemeente "$WORK/copy.db" && "$KP" audit verify -c "$HUB" --store "$WORK/copy.db" | grep -q ", 0 bad;"'
for g in $KP_GATEWAYS; do
	check "$g stops cleanly" kp_stop $g
done
