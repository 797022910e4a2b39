#!/usr/bin/env bash
# What ketenpoort signs, verified by a verifier that shares no code with it
# (issue 19): the JDK's own XML-DSig (javax.xml.crypto, Apache Santuario
# inside OpenJDK) through tests/tools/DsigVerify.java, with secure
# validation, the key taken from the BinarySecurityToken.
#
# Since the signing side writes each signed part straight out in canonical
# form (envwrite.c) instead of letting xmlsec canonicalise a document, the
# receiver's xmlsec (every integration test) and this second verifier are
# the proof that what is written is what is digested:
#   1. every message test_envwrite writes (requests and answers, Bv03 and
#      faults, RSA and P-256, keys in the process and in a key process, a
#      body with every character canonical form escapes);
#   2. every message the demo chain's three gateways sent and every answer
#      they gave (notices, questions, Bv03, dossiers), taken from their
#      stores after `ketenpoort demo`; faults are in 1;
#   3. and a changed byte is caught, so the verifier can say no.
set -u
if [ "${KP_HEAVY:-yes}" = no ]; then
	echo "1..0 # SKIP heavy: runs in the normal build (what is signed does not differ under the sanitizers)"
	exit 0
fi
ROOT=$(mktemp -d /tmp/kp-jdk.XXXXXX)
WORK=$ROOT/demo
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_pidfiles; [ -n "${KP_KEEP:-}" ] || rm -rf "$ROOT"' EXIT
command -v java > /dev/null ||
    { echo "Bail out! java is missing: run tools/dev deps (openjdk-17-jdk-headless)"; exit 1; }
VERIFY="java $SRCDIR/tests/tools/DsigVerify.java"

echo "1..9"
mkdir -p "$ROOT/unit" "$ROOT/chain"
KP_ENVWRITE_DIR=$ROOT/unit "$BUILDDIR/tests/unit/test_envwrite" > "$ROOT/unit.out" 2>&1
check "test_envwrite passes and leaves its messages" \
    eq "$(grep -c '^not ok' "$ROOT/unit.out") $(ls "$ROOT/unit" | wc -l)" "0 16"
$VERIFY "$ROOT"/unit/*.xml > "$ROOT/unit.jdk" 2>&1
rc=$?
sed -n '/^bad/s/^/# /p' "$ROOT/unit.jdk"
check "the JDK verifies all 16 (exit $rc)" eq "$rc $(grep -c '^ok ' "$ROOT/unit.jdk")" "0 16"
check "  P-256 (r || s) among them, also from a key process" \
    eq "$(grep -c '^ok .*/[0-9]*-ec-' "$ROOT/unit.jdk")" 3
check "  each with the protocol's six references" \
    eq "$(grep -c ' 6 references (#id-body #id-timestamp ' "$ROOT/unit.jdk")" 16

"$KP" demo --keep --dir "$WORK" > "$ROOT/demo.out" 2>&1 ||
    { sed 's/^/# /' "$ROOT/demo.out" | tail -20; echo "Bail out! the demo failed"; exit 1; }
sent=0 answered=0
for dir in "$WORK"/*/; do
	g=$(basename "$dir")
	[ -f "$dir/store.db" ] || continue
	n=$(sqlite3 -batch -noheader "$dir/store.db" \
	    "SELECT count(writefile('$ROOT/chain/$g-sent-' || id || '.xml', bytes))
	     FROM message WHERE direction = 'out'")
	m=$(sqlite3 -batch -noheader "$dir/store.db" \
	    "SELECT count(writefile('$ROOT/chain/$g-answer-' || id || '.xml', response))
	     FROM message WHERE direction = 'in' AND response IS NOT NULL")
	sent=$((sent + n)) answered=$((answered + m))
done
total=$(ls "$ROOT/chain" | wc -l)
check "the demo's gateways sent and answered messages ($sent sent, $answered answers)" \
    test "$sent" -ge 5 -a "$answered" -ge 5 -a "$total" -eq $((sent + answered))
$VERIFY "$ROOT"/chain/*.xml > "$ROOT/chain.jdk" 2>&1
rc=$?
sed -n '/^bad/s/^/# /p' "$ROOT/chain.jdk" | head -5
check "the JDK verifies every one of the $total (exit $rc)" \
    eq "$rc $(grep -c '^ok ' "$ROOT/chain.jdk")" "0 $total"
check "  notices, questions, acknowledgements and answers with a dossier among them" \
    eq "$(cat "$ROOT"/chain/*.xml | grep -o '<soap:Body [^>]*><kd:[a-zA-Z0-9]*' |
        sed 's/.*<kd://; s/^[a-z]*//' | sort -u | tr '\n' ' ')" "Bv03 La01 Lk01 Lv01 "

one=$(ls "$ROOT"/chain/*-sent-*.xml | head -1)
sed 's|<wsu:Created>\([0-9]*\)|<wsu:Created>1\1|' "$one" > "$ROOT/changed-timestamp.xml"
sed 's|</soap:Body>| </soap:Body>|' "$one" > "$ROOT/changed-body.xml"
$VERIFY "$ROOT/changed-timestamp.xml" "$ROOT/changed-body.xml" > "$ROOT/bad.jdk" 2>&1
rc=$?
check "a changed timestamp: the JDK says its digest differs" \
    grep -q "changed-timestamp.xml: .*#id-timestamp(digest differs)" "$ROOT/bad.jdk"
check "a space added in the body: its digest differs too (exit $rc)" \
    eq "$rc $(grep -c "changed-body.xml: .*#id-body(digest differs)" "$ROOT/bad.jdk")" "1 1"
