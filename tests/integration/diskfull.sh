#!/usr/bin/env bash
# A full store (store_max_mb: SQLite's own limit, as a full disk would):
# partners get KP050 (herhaalbaar) for what cannot be stored, nothing is
# acknowledged that was not stored, and when there is room again the
# resent notices are accepted in order.
set -u
WORK=$(mktemp -d /tmp/kp-diskfull.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; rm -rf "$WORK"' EXIT
kp_pair
echo "store_max_mb 1" >> "$WORK/ggd/ketenpoort.conf"
kp_start ggd || { echo "Bail out! ggd did not start"; exit 1; }
N=200
mkdir -p "$WORK/b"
for i in $(seq 1 $N); do
	kp_body zakLk01 $GEM $GGD "full-$i" "$i" "$(kp_bsn "$i")" > "$WORK/b/$(printf %03d "$i").xml"
done
"$KP" send -c "$WORK/gemeente/ketenpoort.conf" --to ggd "$WORK"/b/*.xml > "$WORK/out" 2> "$WORK/err"
A=$(grep -c ': accepted;' "$WORK/out")
F=$(grep -c 'Fo03 from ggd .*: KP050 ' "$WORK/out")
G=$(grep -c "Fo03 from ggd .*: KP030 volgnummer .* expected $((A + 1)): resend" "$WORK/out")
check "the store fills: $A accepted, then refused" \
    test "$A" -gt 0 -a "$A" -lt $N -a $((F + G)) = $((N - A))
check "the first refusal is KP050, the rest wait for it (KP030 from $((A + 1)))" \
    eq "$(sed -n "$((A + 1))p" "$WORK/out" | grep -c ': KP050 ')" 1
check "every acknowledged notice is stored, nothing more" \
    eq "$(kp_sql ggd "SELECT count(*) FROM message")" "$A"
check "KP050 tells the sender to resend later" \
    eq "$(grep 'KP050' "$WORK/out" | grep -c 'resend later')" "$F"
check "the gateway says why in its log" \
    test "$(grep -c 'database or disk is full' "$WORK/ggd/log")" -gt 0
kp_stop ggd
check "it stops cleanly, full" eq "$?" 0
check "and its store passes PRAGMA integrity_check" eq "$(kp_sql ggd "PRAGMA integrity_check")" ok

# Room again: the refused notices, sent again in order, are accepted.
sed -i 's/^store_max_mb 1$/store_max_mb 0/' "$WORK/ggd/ketenpoort.conf"
kp_start ggd || { echo "Bail out! ggd did not restart"; exit 1; }
"$KP" send -c "$WORK/gemeente/ketenpoort.conf" --to ggd \
    $(ls "$WORK"/b/*.xml | tail -n $((N - A))) > "$WORK/out2" 2>&1
check "with room again, the $((N - A)) resent are accepted" \
    eq "$(grep -c ': accepted;' "$WORK/out2")" $((N - A))
check "and the GGD holds all $N, its stream complete" \
    eq "$(kp_sql ggd "SELECT count(*) FROM record") $(kp_sql ggd "SELECT next_expected - 1 FROM stream_in")" "$N $N"
kp_stop ggd
echo "1..$t"
