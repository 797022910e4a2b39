#!/usr/bin/env bash
# Renewing a certificate is a non-event (issue 16): the GGD's certificate
# and key files are replaced while the municipality sends it changes, and
# SIGHUP makes it use them.
#
# - nothing is lost: every change sent around the renewal arrives;
# - the parent starts a new key process for the renewed key; new
#   handshakes present the renewed certificate, new answers carry it in
#   their BinarySecurityToken; /metrics' expiry follows;
# - a SIGHUP with nothing renewed changes nothing (no new key process);
# - a key that does not belong to the certificate, or a certificate of
#   another OIN, is refused with a log line saying so, and the running
#   certificate and key stay in use: the exchange goes on.
set -u
WORK=$(mktemp -d /tmp/kp-renew.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "1..19"

KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>' \
    kp_pair
KP_GATEWAYS="gemeente ggd"
A2=$(kp_free_port)
printf 'admin_listen\t127.0.0.1:%s\nsync_verify_interval 0\nsend_timeout 3\n' "$A2" \
    >> "$WORK/ggd/ketenpoort.conf"
kp_org ggd-renewed $GGD --days 900	# same OIN, a new key, longer valid
kp_org ggd-other-oin 00000009009000000000
kp_start gemeente && kp_start ggd || { echo "Bail out! no gateways"; exit 1; }
GGDPID=$(cat "$WORK/ggd/pid")

# presented: the serial of the certificate the GGD's listener presents now
presented() {
	openssl s_client -connect "127.0.0.1:$P2" -CAfile "$WORK/pki/ca.crt" \
	    -cert "$WORK/pki/gemeente.crt" -key "$WORK/pki/gemeente.key" \
	    < /dev/null 2>/dev/null | openssl x509 -noout -serial 2>/dev/null
}
serial() { openssl x509 -in "$WORK/pki/$1.crt" -noout -serial; }
# token: the BinarySecurityToken of a signed answer (a Fo03) from the GGD
token() {
	/usr/bin/python3 - "$P2" "$WORK/pki" <<'PY'
import http.client, re, ssl, sys
port, pki = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=f"{pki}/ca.crt")
ctx.check_hostname = False
ctx.load_cert_chain(f"{pki}/gemeente.crt", f"{pki}/gemeente.key")
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
c.request("POST", "/wus/v1", b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/><soap:Body/></soap:Envelope>',
          {"Content-Type": "text/xml; charset=utf-8"})
m = re.search(rb"BinarySecurityToken[^>]*>([^<]+)<", c.getresponse().read())
print(m.group(1).decode().replace("\n", "") if m else "none")
PY
}
der64() { openssl x509 -in "$WORK/pki/$1.crt" -outform DER | base64 -w0; }
expiry() {
	curl -s "http://127.0.0.1:$A2/metrics" |
	    awk '/^ketenpoort_certificate_expiry_days\{role="own"/ { printf "%d", $2 }'
}
# hup: SIGHUP to the GGD; wait until its network process has handled it
hup() {
	local n i
	n=$(grep -c 'SIGHUP: reading the configuration' "$WORK/ggd/log")
	kill -HUP "$GGDPID"
	for i in $(seq 1 100); do
		[ "$(grep -c 'SIGHUP: reading the configuration' "$WORK/ggd/log")" -gt "$n" ] && break
		sleep 0.05
	done
	sleep 0.5
}
nkids() { kp_children "$GGDPID" | wc -w; }

is "before: the listener presents the GGD's certificate" "$(serial ggd)" "$(presented)"
is "  and answers carry it" "$(der64 ggd)" "$(token)"
before_days=$(expiry)
kids=$(nkids)
hup
is "a SIGHUP with nothing renewed: no renewal" 0 "$(grep -c 'SIGHUP: renewed' "$WORK/ggd/log")"
is "  and no new key process" "$kids" "$(nkids)"

# the renewal, under traffic
kp_put_cases 1 200 &
putter=$!
for i in $(seq 1 100); do
	[ "$(kp_cases_at ggd)" -ge 30 ] && break
	sleep 0.05
done
cp "$WORK/pki/ggd-renewed.crt" "$WORK/pki/ggd.crt"
cp "$WORK/pki/ggd-renewed.key" "$WORK/pki/ggd.key"
hup
wait "$putter"
check "renewed under traffic: every change arrives" kp_drained
is "  all 200" 200 "$(kp_cases_at ggd)"
check "  the log says renewed, with a new key in a new key process" \
    grep -q "SIGHUP: renewed: certificate .*ggd.crt (serial .*, valid until .*), with a new key in a new key process" "$WORK/ggd/log"
check "  the parent started it for the renewed key" \
    grep -q "started a new key process (pid [0-9]*) for the renewed key" "$WORK/ggd/log"
is "  new handshakes present the renewed certificate" "$(serial ggd-renewed)" "$(presented)"
is "  new answers carry it" "$(der64 ggd-renewed)" "$(token)"
after_days=$(expiry)
check "  /metrics' expiry follows ($before_days -> $after_days days)" \
    test "$after_days" -gt "$before_days"
kp_put_cases 201 210
check "  and the exchange goes on" kp_drained
is "  210" 210 "$(kp_cases_at ggd)"

# refusals: the running ones stay
cp "$WORK/pki/gemeente.key" "$WORK/pki/ggd.key"
hup
check "a key that does not belong to the certificate: refused, says why" \
    grep -q "SIGHUP: the key process's key does not belong to .*ggd.crt; the running certificate and key stay" "$WORK/ggd/log"
is "  the renewed certificate stays in use" "$(serial ggd-renewed)" "$(presented)"
cp "$WORK/pki/ggd-other-oin.crt" "$WORK/pki/ggd.crt"
cp "$WORK/pki/ggd-other-oin.key" "$WORK/pki/ggd.key"
hup
check "a certificate of another OIN: refused, says why" \
    grep -q "SIGHUP: the certificate .*ggd.crt carries OIN 00000009009000000000, but oin is $GGD: partners know us by that one; the running certificate and key stay" "$WORK/ggd/log"
is "  the renewed one stays in use" "$(der64 ggd-renewed)" "$(token)"
kp_put_cases 211 220
check "  the exchange goes on" kp_drained
is "  220" 220 "$(kp_cases_at ggd)"
