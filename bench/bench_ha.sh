#!/usr/bin/env bash
# bench_ha — several nodes on one PostgreSQL database (README, "Several
# nodes"), with real gateways on 127.0.0.1, a PostgreSQL 15 cluster and
# HAProxy (conf/haproxy.cfg) of the run's own.  The sender is always a
# municipality on SQLite whose N changes wait in its outbox; the receiver
# (a GGD) starts and the rate is records/s until the outbox is drained
# (bench_sync's catch-up).  In one run:
#
#   1. the receiver on PostgreSQL against the same on SQLite: the ratio
#      (goal >= 0.7);
#   2. the receiver as one node against two behind HAProxy (report: both
#      share the machine's cores here);
#   3. failover: a steady stream into node a (node b up and idle), kill -9
#      of node a, until the first notice is acknowledged by node b;
#      against HAProxy's check interval plus lease_timeout (goal <= 2x);
#   4. lease takeover: the sender as two nodes, a holding the outgoing
#      streams with a backlog; kill -9 of node a until node b's first
#      notice is acknowledged by the receiver; against lease_timeout.
#
#   KP=ketenpoort SRCDIR=.. bench_ha.sh [-n N] [-r RUNS]
set -u
N=2000 RUNS=3
while getopts n:r: o; do
	case $o in n) N=$OPTARG ;; r) RUNS=$OPTARG ;; *) exit 2 ;; esac
done
WORK=$(mktemp -d /tmp/kp-bench-ha.XXXXXX)
# the benchmark measures the engine as deployed: fsync on
KP_PG_FSYNC=on
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; kp_pg_stop; rm -rf "$WORK"' EXIT
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
now_ms() { date +%s%3N; }
INTER_MS=1000		# conf/haproxy.cfg: inter 1s
LEASE=6 SEND=3		# lease_timeout, send_timeout of the nodes here

kp_pg_start || { echo "bench_ha: PostgreSQL did not start" >&2; exit 1; }
command -v haproxy > /dev/null || { echo "bench_ha: haproxy is not installed (tools/dev deps)" >&2; exit 1; }

