#!/usr/bin/env bash
# No leaks and no memory errors under valgrind: a gateway and a sender, both
# under valgrind, exchange good notices and a few rejected ones over mTLS;
# then a second gateway under valgrind delivers local changes to the first
# through its delivery worker, verifies digests on its schedule and on
# demand, and repairs a lost copy; the GGD asks the municipality for a
# citizen's context (from the command line and through its local socket),
# the operator reads /healthz and /metrics and reloads the municipality
# with SIGHUP; then both are stopped with SIGTERM.  Skipped (and reported
# as a skip) in the sanitizer build, where valgrind cannot run.  The
# auditor's web view is looked at on the municipality under valgrind too.
set -u
if ! command -v valgrind >/dev/null; then
	echo "1..0 # SKIP valgrind is not installed (tools/dev installs it)"; exit 0
fi
if nm "$KP" 2>/dev/null | grep -q __asan_init; then
	echo "1..0 # SKIP sanitizer build: valgrind runs in the normal build"; exit 0
fi
WORK=$(mktemp -d /tmp/kp-valgrind.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
SUBPID=""
trap 'kp_stop_all; [ -n "$SUBPID" ] && kill $SUBPID 2>/dev/null; rm -rf "$WORK"' EXIT
GEM=00000001001000000000
GGD=00000002002000000000
VG="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
echo "1..12"
kp_pki && kp_org gemeente $GEM && kp_org ggd $GGD
P1=$(kp_free_port); P2=$(kp_free_port)
kp_gateway gemeente $GEM "$P1"
kp_gateway ggd $GGD "$P2"
KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit><entiteit type="ZAK" doel="vroegsignalering"><toestemming/><veld>zaaktype</veld></entiteit></ontvangen>' \
    KP_VRAGEN='<vraag functie="context" doel="ketentest"/>' \
    kp_profile gemeente ggd $GGD "$P2" ketenpartner
kp_profile ggd gemeente $GEM "$P1" gemeente zakLk01 dosLv01
echo "sync_verify_interval 1" >> "$WORK/gemeente/ketenpoort.conf"
A1=$(kp_free_port)
echo "admin_listen 127.0.0.1:$A1" >> "$WORK/gemeente/ketenpoort.conf"
echo "local_socket local.sock" >> "$WORK/ggd/ketenpoort.conf"
# the municipality's own systems: a read API, a subscription, a receiver
R1=$(kp_free_port); S1=$(kp_free_port)
SECRET=0123456789abcdef0123456789abcdef-vg
printf '[{"client_id": "zs", "secret": "%s"}]\n' "$SECRET" > "$WORK/gemeente/clients.json"
printf '[{"naam": "zs", "callbackUrl": "http://127.0.0.1:%s/zs", "auth": "Bearer zs", "kanalen": [{"naam": "zaken"}, {"naam": "toestemmingen"}]}]\n' \
    "$S1" > "$WORK/gemeente/subs.json"
chmod 600 "$WORK/gemeente/clients.json" "$WORK/gemeente/subs.json"
printf 'read_listen 127.0.0.1:%s\nread_clients clients.json\nsubscriptions subs.json\n' \
    "$R1" >> "$WORK/gemeente/ketenpoort.conf"
# the auditor's web view
"$KP" pki init "$WORK/auditca" > /dev/null
"$KP" pki issue "$WORK/auditca" vries --oin 00000001001000000201 --org vries > /dev/null
openssl x509 -noout -subject -nameopt RFC2253 -in "$WORK/auditca/vries.crt" | sed 's/^subject=//' > "$WORK/gemeente/auditors"
W1=$(kp_free_port)
printf 'audit_listen 127.0.0.1:%s\nauditor_ca ../auditca/ca.crt\nauditors auditors\n' "$W1" >> "$WORK/gemeente/ketenpoort.conf"
/usr/bin/python3 "$SRCDIR/tests/tools/subscriber.py" "$S1" "$WORK/sub" &
SUBPID=$!
KP_VALGRIND=1 kp_start ggd || { echo "Bail out! gateway under valgrind did not start"; exit 1; }
mkdir -p "$WORK/b"
for i in $(seq 1 10); do kp_body zakLk01 $GEM $GGD "vg-$i" "$i" 111222333 > "$WORK/b/$(printf %02d "$i").xml"; done
kp_body zakLk01 $GEM $GGD "vg-bad" 11 123456789 > "$WORK/b/11-bad.xml"
kp_body kctLk01 $GEM $GGD "vg-kct" 12 111222333 > "$WORK/b/12-kct.xml"
$VG --log-file="$WORK/send.vg" "$KPSEND" -c "$WORK/gemeente/ketenpoort.conf" \
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
# The municipality's gateway under valgrind: local changes delivered by
# its worker (on streams other than the partitie 0 the sends above used),
# digests verified on its schedule and on demand, a lost copy repaired.
KP_VALGRIND=1 kp_start gemeente || { echo "Bail out! gemeente under valgrind did not start"; exit 1; }
mkdir -p "$WORK/c"
n=0 i=0
while [ $n -lt 5 ]; do
	i=$((i + 1))
	b=$(kp_bsn "$i")
	h=$(printf %s "$b" | sha256sum | cut -c1-8)
	[ $((16#$h % 8)) -eq 0 ] && continue
	n=$((n + 1))
	kp_change T $GEM "VG$n" 1 "$b" ontvangen > "$WORK/c/$n.xml"
done
$VG --log-file="$WORK/put.vg" "$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK"/c/*.xml > /dev/null 2>&1
for i in $(seq 1 600); do
	[ "$(kp_sql gemeente "SELECT count(*) FROM outbox WHERE state = 'delivered'")" = 5 ] && break
	sleep 0.1
done
LOST=$(kp_sql ggd "SELECT bsn FROM record WHERE identificatie = 'VG1'")
kp_sql ggd "DELETE FROM record WHERE identificatie = 'VG1'"
$VG --log-file="$WORK/verify.vg" "$KP" sync verify -c "$WORK/gemeente/ketenpoort.conf" --partner ggd > "$WORK/verify.out" 2>&1
$VG --log-file="$WORK/repair.vg" "$KP" sync repair -c "$WORK/gemeente/ketenpoort.conf" --partner ggd > "$WORK/repair.out" 2>&1
for i in $(seq 1 600); do
	[ "$(kp_sql ggd "SELECT count(*) FROM record WHERE identificatie = 'VG1'")" = 1 ] && break
	sleep 0.1
done
$VG --log-file="$WORK/status.vg" "$KP" sync status -c "$WORK/gemeente/ketenpoort.conf" > /dev/null 2>&1
# Consent and the auditor's tools, each under valgrind too.
C="$WORK/gemeente/ketenpoort.conf"
$VG --log-file="$WORK/grant.vg" "$KP" consent grant -c "$C" --bsn "$LOST" --partner ggd --doel vroegsignalering > "$WORK/consent.out" 2>&1
$VG --log-file="$WORK/withdraw.vg" "$KP" consent withdraw -c "$C" --bsn "$LOST" --partner ggd --doel vroegsignalering >> "$WORK/consent.out" 2>&1
$VG --log-file="$WORK/list.vg" "$KP" consent list -c "$C" --bsn "$LOST" >> "$WORK/consent.out" 2>&1
$VG --log-file="$WORK/averify.vg" "$KP" audit verify --signatures -c "$C" > "$WORK/audit.out" 2>&1
$VG --log-file="$WORK/query.vg" "$KP" audit query -c "$C" --bsn "$LOST" --format jsonl >> "$WORK/audit.out" 2>&1
$VG --log-file="$WORK/inzage.vg" "$KP" audit inzage -c "$C" --bsn "$LOST" --format html >> "$WORK/audit.out" 2>&1
MID=$(kp_sql gemeente "SELECT message_id FROM audit WHERE outcome = 'delivered' LIMIT 1")
$VG --log-file="$WORK/show.vg" "$KP" audit show -c "$C" "$MID" >> "$WORK/audit.out" 2>&1
$VG --log-file="$WORK/checkpoint.vg" "$KP" audit checkpoint -c "$C" >> "$WORK/audit.out" 2>&1
if [ "$(kp_sql gemeente "SELECT count(*) FROM outbox WHERE state = 'delivered'")" -ge 6 ] &&
    grep -q "differs: BSN $LOST: we disclosed 1 record, ggd holds none" "$WORK/verify.out" &&
    [ "$(kp_sql ggd "SELECT count(*) FROM record WHERE identificatie = 'VG1'")" = 1 ] &&
    grep -q "sync verify with ggd ($GGD)" "$WORK/gemeente/log"; then
	echo "ok 3 - delivered, verified (scheduled and on demand), repaired, through valgrind"
else
	echo "not ok 3 - delivered, verified (scheduled and on demand), repaired, through valgrind"
	sed 's/^/# /' "$WORK/verify.out" "$WORK/repair.out" | head
fi
vg_clean=1
for f in put verify repair status grant withdraw list averify query inzage show checkpoint; do
	if [ -s "$WORK/$f.vg" ]; then
		vg_clean=0; echo "# $f:"; sed 's/^/# /' "$WORK/$f.vg" | head -40
	fi
done
if [ $vg_clean = 1 ]; then
	echo "ok 4 - dossier put, sync verify, repair, status, consent and audit commands: no leaks, no memory errors"
else
	echo "not ok 4 - dossier put, sync verify, repair, status, consent and audit commands: no leaks, no memory errors"
fi
if grep -q '^granted TST-' "$WORK/consent.out" && grep -q '^withdrew TST-' "$WORK/consent.out" &&
    grep -q 'ingetrokken for ggd' "$WORK/consent.out" && grep -q ', 0 bad;' "$WORK/audit.out" &&
    grep -q '^signature: verifies' "$WORK/audit.out" && grep -q '^signed a checkpoint' "$WORK/audit.out"; then
	echo "ok 5 - and they did their work: consent granted, withdrawn, listed; chain verified; message shown; checkpoint signed"
else
	echo "not ok 5 - and they did their work: consent granted, withdrawn, listed; chain verified; message shown; checkpoint signed"
	sed 's/^/# /' "$WORK/consent.out" "$WORK/audit.out" | grep -v '^# <' | head -20
fi
# The call-centre moment and the operator's tools, the gateways under
# valgrind: context asked from the command line (under valgrind too) and
# through the GGD's local socket (its question thread); healthz, metrics;
# a reload.
$VG --log-file="$WORK/context.vg" "$KP" dossier context -c "$WORK/ggd/ketenpoort.conf" \
    --partner gemeente --bsn "$LOST" --doel ketentest --json > "$WORK/context.out" 2>&1
curl -s --unix-socket "$WORK/ggd/local.sock" \
    "http://localhost/context?partner=gemeente&bsn=$LOST&doel=ketentest" > "$WORK/context2.out"
curl -s "http://127.0.0.1:$A1/healthz" > "$WORK/admin.out"
curl -s "http://127.0.0.1:$A1/metrics" >> "$WORK/admin.out"
kill -HUP "$(cat "$WORK/gemeente/pid")"
for i in $(seq 1 300); do grep -q "reloaded" "$WORK/gemeente/log" && break; sleep 0.1; done
if [ "$(grep -c '"identificatie": "VG1"' "$WORK/context.out" "$WORK/context2.out" | cut -d: -f2 | tr '\n' ' ')" = "1 1 " ] &&
    [ "$(grep -c '"entiteittype"' "$WORK/context.out")" = 1 ] &&
    head -1 "$WORK/admin.out" | grep -qx ready &&
    grep -q '^ketenpoort_messages_in_total{type="Lv01",outcome="accepted"} 2$' "$WORK/admin.out" &&
    grep -q "reloaded" "$WORK/gemeente/log" && [ ! -s "$WORK/context.vg" ]; then
	echo "ok 6 - context (command line and local socket), healthz, metrics, reload under valgrind; the asker clean"
else
	echo "not ok 6 - context (command line and local socket), healthz, metrics, reload under valgrind; the asker clean"
	sed 's/^/# /' "$WORK/context.out" "$WORK/context2.out" "$WORK/context.vg" | head -30
	grep -v '^ketenpoort_.*_bucket' "$WORK/admin.out" | grep 'ready\|FAIL\|Lv01' | sed 's/^/# /'
fi
# The organisation's own systems, the municipality under valgrind: its
# notifications delivered, a record read with a JWT, a refusal, an
# abonnement made and removed
JWT=$(/usr/bin/python3 "$SRCDIR/tests/tools/zgwjwt.py" zs "$SECRET")
for i in $(seq 1 300); do
	[ "$(kp_sql gemeente "SELECT count(*) FROM notification")" = 0 ] && break
	sleep 0.1
done
RURL=$(/usr/bin/python3 -c 'import json, sys
print(json.loads(open(sys.argv[1]).readline())["body"]["resourceUrl"])' "$WORK/sub/received.jsonl")
RA="curl -s --cacert $WORK/pki/ca.crt"
$RA -H "Authorization: Bearer $JWT" "$RURL" > "$WORK/record.out"
$RA -o /dev/null -w '%{http_code}\n' "$RURL" > "$WORK/read.out"
$RA -H "Authorization: Bearer $JWT" -d '{"callbackUrl": "http://127.0.0.1:1/x", "auth": "a", "kanalen": [{"naam": "zaken"}]}' \
    "https://127.0.0.1:$R1/api/v1/abonnement" > "$WORK/abo.out"
AURL=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["url"])' "$WORK/abo.out")
$RA -o /dev/null -w '%{http_code}\n' -X DELETE -H "Authorization: Bearer $JWT" "$AURL" >> "$WORK/read.out"
nrec=$(wc -l < "$WORK/sub/received.jsonl")
if [ "$nrec" -ge 7 ] && grep -q '"entiteittype":"ZAK"' "$WORK/record.out" &&
    [ "$(tr '\n' ' ' < "$WORK/read.out")" = "401 204 " ]; then
	echo "ok 7 - under valgrind: $nrec notifications delivered, a record read with a JWT, one refused, an abonnement made and removed"
else
	echo "not ok 7 - under valgrind: notifications delivered ($nrec), a record read with a JWT, one refused, an abonnement made and removed"
	{ cat "$WORK/record.out" "$WORK/read.out" "$WORK/abo.out"; echo; } | sed 's/^/# /' | head
fi
# The auditor's web view, the municipality under valgrind: every page, a
# search by BSN, the inzage and its CSV, a message verified again, a
# verification run, a refusal
WA="curl -s --cacert $WORK/pki/ca.crt --cert $WORK/auditca/vries.crt --key $WORK/auditca/vries.key"
WU=https://127.0.0.1:$W1
: > "$WORK/web.codes"
code() { $WA -o "$WORK/web.body" -w '%{http_code}\n' "$@" >> "$WORK/web.codes"; }
code "$WU/"
csrf=$($WA "$WU/zoeken" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
loc=$($WA -o /dev/null -w '%{redirect_url}' --data-urlencode "csrf=$csrf" --data-urlencode "bsn=$LOST" "$WU/zoeken")
code "$loc"
code "${loc/zoeken/inzage}"
code "${loc/zoeken/inzage}.csv"
mid=$(kp_sql gemeente "SELECT message_id FROM audit WHERE direction = 'out' AND outcome = 'delivered' AND message IS NOT NULL LIMIT 1")
code "$WU/bericht/$mid?controleer=1"
grep -q 'De handtekening klopt:' "$WORK/web.body" && echo verified >> "$WORK/web.codes"
code "$WU/regel/3"
$WA -o /dev/null --data-urlencode "csrf=$csrf" "$WU/controle"
for i in $(seq 1 300); do $WA "$WU/controle/status" | grep -q '"finished": true' && break; sleep 0.2; done
code "$WU/controle"
curl -s -o /dev/null -w '%{http_code}\n' --cacert "$WORK/pki/ca.crt" "$WU/" >> "$WORK/web.codes"
if [ "$(tr '\n' ' ' < "$WORK/web.codes")" = "200 200 200 200 200 verified 200 200 403 " ] &&
    [ "$(kp_sql gemeente "SELECT count(*) FROM audit_verification WHERE bad = 0")" = 1 ]; then
	echo "ok 8 - under valgrind: the auditor's overview, a search by BSN, the inzage and its CSV, a message verified again, an entry, a verification run, a refusal"
else
	echo "not ok 8 - under valgrind: the auditor's view ($(tr '\n' ' ' < "$WORK/web.codes"))"
fi
for g in ggd gemeente; do
	kp_stop $g; rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok - $g stops cleanly under valgrind"
	else
		echo "not ok - $g stops cleanly under valgrind (exit $rc)"
	fi
	if [ ! -s "$WORK/$g/valgrind.log" ] || ! grep -q "==" "$WORK/$g/valgrind.log"; then
		echo "ok - $g: no leaks, no memory errors"
	else
		echo "not ok - $g: no leaks, no memory errors"; sed 's/^/# /' "$WORK/$g/valgrind.log" | head -60
	fi
done
