#!/usr/bin/env bash
# No leaks and no memory errors under valgrind: a gateway and a sender, both
# under valgrind, exchange good notices and a few rejected ones over mTLS;
# then the gateway is stopped with SIGTERM.  Skipped (and reported as a
# skip) in the sanitizer build, where valgrind cannot run.
set -u
if ! command -v valgrind >/dev/null; then
	echo "1..0 # SKIP valgrind is not installed (tools/dev installs it)"; exit 0
fi
if nm "$KP" 2>/dev/null | grep -q __asan_init; then
	echo "1..0 # SKIP sanitizer build: valgrind runs in the normal build"; exit 0
fi
WORK=$(mktemp -d /tmp/kp-valgrind.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; rm -rf "$WORK"' EXIT
GEM=00000001001000000000
GGD=00000002002000000000
VG="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
echo "1..4"
kp_pki && kp_org gemeente $GEM && kp_org ggd $GGD
P1=$(kp_free_port); P2=$(kp_free_port)
kp_gateway gemeente $GEM "$P1"
kp_gateway ggd $GGD "$P2"
kp_profile gemeente ggd $GGD "$P2" ketenpartner
kp_profile ggd gemeente $GEM "$P1" gemeente zakLk01
KP_VALGRIND=1 kp_start ggd || { echo "Bail out! gateway under valgrind did not start"; exit 1; }
mkdir -p "$WORK/b"
for i in $(seq 1 10); do kp_body zakLk01 $GEM $GGD "vg-$i" "$i" 111222333 > "$WORK/b/$(printf %02d "$i").xml"; done
kp_body zakLk01 $GEM $GGD "vg-bad" 11 123456789 > "$WORK/b/11-bad.xml"
kp_body kctLk01 $GEM $GGD "vg-kct" 12 111222333 > "$WORK/b/12-kct.xml"
$VG --log-file="$WORK/send.vg" "$KP" send -c "$WORK/gemeente/ketenpoort.conf" \
    --to ggd "$WORK"/b/*.xml > "$WORK/send.out" 2>&1
rc=$?
n=$(grep -c ': accepted;' "$WORK/send.out")
if [ $rc -eq 1 ] && [ "$n" = 10 ] && grep -q 'KP040' "$WORK/send.out" &&
    grep -q 'KP020' "$WORK/send.out"; then
	echo "ok 1 - 10 accepted, KP040 and KP020 refused, through valgrind"
else
	echo "not ok 1 - 10 accepted, KP040 and KP020 refused, through valgrind (rc $rc, $n accepted)"
	sed 's/^/# /' "$WORK/send.out" | head
fi
for f in "$WORK"/b/01.xml; do
	printf 'not xml' | curl -s -o /dev/null --cacert "$WORK/pki/ca.crt" \
	    --cert "$WORK/pki/gemeente.crt" --key "$WORK/pki/gemeente.key" \
	    -H 'Content-Type: text/xml' --data-binary @- "https://127.0.0.1:$P2/wus/v1"
	curl -s -o /dev/null --cacert "$WORK/pki/ca.crt" "https://127.0.0.1:$P2/wus/v1" 2>/dev/null
done
if [ $rc -ne 99 ] && [ ! -s "$WORK/send.vg" ]; then
	echo "ok 2 - the sender: no leaks, no memory errors"
else
	echo "not ok 2 - the sender: no leaks, no memory errors"; sed 's/^/# /' "$WORK/send.vg" | head -40
fi
kp_stop ggd; rc=$?
if [ $rc -eq 0 ]; then
	echo "ok 3 - the gateway stops cleanly under valgrind"
else
	echo "not ok 3 - the gateway stops cleanly under valgrind (exit $rc)"
fi
if [ ! -s "$WORK/ggd/valgrind.log" ] || ! grep -q "==" "$WORK/ggd/valgrind.log"; then
	echo "ok 4 - the gateway: no leaks, no memory errors"
else
	echo "not ok 4 - the gateway: no leaks, no memory errors"; sed 's/^/# /' "$WORK/ggd/valgrind.log" | head -60
fi
