#!/usr/bin/env bash
# bench_context — the call-centre moment at scale, on 127.0.0.1 with a PKI
# made for the run: a municipality (`ketenpoort serve`, one worker thread
# per core, max_connections above the idle count) holds a citizen with
# CASES open cases and CONTACTS contacts among OTHERS other citizens' records;
# its profile of the call centre gives, on request, the person, the cases
# and the contacts (the newest context_contacts, 50 by default).
#
#   bench_context (in-process call-centre gateway): single-question service
#     time, capacity, and p50/p99 at half load against the service time
#     (goal p99 <= 3x).
#   bench_idle: the municipality's RSS with IDLE idle mTLS connections
#     (goal <= 64 MiB), after the context load.
#
#   KP=ketenpoort SRCDIR=.. BENCH_CONTEXT=bench/bench_context \
#   BENCH_IDLE=bench/bench_idle bench_context.sh [-r RUNS] [-n QUESTIONS]
#       [-i IDLE] [-c CASES] [-k CONTACTS] [-o OTHERS] [-L LATENCY_FILE]
set -u
RUNS=3 Q=500 IDLE=1000 CASES=100 CONTACTS=1000 OTHERS=200 DUMP=""
while getopts r:n:i:c:k:o:L: o; do
	case $o in r) RUNS=$OPTARG ;; n) Q=$OPTARG ;; i) IDLE=$OPTARG ;;
	c) CASES=$OPTARG ;; k) CONTACTS=$OPTARG ;; o) OTHERS=$OPTARG ;;
	L) DUMP=$OPTARG ;; *) exit 2 ;; esac
done
: "${BENCH_CONTEXT:?BENCH_CONTEXT must name bench/bench_context}"
: "${BENCH_IDLE:?BENCH_IDLE must name bench/bench_idle}"
WORK=$(mktemp -d /tmp/kp-bench-context.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT

kp_pki && kp_org gemeente $GEM && kp_org kcc $KCC || exit 1
P1=$(kp_free_port); P2=$(kp_free_port)
kp_gateway gemeente $GEM "$P1"; kp_gateway kcc $KCC "$P2"
sed -i '/^threads/d' "$WORK/gemeente/ketenpoort.conf"
echo "max_connections $((IDLE + 100))" >> "$WORK/gemeente/ketenpoort.conf"
LAW="<wet>Testwet art. 3</wet>"
KP_ONTVANGEN="<ontvangen>
  <entiteit type=\"PRS\" doel=\"klantcontact\" verstrekking=\"opvraag\">$LAW<veld>geslachtsnaam</veld><veld>telefoon</veld></entiteit>
  <entiteit type=\"ZAK\" doel=\"klantcontact\" maxVertrouwelijkheid=\"intern\" verstrekking=\"opvraag\">$LAW<veld>zaaktype</veld><veld>status</veld><veld>behandelaar</veld></entiteit>
  <entiteit type=\"KCT\" doel=\"klantcontact\" verstrekking=\"opvraag\">$LAW<veld>kanaal</veld><veld>plaatsgevondenOp</veld><veld>onderwerp</veld></entiteit>
</ontvangen>" KP_VRAGEN='<vraag functie="context" doel="klantcontact"/>' \
    kp_profile gemeente kcc $KCC "$P2" callcenter kctLk01
kp_profile kcc gemeente $GEM "$P1" gemeente

# The records, one local change per file: the citizen (number 1) and the
# others, each other citizen with a person, 2 cases and 10 contacts.
BSN=$(kp_bsn 1)
mkdir -p "$WORK/in"
for i in $(seq 1 "$OTHERS"); do kp_bsn $((i + 1)); done > "$WORK/others"
awk -v dir="$WORK/in" -v gem=$GEM -v bsn="$BSN" -v cases="$CASES" \
    -v contacts="$CONTACTS" -v others="$WORK/others" '
function change(type, el, id, b, body,    f) {
	f = sprintf("%s/%s-%s.xml", dir, type, id)
	printf "<kd:lokaleWijziging xmlns:kd=\"urn:ketenpoort:ketendossier:1\"><kd:mutatiesoort>T</kd:mutatiesoort><kd:object><kd:%s><kd:bron>%s</kd:bron><kd:identificatie>%s</kd:identificatie><kd:bronversie>1</kd:bronversie><kd:bsn>%s</kd:bsn>%s</kd:%s></kd:object></kd:lokaleWijziging>\n", el, gem, id, b, body, el > f
	close(f)
}
function person(id, b) {
	change("PRS", "persoon", id, b, "<kd:geslachtsnaam>Jansen</kd:geslachtsnaam><kd:telefoon>06-12345678</kd:telefoon>")
}
function zaak(id, b) {
	change("ZAK", "zaak", id, b, "<kd:zaaktype>Bijzondere bijstand</kd:zaaktype><kd:omschrijving>Aanvraag " id "</kd:omschrijving><kd:status>in behandeling</kd:status><kd:startdatum>2026-01-05</kd:startdatum><kd:behandelaar>J. de Vries</kd:behandelaar><kd:vertrouwelijkheidaanduiding>intern</kd:vertrouwelijkheidaanduiding>")
}
function contact(id, b, n) {
	change("KCT", "klantcontact", id, b, sprintf("<kd:kanaal>%s</kd:kanaal><kd:plaatsgevondenOp>2026-%02d-%02dT%02d:%02d:00Z</kd:plaatsgevondenOp><kd:onderwerp>vraag %s</kd:onderwerp><kd:inhoud>gesprek</kd:inhoud>", (n % 3 == 0) ? "telefoon" : (n % 3 == 1) ? "balie" : "email", n % 11 + 1, n % 28 + 1, n % 24, n % 60, id))
}
BEGIN {
	person("P0", bsn)
	for (i = 1; i <= cases; i++) zaak("Z0-" i, bsn)
	for (i = 1; i <= contacts; i++) contact("K0-" i, bsn, i)
	o = 0
	while ((getline b < others) > 0) {
		o++
		person("P" o, b)
		for (i = 1; i <= 2; i++) zaak("Z" o "-" i, b)
		for (i = 1; i <= 10; i++) contact("K" o "-" i, b, i)
	}
}'
nrec=$(ls "$WORK/in" | wc -l)
start=$(date +%s)
find "$WORK/in" -name '*.xml' -print0 |
    xargs -0 -n 500 "$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" \
    >"$WORK/put.log" 2>&1 ||
    { grep -v 'stored;' "$WORK/put.log" >&2; echo "bench_context: dossier put failed" >&2; exit 1; }
echo "data: $nrec records put in $(( $(date +%s) - start )) s; the citizen has 1 person, $CASES open cases, $CONTACTS contacts"
kp_start gemeente || exit 1
contacts=$(sed -n 's/^context_contacts[[:space:]]*//p' "$WORK/gemeente/ketenpoort.conf")
[ -n "$contacts" ] || contacts=50
[ "$contacts" -gt "$CONTACTS" ] && contacts=$CONTACTS
"$BENCH_CONTEXT" -c "$WORK/kcc/ketenpoort.conf" -p gemeente -b "$BSN" \
    -d klantcontact -e $((1 + CASES + contacts)) -n "$Q" -r "$RUNS" \
    ${DUMP:+-L "$DUMP"} || exit 1
"$BENCH_IDLE" -P "$P1" -s "$(cat "$WORK/gemeente/pid")" \
    --cert "$WORK/pki/kcc.crt" --key "$WORK/pki/kcc.key" \
    --ca "$WORK/pki/ca.crt" -n "$IDLE" -r "$RUNS" || exit 1
