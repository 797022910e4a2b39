#!/usr/bin/env bash
# The demo chain (`ketenpoort demo --keep`), non-interactively, with each
# step's result asserted in the three stores, not in the printed text:
# the refused notice, the case delivered and repaired, the consent, the
# call centre's context question answered and audited on both sides, its
# contact flowing back, the withdrawn consent retracting the GGD's copy of
# the person (not the case), every audit chain intact.  Then the three
# gateways --keep left running are checked to answer, and stopped.
set -u
ROOT=$(mktemp -d /tmp/kp-demo.XXXXXX)
WORK=$ROOT/demo
KP_GATEWAYS="gemeente ggd kcc"
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_pidfiles; kp_pg_stop; [ -n "${KP_KEEP:-}" ] || rm -rf "$ROOT"' EXIT
echo "1..31"
GEMEENTE=00000001823288444000 GGD_OIN=00000003273229060000 KCC_OIN=00000004000000059000
B=$(kp_bsn 7) C=$(kp_bsn 42)

"$KP" demo --keep --dir "$WORK" > "$ROOT/out" 2>&1
is "ketenpoort demo --keep exits 0" 0 "$?"
is "three gateways and the case system's receiver were left running" "4" \
    "$(for p in $(cat "$WORK"/*/pid); do kill -0 "$p" && echo up; done | grep -c up)"
is "1-2. each organisation has a certificate with its OIN" \
    "$GEMEENTE $GGD_OIN $KCC_OIN" \
    "$(for o in gemeente ggd kcc; do openssl x509 -in "$WORK/pki/$o.crt" -noout -subject | grep -o '[0-9]\{20\}'; done | tr '\n' ' ' | sed 's/ $//')"
is "3. the case went through the outbox as stream notice #1, delivered" \
    "1 delivered" \
    "$(kp_sql gemeente "SELECT volgnummer || ' ' || state FROM outbox WHERE identificatie = 'ZAAK-DEMO-1'")"
is "3. the GGD accepted it and holds it" "accepted 1" \
    "$(kp_sql ggd "SELECT group_concat(outcome) FROM audit WHERE record = 'ZAK|$GEMEENTE|ZAAK-DEMO-1|1'") $(kp_sql ggd "SELECT bronversie FROM record WHERE identificatie = 'ZAAK-DEMO-1'")"
is "5. the case with an invalid BSN was refused here: nothing stored, queued or sent" \
    "0 0 0" \
    "$(kp_sql gemeente "SELECT count(*) FROM record WHERE bsn = '123456789'") $(kp_sql gemeente "SELECT count(*) FROM outbox WHERE bsn = '123456789'") $(kp_sql ggd "SELECT count(*) FROM audit WHERE record LIKE '%ZAAK-DEMO-2%'")"
is "5. the GGD's question was refused with KP020 and audited on both sides" \
    "rejected KP020|fault KP020" \
    "$(kp_sql gemeente "SELECT outcome || ' ' || code FROM audit WHERE partner_oin = '$GGD_OIN' AND berichtcode = 'Lv01'")|$(kp_sql ggd "SELECT outcome || ' ' || code FROM audit WHERE direction = 'out' AND berichtcode = 'Lv01'")"
is "6. the case changed twice; the GGD holds version 2 with zaaktype and status only" \
    "2|zaaktype=Aanvraag bijzondere bijstand;status=in behandeling;" \
    "$(kp_sql ggd "SELECT bronversie || '|' || replace(fields, '$KP_NL', ';') FROM record WHERE identificatie = 'ZAAK-2026-7'")"
is "7. the GGD lost the case; the repair sent version 2 again, delivered (so 6 holds)" \
    "1 T delivered|2 W delivered|2 W delivered" \
    "$(kp_sql gemeente "SELECT bronversie || ' ' || mutatiesoort || ' ' || state FROM outbox WHERE identificatie = 'ZAAK-2026-7' ORDER BY id" | tr '\n' '|' | sed 's/|$//')"
is "8. the consent is recorded at the municipality, granted via balie" "1" \
    "$(kp_sql gemeente "SELECT count(*) FROM record WHERE entiteittype = 'TST' AND bsn = '$C'")"
is "9. the call centre asked once, audited with the purpose" "delivered klantcontact" \
    "$(kp_sql kcc "SELECT outcome || ' ' || doel FROM audit WHERE direction = 'out' AND berichtcode = 'Lv01'")"
is "9. the municipality answered with person, case and contact, each audited" "3" \
    "$(kp_sql gemeente "SELECT count(*) FROM audit WHERE outcome = 'answered' AND partner_oin = '$KCC_OIN'")"
is "9. the call centre keeps no copy of the municipality's records" "0" \
    "$(kp_sql kcc "SELECT count(*) FROM record WHERE bron = '$GEMEENTE'")"
is "10. the registered call flowed back to the municipality" "$KCC_OIN" \
    "$(kp_sql gemeente "SELECT received_from FROM record WHERE identificatie = 'KCC-CALL-1'")"
is "10. the municipality's case system was told: one notification, klantcontacten, create, from the call centre" \
    "klantcontacten create partner $KCC_OIN" \
    "$(/usr/bin/python3 -c 'import json, sys
