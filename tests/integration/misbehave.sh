#!/usr/bin/env bash
# Partners that misbehave: one that accepts the connection and never
# answers, one that answers something that is not a signed answer, one
# that answers HTTP 500 with junk, one whose answer carries a broken
# signature.  The waits are bounded (send_timeout), the notice is retried,
# and nothing is marked delivered until a real partner acknowledges it with
# a verified Bv03.
set -u
WORK=$(mktemp -d /tmp/kp-misbehave.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
FAKE=""
trap '[ -n "$FAKE" ] && kill $FAKE 2>/dev/null; kp_stop_all; rm -rf "$WORK"' EXIT
KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld></entiteit></ontvangen>' kp_pair
echo "send_timeout 2" >> "$WORK/gemeente/ketenpoort.conf"
kp_start gemeente || { echo "Bail out! gemeente did not start"; exit 1; }

# fake GGD: TLS with the GGD's own certificate, then silence
fake() {
	openssl s_server -quiet -accept "$P2" -cert "$WORK/pki/ggd.crt" \
	    -key "$WORK/pki/ggd.key" -CAfile "$WORK/pki/ca.crt" -Verify 1 "$@" \
	    < <(sleep 600) > /dev/null 2>&1 &
	FAKE=$!
	sleep 0.5
}
fake
kp_change T $GEM Z1 1 "$(kp_bsn 1)" ontvangen > "$WORK/c.xml"
"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK/c.xml" > /dev/null
check "a partner that never answers: the wait ends (send_timeout 2 s)" \
    wait_for gemeente "SELECT attempts > 0 FROM outbox WHERE identificatie = 'Z1'" 1 10
check "the notice stays pending, with the timeout as its reason" \
    eq "$(kp_sql gemeente "SELECT state || ' ' || (last_error LIKE '%timed out%') FROM outbox")" "pending 1"
kill "$FAKE"; wait "$FAKE" 2>/dev/null; FAKE=""

# fake GGD that answers every request with an HTML page
fake -www
before=$(kp_sql gemeente "SELECT attempts FROM outbox")
check "a partner answering something unsigned: retried" \
    wait_for gemeente "SELECT attempts > $before FROM outbox" 1 90
check "nothing was marked delivered" \
    eq "$(kp_sql gemeente "SELECT count(*) FROM outbox WHERE state = 'delivered'") $(kp_sql gemeente "SELECT count(*) FROM message WHERE direction = 'out'")" "0 0"
kill "$FAKE"; wait "$FAKE" 2>/dev/null; FAKE=""

# fake_answer STATUS FILE: a fake GGD that answers the next request with
# HTTP STATUS and the bytes of FILE, then closes
fake_answer() {
	local status=$1 body=$2
	rm -f "$WORK/fifo"; mkfifo "$WORK/fifo"
	: > "$WORK/fake.out"
	openssl s_server -quiet -naccept 1 -accept "$P2" -cert "$WORK/pki/ggd.crt" \
	    -key "$WORK/pki/ggd.key" -CAfile "$WORK/pki/ca.crt" -Verify 1 \
	    < "$WORK/fifo" > "$WORK/fake.out" 2>/dev/null &
	FAKE=$!
	(
		for i in $(seq 1 600); do
			grep -q 'Envelope>' "$WORK/fake.out" && break
			sleep 0.1
		done
		printf 'HTTP/1.1 %s\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' \
		    "$status" "$(wc -c < "$body")"
		cat "$body"
		sleep 2
	) > "$WORK/fifo" &
	sleep 0.3
}
echo '<html><body>Internal Server Error</body></html>' > "$WORK/500.html"
fake_answer "500 Internal Server Error" "$WORK/500.html"
check "a partner answering HTTP 500 with junk: retried, with the reason" \
    wait_for gemeente "SELECT state || ' ' || (last_error LIKE 'answer does not verify%') FROM outbox" "pending 1" 90
check "  its request reached the fake, nothing delivered" \
    eq "$(grep -c 'zakLk01' "$WORK/fake.out" | sed 's/^[1-9][0-9]*$/seen/') $(kp_sql gemeente "SELECT count(*) FROM message WHERE direction = 'out'")" \
       "seen 0"
wait "$FAKE" 2>/dev/null; FAKE=""

# the real GGD comes: the next retry delivers
kp_start ggd || { echo "Bail out! ggd did not start"; exit 1; }
check "the real partner acknowledges it: delivered" \
    wait_for gemeente "SELECT state FROM outbox" delivered 120
check "and the GGD holds it once" \
    eq "$(kp_sql ggd "SELECT count(*) FROM record WHERE identificatie = 'Z1'")" 1

# A signed answer with one byte of its Body changed (the GGD's real Bv03 to
# Z1, its crossRefnummer altered): the signature no longer verifies.
kp_stop ggd
kp_sql ggd "SELECT writefile('$WORK/bv03.xml', response) FROM message WHERE direction = 'in'" > /dev/null
sed -i 's/\(crossRefnummer>\)\(.\)/\1X/' "$WORK/bv03.xml"
check "  (the altered answer differs from the signed one in one place)" \
    eq "$(grep -c 'crossRefnummer>X' "$WORK/bv03.xml")" 1
kp_change T $GEM Z2 1 "$(kp_bsn 2)" ontvangen > "$WORK/c2.xml"
fake_answer "200 OK" "$WORK/bv03.xml"
"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK/c2.xml" > /dev/null
check "a badly signed answer is not taken as delivered: retried, with the reason" \
    wait_for gemeente "SELECT state || ' ' || (last_error LIKE 'answer does not verify: signature or digest does not verify%') FROM outbox WHERE identificatie = 'Z2'" "pending 1" 30
check "  nothing more delivered than Z1" \
    eq "$(kp_sql gemeente "SELECT count(*) FROM message WHERE direction = 'out'")" 1
wait "$FAKE" 2>/dev/null; FAKE=""
kp_start ggd || { echo "Bail out! ggd did not restart"; exit 1; }
check "the real partner then acknowledges it" \
    wait_for gemeente "SELECT state FROM outbox WHERE identificatie = 'Z2'" delivered 120
kp_stop gemeente; rc1=$?
kp_stop ggd; rc2=$?
check "both stop cleanly" eq "$rc1/$rc2" "0/0"
echo "1..$t"
