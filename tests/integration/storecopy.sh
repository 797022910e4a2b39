#!/usr/bin/env bash
# Growing up from SQLite (issue 15): a municipality's gateway has run on
# its SQLite file (changes sent to a GGD, notices received from it,
# checkpoints signed at its stops); `ketenpoort store copy` copies that
# store into a new PostgreSQL database:
#
# - every table's rows arrive, counted again on both sides;
# - the audit chain keeps its hashes: `audit verify` passes on the copy
#   with the same entries and the checkpoints signed before the copy;
# - `dossier show` and `audit show` print the same on both;
# - a copy into a database that is not empty is refused, and changes
#   nothing there;
# - the gateway started on the copy goes on where it was: the digests
#   with the GGD agree, and a new change reaches the GGD on the next
#   number of its stream.
set -u
WORK=$(mktemp -d /tmp/kp-storecopy.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; kp_pg_stop; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "1..17"

kp_pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
URI=$(kp_pg_db gemeente) || { echo "Bail out! no database"; exit 1; }
KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>'
kp_pair || { echo "Bail out! no PKI"; exit 1; }
kp_profile gemeente ggd $GGD "$P2" ketenpartner zakLk01
kp_profile ggd gemeente $GEM "$P1" gemeente zakLk01 dosLv01
KP_GATEWAYS="gemeente ggd"
C=$WORK/gemeente/ketenpoort.conf
printf 'local_socket\tlocal.sock\nsync_verify_interval 0\n' >> "$C"
# a case system subscribed to cases, which never answers: the notifications
# wait, and their references must survive the copy with the subscription
R=$(kp_free_port)
printf '[{"naam": "zaaksysteem", "callbackUrl": "http://127.0.0.1:9/nooit", "auth": "Bearer t",\n  "kanalen": [{"naam": "zaken"}]}]\n' > "$WORK/gemeente/subs.json"
printf '[{"client_id": "zs", "secret": "0123456789abcdef0123456789abcdef"}]\n' > "$WORK/gemeente/clients.json"
chmod 600 "$WORK/gemeente/subs.json" "$WORK/gemeente/clients.json"
printf 'read_listen\t127.0.0.1:%s\nread_clients\tclients.json\nsubscriptions\tsubs.json\n' "$R" >> "$C"
kp_start gemeente || { echo "Bail out! the gemeente did not start"; exit 1; }
kp_start ggd || { echo "Bail out! the GGD did not start"; exit 1; }

# the gemeente's own cases, to the GGD; the GGD's, to the gemeente
mkdir -p "$WORK/c" "$WORK/in"
for i in $(seq 1 30); do
	kp_local_change "$WORK/c/$i.xml" T ZAK $GEM "Z$i" 1 "$(kp_bsn $i)"
done
kp_local_change "$WORK/c/31.xml" W ZAK $GEM "Z1" 2 "$(kp_bsn 1)"
"$KP" dossier put -c "$C" "$WORK"/c/*.xml > /dev/null 2>&1
for i in 1 2 3 4 5; do
	kp_local_change "$WORK/in/$i.xml" T ZAK $GGD "G$i" 1 "$(kp_bsn $i)"
done
"$KP" dossier put -c "$WORK/ggd/ketenpoort.conf" "$WORK"/in/*.xml > "$WORK/put.out" 2>&1 ||
    sed 's/^/# put: /' "$WORK/put.out"
kp_drained > /dev/null
kp_stop gemeente
kp_start gemeente > /dev/null && kp_stop gemeente	# a second checkpoint
check "the gemeente ran on SQLite: 31 notices delivered, 5 received" eq \
    "$(kp_sql gemeente "SELECT count(*) FROM outbox WHERE state = 'delivered'") $(kp_sql gemeente "SELECT count(*) FROM record WHERE bron = '$GGD'")" "31 5"

out=$("$KP" store copy -c "$C" --to "$URI" 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
check "store copy exits 0, the chain's head the same in both" \
    eq "$rc/$(grep -c "the audit chain's head is entry [0-9]* (.*) in both" <<< "$out")" "0/1"
bad=""
for tbl in message replay audit record stream_in stream_applied stream_out outbox \
    outbox_skipped sync_check checkpoint checkpoint_sent witnessed consent_dirty \
    subscription notification dossier_ref record_ref audit_verification; do
	a=$(kp_sql gemeente "SELECT count(*) FROM $tbl")
	b=$(kp_pg_sql gemeente "SELECT count(*) FROM $tbl")
	[ "$a" = "$b" ] || bad="$bad $tbl:$a/$b"
	grep -q "^  $tbl  *$a rows$" <<< "$out" || bad="$bad $tbl:report"
done
check "every table has the same rows on the copy, as reported" eq "$bad" ""
check "  the notifications waiting for the case system among them, with their references" \
    eq "$(kp_pg_sql gemeente "SELECT count(*) FROM notification n JOIN dossier_ref d ON d.ref = n.dossier JOIN subscription s ON s.id = n.subscription") $(kp_pg_sql gemeente "SELECT count(*) > 0 FROM record_ref")" \
    "$(kp_sql gemeente "SELECT count(*) FROM notification") t"
check "  (some: $(kp_sql gemeente "SELECT count(*) FROM notification"))" test "$(kp_sql gemeente "SELECT count(*) FROM notification")" -gt 0
check "  with checkpoints signed before the copy among them" \
    test "$(kp_pg_sql gemeente "SELECT count(*) FROM checkpoint")" -ge 2
check "  the signed messages byte for byte" eq \
    "$(kp_pg_sql gemeente "SELECT md5(string_agg(encode(sha256(bytes), 'hex'), '' ORDER BY id)) FROM message")" \
    "$(kp_sql gemeente "SELECT id, hex(bytes) FROM message ORDER BY id" | while IFS='|' read -r id hx; do printf '%s' "$hx" | xxd -r -p | sha256sum | cut -c1-64; done | tr -d '\n' | md5sum | cut -c1-32)"

# the same gateway, on the copy
cp "$C" "$WORK/gemeente/pg.conf"
sed -i "s|^store.*|store\t${URI//&/\\&}|" "$WORK/gemeente/pg.conf"
printf 'audit_key\tstore.db.audit-key\n' >> "$WORK/gemeente/pg.conf"
v1=$("$KP" audit verify -c "$C" 2>&1); r1=$?
v2=$("$KP" audit verify -c "$WORK/gemeente/pg.conf" 2>&1); r2=$?
check "audit verify passes on the copy as on the original" \
    eq "$r1/$r2/$(grep -c ', 0 bad' <<< "$v2")" "0/0/1"
check "  the same entries and checkpoints" eq "$(grep -v '^#' <<< "$v2" | sed 's/[0-9.]* ms//')" \
    "$(grep -v '^#' <<< "$v1" | sed 's/[0-9.]* ms//')"
same=0
for i in 1 2 7 30; do
	a=$("$KP" dossier show -c "$C" --bsn "$(kp_bsn $i)" --json 2>&1)
	b=$("$KP" dossier show -c "$WORK/gemeente/pg.conf" --bsn "$(kp_bsn $i)" --json 2>&1)
	[ "$a" = "$b" ] && [ -n "$a" ] && same=$((same + 1))
done
is "dossier show prints the same dossiers from both" 4 "$same"
mid=$(kp_sql gemeente "SELECT message_id FROM message WHERE direction = 'in' LIMIT 1")
check "audit show prints the same message from both" eq \
    "$("$KP" audit show -c "$WORK/gemeente/pg.conf" "$mid" 2>&1)" "$("$KP" audit show -c "$C" "$mid" 2>&1)"

# never over another store
n=$(kp_pg_sql gemeente "SELECT count(*) FROM audit")
out=$("$KP" store copy -c "$C" --to "$URI" 2>&1); rc=$?
check "a copy into a database that is not empty: refused (exit 2)" \
    eq "$rc/$(grep -c 'is not empty (message has [0-9]* rows)' <<< "$out")" "2/1"
is "  and nothing there changed" "$n" "$(kp_pg_sql gemeente "SELECT count(*) FROM audit")"
out=$("$KP" store copy -c "$C" --to "$WORK/gemeente/store.db" 2>&1); rc=$?
check "a copy onto the store itself: refused" eq "$rc/$(grep -c 'is the configured store itself' <<< "$out")" "2/1"

# going on where it was
cp "$WORK/gemeente/pg.conf" "$C"
kp_start gemeente || { echo "Bail out! the gemeente did not start on the copy"; exit 1; }
out=$("$KP" sync verify -c "$C" --partner ggd 2>&1); rc=$?
check "on the copy the digests with the GGD agree" eq "$rc/$(grep -c '30 citizens, 30 the same, 0 differ' <<< "$out")" "0/1"
kp_local_change "$WORK/c/32.xml" W ZAK $GEM "Z2" 2 "$(kp_bsn 2)"
"$KP" dossier put -c "$C" "$WORK/c/32.xml" > /dev/null 2>&1
for i in $(seq 1 200); do
	[ "$(kp_pg_sql gemeente "SELECT count(*) FROM outbox WHERE state != 'delivered'")" = 0 ] && break
	sleep 0.1
done
is "a new change reaches the GGD" 2 "$(kp_sql ggd "SELECT bronversie FROM record WHERE identificatie = 'Z2'")"
check "  on the next number of its stream: no gap, nothing twice" eq \
    "$(kp_sql ggd "SELECT group_concat(partitie || ':' || next_expected, ' ') FROM (SELECT * FROM stream_in ORDER BY partitie)")" \
    "$(kp_pg_sql gemeente "SELECT string_agg(partitie || ':' || next_volgnummer, ' ' ORDER BY partitie) FROM stream_out")"