for l in open(sys.argv[1]):
    b = json.loads(l); print(b["kanaal"], b["actie"], b["kenmerken"]["herkomst"], b["kenmerken"]["partij"])' "$WORK/zaaksysteem/received.jsonl")"
is "10. it read the contact from the resourceUrl with its certificate (the demo shows it)" 1 \
    "$(grep -c '"identificatie": "KCC-CALL-1"' "$ROOT/out")"
is "11. the GGD's copy of the person is gone, the case stays" "ZAK 0" \
    "$(kp_sql ggd "SELECT entiteittype || ' ' || deleted FROM record WHERE bsn = '$C' ORDER BY entiteittype" | tr '\n' '|' | sed 's/|$//')"
is "11. the person went to the GGD on the consent, and its retraction after" \
    "W delivered -|V delivered intrekking" \
    "$(kp_sql gemeente "SELECT mutatiesoort || ' ' || state || ' ' || coalesce(reden, '-') FROM outbox WHERE partner_oin = '$GGD_OIN' AND bsn = '$C' AND entiteittype = 'PRS' ORDER BY id" | tr '\n' '|' | sed 's/|$//')"
is "12. the inzage lists the call centre's question answer" "3" \
    "$("$KP" audit inzage -c "$WORK/gemeente/ketenpoort.conf" --bsn "$C" --format csv | grep -c ',"shown",')"
for g in gemeente ggd kcc; do
	check "12. $g's audit chain verifies" "$KP" audit verify -c "$WORK/$g/ketenpoort.conf"
done
seen=$(grep -o 'Het auditlog telt [0-9]* regels' "$ROOT/out" | tr -dc '0-9')
check "12. the privacy officer reads the municipality's log on the auditor's web view (the demo shows its ${seen:-no} entries)" \
    test "${seen:-0}" -gt 20 -a "${seen:-0}" -le "$(kp_sql gemeente "SELECT count(*) FROM audit")"
check "--keep: the call centre's local interface answers a context question" \
    grep -q '"identificatie": "KCT-42"' <<< "$(curl -s --unix-socket "$WORK/kcc/local.sock" "http://kcc/context?partner=gemeente&bsn=$C&doel=klantcontact")"
ADMIN=$(awk '/^admin_listen/ { print $2 }' "$WORK/gemeente/ketenpoort.conf")
is "--keep: the municipality's /healthz says ready" "ready" "$(curl -s "http://$ADMIN/healthz" | head -1)"
# Issue 13's reproduction: after the demo, a case for a citizen on
# partitie 0 (once acknowledged by the GGD and never applied, because the
# demo had sent partitie 0 #1 outside the outbox).
R=200000093
is "a case for BSN $R after the demo: on partitie 0" 0 \
    "$(( 16#$(printf %s "$R" | sha256sum | cut -c1-8) % 8 ))"
kp_change T $GEMEENTE ZAAK-AFTER-DEMO 1 "$R" ontvangen > "$ROOT/after.xml"
"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$ROOT/after.xml" > /dev/null
check "the case is delivered" wait_for gemeente \
    "SELECT state FROM outbox WHERE identificatie = 'ZAAK-AFTER-DEMO'" delivered
is "and applied: the GGD holds it (not only acknowledged)" "1 accepted" \
    "$(kp_sql ggd "SELECT bronversie FROM record WHERE identificatie = 'ZAAK-AFTER-DEMO'") $(kp_sql ggd "SELECT outcome FROM audit WHERE record = 'ZAK|$GEMEENTE|ZAAK-AFTER-DEMO|1'")"
check "and sync verify of the whole link agrees" \
    "$KP" sync verify -c "$WORK/gemeente/ketenpoort.conf" --partner ggd

# Interrupted (SIGTERM, or SIGINT as from a terminal), the demo stops the
# gateways it started, --keep or not.
for sig in TERM INT; do
	D=$ROOT/interrupted-$sig
	# its own process group, SIGINT not ignored in the job (set -m), nor
	# inherited ignored from whoever started the tests (env: a suite run
	# in the background of a non-interactive shell ignores SIGINT)
	set -m
	env --default-signal=INT "$KP" demo --keep --dir "$D" > "$ROOT/$sig.out" 2>&1 &
	demo=$!
	set +m
	for i in $(seq 1 300); do
		[ "$(cat "$D"/*/pid 2>/dev/null | wc -l)" -ge 2 ] && break
		sleep 0.1
	done
	pids=$(cat "$D"/*/pid 2>/dev/null)
	kill -"$sig" "$demo"
	wait "$demo"
	# what it stopped is gone within five seconds (a zombie is gone)
	for i in $(seq 1 50); do
		alive=0
		for p in $pids; do
			[ "$(ps -o stat= -p "$p" 2>/dev/null | cut -c1)" = "" ] ||
			    [ "$(ps -o stat= -p "$p" | cut -c1)" = Z ] || alive=$((alive + 1))
		done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	[ "$alive" = 0 ] || ps -o pid,ppid,stat,cmd -p "$(echo $pids | tr ' ' ',')" | sed 's/^/# /'
	is "SIG$sig during the demo: the $(echo $pids | wc -w) processes it had started (gateways, the case system's receiver) are stopped" \
	    "0" "$alive"
done
