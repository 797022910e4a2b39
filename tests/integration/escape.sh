#!/usr/bin/env bash
# A partner's bytes never reach a person's screen raw (issue 13.4), with
# two real gateways:
#
# - a request whose Content-Type carries escape sequences (a window title
#   saying "all entries verified OK", a cleared screen) is refused; audit
#   query (table and CSV) and the daemon's log show the sequences as
#   visible escapes and hold no control byte, while the stored audit detail
#   keeps the exact bytes;
# - a field value with an encoded newline (&#10;) cannot make dossier show
#   print a forged record line, and C1 controls (U+0085, U+009B) in a field
#   are shown as \u0085 and \u009b, in dossier show and audit show.
set -u
WORK=$(mktemp -d /tmp/kp-escape.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "1..11"
kp_pair || { echo "Bail out! no PKI"; exit 1; }
KP_GATEWAYS="gemeente ggd"
kp_start ggd || { echo "Bail out! the GGD did not start"; exit 1; }
GCONF=$WORK/ggd/ketenpoort.conf
ESC=$(printf '\033') BEL=$(printf '\007')
controls() {	# controls FILE: how many C0 (not LF), DEL and C1 bytes
	LC_ALL=C tr -d '\n' < "$1" | LC_ALL=C tr -cd '\000-\037\177' | wc -c |
	    awk -v c1="$(LC_ALL=C grep -c $'\xc2[\x80-\x9f]' "$1")" '{ print $1 + c1 }'
}

# 1. escape sequences in a header
ct="text/plain${ESC}]0;all entries verified OK${BEL}${ESC}[2J"
status=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/pki/ca.crt" \
    --cert "$WORK/pki/gemeente.crt" --key "$WORK/pki/gemeente.key" \
    -H "Content-Type: $ct" --data-binary x "https://127.0.0.1:$P2/wus/v1")
check "a request with escape sequences in its Content-Type is refused ($status)" \
    test "$status" -ge 400
check "the audit detail keeps the exact bytes" \
    test "$(kp_sql ggd "SELECT count(*) FROM audit WHERE instr(detail, char(27) || ']0;all entries verified OK' || char(7) || char(27) || '[2J') > 0")" = 1
"$KP" audit query -c "$GCONF" > "$WORK/query.txt"
"$KP" audit query -c "$GCONF" --format csv > "$WORK/query.csv"
is "audit query (table and CSV): no control byte" "0 0" \
    "$(controls "$WORK/query.txt") $(controls "$WORK/query.csv")"
check "  the sequence shown as visible escapes, in both" \
    test "$(grep -c -F 'text/plain\x1b]0;all entries verified OK\x07\x1b[2J' "$WORK/query.txt")" = 1 -a \
    "$(grep -c -F 'text/plain\x1b]0;all entries verified OK\x07\x1b[2J' "$WORK/query.csv")" = 1
is "the daemon's log: no control byte" 0 "$(controls "$WORK/ggd/log")"

# 2. a forged line and C1 controls in a field
kp_body zakLk01 $GEM $GGD esc-1 1 111222333 |
    sed -e 's|<kd:zaaktype>[^<]*</kd:zaaktype>|<kd:zaaktype>Bijstand\&#10;  ZAK FAKE-1  bron 00000001001000000000  bronversie 9</kd:zaaktype><kd:toelichting>NEL\&#x85;CSI\&#x9b;2J</kd:toelichting>|' \
    > "$WORK/forged.xml"
out=$("$KPSEND" -c "$WORK/gemeente/ketenpoort.conf" --to ggd "$WORK/forged.xml" 2>&1)
check "a notice with &#10; and C1 controls in its fields is accepted (valid XML)" \
    grep -q ': Bv03 from ggd' <<< "$out"
check "  and stored with the newline and the controls" \
    test "$(kp_sql ggd "SELECT count(*) FROM record WHERE instr(fields, char(133)) > 0 AND instr(fields, char(155)) > 0")" = 1
"$KP" dossier show -c "$GCONF" --bsn 111222333 > "$WORK/dossier.txt"
is "dossier show: one record line, not a forged second" 1 \
    "$(grep -c '^  ZAK ' "$WORK/dossier.txt")"
check "  the newline and the C1 controls shown as escapes" \
    test "$(grep -c -F 'Bijstand\n  ZAK FAKE-1' "$WORK/dossier.txt")" = 1 -a \
    "$(grep -c -F 'NEL\u0085CSI\u009b2J' "$WORK/dossier.txt")" = 1
is "  no control byte" 0 "$(controls "$WORK/dossier.txt")"
mid=$(kp_sql ggd "SELECT message_id FROM message WHERE referentienummer = 'esc-1'")
"$KP" audit show -c "$GCONF" "$mid" > "$WORK/show.txt"
is "audit show of that message: no control byte (the C1 controls escaped)" \
    "0 1" "$(controls "$WORK/show.txt") $(grep -c -F 'NEL\u0085CSI\u009b2J' "$WORK/show.txt")"
