#!/usr/bin/env bash
# The call-centre moment (PROTOCOL.md 3.3, dosLv01 functie context) with
# three gateways on 127.0.0.1: a municipality (the hub), its outsourced
# call centre (kcc) and a chain partner (ggd).  The hub's profile of kcc
# gives it, on request only (verstrekking="opvraag"): a person's name and
# telephone (law), cases up to "intern" (law), more confidential cases on
# the citizen's consent (with their omschrijving too), and contacts (law);
# it may ask context for "klantcontact".  context_contacts is 2.
# Five citizens, one per consent situation: granted (1), never (2),
# withdrawn (3), expired (4), from tomorrow (5).  Each has a person, an
# open "intern" case, an open "zaakvertrouwelijk" case, a closed case and
# three contacts.  Asserted from what kcc's `dossier context --json` got
# (the signed answer): exactly these records with exactly these fields;
# in the hub's audit chain each disclosure ("answered", with basis) and
# each refusal ("withheld", KP021); on kcc's side the question, audited
# with the citizen's pseudonym.  kcc keeps no copy.  The contact kcc
# registers flows back to the hub and is not shown to kcc again.  A
# purpose kcc may not ask for, and a partner that may not ask, are refused
# with KP020 and audited, and change nothing.
set -u
WORK=$(mktemp -d /tmp/kp-context.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
t=0
echo "1..39"

KP_GATEWAYS="gemeente kcc ggd"
kp_pki && kp_org gemeente $GEM && kp_org kcc $KCC && kp_org ggd $GGD
P1=$(kp_free_port); P2=$(kp_free_port); P3=$(kp_free_port)
kp_gateway gemeente $GEM "$P1"; kp_gateway kcc $KCC "$P2"; kp_gateway ggd $GGD "$P3"
echo "context_contacts 2" >> "$WORK/gemeente/ketenpoort.conf"
echo "local_socket local.sock" >> "$WORK/kcc/ketenpoort.conf"
LAW="<wet>Testwet art. 3</wet>"
KP_ONTVANGEN="<ontvangen>
  <entiteit type=\"PRS\" doel=\"klantcontact\" verstrekking=\"opvraag\">$LAW<veld>geslachtsnaam</veld><veld>telefoon</veld></entiteit>
  <entiteit type=\"ZAK\" doel=\"klantcontact\" maxVertrouwelijkheid=\"intern\" verstrekking=\"opvraag\">$LAW<veld>zaaktype</veld><veld>status</veld><veld>behandelaar</veld></entiteit>
  <entiteit type=\"ZAK\" doel=\"klantcontact\" verstrekking=\"opvraag\"><toestemming/><veld>zaaktype</veld><veld>omschrijving</veld><veld>status</veld><veld>behandelaar</veld></entiteit>
  <entiteit type=\"KCT\" doel=\"klantcontact\" verstrekking=\"opvraag\">$LAW<veld>kanaal</veld><veld>plaatsgevondenOp</veld><veld>onderwerp</veld></entiteit>
</ontvangen>" KP_VRAGEN='<vraag functie="context" doel="klantcontact"/>' \
    kp_profile gemeente kcc $KCC "$P2" callcenter kctLk01
KP_ONTVANGEN="<ontvangen><entiteit type=\"ZAK\" doel=\"ketentest\">$LAW<veld>zaaktype</veld></entiteit></ontvangen>" \
    kp_profile gemeente ggd $GGD "$P3" ketenpartner
KP_ONTVANGEN="<ontvangen><entiteit type=\"KCT\" doel=\"klantcontact\">$LAW<veld>kanaal</veld><veld>plaatsgevondenOp</veld><veld>onderwerp</veld><veld>inhoud</veld></entiteit></ontvangen>" \
    kp_profile kcc gemeente $GEM "$P1" gemeente
kp_profile ggd gemeente $GEM "$P1" gemeente zakLk01
for g in $KP_GATEWAYS; do
	kp_start $g || { echo "Bail out! $g did not start"; exit 1; }
done
HUB="$WORK/gemeente/ketenpoort.conf"
KCCC="$WORK/kcc/ketenpoort.conf"

declare -a B
for i in 1 2 3 4 5; do B[$i]=$(kp_bsn $((700 + i))); done
YESTERDAY=$(date -d yesterday +%F)
TOMORROW=$(date -d tomorrow +%F)

# zaak FILE ID BSN VERTROUWELIJKHEID [EINDDATUM]
zaak() {
	local end=""
	[ -n "${5:-}" ] && end="<kd:einddatum>$5</kd:einddatum>"
	printf '<kd:lokaleWijziging xmlns:kd="urn:ketenpoort:ketendossier:1"><kd:mutatiesoort>T</kd:mutatiesoort><kd:object><kd:zaak><kd:bron>%s</kd:bron><kd:identificatie>%s</kd:identificatie><kd:bronversie>1</kd:bronversie><kd:bsn>%s</kd:bsn><kd:zaaktype>Schuldhulp</kd:zaaktype><kd:omschrijving>Aanvraag %s</kd:omschrijving><kd:toelichting>intern</kd:toelichting><kd:status>open</kd:status><kd:startdatum>2026-01-05</kd:startdatum>%s<kd:behandelaar>J. de Vries</kd:behandelaar><kd:vertrouwelijkheidaanduiding>%s</kd:vertrouwelijkheidaanduiding></kd:zaak></kd:object></kd:lokaleWijziging>\n' \
	    $GEM "$2" "$3" "$2" "$end" "$4" > "$1"
}
mkdir -p "$WORK/in"
for i in 1 2 3 4 5; do
	kp_local_change "$WORK/in/p$i.xml" T PRS $GEM "P$i" 1 "${B[$i]}"
	zaak "$WORK/in/zi$i.xml" "Z$i-intern" "${B[$i]}" intern
	zaak "$WORK/in/zc$i.xml" "Z$i-conf" "${B[$i]}" zaakvertrouwelijk
	zaak "$WORK/in/zd$i.xml" "Z$i-dicht" "${B[$i]}" intern 2026-02-01
	for v in 1 2 3; do
		kp_local_change "$WORK/in/k$i$v.xml" T KCT $GEM "K$i-$v" $v "${B[$i]}"
	done
	"$KP" dossier put -c "$HUB" "$WORK/in/p$i.xml" "$WORK/in/zi$i.xml" \
	    "$WORK/in/zc$i.xml" "$WORK/in/zd$i.xml" "$WORK/in/k$i"?.xml >/dev/null
done
grant() { "$KP" consent grant -c "$HUB" --bsn "${B[$1]}" --partner kcc --doel klantcontact "${@:2}" >/dev/null; }
grant 1
grant 3
grant 4 --from 2026-01-01 --until "$YESTERDAY"
grant 5 --from "$TOMORROW"
"$KP" consent withdraw -c "$HUB" --bsn "${B[3]}" --partner kcc --doel klantcontact >/dev/null
check "everything queued is delivered" kp_drained
is "kcc keeps no copy of the hub's records (on request only)" 0 \
    "$(kp_sql kcc "SELECT count(*) FROM record WHERE bron = '$GEM'")"

# ask I: kcc's context question for citizen I, as "TYPE ID field,field"
ask() {
	"$KP" dossier context -c "$KCCC" --partner gemeente --bsn "${B[$1]}" \
	    --doel klantcontact --json > "$WORK/ctx$1.json" || return 1
	grep '"entiteittype"' "$WORK/ctx$1.json" |
	    sed -E 's/.*"entiteittype": "([A-Z]+)".*"identificatie": "([^"]*)".*"velden": \{(.*)\}\},?$/\1 \2 \3/; s/"([a-zA-Z]+)": "[^"]*"(, )?/\1,/g; s/,$//'
}
# expect I CONSENT: what citizen I's answer must hold
expect() {
	echo "PRS P$1 geslachtsnaam,telefoon"
	[ "$2" = yes ] && echo "ZAK Z$1-conf zaaktype,omschrijving,status,behandelaar"
	echo "ZAK Z$1-intern zaaktype,status,behandelaar"
	echo "KCT K$1-3 kanaal,plaatsgevondenOp,onderwerp"
	echo "KCT K$1-2 kanaal,plaatsgevondenOp,onderwerp"
}
for i in 1 2 3 4 5; do
	case $i in 1) c=yes; what="consent granted" ;; 2) c=no; what="no consent" ;;
	3) c=no; what="consent withdrawn" ;; 4) c=no; what="consent expired" ;;
	5) c=no; what="consent from tomorrow" ;; esac
	is "citizen $i ($what): exactly the allowed records and fields" \
	    "$(expect $i $c)" "$(ask $i)"
