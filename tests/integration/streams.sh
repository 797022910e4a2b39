#!/usr/bin/env bash
# Streams cannot lose a notice (PROTOCOL.md 4.1, KP031), with two real
# gateways, a municipality (gemeente) and a GGD:
#
# - `ketenpoort send` refuses a notice: notices leave only through the
#   outbox, which numbers the streams; nothing reaches the partner.
# - A raw partner (tests/tools/kpsend: it sends what it likes, numbers
#   included) puts a notice on partitie 0 #1: applied.  The very notice
#   again under a new MessageID is a resend: Bv03, nothing applied, audited
#   as a duplicate.  Another notice under #1: KP031 with
#   verwachtVolgnummer 2, nothing applied, the audit says why.
# - The municipality's own outbox then gives partitie 0 #1 to a case (the
#   reproduction of issue 13: once acknowledged and never applied): the GGD
#   answers KP031, the outbox parks the row with the reason, /metrics
#   counts it, /healthz is unready for that link; the GGD holds nothing of
#   it.  `queue retry` renumbers the stream from the number the GGD
#   expects: delivered, applied, healthz ready again.
set -u
WORK=$(mktemp -d /tmp/kp-streams.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "1..25"

KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>' \
    kp_pair || { echo "Bail out! no PKI"; exit 1; }
KP_GATEWAYS="gemeente ggd"
kp_profile ggd gemeente $GEM "$P1" gemeente zakLk01 dosLv01	# digests too
A1=$(kp_free_port)
printf 'admin_listen\t127.0.0.1:%s\nsync_verify_interval 0\n' "$A1" \
    >> "$WORK/gemeente/ketenpoort.conf"
kp_start ggd || { echo "Bail out! the GGD did not start"; exit 1; }
GCONF=$WORK/gemeente/ketenpoort.conf
held() { kp_sql ggd "SELECT count(*) FROM record"; }

# 1. ketenpoort send refuses notices
kp_body zakLk01 $GEM $GGD "raw-1" 1 111222333 > "$WORK/raw1.xml"
out=$("$KP" send -c "$GCONF" --to ggd "$WORK/raw1.xml" 2>&1); rc=$?
is "ketenpoort send refuses a notice (exit 1)" 1 "$rc"
check "and says notices leave only through the outbox" \
    grep -q 'zakLk01 is a notice (Lk01), not sent: notices leave only through the outbox' <<< "$out"
is "nothing reached the GGD" "0 0" \
    "$(kp_sql ggd "SELECT count(*) FROM message") $(kp_sql ggd "SELECT count(*) FROM audit")"

# 2. a raw partner drives the GGD's stream directly
out=$("$KPSEND" -c "$GCONF" --to ggd "$WORK/raw1.xml" 2>&1)
check "raw partner: partitie 0 #1 accepted" grep -q ': Bv03 from ggd .*: accepted;' <<< "$out"
is "  and applied" "1 1" "$(held) $(kp_sql ggd "SELECT bronversie FROM record WHERE identificatie = 'ZAAK-raw-1'")"
sed 's/<kd:referentienummer>raw-1</<kd:referentienummer>raw-1-again</' \
    "$WORK/raw1.xml" > "$WORK/raw1-again.xml"
out=$("$KPSEND" -c "$GCONF" --to ggd "$WORK/raw1-again.xml" 2>&1)
check "the very notice again, new MessageID and referentienummer: Bv03" \
    grep -q ': Bv03 from ggd .*: accepted;' <<< "$out"
is "  nothing applied; audited as a duplicate, saying why" \
    "1|duplicate|volgnummer 1 on partitie 0 was applied before: a resend, nothing applied" \
    "$(held)|$(kp_sql ggd "SELECT outcome || '|' || detail FROM audit WHERE outcome = 'duplicate'")"
kp_body zakLk01 $GEM $GGD "raw-2" 1 111222333 > "$WORK/raw2.xml"
before=$(kp_sql ggd "SELECT count(*) FROM message")
out=$("$KPSEND" -c "$GCONF" --to ggd --show-answer "$WORK/raw2.xml" 2>&1); rc=$?
is "another notice under #1: Fo03 KP031 (exit 1)" 1 "$rc"
check "  naming the notice applied there and the number expected" \
    grep -q 'Fo03 from ggd .*: KP031 volgnummer 1 on partitie 0 was used by another notice (T ZAK ZAAK-raw-1 of '"$GEM"' bronversie 1); nothing applied; expected 2' <<< "$out"
check "  verwachtVolgnummer 2, not repeatable" \
    grep -q '<kd:herhaalbaar>false</kd:herhaalbaar><kd:verwachtVolgnummer>2</kd:verwachtVolgnummer>' <<< "$out"
is "  nothing applied, no message kept, the stream still expects 2" "1 0 $before 2" \
    "$(held) $(kp_sql ggd "SELECT count(*) FROM record WHERE identificatie = 'ZAAK-raw-2'") $(kp_sql ggd "SELECT count(*) FROM message") $(kp_sql ggd "SELECT next_expected FROM stream_in WHERE partitie = 0")"
is "  audited as rejected KP031 for that record" "rejected|KP031|ZAK|$GEM|ZAAK-raw-2|1" \
    "$(kp_sql ggd "SELECT outcome || '|' || code || '|' || record FROM audit WHERE code = 'KP031'")"

# 3. the municipality's outbox reaches partitie 0 #1, already used
R=200000093		# partitie 0 of 8
kp_start gemeente || { echo "Bail out! the gemeente did not start"; exit 1; }
kp_change T $GEM ZAAK-OUTBOX-1 1 "$R" ontvangen > "$WORK/c1.xml"
"$KP" dossier put -c "$GCONF" "$WORK/c1.xml" > /dev/null
check "the outbox gave it partitie 0 #1; the GGD's KP031 parked it" wait_for gemeente \
    "SELECT partitie || ' ' || volgnummer || ' ' || state || ' ' || code || ' ' || verwacht FROM outbox WHERE identificatie = 'ZAAK-OUTBOX-1'" \
    "0 1 parked KP031 2"
check "  with the partner's reason" test -n "$(kp_sql gemeente "SELECT 1 FROM outbox WHERE identificatie = 'ZAAK-OUTBOX-1' AND last_error LIKE 'volgnummer 1 on partitie 0 was used by another notice (T ZAK ZAAK-raw-1 %'")"
is "  audited at the gemeente as parked KP031" "parked KP031" \
    "$(kp_sql gemeente "SELECT outcome || ' ' || code FROM audit WHERE outcome = 'parked'")"
is "  the GGD applied nothing of it" "0" \
    "$(kp_sql ggd "SELECT count(*) FROM record WHERE identificatie = 'ZAAK-OUTBOX-1'")"
is "  /metrics counts the conflict for that link" \
    "ketenpoort_outbox_stream_conflicts{partner=\"$GGD\"} 1" \
    "$(curl -s "http://127.0.0.1:$A1/metrics" | grep '^ketenpoort_outbox_stream_conflicts')"
code=$(curl -s -o "$WORK/health" -w '%{http_code}' "http://127.0.0.1:$A1/healthz")
is "  /healthz is unready (503)" 503 "$code"
check "  naming the link and what to do" \
    grep -q "^FAIL link to $GGD: 1 notice refused with KP031 .*queue retry ID renumbers it" "$WORK/health"
check "  sync status says so too" \
    grep -q "^  out: 1 refused with KP031" <<< "$("$KP" sync status -c "$GCONF")"

# 4. the operator looks and renumbers
id=$(kp_sql gemeente "SELECT id FROM outbox WHERE identificatie = 'ZAAK-OUTBOX-1'")
out=$("$KP" queue retry -c "$GCONF" "$id" 2>&1)
check "queue retry renumbers the row to #2" \
    grep -q "renumbered to #2, the number the partner expects" <<< "$out"
check "  and it is delivered as #2" wait_for gemeente \
    "SELECT volgnummer || ' ' || state FROM outbox WHERE identificatie = 'ZAAK-OUTBOX-1'" "2 delivered"
is "  and applied at the GGD (after the refusal of #1)" "1 rejected KP031,accepted" \
    "$(kp_sql ggd "SELECT bronversie FROM record WHERE identificatie = 'ZAAK-OUTBOX-1'") $(kp_sql ggd "SELECT group_concat(trim(outcome || ' ' || coalesce(code, ''))) FROM (SELECT * FROM audit WHERE record = 'ZAK|$GEM|ZAAK-OUTBOX-1|1' ORDER BY seq)")"
is "  /healthz is ready again, the conflict gauge 0" \
    "ready ketenpoort_outbox_stream_conflicts{partner=\"$GGD\"} 0" \
    "$(curl -s "http://127.0.0.1:$A1/healthz" | head -1) $(curl -s "http://127.0.0.1:$A1/metrics" | grep '^ketenpoort_outbox_stream_conflicts')"
check "sync verify agrees for the citizen" "$KP" sync verify -c "$GCONF" --partner ggd --bsn "$R"
