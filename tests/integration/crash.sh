#!/usr/bin/env bash
# Crash test: while a municipality keeps changing cases, kill -9 one of the
# two gateways at random moments (20 times) and start it again.  At the end
# every change the municipality's gateway took (dossier put said "stored")
# is at the GGD in its latest version, applied once, no stream has a gap,
# and both stores pass PRAGMA integrity_check.
set -u
WORK=$(mktemp -d /tmp/kp-crash.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; rm -rf "$WORK"' EXIT
KILLS=${KP_CRASH_KILLS:-20}
KP_ONTVANGEN='<ontvangen><entiteit type="ZAK"><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>' kp_pair
echo "send_timeout 3" >> "$WORK/gemeente/ketenpoort.conf"
kp_start gemeente && kp_start ggd || { echo "Bail out! gateways did not start"; exit 1; }

# kill9 NAME: no goodbye, then start again
kill9() {
	local pid
	pid=$(cat "$WORK/$1/pid")
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$WORK/$1/pid"
	kp_start "$1" >/dev/null || echo "#   $1 did not restart"
}

: > "$WORK/taken"
mkdir -p "$WORK/c"
v=0
for k in $(seq 1 "$KILLS"); do
	v=$((v + 1))
	for i in $(seq 1 10); do
		kp_change $([ $v = 1 ] && echo T || echo W) $GEM "Z$i" "$v" \
		    "$(kp_bsn "$i")" "stap $v" > "$WORK/c/$i.xml"
	done
	"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK"/c/*.xml \
	    >> "$WORK/taken" 2>&1
	sleep "0.$((RANDOM % 8 + 1))"
	if [ $((RANDOM % 2)) = 0 ]; then kill9 gemeente; else kill9 ggd; fi
done
check "$KILLS kill -9s survived; every change was taken" \
    eq "$(grep -c 'stored; 1 notices queued' "$WORK/taken")" $((KILLS * 10))
check "the outbox drains after the last restart" \
    wait_for gemeente "SELECT count(*) FROM outbox WHERE state != 'delivered'" 0 120
check "the GGD holds every case in its latest version" \
    eq "$(kp_sql ggd "SELECT count(*) FROM record WHERE bronversie = $v AND fields LIKE '%stap $v%'")" 10
check "each notice applied once: the streams moved exactly once per notice" \
    eq "$(kp_sql ggd "SELECT sum(next_expected - 1) FROM stream_in")" $((KILLS * 10))
check "no stream has a gap: what was sent and what was applied agree per stream" \
    eq "$(kp_sql gemeente "SELECT group_concat(partitie || ':' || (next_volgnummer - 1)) FROM (SELECT * FROM stream_out ORDER BY partitie)")" \
       "$(kp_sql ggd "SELECT group_concat(partitie || ':' || (next_expected - 1)) FROM (SELECT * FROM stream_in ORDER BY partitie)")"
kp_stop gemeente; kp_stop ggd
check "both stores pass PRAGMA integrity_check" \
    eq "$(kp_sql gemeente "PRAGMA integrity_check") $(kp_sql ggd "PRAGMA integrity_check")" "ok ok"
echo "1..$t"
