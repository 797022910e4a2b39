#!/usr/bin/env bash
# A gateway on PostgreSQL (issue 15, its first step): the store's backend
# interface (db.h) has a second engine, db_pg.c on libpq.  A municipality
# whose store is a database in a PostgreSQL cluster this test starts
# itself (initdb and pg_ctl, a Unix socket in its own directory), and a
# GGD on SQLite:
#
# - the configuration takes the URI, and wants an audit_key file with it;
# - a new database is migrated to the latest schema version;
# - local changes through the running gateway are delivered, each applied
#   once at the GGD, every stream gap-free; the digests agree;
# - the audit chain on the server verifies; /healthz says the database
#   answers; a URI's password is never shown;
# - the database goes away: /healthz says "store unreachable", a local
#   change is refused, the GGD's notices get KP050 and wait; it comes
#   back: the gateway reconnects and everything waiting arrives once;
# - the database restarted (pg_ctl restart -m fast) in the middle of
#   traffic both ways: every change acknowledged is kept, the backlog
#   drains, streams stay gap-free.
set -u
WORK=$(mktemp -d /tmp/kp-postgres.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; kp_pg_stop; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "1..31"

kp_pg_start || { echo "Bail out! PostgreSQL did not start"; cat "$WORK/pg/initdb.log" "$WORK/pg/log" 2>/dev/null | sed 's/^/# /'; exit 1; }
URI=$(kp_pg_db gemeente) || { echo "Bail out! no database"; exit 1; }
KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>'
kp_pair || { echo "Bail out! no PKI"; exit 1; }
kp_profile ggd gemeente $GEM "$P1" gemeente zakLk01 dosLv01
kp_profile gemeente ggd $GGD "$P2" ketenpartner zakLk01
KP_ONTVANGEN=""
KP_GATEWAYS="ggd"
C=$WORK/gemeente/ketenpoort.conf
A1=$(kp_free_port)
sed -i "s|^store.*|store\t${URI//&/\\&}|" "$C"
out=$("$KP" check-config -c "$C" 2>&1); rc=$?
is "a store on a database server wants an audit_key file (exit 1)" \
    "1|1" "$rc|$(grep -c 'audit_key is required with a store on a database server' <<< "$out")"
printf 'audit_key\taudit.key\nlocal_socket\tlocal.sock\nadmin_listen\t127.0.0.1:%s\nsync_verify_interval 0\n' \
    "$A1" >> "$C"
check "with one the configuration is OK" \
    grep -q '^configuration OK' <<< "$("$KP" check-config -c "$C" 2>&1)"
kp_start gemeente || { echo "Bail out! the gemeente did not start"; exit 1; }
kp_start ggd || { echo "Bail out! the GGD did not start"; exit 1; }
is "the new database is at the latest schema version" 10 \
    "$(kp_pg_sql gemeente "SELECT version FROM kp_schema")"

mkdir -p "$WORK/c"
for i in $(seq 1 40); do
	kp_local_change "$WORK/c/$i.xml" T ZAK $GEM "Z$i" 1 "$(kp_bsn $i)"
done
kp_local_change "$WORK/c/41.xml" W ZAK $GEM "Z1" 2 "$(kp_bsn 1)"
out=$("$KP" dossier put -c "$C" "$WORK"/c/*.xml 2>/dev/null)
is "41 local changes stored through the running gateway" 41 \
    "$(grep -c 'stored; 1 notices queued$' <<< "$out")"
for i in $(seq 1 300); do
	[ "$(kp_pg_sql gemeente "SELECT count(*) FROM outbox WHERE state != 'delivered'")" = 0 ] && break
	sleep 0.1
done
is "all 41 delivered" "41 0" \
    "$(kp_pg_sql gemeente "SELECT count(*) FILTER (WHERE state = 'delivered') || ' ' || count(*) FILTER (WHERE state != 'delivered') FROM outbox")"
is "the GGD holds the 40 cases, Z1 at version 2" "40 2" \
    "$(kp_sql ggd "SELECT count(*) FROM record") $(kp_sql ggd "SELECT bronversie FROM record WHERE identificatie = 'Z1'")"
is "  each notice applied once" 41 \
    "$(kp_sql ggd "SELECT count(*) FROM audit WHERE outcome = 'accepted'")"
check "  every stream gap-free: the GGD expects what the gemeente numbered next" \
    eq "$(kp_sql ggd "SELECT group_concat(partitie || ':' || next_expected, ' ') FROM (SELECT * FROM stream_in ORDER BY partitie)")" \
       "$(kp_pg_sql gemeente "SELECT string_agg(partitie || ':' || next_volgnummer, ' ' ORDER BY partitie) FROM stream_out")"
out=$("$KP" sync verify -c "$C" --partner ggd 2>&1); rc=$?
check "the digests agree" eq "$rc/$(grep -c '40 citizens, 40 the same, 0 differ' <<< "$out")" "0/1"
out=$("$KP" audit verify -c "$C" 2>&1); rc=$?
check "the audit chain on the server verifies" \
    eq "$rc/$(grep -c '^audit chain: [0-9]* entries, 0 bad' <<< "$out")" "0/1"
check "/healthz: the database answers" grep -q "^ok   store: postgresql:///gemeente?host=$WORK/pg&user=kp answers" \
    <<< "$(curl -s "http://127.0.0.1:$A1/healthz")"

# the database goes away
kp_pg_as "$KP_PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop > /dev/null
h=$(curl -s -w ' %{http_code}' "http://127.0.0.1:$A1/healthz")
check "database stopped: /healthz 503, store unreachable" eq \
    "$(grep -c '^FAIL store: store unreachable: postgresql:///gemeente' <<< "$h")/${h##* }" "1/503"
kp_local_change "$WORK/c/42.xml" W ZAK $GEM "Z2" 2 "$(kp_bsn 2)"
out=$("$KP" dossier put -c "$C" "$WORK/c/42.xml" 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
check "  a local change is refused, not acknowledged" eq "$rc/$(grep -c 'stored;' <<< "$out")" "2/0"
mkdir -p "$WORK/g"
for i in $(seq 1 10); do
	kp_local_change "$WORK/g/$i.xml" T ZAK $GGD "G$i" 1 "$(kp_bsn $i)"
done
"$KP" dossier put -c "$WORK/ggd/ketenpoort.conf" "$WORK"/g/*.xml > /dev/null 2>&1
for i in $(seq 1 100); do
	[ "$(kp_sql ggd "SELECT count(*) FROM outbox WHERE last_error LIKE 'KP050%'")" -gt 0 ] && break
	sleep 0.1
done
check "  the GGD's notices are answered KP050 and wait" \
    test "$(kp_sql ggd "SELECT count(*) FROM outbox WHERE state = 'pending' AND last_error LIKE 'KP050%'")" -gt 0
kp_pg_as "$KP_PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" \
    -o "-k $WORK/pg -c listen_addresses=''" -w start > /dev/null
for i in $(seq 1 300); do
	[ "$(kp_sql ggd "SELECT count(*) FROM outbox WHERE state != 'delivered'")" = 0 ] && break
	sleep 0.1
done
is "database back: the GGD's 10 notices arrive" 10 \
    "$(kp_pg_sql gemeente "SELECT count(*) FROM record WHERE bron = '$GGD'")"
is "  each applied once" 10 "$(kp_pg_sql gemeente "SELECT count(*) FROM audit WHERE direction = 'in' AND outcome = 'accepted'")"
check "  /healthz: ready again" grep -q "^ok   store: postgresql:///gemeente" \
    <<< "$(curl -s "http://127.0.0.1:$A1/healthz")"
check "  the gateway said it lost the store and found it again" \
    grep -q 'store unreachable' "$WORK/gemeente/log"

# restarted in the middle of traffic both ways
for i in $(seq 1 120); do
	kp_local_change "$WORK/c/r$i.xml" T ZAK $GEM "R$i" 1 "$(kp_bsn $((i + 100)))"
done
for i in $(seq 11 60); do
	kp_local_change "$WORK/g/$i.xml" T ZAK $GGD "G$i" 1 "$(kp_bsn $i)"
done
"$KP" dossier put -c "$WORK/ggd/ketenpoort.conf" $(seq -f "$WORK/g/%g.xml" 11 60) > /dev/null 2>&1
# twelve commands of ten changes, the restart in the middle of them
( for b in $(seq 0 11); do
	"$KP" dossier put -c "$C" $(seq -f "$WORK/c/r%g.xml" $((b * 10 + 1)) $((b * 10 + 10)))
	sleep 0.1
  done > "$WORK/put1.out" 2>&1 ) &
put=$!
# the restart while the third command writes: its fifth change is in (a
# fixed sleep let it fall between two commands in the sanitizer build,
# where starting a command takes longer than its writes)
for i in $(seq 1 1500); do
	[ "$(kp_pg_sql gemeente "SELECT count(*) FROM record WHERE identificatie LIKE 'R%'")" -ge 25 ] && break
	sleep 0.02
done
kp_pg_as "$KP_PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" \
    -o "-k $WORK/pg -c listen_addresses=''" -m fast -w restart > /dev/null
running=no
kill -0 $put 2>/dev/null && running=yes
wait $put
acked=$(grep -c 'stored; 1 notices queued$' "$WORK/put1.out")
lost=0
for id in $(grep 'stored; 1 notices queued$' "$WORK/put1.out" | sed -n 's|.*/r\([0-9]*\)\.xml.*|\1|p'); do
	[ "$(kp_pg_sql gemeente "SELECT count(*) FROM record WHERE identificatie = 'R$id'")" = 1 ] || lost=$((lost + 1))
done
echo "# $acked of 120 changes acknowledged across the restart"
check "every change acknowledged across the restart is kept ($acked of 120)" eq "$lost" 0
# (a change in flight when the database went away is refused, and put
# again below; one between two transactions may not notice at all)
check "  (the restart came while the commands ran: $((120 - acked)) refused)" eq "$running" yes
# what was refused is put again, as an operator would
"$KP" dossier put -c "$C" "$WORK"/c/r*.xml > /dev/null 2>&1
for i in $(seq 1 600); do
	[ "$(kp_pg_sql gemeente "SELECT count(*) FROM outbox WHERE state != 'delivered'")/$(kp_sql ggd "SELECT count(*) FROM outbox WHERE state != 'delivered'")" = 0/0 ] && break
	sleep 0.1
done
is "the backlog drains both ways" "0/0" \
    "$(kp_pg_sql gemeente "SELECT count(*) FROM outbox WHERE state != 'delivered'")/$(kp_sql ggd "SELECT count(*) FROM outbox WHERE state != 'delivered'")"
is "  the GGD holds all 160 of the gemeente's cases" 160 \
    "$(kp_sql ggd "SELECT count(*) FROM record WHERE bron = '$GEM'")"
is "  the gemeente all 60 of the GGD's, each applied once" "60 60" \
    "$(kp_pg_sql gemeente "SELECT count(*) FROM record WHERE bron = '$GGD'") $(kp_pg_sql gemeente "SELECT count(*) FROM audit WHERE direction = 'in' AND outcome = 'accepted'")"
check "  gemeente -> GGD gap-free" eq \
    "$(kp_sql ggd "SELECT group_concat(partitie || ':' || next_expected, ' ') FROM (SELECT * FROM stream_in ORDER BY partitie)")" \
    "$(kp_pg_sql gemeente "SELECT string_agg(partitie || ':' || next_volgnummer, ' ' ORDER BY partitie) FROM stream_out")"
check "  GGD -> gemeente gap-free" eq \
    "$(kp_pg_sql gemeente "SELECT string_agg(partitie || ':' || next_expected, ' ' ORDER BY partitie) FROM stream_in")" \
    "$(kp_sql ggd "SELECT group_concat(partitie || ':' || next_volgnummer, ' ') FROM (SELECT * FROM stream_out ORDER BY partitie)")"
out=$("$KP" audit verify -c "$C" 2>&1); rc=$?
check "  the audit chain verifies" eq "$rc/$(grep -c '^audit chain: [0-9]* entries, 0 bad' <<< "$out")" "0/1"
# an idle node is ready again when the database is, with no write to
# tell it so (a load balancer sends nothing to a node it took out)
kp_pg_as "$KP_PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop > /dev/null
"$KP" dossier put -c "$C" "$WORK/c/42.xml" > /dev/null 2>&1
h=$(curl -s "http://127.0.0.1:$A1/healthz")
check "a write failed while the database was gone: /healthz says so" \
    grep -q '^FAIL store: store unreachable' <<< "$h"
kp_pg_as "$KP_PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" \
    -o "-k $WORK/pg -c listen_addresses=''" -w start > /dev/null
n=$(kp_pg_sql gemeente "SELECT count(*) FROM audit")
for i in $(seq 1 50); do
	curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$A1/healthz" | grep -q 200 && break
	sleep 0.2
done
is "  back, and idle: /healthz 200 again without a write" "200/$n" \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$A1/healthz")/$(kp_pg_sql gemeente "SELECT count(*) FROM audit")"
check "the gemeente stops cleanly" kp_stop gemeente

# a password in the URI is never shown
sed "s|^store.*|store\tpostgresql://kp:s3cr3t@/nosuchdb?host=$WORK/pg|" "$C" > "$WORK/gemeente/bad.conf"
out=$("$KP" dossier show -c "$WORK/gemeente/bad.conf" --bsn "$(kp_bsn 1)" 2>&1); rc=$?
check "a database that is not there: refused, naming the URI" \
    eq "$rc/$(grep -c 'postgresql://kp:\*\*\*@/nosuchdb.*cannot connect' <<< "$out")" "2/1"
check "  without its password" eq "$(grep -c s3cr3t <<< "$out")" 0