done
is "the values as signed by the hub, only the profile's fields" \
    "  {\"entiteittype\": \"PRS\", \"bron\": \"$GEM\", \"identificatie\": \"P1\", \"bronversie\": 1, \"velden\": {\"geslachtsnaam\": \"Jansen-P1-1\", \"telefoon\": \"06-111\"}}," \
    "$(grep '"PRS"' "$WORK/ctx1.json")"
is "hub audit, consent granted: the question and 5 records shown" \
    "$(printf '1 in accepted\n5 out answered')" \
    "$("$KP" audit query -c "$HUB" --bsn "${B[1]}" --type Lv01 --format jsonl | sed -E 's/.*"direction": "([a-z]+)".*"outcome": "([a-z ]+)".*/\1 \2/' | sort | uniq -c | sed 's/^ *//'; "$KP" audit query -c "$HUB" --bsn "${B[1]}" --type La01 --format jsonl | sed -E 's/.*"direction": "([a-z]+)".*"outcome": "([a-z ]+)".*/\1 \2/' | sort | uniq -c | sed 's/^ *//')"
for i in 2 3 4 5; do
	is "hub audit, citizen $i: 4 shown, the confidential case withheld with KP021" \
	    "$(printf '4 out answered \n1 out withheld KP021')" \
	    "$("$KP" audit query -c "$HUB" --bsn "${B[$i]}" --type La01 --format jsonl | sed -E 's/.*"direction": "([a-z]+)".*"outcome": "([a-z ]+)", "code": "?([A-Z0-9]*)"?.*/\1 \2 \3/' | sort | uniq -c | sed 's/^ *//')"
