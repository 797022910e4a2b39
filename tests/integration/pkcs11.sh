#!/usr/bin/env bash
# Keys in a PKCS#11 token (issue 16), with SoftHSM2 and a token made for
# the test in its directory: the municipality's key is made inside the
# token (`ketenpoort pki issue --pkcs11 URI`, no key file written), its
# configuration names the key by RFC 7512 URI, and its key process signs
# through the token.
#
# - it exchanges notices with the GGD (file keys) and answers the GGD's
#   context question, signed by the token's key;
# - the key process holds the token, not a key file: the network process
#   never opened one;
# - a URI with the PIN in it, a PIN file others may read, a token or key
#   that is not there: refused at start, each saying which;
# - renewal by SIGHUP to a second key in the token, under traffic:
#   nothing lost, new handshakes present the new certificate;
# - the key processes stay inside their sandbox (a token's module may
#   also read its files: sandbox.c) the whole time.
set -u
WORK=$(mktemp -d /tmp/kp-pkcs11.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
MODULE=""
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
	[ -f "$m" ] && MODULE=$m && break
done
if [ -z "$MODULE" ] || ! command -v softhsm2-util > /dev/null; then
	echo "1..0 # SKIP SoftHSM2 is not installed (tools/dev installs softhsm2)"
	exit 0
fi
echo "1..16"

# the token, of this test only
export SOFTHSM2_CONF="$WORK/softhsm2.conf"
mkdir -p "$WORK/tokens"
echo "directories.tokendir = $WORK/tokens" > "$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label ketenpoort --pin 4321 --so-pin 8765 > /dev/null
(umask 077; echo 4321 > "$WORK/pin")
uri() { echo "pkcs11:token=ketenpoort;object=$1?pin-source=file:$WORK/pin&module-path=$MODULE"; }

KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>'
KP_VRAGEN='<vraag functie="context" doel="ketentest"/>'
kp_pki && kp_org ggd $GGD || { echo "Bail out! no PKI"; exit 1; }
"$KP" pki issue "$WORK/pki" gemeente --oin $GEM --org gemeente --pkcs11 "$(uri gemeente)" > "$WORK/issue.out" 2>&1
check "pki issue --pkcs11: the key made inside the token, a certificate, no key file" \
    eq "$(test -f "$WORK/pki/gemeente.crt" && echo crt)/$(test -e "$WORK/pki/gemeente.key" && echo KEYFILE)" "crt/"
P1=$(kp_free_port); P2=$(kp_free_port)
kp_gateway gemeente $GEM "$P1"
kp_gateway ggd $GGD "$P2"
KP_ONTVANGEN="$KP_ONTVANGEN" KP_VRAGEN="$KP_VRAGEN" kp_profile gemeente ggd $GGD "$P2" ketenpartner
kp_profile ggd gemeente $GEM "$P1" gemeente zakLk01 dosLv01
KP_GATEWAYS="gemeente ggd"
# setkey VALUE: the municipality's key option (awk: a URI holds & and |)
setkey() {
	awk -v k="$1" '/^key\t/ { print "key\t\t" k; next } { print }' \
	    "$WORK/gemeente/ketenpoort.conf" > "$WORK/conf.new" &&
	    mv "$WORK/conf.new" "$WORK/gemeente/ketenpoort.conf"
}

# refusals at start, each saying which
setkey "pkcs11:token=ketenpoort;object=gemeente;pin-value=4321?module-path=$MODULE"
"$KP" serve -c "$WORK/gemeente/ketenpoort.conf" > "$WORK/r1" 2>&1
check "a URI with the PIN in it: not started, says use pin-source" grep -q "pin-source" "$WORK/r1"
chmod 644 "$WORK/pin"; setkey "$(uri gemeente)"
"$KP" serve -c "$WORK/gemeente/ketenpoort.conf" > "$WORK/r2" 2>&1
check "a PIN file others may read: not started, says chmod 600" grep -q "pin-source $WORK/pin is accessible to group or others" "$WORK/r2"
chmod 600 "$WORK/pin"
setkey "$(uri nosuchkey)"
"$KP" serve -c "$WORK/gemeente/ketenpoort.conf" > "$WORK/r3" 2>&1
check "a key the token does not hold: not started, names it" grep -q "PKCS#11 token ketenpoort: no private key object=nosuchkey" "$WORK/r3"
setkey "$(uri gemeente | sed 's/token=ketenpoort/token=elsewhere/')"
"$KP" serve -c "$WORK/gemeente/ketenpoort.conf" > "$WORK/r4" 2>&1
check "a token that is not there: not started, says so" grep -q "no token matches the key's URI" "$WORK/r4"

setkey "$(uri gemeente)"
printf 'admin_listen\t127.0.0.1:%s\nsend_timeout 3\n' "$(kp_free_port)" >> "$WORK/gemeente/ketenpoort.conf"
kp_start gemeente && kp_start ggd || { echo "Bail out! no gateways"; exit 1; }
kp_put_cases 1 20
check "notices signed in the token arrive at the GGD" kp_drained
is "  all 20" 20 "$(kp_cases_at ggd)"
"$KP" dossier context -c "$WORK/ggd/ketenpoort.conf" --partner gemeente \
    --bsn "$(kp_bsn 3)" --doel ketentest --json > "$WORK/context.out" 2>&1
check "the GGD's context question is answered, signed in the token" \
    grep -q '"identificatie": "ZAAK-3"' "$WORK/context.out"
NET=$(sed -n 's/.*network process pid \([0-9]*\).*/\1/p' "$WORK/gemeente/log" | tail -1)
check "the network process holds no token session and opened no key file" \
    eq "$(grep -c 'softhsm' "/proc/$NET/maps")" 0
check "  the key process does (it loaded the module)" \
    test "$(grep -c 'softhsm' "/proc/$(kp_children "$(cat "$WORK/gemeente/pid")" | tr ' ' '\n' | grep -vx "$NET" | grep . | head -1)/maps" 2>/dev/null)" -gt 0

# renewal to a second key in the token, under traffic
"$KP" pki issue "$WORK/pki" gemeente2 --oin $GEM --org gemeente --days 900 \
    --pkcs11 "$(uri gemeente2)" > /dev/null
kp_put_cases 101 250 &
putter=$!
for i in $(seq 1 100); do [ "$(kp_cases_at ggd)" -ge 40 ] && break; sleep 0.05; done
sed -i "s|^cert\t.*|cert\t\t../pki/gemeente2.crt|" "$WORK/gemeente/ketenpoort.conf"
setkey "$(uri gemeente2)"
kill -HUP "$(cat "$WORK/gemeente/pid")"
wait "$putter"
check "renewed to another key in the token under traffic: all arrive" kp_drained
is "  170" 170 "$(kp_cases_at ggd)"
check "  the log says renewed with a new key process" \
    grep -q "SIGHUP: renewed: .*gemeente2.crt.*with a new key in a new key process" "$WORK/gemeente/log"
is "  new handshakes present the new certificate" \
    "$(openssl x509 -in "$WORK/pki/gemeente2.crt" -noout -serial)" \
    "$(openssl s_client -connect "127.0.0.1:$P1" -CAfile "$WORK/pki/ca.crt" \
    -cert "$WORK/pki/ggd.crt" -key "$WORK/pki/ggd.key" < /dev/null 2>/dev/null |
    openssl x509 -noout -serial 2>/dev/null)"
is "the token's key processes stayed inside their sandbox throughout (no SIGSYS)" \
    0 "$(grep -c 'killed by signal 31' "$WORK/gemeente/log")"
kp_stop gemeente && kp_stop ggd
check "both stop cleanly" test $? = 0
