#!/usr/bin/env bash
# bench_notify — the organisation's own systems told of changes (issue 18),
# with two real gateways on 127.0.0.1 (a municipality and a GGD, mutual
# TLS, a PKI made for the run) and a real HTTP receiver as the
# municipality's case system (tests/tools/subscriber.py), subscribed to
# zaken:
#
#   drain: N local changes put while the receiver is down (the local
#     change rate: N over the time their `dossier put` took, every one
#     stored with its notification); then the receiver starts;
#     notifications/s until none waits.  Ratio drain / local change rate.
#   latency: changes put at half the GGD's catch-up rate (measured first
#     in the same run, as bench_sync does), in batches every 200 ms; for
#     each, from its commit at the municipality to (a) the receiver having
#     its notification (change-to-notification) and (b) its commit at the
#     GGD (change-to-visible between gateways, the bound).  p50 and p99 of
#     each, and their ratio.
#
#   KP=ketenpoort SRCDIR=.. bench_notify.sh [-n N] [-r RUNS]
set -u
N=2000 RUNS=3
while getopts n:r: o; do
	case $o in n) N=$OPTARG ;; r) RUNS=$OPTARG ;; *) exit 2 ;; esac
done
WORK=$(mktemp -d /tmp/kp-bench-notify.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
SUB=""
trap 'kp_stop_all; [ -n "$SUB" ] && kill $SUB 2>/dev/null; rm -rf "$WORK"' EXIT
PY=/usr/bin/python3
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
now_ms() { date +%s%3N; }
waiting() { kp_sql gemeente "SELECT count(*) FROM notification"; }
receiver() {
	$PY "$SRCDIR/tests/tools/subscriber.py" "$S" "$WORK/sub" &
	SUB=$!
	until curl -s -o /dev/null "http://127.0.0.1:$S/"; do sleep 0.02; done
}

for f in local drain ratio catchup np50 np99 vp50 vp99; do : > "$WORK/$f"; done
for run in $(seq 1 "$RUNS"); do
	rm -rf "$WORK/gemeente" "$WORK/ggd" "$WORK/pki" "$WORK/sub"
	KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>' kp_pair
	R=$(kp_free_port); S=$(kp_free_port)
	printf '[{"client_id": "zaaksysteem", "secret": "0123456789abcdef0123456789abcdef"}]\n' \
	    > "$WORK/gemeente/clients.json"
	printf '[{"naam": "zaaksysteem", "callbackUrl": "http://127.0.0.1:%s/zs", "auth": "Bearer b", "kanalen": [{"naam": "zaken"}]}]\n' \
	    "$S" > "$WORK/gemeente/subs.json"
	chmod 600 "$WORK/gemeente/clients.json" "$WORK/gemeente/subs.json"
	printf 'read_listen 127.0.0.1:%s\nread_clients clients.json\nsubscriptions subs.json\nlocal_socket local.sock\n' \
	    "$R" >> "$WORK/gemeente/ketenpoort.conf"
	rm -rf "$WORK/c"; mkdir -p "$WORK/c"
	for i in $(seq 1 "$N"); do
		kp_local_change "$WORK/c/$i.xml" T ZAK $GEM "Z$i" 1 "$(kp_bsn $((i % 997 + 1)))"
	done
	kp_start gemeente >/dev/null || exit 1

	# drain: the receiver down while N changes are made; the GGD down too,
	# so the put measures the local change alone
	t0=$(now_ms)
	"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK"/c/*.xml > /dev/null 2>&1
	t1=$(now_ms)
	[ "$(waiting)" = "$N" ] || { echo "bench_notify: $(waiting) of $N notifications wait" >&2; exit 1; }
	local_rate=$(( N * 1000 / (t1 - t0) ))
	receiver
	t2=$(now_ms)
	until [ "$(waiting)" = 0 ]; do sleep 0.02; done
	t3=$(now_ms)
	drain=$(( N * 1000 / (t3 - t2) ))
	echo "$local_rate" >> "$WORK/local"; echo "$drain" >> "$WORK/drain"
	awk -v d="$drain" -v l="$local_rate" 'BEGIN { printf "%.2f\n", d / l }' >> "$WORK/ratio"

	# the GGD catches up on the same N: the rate half load is half of
	t4=$(now_ms)
	kp_start ggd >/dev/null || exit 1
	until [ "$(kp_sql gemeente "SELECT count(*) FROM outbox WHERE state != 'delivered'")" = 0 ]; do
		sleep 0.05
	done
	catchup=$(( N * 1000 / ($(now_ms) - t4) ))
	echo "$catchup" >> "$WORK/catchup"

	# half load: catchup/2 changes a second, a batch every 200 ms
	per=$(( catchup / 10 )); [ "$per" -lt 1 ] && per=1
	rm -rf "$WORK"/c/*
	for b in $(seq 1 25); do
		mkdir -p "$WORK/c/$b"
		for i in $(seq 1 "$per"); do
			kp_local_change "$WORK/c/$b/$i.xml" T ZAK $GEM "L$b-$i" 1 "$(kp_bsn $(( (b * per + i) % 997 + 1)))"
		done
	done
	mark=$(wc -l < "$WORK/sub/received.jsonl")
	for b in $(seq 1 25); do
		start=$(now_ms)
		"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK"/c/$b/*.xml > /dev/null 2>&1
		left=$(( 200 - ($(now_ms) - start) ))
		[ "$left" -gt 0 ] && sleep "0.$(printf %03d "$left")"
	done
	until [ "$(kp_sql gemeente "SELECT count(*) FROM outbox WHERE state != 'delivered'")" = 0 ] &&
	    [ "$(waiting)" = 0 ]; do
		sleep 0.05
	done
	# change-to-visible: the GGD's commit after the municipality's
	kp_sql2 ggd gemeente "SELECT CAST(round((julianday(g.updated_at) - julianday(m.updated_at)) * 86400000) AS INTEGER)
	    FROM main.record g JOIN o.record m USING (entiteittype, bron, identificatie)
	    WHERE g.identificatie LIKE 'L%'" | sort -n > "$WORK/vis"
	# change-to-notification: the receiver's arrival after the commit
	kp_sql gemeente "SELECT f.ref, CAST(round((julianday(r.updated_at) - 2440587.5) * 86400000) AS INTEGER)
	    FROM record_ref f JOIN record r USING (entiteittype, bron, identificatie)
	    WHERE r.identificatie LIKE 'L%'" > "$WORK/commits"
	tail -n +"$((mark + 1))" "$WORK/sub/received.jsonl" > "$WORK/arrived"
	$PY - "$WORK/arrived" "$WORK/commits" <<'PY' | sort -n > "$WORK/not"
import json, sys
commit = dict((r, int(ms)) for r, ms in (l.strip().split("|") for l in open(sys.argv[2])))
for d in map(json.loads, open(sys.argv[1])):
    ref = d["body"]["resourceUrl"].rsplit("/", 1)[1]
    if ref in commit:
        print(int(round(d["at"] * 1000)) - commit[ref])
PY
	pct() { local n; n=$(wc -l < "$1"); sed -n "$(( ($2 * n + 99) / 100 ))p" "$1"; }
	nv=$(wc -l < "$WORK/vis"); nn=$(wc -l < "$WORK/not")
	echo "$(pct "$WORK/vis" 50)" >> "$WORK/vp50"; echo "$(pct "$WORK/vis" 99)" >> "$WORK/vp99"
	echo "$(pct "$WORK/not" 50)" >> "$WORK/np50"; echo "$(pct "$WORK/not" 99)" >> "$WORK/np99"
	echo "run $run: local changes $local_rate/s, drain $drain notifications/s (ratio $(tail -1 "$WORK/ratio")); at $((per * 5)) changes/s change-to-notification p50 $(tail -1 "$WORK/np50") ms p99 $(tail -1 "$WORK/np99") ms ($nn), change-to-visible at the GGD p50 $(tail -1 "$WORK/vp50") ms p99 $(tail -1 "$WORK/vp99") ms ($nv)"
	kp_stop gemeente; kp_stop ggd
	kill "$SUB" 2>/dev/null; wait "$SUB" 2>/dev/null; SUB=""
done
np50=$(median < "$WORK/np50"); vp50=$(median < "$WORK/vp50")
np99=$(median < "$WORK/np99"); vp99=$(median < "$WORK/vp99")
echo "median of $RUNS runs: drain $(median < "$WORK/drain") notifications/s after an outage against $(median < "$WORK/local") local changes/s (ratio $(median < "$WORK/ratio")); at half load change-to-notification p50 $np50 ms, p99 $np99 ms against change-to-visible between gateways p50 $vp50 ms, p99 $vp99 ms (ratios $(awk -v a="$np50" -v b="$vp50" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }'), $(awk -v a="$np99" -v b="$vp99" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }'))"
