#!/usr/bin/env bash
# Integration: two real gateways on 127.0.0.1 with a PKI made for this run
# exchange 1,000 signed notices over one kept-alive mutual-TLS connection.
# Every one is acknowledged, stored once, and its stored bytes verify again.
# Then the same with P-256 keys (ecdsa-sha256).
set -u
WORK=$(mktemp -d /tmp/kp-exchange.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; rm -rf "$WORK"' EXIT
# 1,000 in the normal build; where the heavy tests are left out (the
# sanitizer build) 300 find the same memory errors
if [ "${KP_HEAVY:-yes}" = no ]; then
	N=${KP_EXCHANGE_COUNT:-300}
else
	N=${KP_EXCHANGE_COUNT:-1000}
fi
GEM=00000001001000000000
GGD=00000002002000000000

setup() {	# setup [pki options]
	rm -rf "$WORK/pki" "$WORK/gemeente" "$WORK/ggd"
	kp_pki "$@" && kp_org gemeente $GEM "$@" && kp_org ggd $GGD "$@" || return 1
	P1=$(kp_free_port); P2=$(kp_free_port)
	kp_gateway gemeente $GEM "$P1"
	kp_gateway ggd $GGD "$P2"
	kp_profile gemeente ggd $GGD "$P2" ketenpartner kctLk01
	kp_profile ggd gemeente $GEM "$P1" gemeente zakLk01 prsLk01
	kp_start ggd
}

run() {		# run COUNT LABEL
	local n=$1 label=$2 i out log
	mkdir -p "$WORK/bodies-$label"
	for i in $(seq 1 "$n"); do
		kp_body zakLk01 $GEM $GGD "$label-$i" "$i" "$(kp_bsn "$i")" \
		    > "$WORK/bodies-$label/$(printf '%05d' "$i").xml"
	done
	out=$("$KPSEND" -c "$WORK/gemeente/ketenpoort.conf" --to ggd \
	    "$WORK"/bodies-"$label"/*.xml 2>&1)
	check "$label: send exits 0" eq "$?" 0
	check "$label: all $n notices acknowledged with Bv03" \
	    eq "$(echo "$out" | grep -c ': Bv03 from ggd .*: accepted;')" "$n"
	check "$label: each stored once at the receiver" \
	    eq "$(kp_sql ggd "SELECT count(*) || '/' || count(DISTINCT message_id) FROM message WHERE direction = 'in'")" "$n/$n"
	check "$label: one 'accepted' audit row each, nothing else" \
	    eq "$(kp_sql ggd "SELECT group_concat(outcome || '=' || n) FROM (SELECT outcome, count(*) n FROM audit GROUP BY outcome)")" "accepted=$n"
	check "$label: sender recorded each as delivered" \
	    eq "$(kp_sql gemeente "SELECT count(*) FROM message WHERE direction = 'out' AND outcome = 'delivered'")" "$n"
	kp_start gemeente	# to witness the receiver's last checkpoint
	kp_stop ggd
	check "$label: receiver stops cleanly on SIGTERM" eq "$?" 0
	log=$(grep "stopped:" "$WORK/ggd/log")
	check "$label: all requests went over one kept-alive connection" \
	    eq "$(echo "$log" | sed 's/.*stopped: //')" "$n requests answered on 1 connections"
	check "$label: the stored signed bytes verify again" \
	    eq "$("$KP" audit verify --signatures --direction in -c "$WORK/ggd/ketenpoort.conf" | tail -1)" \
	    "archived messages: $n checked, $n verified, 0 failed"
	check "$label: at shutdown the receiver signed its audit chain's head and the sender witnessed it" \
	    eq "$(kp_sql gemeente "SELECT count(*) FROM witnessed WHERE partner_oin = '$GGD'")" 1
	"$KP" audit witnessed -c "$WORK/gemeente/ketenpoort.conf" --partner "$GGD" > "$WORK/witness-$label"
	check "$label: the receiver's chain verifies against what the sender witnessed" \
	    eq "$("$KP" audit verify -c "$WORK/ggd/ketenpoort.conf" --witness "$WORK/witness-$label" | head -1)" \
	    "audit chain: $(kp_sql ggd "SELECT count(*) FROM audit") entries, 0 bad; 1 checkpoints of ours and 1 witnessed checked"
	kp_stop gemeente
}

# SIGTERM while notices are in flight: the receiver finishes what it has,
# exits 0, and every notice the sender saw acknowledged is in its store.
shutdown_under_load() {
	local i out acked stored missing rc
	mkdir -p "$WORK/bodies-stop"
	for i in $(seq 1 400); do
		kp_body zakLk01 $GEM $GGD "stop-$i" "$((N + i))" "$(kp_bsn "$i")" \
		    > "$WORK/bodies-stop/$(printf '%05d' "$i").xml"
	done
	kp_start ggd
	"$KPSEND" -c "$WORK/gemeente/ketenpoort.conf" --to ggd \
	    "$WORK"/bodies-stop/*.xml > "$WORK/stop.out" 2> "$WORK/stop.err" &
	local sender=$!
	sleep 1
	kp_stop ggd; rc=$?
	wait "$sender"
	check "SIGTERM under load: the receiver exits 0" eq "$rc" 0
	acked=$(grep ': accepted; MessageID' "$WORK/stop.out" | sed 's/.*MessageID //')
	missing=0
	for i in $acked; do
		[ "$(kp_sql ggd "SELECT count(*) FROM message WHERE message_id = '$i'")" = 1 ] ||
		    missing=$((missing + 1))
	done
	check "SIGTERM under load: $(echo "$acked" | grep -c .) acknowledged before the stop (some), each one stored" \
	    test "$missing" = 0 -a "$(echo "$acked" | grep -c .)" -gt 0
	check "SIGTERM under load: the stop came before the end (some notices were not sent)" \
	    test "$(echo "$acked" | grep -c .)" -lt 400
}

if setup; then run "$N" rsa; shutdown_under_load; else echo "not ok 1 - RSA setup"; t=1; fi
if setup --ec; then run 50 p256; else t=$((t + 1)); echo "not ok $t - P-256 setup"; fi
echo "1..$t"
