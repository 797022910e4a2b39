#!/usr/bin/env bash
# Several nodes (issue 15): the municipality's gateway as two nodes, a and
# b, sharing one PostgreSQL database, behind HAProxy (conf/haproxy.cfg,
# its addresses replaced); a GGD and a call centre as partners, on SQLite,
# that know only HAProxy's address.  About 5,000 changes in both
# directions (the hub's own through either node's local socket, the
# spokes' through their gateways, the hub relaying the spokes' contacts)
# while the nodes are killed with kill -9 in turn (KP_HA_KILLS, at least
# 10), every other one kept down past lease_timeout so that the other node
# must take its outgoing streams over, and started again.  Afterwards:
#
# - every change acknowledged is at every party entitled to it, in its
#   latest version, and each notice was applied once;
# - every stream is gap-free; the digests agree on every link;
# - audit verify passes on the one shared chain;
# - no stream was ever sent on by two nodes at once: no partner ever saw
#   a gap or a number taken (KP030, KP031) from the hub, and a node took
#   a dead node's streams over only after its claim lapsed.
set -u
if [ "${KP_HEAVY:-yes}" = no ]; then
	echo "1..0 # SKIP heavy: runs in the normal build (configure --disable-heavy-tests)"
	exit 0
fi
WORK=$(mktemp -d /tmp/kp-ha.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; kp_pg_stop; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
KILLS=${KP_HA_KILLS:-12}
ROUNDS=${KP_HA_ROUNDS:-56}

kp_pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
kp_hub_spokes
# node a is the hub's directory; node b a copy of it; HAProxy takes the
# hub's port (P1), the address the spokes' profiles have
PA=$(kp_free_port); PB=$(kp_free_port); AA=$(kp_free_port); AB=$(kp_free_port)
kp_use_pg gemeente || { echo "Bail out! no database"; exit 1; }
cat >> "$WORK/gemeente/ketenpoort.conf" <<CONF
local_socket	local.sock
send_timeout	3
lease_timeout	6
sync_verify_interval 0
CONF
mkdir -p "$WORK/gemb"
cp -r "$WORK/gemeente/profiles" "$WORK/gemb/"
sed -e "s|^listen.*|listen\t127.0.0.1:$PB|" -e 's|^audit_key.*|audit_key\t../gemeente/audit.key|' \
    "$WORK/gemeente/ketenpoort.conf" > "$WORK/gemb/ketenpoort.conf"
sed -i "s|^listen.*|listen\t127.0.0.1:$PA|" "$WORK/gemeente/ketenpoort.conf"
printf 'node\ta\nadmin_listen\t127.0.0.1:%s\n' "$AA" >> "$WORK/gemeente/ketenpoort.conf"
printf 'node\tb\nadmin_listen\t127.0.0.1:%s\n' "$AB" >> "$WORK/gemb/ketenpoort.conf"
for g in ggd kcc; do echo "send_timeout 3" >> "$WORK/$g/ketenpoort.conf"; done

# the shipped HAProxy configuration, on this test's addresses
kp_haproxy "$P1" "$PA" "$AA" "$PB" "$AB" ||
    { echo "Bail out! the HAProxy configuration does not check"; exit 1; }

kp_start gemeente || { echo "Bail out! node a did not start"; exit 1; }
kp_start gemb || { echo "Bail out! node b did not start"; exit 1; }
kp_start ggd || { echo "Bail out! the GGD did not start"; exit 1; }
kp_start kcc || { echo "Bail out! the call centre did not start"; exit 1; }
check "two nodes on one database, behind HAProxy" \
    eq "$(kp_sql gemeente "SELECT version FROM kp_schema")/$(grep -c 'ready:' "$WORK/gemb/log")" "10/1"

NODES="gemeente gemb"
down=""
killed=0
# kill9 NODE [SECONDS]: no goodbye; started again after SECONDS
kill9() {
	kp_kill9 "$1"
	killed=$((killed + 1))
	echo "$(date +%s.%N) killed $1" >> "$WORK/kills"
	down=$1
	sleep "${2:-0}"
	cat "$WORK/$1/log" >> "$WORK/$1/log.all"	# kp_start begins a new one
	kp_start "$1" >/dev/null || echo "#   $1 did not restart"
	down=""
}
# other NODE: the other node
other() { [ "$1" = gemeente ] && echo gemb || echo gemeente; }

declare -a BSNS
for i in $(seq 1 60); do BSNS[$i]=$(kp_bsn "$i"); done
# round G V: gateway G's changes in round V as files in $WORK/r/V/G
round() {
	local g=$1 v=$2 d="$WORK/r/$2/$1" i soort
	mkdir -p "$d"
	soort=$([ "$v" = 1 ] && echo T || echo W)
	case $g in
	gemeente)
		for i in $(seq 1 30); do
			kp_local_change "$d/z$i.xml" $soort ZAK $GEM "Z$i" "$v" "${BSNS[$i]}"
		done
		for i in $(seq 1 10); do
			kp_local_change "$d/p$i.xml" $soort PRS $GEM "P$i" "$v" "${BSNS[$((i + 30))]}"
		done ;;
	ggd)
		for i in $(seq 1 25); do
			kp_local_change "$d/z$i.xml" $soort ZAK $GGD "G$i" "$v" "${BSNS[$((i + 10))]}"
		done
		for i in $(seq 1 10); do
			kp_local_change "$d/k$i.xml" $soort KCT $GGD "GK$i" "$v" "${BSNS[$((i + 40))]}"
		done ;;
	kcc)
		for i in $(seq 1 15); do
			kp_local_change "$d/k$i.xml" $soort KCT $KCC "K$i" "$v" "${BSNS[$((i + 45))]}"
		done ;;
	esac
}
# hub V: the hub's changes of round V through a node's local socket, what
# is not acknowledged again through the other, until all are
hub() {
	local v=$1 node=$2 todo left
	todo=$(ls "$WORK/r/$v/gemeente"/*.xml)
	for try in $(seq 1 20); do
		"$KP" dossier put -c "$WORK/$node/ketenpoort.conf" $todo \
		    > "$WORK/r/$v/put.$try" 2>&1
		grep ' stored; ' "$WORK/r/$v/put.$try" >> "$WORK/acked"
		left=""
		for f in $todo; do
			grep -q "^$f: .* stored; " "$WORK/r/$v/put.$try" || left="$left $f"
		done
		todo=$left
		[ -z "$todo" ] && return 0
		node=$(other "$node")
		sleep 0.5
	done
	echo "#   round $v: not all of the hub's changes acknowledged"
}

: > "$WORK/acked"; : > "$WORK/spokes"; : > "$WORK/kills"
made=0
node=gemeente
for v in $(seq 1 "$ROUNDS"); do
	for g in gemeente ggd kcc; do round $g "$v"; done
	made=$((made + $(ls "$WORK/r/$v"/*/*.xml | wc -l)))
	hub "$v" "$node" &
	pids=$!
	for g in ggd kcc; do
		"$KP" dossier put -c "$WORK/$g/ketenpoort.conf" "$WORK/r/$v/$g"/*.xml \
		    >> "$WORK/spokes" 2>&1 &
		pids="$pids $!"
	done
	# a kill every ROUNDS/KILLS rounds, the nodes in turn; every other
	# one down past lease_timeout (6 s)
	if [ "$killed" -lt "$KILLS" ] && [ $((v % (ROUNDS / KILLS))) = 0 ]; then
		sleep "0.$((RANDOM % 5))"
		victim=$([ $((killed % 2)) = 0 ] && echo gemeente || echo gemb)
		kill9 "$victim" "$([ $((killed % 4)) -ge 2 ] && echo 7 || echo 0)"
	fi
	for p in $pids; do wait "$p"; done
	node=$(other "$node")
done
echo "# $made changes in $ROUNDS rounds, $killed kills"
check "$killed kill -9s of the nodes (at least 10), $made changes (about 5,000)" \
    test "$killed" -ge 10 -a "$made" -ge 5000
check "every change of the spokes was taken" eq "$(grep -c ' stored; ' "$WORK/spokes")" \
    "$(ls "$WORK"/r/*/ggd/*.xml "$WORK"/r/*/kcc/*.xml | wc -l)"
check "every change of the hub's was acknowledged by one node or the other" \
    eq "$(sort -u "$WORK/acked" | wc -l)" "$(ls "$WORK"/r/*/gemeente/*.xml | wc -l)"
KP_GATEWAYS="gemeente ggd kcc"
check "every outbox drains, relays included" kp_drained
for g in gemeente gemb; do cat "$WORK/$g/log" >> "$WORK/$g/log.all"; done
check "a node took a dead node's streams over after its claim lapsed" \
    grep -q 'taken over from node [ab], whose claim lapsed' "$WORK/gemeente/log.all" "$WORK/gemb/log.all"
check "the consent job changed hands as its node died, and ran on both" \
    test "$(grep -c 'this node runs the consent job now' "$WORK/gemeente/log.all")" -ge 1 -a \
    "$(grep -c 'this node runs the consent job now' "$WORK/gemb/log.all")" -ge 1
check "no partner ever saw a gap or a number taken from the hub (KP030, KP031)" \
    eq "$(kp_sql ggd "SELECT count(*) FROM audit WHERE partner_oin = '$GEM' AND code IN ('KP030', 'KP031')")/$(kp_sql kcc "SELECT count(*) FROM audit WHERE partner_oin = '$GEM' AND code IN ('KP030', 'KP031')")" "0/0"
for link in "gemeente ggd" "gemeente kcc" "ggd gemeente" "kcc gemeente"; do
	set -- $link
	check "digests $1 -> $2 agree" \
	    eq "$("$KP" sync verify -c "$WORK/$1/ketenpoort.conf" --partner "$2" | grep -c ', 0 differ, 0 with')" 1
done
out=$("$KP" audit verify -c "$WORK/gemeente/ketenpoort.conf" 2>&1); rc=$?
check "audit verify passes on the shared chain" \
    eq "$rc/$(grep -c '^audit chain: [0-9]* entries, 0 bad' <<< "$out")" "0/1"
check "  which holds the writes of both nodes, in one order" \
    test "$(kp_sql gemeente "SELECT count(*) FROM audit")" -gt "$made"

kp_stop gemb; kp_stop gemeente; kp_stop ggd; kp_stop kcc
kp_pg_snapshot gemeente || { echo "Bail out! no snapshot of the database"; exit 1; }
kp_check_copies latest
check "and the latest version is the last round's" \
    eq "$(kp_sql ggd "SELECT group_concat(bronversie) FROM (SELECT bronversie FROM record WHERE identificatie IN ('Z1', 'K1') ORDER BY identificatie)")" "$ROUNDS,$ROUNDS"
lost=$(sort -u "$WORK/acked" | while read -r f rest; do
	f=${f%:}
	id=$(sed -n 's|.*<kd:identificatie>\([^<]*\)<.*|\1|p' "$f")
	ver=$(sed -n 's|.*<kd:bronversie>\([^<]*\)<.*|\1|p' "$f")
	[ "$(kp_sql gemeente "SELECT count(*) FROM record WHERE bron = '$GEM' AND identificatie = '$id' AND bronversie >= $ver")" = 1 ] ||
	    echo "$id v$ver"
done | head -5)
is "every change of the hub's acknowledged is held there" "" "$lost"
kp_check_streams
echo "1..$t"
