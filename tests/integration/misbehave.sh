#!/usr/bin/env bash
# Partners that misbehave: one that accepts the connection and never
# answers, one that answers something that is not a signed answer.  The
# waits are bounded (send_timeout), the notice is retried, and nothing is
# marked delivered until a real partner acknowledges it with a verified Bv03.
set -u
WORK=$(mktemp -d /tmp/kp-misbehave.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
FAKE=""
trap '[ -n "$FAKE" ] && kill $FAKE 2>/dev/null; kp_stop_all; rm -rf "$WORK"' EXIT
KP_ONTVANGEN='<ontvangen><entiteit type="ZAK"><veld>zaaktype</veld></entiteit></ontvangen>' kp_pair
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

# the real GGD comes: the next retry delivers
kp_start ggd || { echo "Bail out! ggd did not start"; exit 1; }
check "the real partner acknowledges it: delivered" \
    wait_for gemeente "SELECT state FROM outbox" delivered 120
check "and the GGD holds it once" \
    eq "$(kp_sql ggd "SELECT count(*) FROM record WHERE identificatie = 'Z1'")" 1
kp_stop gemeente; rc1=$?
kp_stop ggd; rc2=$?
check "both stop cleanly" eq "$rc1/$rc2" "0/0"
echo "1..$t"
