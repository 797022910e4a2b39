#!/usr/bin/env bash
# A partner on a standard toolkit no one here wrote (issue 13.7): Debian's
# python3-zeep with python3-xmlsec (tests/tools/zeep_client.py) sends a
# zakLk01 over mutual TLS to a real GGD gateway.
#
# - zeep's BinarySignature as it comes signs only the Body and the
#   Timestamp: KP010, naming the unsigned WS-Addressing headers (not the
#   order of the headers: zeep puts To last), nothing stored;
# - zeep's own algorithm defaults (RSA-SHA1) and a request without a
#   Timestamp: refused for that (KP010, KP002), not for the order of the
#   headers (zeep puts wsa:To after Action and MessageID);
# - a small subclass that also signs the WS-Addressing headers, as
#   Digikoppeling partners configure their toolkits: accepted, a Bv03
#   whose signature python3-xmlsec verifies with the GGD's certificate,
#   and the GGD holds the case.
set -u
WORK=$(mktemp -d /tmp/kp-toolkit.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "1..8"
kp_pair || { echo "Bail out! no PKI"; exit 1; }
KP_GATEWAYS="gemeente ggd"
kp_start ggd || { echo "Bail out! the GGD did not start"; exit 1; }
zeep() {	# zeep MODE BODY: the client's output
	/usr/bin/python3 "$SRCDIR/tests/tools/zeep_client.py" "$1" \
	    "https://127.0.0.1:$P2/wus/v1" "$WORK/pki/gemeente.crt" \
	    "$WORK/pki/gemeente.key" "$WORK/pki/ca.crt" "$2" "$WORK/pki/ggd.crt" 2>&1
}

kp_body zakLk01 $GEM $GGD zeep-1 1 111222333 > "$WORK/z1.xml"
out=$(zeep default "$WORK/z1.xml")
check "zeep's BinarySignature as it comes: HTTP 500 with a signed Fo03 KP010" \
    test "$(echo "$out" | grep -c '^HTTP 500$')" = 1 -a \
    "$(echo "$out" | grep -c '<kd:code>KP010</kd:code>')" = 1 -a \
    "$(echo "$out" | grep -c '^answer signature: verifies$')" = 1
check "  naming the unsigned WS-Addressing headers, not their order" \
    grep -q 'wsa:To, wsa:Action, wsa:MessageID are not signed' <<< "$out"
is "  nothing stored" 0 "$(kp_sql ggd "SELECT count(*) FROM message")"

kp_body zakLk01 $GEM $GGD zeep-3 1 111222333 > "$WORK/z3.xml"
out=$(zeep sha1 "$WORK/z3.xml")
check "zeep's own algorithm defaults: KP010 for RSA-SHA1, not for the header order" \
    test "$(echo "$out" | grep -c '<kd:code>KP010</kd:code>')" = 1 -a \
    "$(echo "$out" | grep -c 'SignatureMethod must be rsa-sha256 or ecdsa-sha256')" = 1
out=$(zeep no-timestamp "$WORK/z3.xml")
check "no Timestamp: KP002 saying so" \
    test "$(echo "$out" | grep -c '<kd:code>KP002</kd:code>')" = 1 -a \
    "$(echo "$out" | grep -c 'wsse:Security needs one wsu:Timestamp')" = 1

kp_body zakLk01 $GEM $GGD zeep-2 1 111222333 > "$WORK/z2.xml"
out=$(zeep addressing "$WORK/z2.xml")
check "zeep signing the WS-Addressing headers too: HTTP 200, a Bv03" \
    test "$(echo "$out" | grep -c '^HTTP 200$')" = 1 -a \
    "$(echo "$out" | grep -c '<kd:berichtcode>Bv03</kd:berichtcode>')" = 1
check "  whose signature python3-xmlsec verifies with the GGD's certificate" \
    grep -q '^answer signature: verifies$' <<< "$out"
is "  and the GGD holds the case" "1 1" \
    "$(kp_sql ggd "SELECT count(*) FROM message") $(kp_sql ggd "SELECT bronversie FROM record WHERE identificatie = 'ZAAK-zeep-2'")"
