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
#   answers; a URI's password is never shown.
set -u
WORK=$(mktemp -d /tmp/kp-postgres.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; kp_pg_stop; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "1..14"

kp_pg_start || { echo "Bail out! PostgreSQL did not start"; cat "$WORK/pg/initdb.log" "$WORK/pg/log" 2>/dev/null | sed 's/^/# /'; exit 1; }
URI=$(kp_pg_db gemeente) || { echo "Bail out! no database"; exit 1; }
KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>' \
    kp_pair || { echo "Bail out! no PKI"; exit 1; }
kp_profile ggd gemeente $GEM "$P1" gemeente zakLk01 dosLv01
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
is "the new database is at the latest schema version" 8 \
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
check "the gemeente stops cleanly" kp_stop gemeente

# a password in the URI is never shown
sed "s|^store.*|store\tpostgresql://kp:s3cr3t@/nosuchdb?host=$WORK/pg|" "$C" > "$WORK/gemeente/bad.conf"
out=$("$KP" dossier show -c "$WORK/gemeente/bad.conf" --bsn "$(kp_bsn 1)" 2>&1); rc=$?
check "a database that is not there: refused, naming the URI" \
    eq "$rc/$(grep -c 'postgresql://kp:\*\*\*@/nosuchdb.*cannot connect' <<< "$out")" "2/1"
check "  without its password" eq "$(grep -c s3cr3t <<< "$out")" 0