done
is "the withheld case names why" "1" \
    "$("$KP" audit query -c "$HUB" --bsn "${B[3]}" --outcome withheld --format jsonl | grep -c 'Z3-conf.*ingetrokken\|ingetrokken.*Z3-conf')"
is "kcc's side: each question audited with the citizen's pseudonym and purpose" \
    "1 out delivered klantcontact" \
    "$("$KP" audit query -c "$KCCC" --bsn "${B[2]}" --format jsonl | sed -E 's/.*"direction": "([a-z]+)".*"doel": "([a-z]+)".*"outcome": "([a-z]+)".*/\1 \3 \2/' | sort | uniq -c | sed 's/^ *//')"
is "the hub's inzage for citizen 1 lists the 5 records shown on request" "5" \
    "$("$KP" audit inzage -c "$HUB" --bsn "${B[1]}" --format csv | grep -c ',"shown",')"

text=$("$KP" dossier context -c "$KCCC" --partner gemeente --bsn "${B[2]}" --doel klantcontact)
is "the readable form, for the agent on the phone" "Context from gemeente for BSN ${B[2]}, doel klantcontact: 4 records
Customer (PRS)
  P2 (of $GEM, version 1)
    geslachtsnaam              Jansen-P2-1
    telefoon                   06-111
Open cases (ZAK)
  Z2-intern (of $GEM, version 1)
    zaaktype                   Schuldhulp
    status                     open
    behandelaar                J. de Vries
Recent contacts (KCT)
  K2-3 (of $GEM, version 3)
    kanaal                     telefoon
    plaatsgevondenOp           2026-11-24T10:03:00Z
    onderwerp                  vraag K2-3
  K2-2 (of $GEM, version 2)
    kanaal                     telefoon
    plaatsgevondenOp           2026-11-24T10:02:00Z
    onderwerp                  vraag K2-2" "$(echo "$text" | grep -v '^$')"

# The call centre registers the contact; it flows back, and is not shown again.
kp_local_change "$WORK/in/kk.xml" T KCT $KCC "KK-1" 1 "${B[1]}"
"$KP" dossier put -c "$KCCC" "$WORK/in/kk.xml" >/dev/null
check "the registered contact is delivered" kp_drained
is "the hub holds kcc's contact, with the fields its profile of kcc gives" \
    "KK-1|$KCC|kanaal;plaatsgevondenOp;onderwerp;inhoud" \
    "$(kp_sql gemeente "SELECT identificatie || '|' || received_from || '|' || replace(replace(replace(replace(replace(fields, '$KP_NL', ';'), 'kanaal=telefoon', 'kanaal'), 'plaatsgevondenOp=2026-11-24T10:01:00Z', 'plaatsgevondenOp'), 'onderwerp=vraag KK-1', 'onderwerp'), 'inhoud=gesprek versie 1', 'inhoud') FROM record WHERE identificatie = 'KK-1'" | sed 's/;$//')"
is "kcc's own contact is not in its next answer" "$(expect 1 yes)" "$(ask 1)"

