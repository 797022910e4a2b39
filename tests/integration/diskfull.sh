#!/usr/bin/env bash
# A full store (store_max_mb: SQLite's own limit, as a full disk would):
# partners get KP050 (herhaalbaar) for what cannot be stored, nothing is
# acknowledged that was not stored, and when there is room again the
# resent notices are accepted in order.  Then a disk that is really full
# (a small tmpfs in this test's own mount namespace): the partner's
# delivery worker gets KP050, retries, and the backlog drains by itself
# once space returns, without restarting anything.
set -u
# A mount namespace of our own, so the tmpfs is seen by this test alone
# (as root; otherwise in a user namespace where we are root).
if [ -z "${KP_DISKFULL_NS:-}" ]; then
	KP_DISKFULL_NS=1 exec unshare $([ "$(id -u)" = 0 ] || echo -r) -m \
	    --propagation private bash "$0" "$@"
	echo "Bail out! cannot make a mount namespace (unshare -m)"
	exit 1
fi
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
"$KPSEND" -c "$WORK/gemeente/ketenpoort.conf" --to ggd "$WORK"/b/*.xml > "$WORK/out" 2> "$WORK/err"
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
"$KPSEND" -c "$WORK/gemeente/ketenpoort.conf" --to ggd \
    $(ls "$WORK"/b/*.xml | tail -n $((N - A))) > "$WORK/out2" 2>&1
check "with room again, the $((N - A)) resent are accepted" \
    eq "$(grep -c ': accepted;' "$WORK/out2")" $((N - A))
check "and the GGD holds all $N, its stream complete" \
    eq "$(kp_sql ggd "SELECT count(*) FROM record") $(kp_sql ggd "SELECT next_expected - 1 FROM stream_in")" "$N $N"
kp_stop ggd

# A real full disk: the GGD's store on an 8 MiB tmpfs, filled up while it
# runs; the municipality's gateway delivers to it.
mkdir -p "$WORK/disk"
ggd_sql() { sqlite3 -batch -noheader "$WORK/disk/store.db" "$1"; }
mount -t tmpfs -o size=8m kpdisk "$WORK/disk" || { echo "Bail out! cannot mount a tmpfs"; exit 1; }
sed -i "s|^store\t\tstore.db$|store\t\t$WORK/disk/store.db|; s/^store_max_mb 0$//" "$WORK/ggd/ketenpoort.conf"
KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>' \
    kp_profile gemeente ggd $GGD "$P2" ketenpartner
kp_start ggd && kp_start gemeente || { echo "Bail out! gateways did not start"; exit 1; }
GGD_PID=$(cat "$WORK/ggd/pid")
dd if=/dev/zero of="$WORK/disk/filler" bs=64k 2>/dev/null
check "the tmpfs is full" eq "$(df --output=avail -k "$WORK/disk" | tail -1 | tr -d ' ')" 0
mkdir -p "$WORK/c"
for i in $(seq 1 20); do
	kp_change T $GEM "D$i" 1 "$(kp_bsn "$i")" ontvangen > "$WORK/c/$(printf %02d "$i").xml"
done
"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK"/c/*.xml > /dev/null
check "the GGD answers KP050 and the municipality retries (not parks)" \
    wait_for gemeente "SELECT count(*) > 0 FROM outbox WHERE last_error LIKE 'KP050%' AND state = 'pending'" 1 30
sleep 2
check "nothing is delivered while the disk is full, nothing parked" \
    eq "$(kp_sql gemeente "SELECT count(*) FROM outbox WHERE state != 'pending'")" 0
check "the GGD acknowledged nothing it did not store" \
    eq "$(ggd_sql "SELECT count(*) FROM record WHERE identificatie LIKE 'D%'")" \
       "$(kp_sql gemeente "SELECT count(*) FROM outbox WHERE state = 'delivered'")"
check "the GGD's log says the disk is full" \
    test "$(grep -c -e 'database or disk is full' -e 'disk I/O error' "$WORK/ggd/log")" -gt 0
rm -f "$WORK/disk/filler"
check "space returns: the backlog drains without a restart" \
    wait_for gemeente "SELECT count(*) FROM outbox WHERE state = 'delivered'" 20 120
check "the GGD is the same process, and holds all 20 once, its stream gap-free" \
    eq "$(cat "$WORK/ggd/pid") $(ggd_sql "SELECT count(*) FROM record WHERE identificatie LIKE 'D%'") $(ggd_sql "SELECT sum(next_expected - 1) FROM stream_in WHERE partner_oin = '$GEM'")" \
       "$GGD_PID 20 20"
kp_stop gemeente; kp_stop ggd
check "the store on the tmpfs passes PRAGMA integrity_check" \
    eq "$(ggd_sql "PRAGMA integrity_check")" "ok"
umount "$WORK/disk"
echo "1..$t"