# setup RUN: a fresh PKI, a municipality with N changes queued for a GGD
setup() {
	kp_stop_all
	rm -rf "$WORK/gemeente" "$WORK/gemb" "$WORK/ggd" "$WORK/ggdb" "$WORK/pki"
	KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>' kp_pair
	printf 'send_timeout %s\nlease_timeout %s\nsync_verify_interval 0\n' "$SEND" "$LEASE" \
	    | tee -a "$WORK/gemeente/ketenpoort.conf" >> "$WORK/ggd/ketenpoort.conf"
	[ -d "$WORK/c" ] || {
		mkdir -p "$WORK/c" "$WORK/c2"
		for i in $(seq 1 "$N"); do
			kp_local_change "$WORK/c/$i.xml" T ZAK $GEM "Z$i" 1 "$(kp_bsn $((i % 997 + 1)))"
			kp_local_change "$WORK/c2/$i.xml" W ZAK $GEM "Z$i" 2 "$(kp_bsn $((i % 997 + 1)))"
		done
	}
}
# fresh_db NAME: an empty database NAME, the gateway's store
fresh_db() {
	psql -q "host=$WORK/pg user=kp dbname=postgres" -c "DROP DATABASE IF EXISTS $2" > /dev/null 2>&1
	rm -f "$WORK/pg/made-$2"
	kp_use_pg "$1" "$2"
}
# node2 NAME COPY PORT ADMIN: a second node of gateway NAME in $WORK/COPY
node2() {
	mkdir -p "$WORK/$2"
	cp -r "$WORK/$1/profiles" "$WORK/$2/"
	sed -e "s|^listen.*|listen\t127.0.0.1:$3|" -e "s|^audit_key.*|audit_key\t../$1/audit.key|" \
	    -e '/^node\|^admin_listen/d' "$WORK/$1/ketenpoort.conf" > "$WORK/$2/ketenpoort.conf"
	printf 'node\tb\nadmin_listen\t127.0.0.1:%s\n' "$4" >> "$WORK/$2/ketenpoort.conf"
	cp "$WORK/$1/pgdb" "$WORK/$2/pgdb"
}
# catchup RECEIVER...: put the N changes, start the receiver(s); RATE:
# records/s until drained (not in a subshell: the gateways it starts are
# this shell's to stop)
catchup() {
	local t0 t1
	RATE=""
	kp_start gemeente > /dev/null || return 1
	"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK"/c/*.xml > /dev/null 2>&1
	t0=$(now_ms)
	for g in "$@"; do kp_start "$g" > /dev/null || return 1; done
	until [ "$(kp_sql gemeente "SELECT count(*) FROM outbox WHERE state != 'delivered'")" = 0 ]; do
		sleep 0.05
	done
	t1=$(now_ms)
	RATE=$(( N * 1000 / (t1 - t0) ))
}
# until_more's result; the other measurements the same way
MS=""
# accepted NAME: notices the gateway has accepted so far
accepted() { kp_sql "$1" "SELECT count(*) FROM audit WHERE direction = 'in' AND outcome = 'accepted'"; }
# until_more NAME COUNT: ms until NAME has accepted more than COUNT
until_more() {
	local t0 n
	t0=$(now_ms)
	while :; do
		n=$(accepted "$1")
		[ "${n:-0}" -gt "$2" ] && break
		[ $(( $(now_ms) - t0 )) -gt 120000 ] && { MS=-1; return; }
		sleep 0.02
	done
	MS=$(( $(now_ms) - t0 ))
}
# feed CONF: a steady stream, 20 new cases put every 100 ms, until killed
declare -a FEED_BSN
for i in $(seq 1 997); do FEED_BSN[$i]=$(kp_bsn "$i"); done
feed() {
	local i=0 k d="$WORK/feed.$BASHPID"
	mkdir -p "$d"
	while :; do
		rm -f "$d"/*.xml
		for k in $(seq 1 20); do
			i=$((i + 1))
			kp_local_change "$d/$k.xml" T ZAK $GEM "F$run-$i" 1 "${FEED_BSN[$((i % 997 + 1))]}"
		done
		"$KP" dossier put -c "$1" "$d"/*.xml > /dev/null 2>&1
		sleep 0.1
	done
}
kill9() {
	kill -9 "$(cat "$WORK/$1/pid")" 2>/dev/null
	wait "$(cat "$WORK/$1/pid")" 2>/dev/null
	rm -f "$WORK/$1/pid"
}

: > "$WORK/sqlite"; : > "$WORK/pg1"; : > "$WORK/pg2"; : > "$WORK/ratio"
: > "$WORK/failover"; : > "$WORK/takeover"
for run in $(seq 1 "$RUNS"); do
	# 1. the receiver on SQLite, then on PostgreSQL
	setup
	catchup ggd || exit 1
	r=$RATE; echo "$r" >> "$WORK/sqlite"
	setup
	fresh_db ggd ggd$run
	catchup ggd || exit 1
	p=$RATE; echo "$p" >> "$WORK/pg1"
	awk -v a="$p" -v b="$r" 'BEGIN { printf "%.2f\n", a / b }' >> "$WORK/ratio"
	echo "run $run: receiver on SQLite $r, on PostgreSQL $p records/s"

	# 2. two receiving nodes behind HAProxy, the sender's profile on it
	setup
	fresh_db ggd ggd2x$run
	PA=$(kp_free_port) PB=$(kp_free_port) AA=$(kp_free_port) AB=$(kp_free_port)
	sed -i "s|^listen.*|listen\t127.0.0.1:$PA|" "$WORK/ggd/ketenpoort.conf"
	printf 'node\ta\nadmin_listen\t127.0.0.1:%s\n' "$AA" >> "$WORK/ggd/ketenpoort.conf"
	node2 ggd ggdb "$PB" "$AB"
	kp_haproxy "$P2" "$PA" "$AA" "$PB" "$AB" || exit 1
	catchup ggd ggdb || exit 1
	p2=$RATE; echo "$p2" >> "$WORK/pg2"
	echo "run $run: two receiving nodes behind HAProxy $p2 records/s"

	# 3. failover: a steady stream into node a; b up and idle; kill a
	kp_stop ggd; kp_stop ggdb; kp_stop gemeente
	fresh_db ggd ggdf$run
	cp "$WORK/ggd/pgdb" "$WORK/ggdb/pgdb"
	sed -i "s|^store.*|$(grep '^store' "$WORK/ggd/ketenpoort.conf" | sed 's/[&|]/\\&/g')|" \
	    "$WORK/ggdb/ketenpoort.conf"
	kp_start ggd > /dev/null || exit 1
	kp_start gemeente > /dev/null || exit 1
	feed "$WORK/gemeente/ketenpoort.conf" &
	feeder=$!
	until [ "$(accepted ggd)" -gt 100 ]; do sleep 0.05; done
	kp_start ggdb > /dev/null || exit 1
	sleep 3		# b marked up by HAProxy (rise 2, inter 1 s)
	t0=$(now_ms)
	kill9 ggd
	n=$(accepted ggd)	# a is gone: what is accepted now is b's
	until_more ggd "$n"	# reads the shared database
	f=$(( $(now_ms) - t0 ))
	kill "$feeder"; wait "$feeder" 2>/dev/null
	echo "$f" >> "$WORK/failover"
	echo "run $run: failover, kill -9 of the node receiving to b's first accept: $f ms"

	# 4. lease takeover: the sender as two nodes, a holding the streams
	kp_stop_all
	rm -rf "$WORK/gemb"
	fresh_db gemeente gemt$run
	rm -f "$WORK/ggd/pgdb"; rm -f "$WORK/ggd/store.db"*
	sed -i '/^node\|^admin_listen/d; s|^listen.*|listen\t127.0.0.1:'"$P2"'|' "$WORK/ggd/ketenpoort.conf"
	sed -i 's|^store.*|store\tstore.db|' "$WORK/ggd/ketenpoort.conf"
	GB=$(kp_free_port) GAA=$(kp_free_port) GAB=$(kp_free_port)
	printf 'node\ta\nadmin_listen\t127.0.0.1:%s\n' "$GAA" >> "$WORK/gemeente/ketenpoort.conf"
	node2 gemeente gemb "$GB" "$GAB"
	kp_start ggd > /dev/null || exit 1
	kp_start gemeente > /dev/null || exit 1
	feed "$WORK/gemeente/ketenpoort.conf" &
	feeder=$!
	until [ "$(accepted ggd)" -gt 100 ]; do sleep 0.05; done
	kp_start gemb > /dev/null || exit 1
	sleep 1
	t0=$(now_ms)
	kill9 gemeente
	# what a had in flight may still land: b's first delivery comes after
	# b took a stream over
	until grep -q 'taken over from node a' "$WORK/gemb/log"; do
		[ $(( $(now_ms) - t0 )) -gt 120000 ] && break
		sleep 0.02
	done
	until_more ggd "$(accepted ggd)"
	l=$(( $(now_ms) - t0 ))
	kill "$feeder"; wait "$feeder" 2>/dev/null
	echo "$l" >> "$WORK/takeover"
	echo "run $run: lease takeover, kill -9 of the sending node to b's first delivery: $l ms"
done

sq=$(median < "$WORK/sqlite"); p1=$(median < "$WORK/pg1"); p2=$(median < "$WORK/pg2")
ra=$(median < "$WORK/ratio"); fo=$(median < "$WORK/failover"); to=$(median < "$WORK/takeover")
echo "median of $RUNS runs, $N changes:"
echo "  receiver on PostgreSQL / on SQLite: $p1 / $sq records/s = $ra (goal >= 0.7)"
echo "  two receiving nodes behind HAProxy: $p2 records/s ($(awk -v a="$p2" -v b="$p1" 'BEGIN { printf "%.2f", a / b }')x one node; both share this machine's cores)"
echo "  failover: $fo ms against check interval + lease_timeout $((INTER_MS + LEASE * 1000)) ms = $(awk -v a="$fo" -v b=$((INTER_MS + LEASE * 1000)) 'BEGIN { printf "%.2f", a / b }') (goal <= 2)"
echo "  lease takeover: $to ms against lease_timeout $((LEASE * 1000)) ms = $(awk -v a="$to" -v b=$((LEASE * 1000)) 'BEGIN { printf "%.2f", a / b }')"
