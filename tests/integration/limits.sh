#!/usr/bin/env bash
# Transport limits: beyond the connection cap the partner connection idle
# longest makes room for a new one; a sender refuses a server whose certificate carries another
# OIN than the partner's profile; plain HTTP and the wrong path or method
# are answered without touching the pipeline.
set -u
WORK=$(mktemp -d /tmp/kp-limits.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
HOLDERS=""
trap 'for h in $HOLDERS; do kill $h 2>/dev/null; done; kp_stop_all; rm -rf "$WORK"' EXIT
GEM=00000001001000000000
GGD=00000002002000000000
CC=00000003003000000000

kp_pki && kp_org gemeente $GEM && kp_org ggd $GGD && kp_org callcenter $CC
P1=$(kp_free_port); P2=$(kp_free_port)
kp_gateway gemeente $GEM "$P1"
kp_gateway ggd $GGD "$P2"
sed -i 's/^threads.*/threads 1/' "$WORK/ggd/ketenpoort.conf"
echo "max_connections 2" >> "$WORK/ggd/ketenpoort.conf"
kp_profile ggd gemeente $GEM "$P1" gemeente zakLk01
kp_profile gemeente ggd $GGD "$P2" ketenpartner
kp_start ggd || { echo "Bail out! gateway did not start"; exit 1; }
URL="https://127.0.0.1:$P2/wus/v1"
CURL=(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/pki/ca.crt"
    --cert "$WORK/pki/gemeente.crt" --key "$WORK/pki/gemeente.key")

# Two connections that stay open (a finished handshake, nothing sent).
for i in 1 2; do
	sleep 30 | openssl s_client -quiet -connect "127.0.0.1:$P2" \
	    -cert "$WORK/pki/gemeente.crt" -key "$WORK/pki/gemeente.key" \
	    -CAfile "$WORK/pki/ca.crt" >/dev/null 2>&1 &
	HOLDERS="$HOLDERS $!"
done
sleep 1
check "with max_connections 2 taken by idle partners, a third partner is served (GET: 405)" \
    eq "$("${CURL[@]}" --max-time 5 "$URL")" 405
sleep 0.5
alive=0
for h in $HOLDERS; do kill -0 "$h" 2>/dev/null && alive=$((alive + 1)); done
check "  and the connection idle longest was closed to make room, the other kept" \
    eq "$alive" 1
for h in $HOLDERS; do kill "$h" 2>/dev/null; wait "$h" 2>/dev/null; done
HOLDERS=""
sleep 0.5
check "once they close, it is (GET: 405)" eq "$("${CURL[@]}" --max-time 5 "$URL")" 405
check "another path: 404" eq "$("${CURL[@]}" --max-time 5 -d x "https://127.0.0.1:$P2/other")" 404
check "plain HTTP on the TLS port gets no HTTP answer" \
    eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$P2/wus/v1")" 000

# The sender checks the server's OIN against the partner profile.
kp_profile gemeente ggd $CC "$P2" ketenpartner
kp_body zakLk01 $GEM $GGD "oin-check" 1 111222333 > "$WORK/b.xml"
out=$("$KPSEND" -c "$WORK/gemeente/ketenpoort.conf" --to ggd "$WORK/b.xml" 2>&1); rc=$?
check "send refuses a server whose certificate carries another OIN (exit 2)" eq "$rc" 2
check "and says it was the TLS handshake" \
    eq "$(echo "$out" | grep -c 'SSL\|certificate')" 1
check "nothing reached the receiver's store" \
    eq "$(kp_sql ggd "SELECT count(*) FROM message")" 0
kp_stop ggd
check "the gateway stops cleanly" eq "$?" 0
echo "1..$t"