# Refusals: a purpose it may not ask for, a partner that may not ask.
before=$(kp_sql gemeente "SELECT count(*) FROM record; SELECT count(*) FROM outbox" | tr '\n' ' ')
out=$("$KP" dossier context -c "$KCCC" --partner gemeente --bsn "${B[1]}" --doel schuldhulp 2>&1); rc=$?
is "kcc asking for a purpose not in its profile: refused, exit 1" "1" "$rc"
check "  with KP020 naming the purpose" grep -q "KP020.*may not ask context for doel schuldhulp" <<< "$out"
out=$("$KP" dossier context -c "$WORK/ggd/ketenpoort.conf" --partner gemeente --bsn "${B[1]}" --doel klantcontact 2>&1); rc=$?
is "ggd, which may not ask context at all: refused, exit 1" "1" "$rc"
check "  with KP020" grep -q "KP020.*may not ask dosLv01 functie context" <<< "$out"
is "the refusals changed no record and queued nothing" "$before" \
    "$(kp_sql gemeente "SELECT count(*) FROM record; SELECT count(*) FROM outbox" | tr '\n' ' ')"
is "both refusals are audited about citizen 1 (inzage: request refused)" "2" \
    "$("$KP" audit inzage -c "$HUB" --bsn "${B[1]}" --format csv | grep -c ',"refused",')"
out=$("$KP" dossier context -c "$KCCC" --partner gemeente --bsn 123456789 --doel klantcontact 2>&1); rc=$?
is "an invalid BSN is refused before anything is sent" "2 0" \
    "$rc $(kp_sql kcc "SELECT count(*) FROM message WHERE partner_oin = '$GEM' AND bytes LIKE '%123456789%'")"
check "the hub's audit chain verifies" "$KP" audit verify -c "$HUB"
check "no BSN in clear in either audit log" eval "! kp_sql gemeente 'SELECT * FROM audit' | grep -q '${B[1]}' && ! kp_sql kcc 'SELECT * FROM audit' | grep -q '${B[1]}'"

# The same through kcc's local interface (HTTP over its Unix socket), as the
# call centre's own systems would ask.
SOCK="$WORK/kcc/local.sock"
# local PATH: the body on stdout, the HTTP status in $WORK/code
local_get() {
	curl -s -o "$WORK/local.out" -w '%{http_code}' --unix-socket "$SOCK" "http://kcc$1" > "$WORK/code"
	cat "$WORK/local.out"
}
# local_coded PATH: "CODE BODY"
local_coded() { local b; b=$(local_get "$1"); echo "$(cat "$WORK/code") $b"; }
asked() { kp_sql kcc "SELECT count(*) FROM audit WHERE direction = 'out' AND berichtcode = 'Lv01'"; }
"$KP" dossier context -c "$KCCC" --partner gemeente --bsn "${B[1]}" --doel klantcontact --json > "$WORK/cli.json"
n=$(asked)
out=$(local_get "/context?partner=gemeente&bsn=${B[1]}&doel=klantcontact")
is "local GET /context: 200 and the same JSON as dossier context --json" \
    "200 $(cat "$WORK/cli.json")" "$(cat "$WORK/code") $out"
is "  and the question is audited at kcc like the command's" "$((n + 1))" "$(asked)"
out=$(local_get "/context?partner=$GEM&bsn=${B[1]}&doel=schuldhulp")
check "local: a purpose the hub refuses is 422 with its Fo03 code" \
    grep -q "^422 .*KP020.*may not ask context for doel schuldhulp" <<< "$(cat "$WORK/code") $out"
is "local: a missing parameter is 400 and says which and how" \
    "400 missing doel; use GET /context?partner=P&bsn=N&doel=D" \
    "$(local_coded "/context?partner=gemeente&bsn=${B[1]}")"
n=$(asked)
out=$(local_get "/context?partner=gemeente&bsn=123456789&doel=klantcontact")
is "local: an invalid BSN is 400 and nothing is asked" "400 $n" "$(cat "$WORK/code") $(asked)"
out=$(local_get "/context?partner=nobody&bsn=${B[1]}&doel=klantcontact")
is "local: an unknown partner is 404" "404" "$(cat "$WORK/code")"
is "local GET /queue?partner=gemeente: every outbox row for the hub" \
    "$(kp_sql kcc "SELECT count(*) FROM outbox WHERE partner_oin = '$GEM'")" \
    "$(local_get "/queue?partner=gemeente" | grep -c '"partner": "'$GEM'"')"
is "local GET /queue?state=parked: none" "200 []" "$(local_coded "/queue?state=parked")"
is "local GET /queue?state=lost: 400 naming the states" "400 state lost: use pending, parked or delivered" \
    "$(local_coded "/queue?state=lost")"
is "local GET /sync: the hub's link with what was delivered to it" \
    "\"delivered\": $(kp_sql kcc "SELECT count(*) FROM outbox WHERE partner_oin = '$GEM' AND state = 'delivered'")," \
    "$(local_get /sync | grep -o '"partner": "'$GEM'", "naam": "gemeente", "out": {[^}]*' | grep -o '"delivered": [0-9]*,')"
