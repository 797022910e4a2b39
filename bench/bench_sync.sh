#!/usr/bin/env bash
# bench_sync — synchronisation between two real gateways on 127.0.0.1
# (a municipality and a GGD, mutual TLS, a PKI made for the run):
#
#   catch-up: N changes wait in the municipality's outbox while the GGD is
#     down; the GGD starts; records/s until the outbox is drained.  The
#     bound, measured in the same run: bench_exchange's end-to-end rate
#     (signed, stored, acknowledged notices from an in-process sender).
#     Goal: catch-up >= 0.5x that rate.
#   latency: changes put at half the catch-up rate, in batches every
#     200 ms; for each, the time from its commit at the municipality to its
#     commit at the GGD (both stores keep updated_at in ms).  p50 and p99.
#
#   KP=ketenpoort SRCDIR=.. BENCH_EXCHANGE=bench/bench_exchange \
#       bench_sync.sh [-n N] [-r RUNS]
set -u
N=2000 RUNS=3
while getopts n:r: o; do
	case $o in n) N=$OPTARG ;; r) RUNS=$OPTARG ;; *) exit 2 ;; esac
done
: "${BENCH_EXCHANGE:?BENCH_EXCHANGE must name bench/bench_exchange}"
WORK=$(mktemp -d /tmp/kp-bench-sync.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; rm -rf "$WORK"' EXIT
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
now_ms() { date +%s%3N; }

bound=$("$BENCH_EXCHANGE" -n "$N" -r "$RUNS" | sed -n 's/^median of [0-9]* runs: \([0-9]*\) notices\/s.*/\1/p')
echo "bound: end-to-end exchange rate (bench_exchange, median of $RUNS): $bound notices/s"

: > "$WORK/catchup" ; : > "$WORK/ratio"; : > "$WORK/p50"; : > "$WORK/p99"
for run in $(seq 1 "$RUNS"); do
	rm -rf "$WORK/gemeente" "$WORK/ggd" "$WORK/pki"
	KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>' kp_pair
	[ -n "${PARTITIONS:-}" ] && echo "partitions $PARTITIONS" >> "$WORK/gemeente/ketenpoort.conf"
	rm -rf "$WORK/c"; mkdir -p "$WORK/c"
	for i in $(seq 1 "$N"); do
		kp_local_change "$WORK/c/$i.xml" T ZAK $GEM "Z$i" 1 "$(kp_bsn $((i % 997 + 1)))"
	done
	kp_start gemeente >/dev/null || exit 1
	"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK"/c/*.xml > /dev/null
	t0=$(now_ms)
	kp_start ggd >/dev/null || exit 1
	until [ "$(kp_sql gemeente "SELECT count(*) FROM outbox WHERE state != 'delivered'")" = 0 ]; do
		sleep 0.05
	done
	t1=$(now_ms)
	rate=$(( N * 1000 / (t1 - t0) ))
	echo "$rate" >> "$WORK/catchup"
	awk -v r="$rate" -v b="$bound" 'BEGIN { printf "%.2f\n", r / b }' >> "$WORK/ratio"

	# half load: rate/2 new cases a second, a batch every 200 ms
	per=$(( rate / 10 )); [ "$per" -lt 1 ] && per=1
	rm -rf "$WORK"/c/*
	for b in $(seq 1 25); do
		mkdir -p "$WORK/c/$b"
		for i in $(seq 1 "$per"); do
			kp_local_change "$WORK/c/$b/$i.xml" T ZAK $GEM "L$b-$i" 1 "$(kp_bsn $(( (b * per + i) % 997 + 1)))"
		done
	done
	for b in $(seq 1 25); do
		start=$(now_ms)
		"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK"/c/$b/*.xml > /dev/null
		left=$(( 200 - ($(now_ms) - start) ))
		[ "$left" -gt 0 ] && sleep "0.$(printf %03d "$left")"
	done
	until [ "$(kp_sql gemeente "SELECT count(*) FROM outbox WHERE state != 'delivered'")" = 0 ]; do
		sleep 0.05
	done
	kp_sql2 ggd gemeente "SELECT CAST(round((julianday(g.updated_at) - julianday(m.updated_at)) * 86400000) AS INTEGER)
	    FROM main.record g JOIN o.record m USING (entiteittype, bron, identificatie)
	    WHERE g.identificatie LIKE 'L%'" | sort -n > "$WORK/lat"
	n=$(wc -l < "$WORK/lat")
	p50=$(sed -n "$(( (n + 1) / 2 ))p" "$WORK/lat")
	p99=$(sed -n "$(( (n * 99 + 99) / 100 ))p" "$WORK/lat")
	echo "$p50" >> "$WORK/p50"; echo "$p99" >> "$WORK/p99"
	echo "run $run: catch-up $rate records/s (ratio $(tail -1 "$WORK/ratio")); at $((per * 5)) changes/s change-to-visible p50 $p50 ms, p99 $p99 ms ($n changes)"
	kp_stop gemeente; kp_stop ggd
done
echo "median of $RUNS runs: catch-up $(median < "$WORK/catchup") records/s, ratio to the end-to-end rate $(median < "$WORK/ratio") (goal >= 0.5); change-to-visible at half load p50 $(median < "$WORK/p50") ms, p99 $(median < "$WORK/p99") ms"
