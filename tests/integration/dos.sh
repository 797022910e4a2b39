#!/usr/bin/env bash
# Nobody is locked out before authentication (issue 13.2), with two real
# gateways, a municipality (gemeente) delivering cases to a GGD, on
# loopback only, bounded in count and time (tests/tools/kpflood):
#
# - 300 silent sockets from ten source addresses and 50 that trickle a
#   ClientHello one byte every half second from five others, for 20 s,
#   while the municipality delivers 40 cases: every case is delivered and
#   applied within 10 s; every attacking socket is closed by the GGD
#   within handshake_timeout (2 s here) plus a margin, and
#   ketenpoort_connections_closed_total counts exactly those 350; the log
#   names each address at most once.
# - An authenticated partner that trickles its headers, or its body below
#   min_body_rate, is closed by the deadline that no byte resets.
# - The admin listener and the local socket: a 100 KiB header is refused
#   (400), trickled headers are closed after header_timeout.
# - Every listener refuses a body whose length is ambiguous (two different
#   Content-Length headers, or Content-Length with Transfer-Encoding) with
#   400 and closes the connection.
# - Load shedding: with the store's writer held up and max_pending_writes
#   1, of eight notices sent one after another some are answered 503 with
#   Retry-After and store nothing; the others are stored once the store
#   takes writes again.
set -u
WORK=$(mktemp -d /tmp/kp-dos.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
FLOODS=""
trap 'for f in $FLOODS; do kill $f 2>/dev/null; done; kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "1..26"

KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>' \
    kp_pair || { echo "Bail out! no PKI"; exit 1; }
KP_GATEWAYS="gemeente ggd"
A2=$(kp_free_port)
printf 'handshake_timeout 2\nheader_timeout 2\nadmin_listen 127.0.0.1:%s\nlocal_socket local.sock\n' \
    "$A2" >> "$WORK/ggd/ketenpoort.conf"
kp_start ggd && kp_start gemeente || { echo "Bail out! no gateways"; exit 1; }
metric() {	# metric LISTENER REASON
	curl -s "http://127.0.0.1:$A2/metrics" |
	    sed -n "s/^ketenpoort_connections_closed_total{listener=\"$1\",reason=\"$2\"} //p"
}
closed_total() {	# closed_total LISTENER: the sum over reasons
	curl -s "http://127.0.0.1:$A2/metrics" |
	    awk -v l="listener=\"$1\"" 'index($0, "ketenpoort_connections_closed_total{" l) == 1 { n += $2 } END { print n + 0 }'
}
TLS=(-cert "$WORK/pki/gemeente.crt" -key "$WORK/pki/gemeente.key" -CAfile "$WORK/pki/ca.crt")

# 1. the flood, and a partner that keeps sending through it
"$KPFLOOD" --to "127.0.0.1:$P2" --from 127.0.0.2 --spread 10 --count 300 \
    --mode silent --for 20 > "$WORK/silent.out" &
FLOODS="$FLOODS $!"
"$KPFLOOD" --to "127.0.0.1:$P2" --from 127.0.0.20 --spread 5 --count 50 \
    --mode hello --every 0.5 --for 20 > "$WORK/hello.out" &
FLOODS="$FLOODS $!"
sleep 0.5
for i in $(seq 1 40); do
	kp_change T $GEM "DOS-$i" 1 "$(kp_bsn "$i")" ontvangen > "$WORK/c$i.xml"
done
start=$(date +%s)
"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK"/c*.xml > /dev/null
check "under attack, the partner's 40 cases are delivered within 10 s" \
    wait_for gemeente "SELECT count(*) FROM outbox WHERE state = 'delivered'" 40 10
is "  and applied at the GGD" 40 "$(kp_sql ggd "SELECT count(*) FROM record WHERE identificatie LIKE 'DOS-%'")"
check "  while the flood was still on" test $(( $(date +%s) - start )) -lt 19
for f in $FLOODS; do wait "$f"; done
FLOODS=""
read -r _ opened _ closed _ open _ slowest < "$WORK/silent.out"
is "300 silent sockets: all opened, all closed by the GGD" "300 300 0" "$opened $closed $open"
check "  each within handshake_timeout and a margin (slowest ${slowest} ms)" test "$slowest" -le 4500
read -r _ opened _ closed _ open _ slowest < "$WORK/hello.out"
is "50 trickling a ClientHello: all closed by the GGD" "50 50 0" "$opened $closed $open"
check "  each within handshake_timeout and a margin: bytes reset nothing (slowest ${slowest} ms)" \
    test "$slowest" -le 4500
is "the metrics count exactly those 350 closes" 350 "$(closed_total partner)"
check "  by the handshake deadline and to make room (both seen)" \
    test "$(metric partner handshake_timeout)" -gt 0 -a "$(metric partner unauthenticated_evicted)" -gt 0
lines=$(grep -c 'partner listener: closed a connection from 127\.0\.0\.' "$WORK/ggd/log")
check "the log names each of the 15 addresses at most once ($lines lines)" \
    test "$lines" -ge 1 -a "$lines" -le 15 -a \
    "$(grep -o 'closed a connection from 127\.0\.0\.[0-9]*:' "$WORK/ggd/log" | sort | uniq -d | wc -l)" = 0

# 2. an authenticated partner that trickles (bytes reset no deadline)
slow() {	# slow HEAD BODYBYTE: a request, then BODYBYTE every half second
	local begin=$(date +%s%N)
	(printf "$1"; for i in $(seq 1 16); do printf '%s' "$2"; sleep 0.5; done) |
	    timeout 12 openssl s_client -quiet -connect "127.0.0.1:$P2" "${TLS[@]}" \
	    >/dev/null 2>&1
	echo $(( ($(date +%s%N) - begin) / 1000000 ))
}
before=$(metric partner header_timeout)
ms=$(slow 'POST /wus/v1 HTTP/1.1\r\nHost: x\r\n' a)
check "headers trickled by an authenticated partner: closed at header_timeout ($ms ms of 8000)" \
    test "$ms" -ge 1900 -a "$ms" -le 3500
is "  counted as header_timeout" $((before + 1)) "$(metric partner header_timeout)"
ms=$(slow 'POST /wus/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n' aaaaaaaaaa)
check "a body at 20 bytes/s (min_body_rate 16384): closed after its first seconds ($ms ms of 8000)" \
    test "$ms" -ge 1500 -a "$ms" -le 3500
is "  counted as body_too_slow" 1 "$(metric partner body_too_slow)"

# 3. the admin listener and the local socket
printf 'X-Big: %s\n' "$(head -c 102400 /dev/zero | tr '\0' a)" > "$WORK/big.hdr"
is "admin: a 100 KiB header is refused (400)" 400 \
    "$(curl -s -o /dev/null -w '%{http_code}' -H @"$WORK/big.hdr" "http://127.0.0.1:$A2/healthz")"
is "local: a 100 KiB header is refused (400)" 400 \
    "$(curl -s -o /dev/null -w '%{http_code}' -H @"$WORK/big.hdr" --unix-socket "$WORK/ggd/local.sock" http://l/sync)"
"$KPFLOOD" --to "127.0.0.1:$A2" --count 5 --mode headers --every 0.5 --for 8 > "$WORK/admin.out"
"$KPFLOOD" --unix "$WORK/ggd/local.sock" --count 5 --mode headers --every 0.5 --for 8 > "$WORK/local.out"
is "admin and local: trickled headers closed after header_timeout, counted" \
    "admin 5/5 5 local 5/5 5" \
    "admin $(awk '{ print $4 "/" $2 }' "$WORK/admin.out") $(metric admin header_timeout) local $(awk '{ print $4 "/" $2 }' "$WORK/local.out") $(metric local header_timeout)"
check "  each within header_timeout and a margin" \
    test "$(awk '{ print $8 }' "$WORK/admin.out")" -le 4500 -a "$(awk '{ print $8 }' "$WORK/local.out")" -le 4500

# 4. ambiguous body lengths, on every listener
raw() {	# raw HEADERS: the status line and Connection of the partner's answer
	(printf "POST /wus/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n$1"; sleep 1) |
	    timeout 5 openssl s_client -quiet -connect "127.0.0.1:$P2" "${TLS[@]}" 2>/dev/null |
	    tr -d '\r' | grep -a '^HTTP/\|^Connection:' | tr '\n' ' ' | sed 's/ $//'
}
is "partner: two different Content-Length headers: 400, closed" \
    "HTTP/1.1 400 Bad Request Connection: close" "$(raw 'Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcd')"
is "partner: Content-Length with Transfer-Encoding: 400, closed" \
    "HTTP/1.1 400 Bad Request Connection: close" \
    "$(raw 'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n')"
is "admin: two different Content-Length headers: 400" 400 \
    "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Length: 0' -H 'Content-Length: 1' "http://127.0.0.1:$A2/healthz")"
is "local: two different Content-Length headers: 400; Content-Length with Transfer-Encoding: 400" "400 400" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Length: 3' -H 'Content-Length: 4' --data-binary abcd --unix-socket "$WORK/ggd/local.sock" http://l/dossier) $(curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' -H 'Content-Length: 4' --data-binary abcd --unix-socket "$WORK/ggd/local.sock" http://l/dossier)"
is "and nothing of them reached the store" 0 \
    "$(kp_sql ggd "SELECT count(*) FROM record WHERE identificatie NOT LIKE 'DOS-%'")"

# 5. load shedding: the store held by another writer, one write may wait
kp_stop ggd
echo "max_pending_writes 1" >> "$WORK/ggd/ketenpoort.conf"
kp_start ggd || { echo "Bail out! the GGD did not restart"; exit 1; }
before=$(kp_sql ggd "SELECT count(*) FROM message")
for i in 1 2 3 4 5 6 7 8; do
	kp_body zakLk01 $GEM $GGD "shed-$i" 1 "$(kp_bsn $((100 + i)))" $((200 + i)) > "$WORK/shed$i.xml"
done
# another process holds the store's write lock (WAL: reads go on) until
# the GGD has shed a request, or 8 s at most (the store waits 10 s for a
# lock), so that slow starts of the senders (sanitizer build) still meet it
shed_seen() {
	[ "$(curl -s "http://127.0.0.1:$A2/metrics" | sed -n 's/^ketenpoort_requests_shed_total //p')" != 0 ]
}
(echo "BEGIN IMMEDIATE; INSERT INTO sync_check (partner_oin, at, citizens, differ, in_flight) VALUES ('x', 'x', 0, 0, 0);"
 for i in $(seq 1 80); do shed_seen && break; sleep 0.1; done; sleep 0.5; echo "ROLLBACK;") |
    sqlite3 "$WORK/ggd/store.db" &
locker=$!
sleep 0.5
# (a request is weighed when it arrives, the earlier ones count once their
# signature is checked and they wait for the store: in the sanitizer build
# that takes a while, hence eight, each a little after the one before)
for i in 1 2 3 4 5 6 7 8; do
	shed_seen && break
	"$KPSEND" -c "$WORK/gemeente/ketenpoort.conf" --to ggd "$WORK/shed$i.xml" > "$WORK/shed$i.out" 2>&1 &
	FLOODS="$FLOODS $!"
	sleep 0.4
done
sent=$(ls "$WORK"/shed?.out | wc -l)
for f in $FLOODS; do wait "$f"; done
FLOODS=""
wait "$locker"
shed=$(cat "$WORK"/shed?.out | grep -c 'answered HTTP 503')
acc=$(cat "$WORK"/shed?.out | grep -c ': Bv03 from ggd .*: accepted;')
check "$sent notices while the store is held: some shed with 503 ($shed), the rest accepted ($acc)" \
    test "$shed" -ge 1 -a "$acc" -ge 1 -a $((shed + acc)) = "$sent"
is "  the accepted ones stored once the store took writes again, the shed ones not" \
    "$acc" "$(( $(kp_sql ggd "SELECT count(*) FROM message") - before ))"
check "  the shedding logged and counted in ketenpoort_requests_shed_total" \
    test "$(grep -c 'shedding load: ' "$WORK/ggd/log")" -ge 1 -a \
    "$(curl -s "http://127.0.0.1:$A2/metrics" | sed -n 's/^ketenpoort_requests_shed_total //p')" = "$shed"
