#!/usr/bin/env bash
# One writer (issue 14): while `serve` runs with a local_socket, the
# mutating commands — dossier put, consent grant|withdraw, queue
# retry|skip, sync repair — go through it, and its group-commit writer is
# the store's only writer.  The proof: the commands run with a copy of the
# configuration whose store cannot even be opened, and still work while
# the gateway runs; once it is stopped the same commands say they work on
# the store directly, and fail on that store.  Each says which it did, on
# stderr; output and exit statuses are those of the direct path.
set -u
WORK=$(mktemp -d /tmp/kp-onewriter.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "1..29"

RULES='<ontvangen>
  <entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit>
  <entiteit type="PRS" doel="vroegsignalering"><toestemming/><veld>geslachtsnaam</veld></entiteit>
  <entiteit type="TST" doel="vroegsignalering"><toestemming/><veld>partner</veld><veld>doel</veld><veld>status</veld></entiteit>
</ontvangen>'
KP_ONTVANGEN=$RULES kp_pair || { echo "Bail out! no PKI"; exit 1; }
kp_profile ggd gemeente $GEM "$P1" gemeente zakLk01 prsLk01 tstLk01 dosLv01
KP_GATEWAYS="gemeente ggd"
printf 'local_socket local.sock\nsync_verify_interval 0\n' >> "$WORK/gemeente/ketenpoort.conf"
CONF=$WORK/gemeente/ketenpoort.conf
# the same gateway, but a store no process can open
VIA=$WORK/gemeente/via.conf
sed 's|^store.*|store\t/nonexistent/ketenpoort/store.db|' "$CONF" > "$VIA"
kp_start gemeente || { echo "Bail out! the gemeente did not start"; exit 1; }

# 1. dossier put, many files at once
mkdir -p "$WORK/c"
for i in $(seq 1 40); do
	kp_local_change "$WORK/c/$i.xml" T ZAK $GEM "Z$i" 1 "$(kp_bsn $i)"
done
"$KP" dossier put -c "$VIA" "$WORK"/c/*.xml > "$WORK/put.out" 2> "$WORK/put.err"; rc=$?
is "dossier put through the running gateway: exit 0" 0 "$rc"
check "  stderr says so, naming the socket" \
    grep -q "^ketenpoort dossier put: through the gateway running on $WORK/gemeente/local.sock" "$WORK/put.err"
is "  one line per file, in the order given" \
    "$(printf '%s\n' "$WORK"/c/*.xml | tr '\n' ' ')" \
    "$(cut -d: -f1 "$WORK/put.out" | tr '\n' ' ')"
is "  each saying its record was stored and queued, as the direct path does" "40" \
    "$(grep -c "c/\([0-9]*\)\.xml: T ZAK Z\1 bronversie 1 stored; 1 notices queued$" "$WORK/put.out")"
is "  the gateway holds the 40 records and 40 outbox rows" "40 40" \
    "$(kp_sql gemeente "SELECT count(*) FROM record") $(kp_sql gemeente "SELECT count(*) FROM outbox")"
# one citizen's changes in the order given: ten versions of one case, and
# a person record of the same citizen between them
mkdir -p "$WORK/v"
for v in $(seq 1 10); do
	kp_local_change "$WORK/v/$v.xml" "$([ "$v" = 1 ] && echo T || echo W)" ZAK $GEM "ZV" "$v" "$(kp_bsn 42)"
done
kp_local_change "$WORK/v/p.xml" T PRS $GEM "PV" 1 "$(kp_bsn 42)"
files=$(for v in 1 2 3 4 5 p 6 7 8 9 10; do printf '%s ' "$WORK/v/$v.xml"; done)
# shellcheck disable=SC2086
out=$("$KP" dossier put -c "$VIA" $files 2>/dev/null); rc=$?
is "one citizen's eleven changes at once: each applied in its turn (no KP023)" \
    "0 11" "$rc $(grep -c 'stored; [0-9]* notices queued$' <<< "$out")"
is "  the case at version 10, its outbox rows numbered in that order" \
    "10|1,2,3,4,5,6,7,8,9,10" \
    "$(kp_sql gemeente "SELECT bronversie FROM record WHERE identificatie = 'ZV'")|$(kp_sql gemeente "SELECT group_concat(bronversie) FROM (SELECT bronversie FROM outbox WHERE identificatie = 'ZV' ORDER BY volgnummer)")"
kp_local_change "$WORK/theirs.xml" T ZAK $GGD "ZG1" 1 "$(kp_bsn 41)"
out=$("$KP" dossier put -c "$VIA" "$WORK/theirs.xml" 2>/dev/null); rc=$?
is "a change of another owner's record: refused (exit 1), as directly" \
    "1|$WORK/theirs.xml: refused, KP022: bron $GGD is not us ($GEM): only the owner changes a record" "$rc|$out"
is "  nothing stored" 42 "$(kp_sql gemeente "SELECT count(*) FROM record")"

# 2. consent grant and withdraw
B=$(kp_bsn 50)
out=$("$KP" consent grant -c "$VIA" --bsn "$B" --partner ggd --doel vroegsignalering 2> "$WORK/grant.err"); rc=$?
is "consent grant through the gateway: exit 0" 0 "$rc"
check "  saying so" grep -q "^ketenpoort consent: through the gateway running on" "$WORK/grant.err"
check "  and what it did" grep -q "^granted TST-.* (bronversie 1); [0-9]* notices queued" <<< "$out"
is "  the TST record is held, in force" 1 \
    "$(kp_sql gemeente "SELECT count(*) FROM record WHERE entiteittype = 'TST' AND bsn = '$B' AND fields LIKE '%status=verleend%'")"
out=$("$KP" consent grant -c "$VIA" --bsn 123456789 --partner ggd --doel vroegsignalering 2>&1 >/dev/null); rc=$?
is "a BSN that fails the elfproef: exit 1 and the reason, as directly" \
    "1|ketenpoort consent: BSN 123456789 fails the elfproef" "$rc|$(grep -v 'through the gateway' <<< "$out")"
out=$("$KP" consent withdraw -c "$VIA" --bsn "$B" --partner ggd --doel vroegsignalering 2>/dev/null); rc=$?
is "consent withdraw through the gateway: exit 0" 0 "$rc"
is "  the consent is withdrawn" 1 \
    "$(kp_sql gemeente "SELECT count(*) FROM record WHERE entiteittype = 'TST' AND bsn = '$B' AND fields LIKE '%status=ingetrokken%'")"

# 3. queue retry and skip
first=$(kp_sql gemeente "SELECT min(id) FROM outbox WHERE partner_oin = '$GGD'")
out=$("$KP" queue retry -c "$VIA" "$first" 2>/dev/null); rc=$?
is "queue retry through the gateway: exit 0" 0 "$rc"
check "  saying what it did, as directly" \
    grep -q "^row $first (stream [0-9]* #1 to $GGD) will be sent again now$" <<< "$out"
out=$("$KP" queue retry -c "$VIA" 999999 2>&1); rc=$?
is "queue retry of a row that does not exist: exit 1, saying so" \
    "1|ketenpoort queue: no outbox row 999999; see ketenpoort queue list" \
    "$rc|$(grep -v 'through the gateway' <<< "$out")"
head=$(kp_sql gemeente "SELECT min(id) FROM outbox WHERE partner_oin = '$GGD' AND partitie = (SELECT partitie FROM outbox WHERE id = $first)")
out=$("$KP" queue skip -c "$VIA" --note "test skip" "$head" 2>/dev/null); rc=$?
is "queue skip through the gateway: exit 0" 0 "$rc"
is "  the row left its stream, with the note" "1 0" \
    "$(kp_sql gemeente "SELECT count(*) FROM outbox_skipped WHERE id = $head") $(kp_sql gemeente "SELECT count(*) FROM outbox WHERE id = $head")"

# 4. sync repair: the partner down, then up
out=$("$KP" sync repair -c "$VIA" --partner ggd 2>&1); rc=$?
is "sync repair while the GGD is down: exit 2" 2 "$rc"
check "  saying the partner did not answer" grep -q "^ketenpoort sync: " <<< "$(grep -v 'through the gateway' <<< "$out")"
kp_start ggd || { echo "Bail out! the GGD did not start"; exit 1; }
check "the backlog drains" kp_drained
out=$("$KP" sync repair -c "$VIA" --partner ggd 2>/dev/null); rc=$?
is "sync repair through the gateway: exit 0" 0 "$rc"
check "  the comparison and what was queued, as directly" \
    grep -q "^repair: [0-9]* notices queued for ggd about [0-9]* citizens" <<< "$out"

# 5. without a running gateway: the store itself
kp_stop gemeente
out=$("$KP" dossier put -c "$VIA" "$WORK/c/1.xml" 2>&1); rc=$?
is "gateway stopped: the command says it works on the store directly" 1 \
    "$(grep -c "^ketenpoort dossier put: no gateway runs on $WORK/gemeente/local.sock: working on the store directly" <<< "$out")"
check "  and fails on a store it cannot open (so it never opened it before)" \
    eq "$rc/$(grep -c 'cannot open' <<< "$out")" "2/1"
kp_local_change "$WORK/direct.xml" T ZAK $GEM "Z-direct" 1 "$(kp_bsn 60)"
out=$("$KP" dossier put -c "$CONF" "$WORK/direct.xml" 2>/dev/null); rc=$?
is "with its own store it stores the change directly" \
    "0|$WORK/direct.xml: T ZAK Z-direct bronversie 1 stored; 1 notices queued" "$rc|$out"
