#!/usr/bin/env bash
# bench_auditweb — the auditor's web view on a big log (issue 17): a
# municipality's gateway whose audit log holds N entries (1,000,000 by
# default: a few real ones, the rest added to the store directly, spread
# over 30 days, three partners, 50,000 citizens, the one searched for in
# one entry of every 10,000), its web view on 127.0.0.1 with an auditor's
# client certificate (curl, one connection):
#
#   citizen: from sending the search form with a BSN to the first page of
#     results (the 303 followed; the audit entry of the view written),
#     against `ketenpoort audit query --bsn` with the same citizen;
#   partner/period: the same for one partner and the last 7 days, against
#     `audit query --partner --from --until`.
#
# Medians of RUNS each, and their ratio (goal: at most 1.5).  The
# overview's time on the same log is printed too (no bound: it reads 14
# days of the log).
#
#   KP=ketenpoort SRCDIR=.. bench_auditweb.sh [-n ENTRIES] [-r RUNS]
set -u
N=1000000 RUNS=5
while getopts n:r: o; do
	case $o in n) N=$OPTARG ;; r) RUNS=$OPTARG ;; *) exit 2 ;; esac
done
WORK=$(mktemp -d /tmp/kp-bench-auditweb.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; rm -rf "$WORK"' EXIT
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
now_ms() { date +%s%3N; }

kp_pair > /dev/null || { echo "bench_auditweb: no PKI" >&2; exit 1; }
"$KP" pki init "$WORK/auditca" > /dev/null
"$KP" pki issue "$WORK/auditca" vries --oin 00000001001000000201 --org vries > /dev/null
openssl x509 -noout -subject -nameopt RFC2253 -in "$WORK/auditca/vries.crt" |
    sed 's/^subject=//' > "$WORK/gemeente/auditors"
A=$(kp_free_port)
printf 'audit_listen\t127.0.0.1:%s\nauditor_ca\t../auditca/ca.crt\nauditors\tauditors\ncheckpoint_interval\t0\n' "$A" \
    >> "$WORK/gemeente/ketenpoort.conf"
C=$WORK/gemeente/ketenpoort.conf
kp_start gemeente || { echo "bench_auditweb: the gateway did not start" >&2; exit 1; }
kp_stop gemeente
BSN=$(kp_bsn 77)
KEY=$(tr -d '\n' < "$WORK/gemeente/store.db.audit-key")
SUBJECT=$(/usr/bin/python3 -c 'import hmac, hashlib, sys
print(hmac.new(bytes.fromhex(sys.argv[1]), sys.argv[2].encode(), hashlib.sha256).hexdigest())' "$KEY" "$BSN")
P=(00000002002000000000 00000003003000000000 00000004004000000000)
t0=$(now_ms)
sqlite3 "$WORK/gemeente/store.db" <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $N)
INSERT INTO audit (seq, at, direction, partner_oin, message_id, berichtcode,
    entiteittype, outcome, code, bytes_sha256, detail, subject, record, hash)
SELECT (SELECT coalesce(max(seq), 0) FROM audit) + i,
    strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-30 days', '+' || (i * 2592000.0 / $N) || ' seconds'),
    CASE i % 2 WHEN 0 THEN 'in' ELSE 'out' END,
    CASE i % 3 WHEN 0 THEN '${P[0]}' WHEN 1 THEN '${P[1]}' ELSE '${P[2]}' END,
    'urn:uuid:bench-' || i, 'Lk01', 'ZAK',
    CASE i % 2 WHEN 0 THEN 'accepted' ELSE 'delivered' END, NULL,
    printf('%064x', i), NULL,
    CASE WHEN i % 10000 = 0 THEN '$SUBJECT' ELSE printf('%064d', i % 50000) END,
    'ZAK|${P[0]}|Z' || i || '|1', printf('%064x', i)
FROM c;
COMMIT;
ANALYZE;
SQL
entries=$(kp_sql gemeente "SELECT count(*) FROM audit")
echo "bench_auditweb: $entries entries in the log (made in $(( $(now_ms) - t0 )) ms)"
kp_start gemeente || { echo "bench_auditweb: the gateway did not start" >&2; exit 1; }

WA=(curl -s --cacert "$WORK/pki/ca.crt" --cert "$WORK/auditca/vries.crt" --key "$WORK/auditca/vries.key")
URL=https://127.0.0.1:$A
csrf=$("${WA[@]}" "$URL/zoeken" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
FROM=$(date -u -d '7 days ago' +%F)
UNTIL=$(date -u +%F)
# web FORM...: ms from sending the search to the first page of results,
# which must hold ROWS rows
web() {
	local rows=$1 ms
	shift
	ms=$("${WA[@]}" -L -o "$WORK/page" -w '%{time_total}' --data-urlencode "csrf=$csrf" "$@" "$URL/zoeken" |
	    awk '{printf "%d", $1 * 1000}')
	# (a search by BSN adds the entry of its view: at least rows)
	[ "$(grep -c '<tr><td><a href="/regel/' "$WORK/page")" -ge "$rows" ] ||
	    { echo "bench_auditweb: the page has not $rows rows: $(grep -c '<tr><td><a href="/regel/' "$WORK/page"), $(grep -o '<h1>[^<]*</h1>\|class="bad"[^<]*<' "$WORK/page" | head -2)" >&2; exit 1; }
	echo "$ms"
}
cli() {
	local t=$(now_ms)
	"$KP" audit query -c "$C" "$@" --format csv > "$WORK/query" 2> "$WORK/query.err" ||
	    { echo "bench_auditweb: audit query $*: $(cat "$WORK/query.err")" >&2; exit 1; }
	echo $(( $(now_ms) - t ))
}
want=$(( N / 10000 < 50 ? N / 10000 : 50 ))
for f in wc qc wp qp ov; do : > "$WORK/$f"; done
for run in $(seq 1 "$RUNS"); do
	web "$want" --data-urlencode "bsn=$BSN" >> "$WORK/wc"
	cli --bsn "$BSN" >> "$WORK/qc"
	web 50 --data-urlencode "partner=${P[0]}" --data-urlencode "van=$FROM" \
	    --data-urlencode "tot=$UNTIL" >> "$WORK/wp"
	cli --partner "${P[0]}" --from "$FROM" --until "$UNTIL" >> "$WORK/qp"
	"${WA[@]}" -o /dev/null -w '%{time_total}\n' "$URL/" | awk '{printf "%d\n", $1 * 1000}' >> "$WORK/ov"
done
matches=$(( $(wc -l < "$WORK/query") - 1 ))
wc=$(median < "$WORK/wc"); qc=$(median < "$WORK/qc")
wp=$(median < "$WORK/wp"); qp=$(median < "$WORK/qp")
printf 'bench_auditweb: citizen search, first page: %d ms; audit query --bsn: %d ms; ratio %.2f (goal <= 1.5)\n' \
    "$wc" "$qc" "$(awk -v a="$wc" -v b="$qc" 'BEGIN {print a / b}')"
printf 'bench_auditweb: partner and last 7 days, first page: %d ms; audit query --partner --from --until (%d entries): %d ms; ratio %.2f (goal <= 1.5)\n' \
    "$wp" "$matches" "$qp" "$(awk -v a="$wp" -v b="$qp" 'BEGIN {print a / b}')"
printf 'bench_auditweb: the overview (14 days of %d entries): %d ms\n' "$entries" "$(median < "$WORK/ov")"
echo "bench_auditweb: medians of $RUNS runs"
