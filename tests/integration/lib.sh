# Shared helpers for the integration tests and the demo: a fresh PKI, gateway
# configurations on 127.0.0.1, starting and stopping real ketenpoort
# processes.  Source it with KP (the ketenpoort binary), SRCDIR and WORK set.
#
# Everything goes under $WORK; every gateway started is stopped by
# kp_stop_all (install it with: trap kp_stop_all EXIT).

: "${KP:?KP must name the ketenpoort binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
: "${WORK:?WORK must name a scratch directory}"
# The schemas and the body templates: the source tree's, unless set (the
# installed demo sets them to its copies).
KP_XSD=${KP_XSD:-$SRCDIR/xsd}
KP_DATA=${KP_DATA:-$SRCDIR/tests/data}

KP_PIDS=""
KP_VALGRIND=${KP_VALGRIND:-}
# The backend switch: KP_BACKEND=postgresql puts every gateway's store
# made by kp_gateway in a database of a PostgreSQL cluster the test starts
# (kp_pg_start, stopped by kp_stop_all); the checks read it through
# kp_sql, kp_sql2 and kp_integrity as they read an SQLite file.
KP_BACKEND=${KP_BACKEND:-sqlite}
# a newline in the tests' SQL strings, as both engines take it
KP_NL=$'\n'

# A TCP port on 127.0.0.1 that nobody answers on right now, reserved for
# this test run (tests run in parallel: two of them must never pick the
# same port between choosing it and binding it).  The reservation is a
# directory made atomically; one whose owner has died is taken over.
KP_PORTS=${TMPDIR:-/tmp}/kp-ports
kp_free_port() {
	local p owner
	mkdir -p "$KP_PORTS"
	while :; do
		# below Linux's ephemeral range (32768-60999): a port an
		# outgoing connection of a parallel test holds cannot be bound
		p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12768 ))
		if ! mkdir "$KP_PORTS/$p" 2>/dev/null; then
			owner=$(cat "$KP_PORTS/$p/pid" 2>/dev/null)
			[ -n "$owner" ] && kill -0 "$owner" 2>/dev/null && continue
			rm -rf "$KP_PORTS/$p"
			mkdir "$KP_PORTS/$p" 2>/dev/null || continue
		fi
		echo $$ > "$KP_PORTS/$p/pid"
		if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			rm -rf "$KP_PORTS/$p"	# in use outside the tests
			continue
		fi
		echo "$p" >> "$WORK/.ports"
		echo "$p"
		return
	done
}

# Give back this run's port reservations.
kp_release_ports() {
	local p
	[ -f "$WORK/.ports" ] || return 0
	while read -r p; do rm -rf "$KP_PORTS/$p"; done < "$WORK/.ports"
	rm -f "$WORK/.ports"
}

# kp_pki [--ec]: CA in $WORK/pki
kp_pki() {
	"$KP" pki init "$WORK/pki" "$@" >/dev/null
}

# kp_org NAME OIN [pki options]: certificate and key for an organisation
kp_org() {
	local name=$1 oin=$2
	shift 2
	"$KP" pki issue "$WORK/pki" "$name" --oin "$oin" --org "$name" "$@" >/dev/null
}

# kp_gateway NAME OIN PORT: configuration in $WORK/NAME/ketenpoort.conf
kp_gateway() {
	local name=$1 oin=$2 port=$3 dir="$WORK/$1"
	mkdir -p "$dir/profiles"
	cat > "$dir/ketenpoort.conf" <<CONF
oin		$oin
name		$name
application	ketenpoort-$name
listen		127.0.0.1:$port
endpoint	https://127.0.0.1:$port/wus/v1
cert		../pki/$name.crt
key		../pki/$name.key
ca		../pki/ca.crt
crl		../pki/ca.crl
store		store.db
profiles	profiles
xsd_dir		$KP_XSD
threads		2
log_level	1
CONF
	if [ "$KP_BACKEND" = postgresql ]; then
		[ -d "$WORK/pg/data" ] || kp_pg_start ||
		    { echo "Bail out! PostgreSQL did not start" >&2; return 1; }
		kp_use_pg "$name"
	fi
}

# kp_profile GATEWAY PARTNER PARTNER_OIN PARTNER_PORT ROL BERICHT...:
# tell GATEWAY about PARTNER and what PARTNER may send it (BERICHT+relay:
# it may also relay records of that type that others own; dosLv01: it may
# ask digests).  KP_ONTVANGEN: its <ontvangen> rules; KP_VRAGEN: more
# <vraag> elements; KP_NAAM: the partner's full name (default PARTNER).
kp_profile() {
	local gw=$1 partner=$2 oin=$3 port=$4 rol=$5
	shift 5
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo '<profiel xmlns="urn:ketenpoort:profiel:1">'
		echo "  <oin>$oin</oin>"
		echo "  <naam>${KP_NAAM:-$partner}</naam>"
		echo "  <endpoint>https://127.0.0.1:$port/wus/v1</endpoint>"
		echo "  <rol>$rol</rol>"
		echo "  <zenden>"
		for b in "$@"; do
			case $b in
			dosLv01) ;;
			*+relay) echo "    <bericht relay=\"true\">${b%+relay}</bericht>" ;;
			*) echo "    <bericht>$b</bericht>" ;;
			esac
		done
		echo "  </zenden>"
		[ -n "${KP_ONTVANGEN:-}" ] && echo "  $KP_ONTVANGEN"
		case " $* " in
		*" dosLv01 "*) echo "  <vragen><vraag functie=\"digest\"/>${KP_VRAGEN:-}</vragen>" ;;
		*) [ -n "${KP_VRAGEN:-}" ] && echo "  <vragen>$KP_VRAGEN</vragen>" ;;
		esac
		echo '</profiel>'
	} > "$WORK/$gw/profiles/$partner.xml"
}

# kp_bsn N: the Nth valid BSN (eight digits from N, the ninth by elfproef)
kp_bsn() {
	local n=$1 d s i c
	while :; do
		d=$(printf '%08d' $((10000000 + n)))
		s=0
		for i in 0 1 2 3 4 5 6 7; do s=$((s + ${d:$i:1} * (9 - i))); done
		c=$((s % 11))
		[ $c -lt 10 ] && { echo "$d$c"; return; }
		n=$((n + 100000))
	done
}

# kp_change SOORT BRON IDENT VERSION BSN STATUS: a local zaak change, stdout
kp_change() {
	cat <<XML
<kd:lokaleWijziging xmlns:kd="urn:ketenpoort:ketendossier:1">
  <kd:mutatiesoort>$1</kd:mutatiesoort>
  <kd:object><kd:zaak>
    <kd:bron>$2</kd:bron><kd:identificatie>$3</kd:identificatie>
    <kd:bronversie>$4</kd:bronversie><kd:bsn>$5</kd:bsn>
    <kd:zaaktype>Aanvraag bijzondere bijstand</kd:zaaktype>
    <kd:toelichting>intern: niet voor partners</kd:toelichting>
    <kd:status>$6</kd:status><kd:startdatum>2026-11-20</kd:startdatum>
  </kd:zaak></kd:object>
</kd:lokaleWijziging>
XML
}

# kp_start NAME: start the gateway, wait until it is ready (or fail);
# KP_SERVE_ARGS: more arguments for serve (-v)
kp_start() {
	local name=$1 dir="$WORK/$1" i
	: > "$dir/log"
	if [ -n "$KP_VALGRIND" ]; then
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		    --error-exitcode=99 --log-file="$dir/valgrind.log" \
		    "$KP" serve -c "$dir/ketenpoort.conf" 2>>"$dir/log" &
	else
		"$KP" serve -c "$dir/ketenpoort.conf" ${KP_SERVE_ARGS:-} 2>>"$dir/log" &
	fi
	echo $! > "$dir/pid"
	KP_PIDS="$KP_PIDS $!"
	for i in $(seq 1 600); do
		grep -q "ready:" "$dir/log" && return 0
		if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
			echo "gateway $name did not start:" >&2
			cat "$dir/log" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "gateway $name not ready after 30 s" >&2
	return 1
}

# kp_stop NAME: SIGTERM, wait; returns the process's exit status
kp_stop() {
	local dir="$WORK/$1" pid rc=0
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || rc=$?
	rm -f "$dir/pid"
	return $rc
}

# kp_put_cases FIRST LAST: local changes at the gemeente (one case each,
# citizens FIRST..LAST) through `dossier put`; kp_cases_at GATEWAY: how
# many of them it holds
kp_put_cases() {
	local i
	mkdir -p "$WORK/c$1"
	for i in $(seq "$1" "$2"); do
		kp_local_change "$WORK/c$1/$i.xml" T ZAK $GEM "ZAAK-$i" 1 "$(kp_bsn "$i")"
	done
	"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK/c$1"/*.xml > /dev/null
}
kp_cases_at() {
	kp_sql "$1" "SELECT count(*) FROM record WHERE identificatie LIKE 'ZAAK-%'"
}

# kp_children PID: the processes PID started (the key and network
# processes of a gateway's parent)
kp_children() {
	cat "/proc/$1/task/$1/children" 2>/dev/null
}

# kp_kill9 NAME: kill -9 the gateway's parent, as a crash would; its
# children die with it (PR_SET_PDEATHSIG): wait until they are gone too,
# so the ports are free for a restart.  Returns when all are gone.
kp_kill9() {
	local pid kids k i
	pid=$(cat "$WORK/$1/pid")
	kids=$(kp_children "$pid")
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	for k in $kids; do
		for i in $(seq 1 100); do
			[ -d "/proc/$k" ] && [ "$(awk '{ print $3 }' \
			    "/proc/$k/stat" 2>/dev/null)" != Z ] || break
			sleep 0.05
		done
	done
	rm -f "$WORK/$1/pid"
	KP_PIDS=${KP_PIDS/ $pid/}
}

kp_stop_all() {
	local pid
	for pid in $KP_PIDS; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $KP_PIDS; do
		wait "$pid" 2>/dev/null || true
	done
	KP_PIDS=""
	if [ -n "$KP_HAPROXY_PID" ]; then
		kill "$KP_HAPROXY_PID" 2>/dev/null
		wait "$KP_HAPROXY_PID" 2>/dev/null
		KP_HAPROXY_PID=""
	fi
	[ "$KP_BACKEND" = postgresql ] && kp_pg_stop
	kp_release_ports
	case $0 in */tests/integration/*) echo "# took ${SECONDS} s" ;; esac
}

# kp_pg_start: a PostgreSQL cluster of the test's own in $WORK/pg (initdb
# and pg_ctl, as nobody when the test runs as root), listening only on a
# Unix socket there; kp_pg_stop stops it (the EXIT trap should call it).
# kp_pg_db NAME: a new database, printing its store URI.
KP_PG_BIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
kp_pg_as() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
	else
		"$@"
	fi
}
kp_pg_start() {
	mkdir -p "$WORK/pg"
	if [ "$(id -u)" = 0 ]; then
		# nobody must reach $WORK/pg: every directory above it ours
		# (mktemp's are 0700) may be passed through, not read
		local d=$WORK
		while [ "$d" != / ] && [ -O "$d" ]; do
			chmod o+x "$d"
			d=$(dirname "$d")
		done
		chown nobody:nogroup "$WORK/pg"
	fi
	kp_pg_as "$KP_PG_BIN/initdb" -D "$WORK/pg/data" --auth=trust -U kp \
	    -E UTF8 --locale=C.UTF-8 > "$WORK/pg/initdb.log" 2>&1 || return 1
	# fsync off (KP_PG_FSYNC): the tests restart the cluster only cleanly
	# (pg_ctl -m fast) and kill gateways, never PostgreSQL, so nothing a
	# commit wrote can be lost; what they check is the gateway's work on
	# the engine, not the disk's.  The benchmarks keep it on.
	kp_pg_as "$KP_PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" \
	    -o "-k $WORK/pg -c listen_addresses='' -c fsync=${KP_PG_FSYNC:-off}" \
	    -w start > /dev/null
}
kp_pg_stop() {
	[ -d "$WORK/pg/data" ] || return 0
	kp_pg_as "$KP_PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop \
	    > /dev/null 2>&1 || true
}
kp_pg_db() {
	psql -q "host=$WORK/pg user=kp dbname=postgres" \
	    -c "CREATE DATABASE $1" > /dev/null || return 1
	# SQLite's group_concat, for the tests' queries (kp_sql)
	psql -q "host=$WORK/pg user=kp dbname=$1" > /dev/null <<'SQL' || return 1
CREATE FUNCTION kp_gc(a text, b anyelement, sep text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN b IS NULL THEN a
    WHEN a IS NULL THEN b::text ELSE a || sep || b::text END $$;
CREATE FUNCTION kp_gc(a text, b anyelement) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT kp_gc(a, b, ',') $$;
CREATE AGGREGATE group_concat(anyelement, text) (SFUNC = kp_gc, STYPE = text);
CREATE AGGREGATE group_concat(anyelement) (SFUNC = kp_gc, STYPE = text);
SQL
	echo "postgresql:///$1?host=$WORK/pg&user=kp"
}
kp_pg_sql() {
	psql -qtA "host=$WORK/pg user=kp dbname=$1" -c "$2"
}
# kp_use_pg NAME [DB]: gateway NAME's store becomes database DB (default
# NAME, made when new) on the test's cluster, with an audit_key file of
# its own; kp_sql NAME queries it from then on
kp_use_pg() {
	local name=$1 db=${2:-$1} uri
	if [ ! -f "$WORK/pg/made-$db" ]; then
		uri=$(kp_pg_db "$db") || return 1
		: > "$WORK/pg/made-$db"
	fi
	uri="postgresql:///$db?host=$WORK/pg&user=kp"
	sed -i "s|^store.*|store\t${uri//&/\\&}|" "$WORK/$name/ketenpoort.conf"
	grep -q '^audit_key' "$WORK/$name/ketenpoort.conf" ||
	    printf 'audit_key\taudit.key\n' >> "$WORK/$name/ketenpoort.conf"
	echo "$db" > "$WORK/$name/pgdb"
}
# kp_pg_snapshot NAME: the gateway's database copied into
# $WORK/NAME/store.db (store copy), and kp_sql NAME reads that from then
# on: the SQLite queries of the checks (kp_sql2's ATTACH) run unchanged
kp_pg_snapshot() {
	kp_pg_copy "$1" "$WORK/$1/store.db" && rm -f "$WORK/$1/pgdb"
}
# kp_pg_copy NAME FILE: the gateway's database as it is now, into a new
# SQLite FILE (store copy; what it says goes to FILE.log)
kp_pg_copy() {
	rm -f "$2" "$2-wal" "$2-shm"
	"$KP" store copy -c "$WORK/$1/ketenpoort.conf" --to "$2" > "$2.log" 2>&1 ||
	    { cat "$2.log" >&2; return 1; }
}

# kp_sql NAME SQL: run a query on a gateway's store (its database when
# $WORK/NAME/pgdb names one, kp_use_pg)
kp_sql() {
	if [ -f "$WORK/$1/pgdb" ]; then
		kp_pg_sql "$(cat "$WORK/$1/pgdb")" "$2"
		return
	fi
	# wait for the daemon's writer rather than fail with "database is
	# locked" (a test's UPDATE lost that way once, under load)
	sqlite3 -batch -noheader -cmd ".timeout 10000" "$WORK/$1/store.db" "$2"
}

# kp_body ROOT FROM_OIN TO_OIN REF VOLGNUMMER BSN [PARTITIE]: a notice body
# on stdout, on stream PARTITIE (default 0)
kp_body() {
	local root=$1 from=$2 to=$3 ref=$4 volg=$5 bsn=$6 part=${7:-0}
	sed -e "s/@FROM@/$from/g" -e "s/@TO@/$to/g" -e "s/@REF@/$ref/g" \
	    -e "s/@VOLG@/$volg/g" -e "s/@BSN@/$bsn/g" -e "s/@PART@/$part/g" \
	    "$KP_DATA/$root.xml.in"
}

# kp_pair: a PKI, a municipality (gemeente, GEM, port P1) and a GGD (ggd,
# GGD, port P2); the GGD's profile of the gemeente lets it send zakLk01, the
# gemeente's profile of the GGD lets it receive what KP_ONTVANGEN says.
# Extra configuration goes in before kp_start.
GEM=00000001001000000000
GGD=00000002002000000000
kp_pair() {
	kp_pki && kp_org gemeente $GEM && kp_org ggd $GGD || return 1
	P1=$(kp_free_port); P2=$(kp_free_port)
	kp_gateway gemeente $GEM "$P1"
	kp_gateway ggd $GGD "$P2"
	kp_profile gemeente ggd $GGD "$P2" ketenpartner
	kp_profile ggd gemeente $GEM "$P1" gemeente zakLk01
}

# TAP helpers: check DESCRIPTION COMMAND... prints "ok N" or "not ok N";
# eq GOT WANT explains a mismatch; t counts the test points.
t=0
check() {
	local what=$1; shift
	t=$((t + 1))
	if "$@"; then echo "ok $t - $what"; else echo "not ok $t - $what"; fi
}
eq() { [ "$1" = "$2" ] || { echo "#   got '$1', want '$2'"; return 1; }; }
# is WHAT WANT GOT: one test point, WANT first (check WHAT eq GOT WANT)
is() { check "$1" eq "$3" "$2"; }

# wait_for GATEWAY SQL VALUE [SECONDS]: until the query answers VALUE
wait_for() {
	local i
	for i in $(seq 1 $((${4:-20} * 10))); do
		[ "$(kp_sql "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	echo "#   $1: '$2' is '$(kp_sql "$1" "$2")', want '$3'"
	return 1
}

# The three-gateway chain of sync.sh and crash.sh: a municipality
# (gemeente, the hub, GEM, port P1), a GGD (ggd, GGD, P2) and a call
# centre (kcc, KCC, P3).  The hub relays the call centre's contact
# moments to the GGD and the GGD's cases and contact moments to the call
# centre; each spoke sees only the fields its profile at the hub lists.
KCC=00000003003000000000
KP_GATEWAYS="gemeente ggd kcc"
kp_hub_spokes() {
	kp_pki && kp_org gemeente $GEM && kp_org ggd $GGD && kp_org kcc $KCC
	P1=$(kp_free_port); P2=$(kp_free_port); P3=$(kp_free_port)
	kp_gateway gemeente $GEM "$P1"
	kp_gateway ggd $GGD "$P2"
	kp_gateway kcc $KCC "$P3"

	# What the hub lets each spoke see, and what each may send it.
	KP_ONTVANGEN='<ontvangen>
	    <entiteit type="PRS" doel="ketentest"><wet>Testwet art. 1</wet><veld>geslachtsnaam</veld></entiteit>
	    <entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit>
	    <entiteit type="KCT" doel="ketentest"><wet>Testwet art. 1</wet><veld>kanaal</veld><veld>plaatsgevondenOp</veld><veld>onderwerp</veld></entiteit>
	  </ontvangen>' kp_profile gemeente ggd $GGD "$P2" ketenpartner zakLk01 kctLk01 dosLv01
	KP_ONTVANGEN='<ontvangen>
	    <entiteit type="PRS" doel="ketentest"><wet>Testwet art. 1</wet><veld>geslachtsnaam</veld><veld>telefoon</veld></entiteit>
	    <entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit>
	    <entiteit type="KCT" doel="ketentest"><wet>Testwet art. 1</wet><veld>kanaal</veld><veld>plaatsgevondenOp</veld><veld>onderwerp</veld><veld>inhoud</veld></entiteit>
	  </ontvangen>' kp_profile gemeente kcc $KCC "$P3" callcenter kctLk01 dosLv01
	# The spokes take the hub's records and what it relays; they send their
	# own to the hub with every field.
	KP_ONTVANGEN='<ontvangen>
	    <entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld><veld>startdatum</veld><veld>toelichting</veld></entiteit>
	    <entiteit type="KCT" doel="ketentest"><wet>Testwet art. 1</wet><veld>kanaal</veld><veld>plaatsgevondenOp</veld><veld>onderwerp</veld><veld>inhoud</veld></entiteit>
	  </ontvangen>' kp_profile ggd gemeente $GEM "$P1" gemeente prsLk01 zakLk01 kctLk01+relay dosLv01
	KP_ONTVANGEN='<ontvangen>
	    <entiteit type="KCT" doel="ketentest"><wet>Testwet art. 1</wet><veld>kanaal</veld><veld>plaatsgevondenOp</veld><veld>onderwerp</veld><veld>inhoud</veld></entiteit>
	  </ontvangen>' kp_profile kcc gemeente $GEM "$P1" gemeente prsLk01 zakLk01+relay kctLk01+relay dosLv01
}

kp_oin_of() {
	case $1 in gemeente) echo $GEM ;; ggd) echo $GGD ;; kcc) echo $KCC ;; esac
}

# kp_local_change FILE SOORT TYPE BRON ID VERSION BSN: a local change of
# a PRS, ZAK or KCT record into FILE (builtins only: thousands are made)
kp_local_change() {
	local f=$1 soort=$2 type=$3 bron=$4 id=$5 v=$6 bsn=$7 el body=""
	case $type in
	PRS) el=persoon
	     body="<kd:geslachtsnaam>Jansen-$id-$v</kd:geslachtsnaam><kd:email>p$id@example.nl</kd:email><kd:telefoon>06-$v$v$v</kd:telefoon>" ;;
	ZAK) el=zaak
	     body="<kd:zaaktype>Bijzondere bijstand</kd:zaaktype><kd:toelichting>intern $id v$v</kd:toelichting><kd:status>status $v</kd:status><kd:startdatum>2026-11-20</kd:startdatum><kd:behandelaar>medewerker $v</kd:behandelaar>" ;;
	KCT) el=klantcontact
	     body="<kd:kanaal>telefoon</kd:kanaal><kd:plaatsgevondenOp>2026-11-24T10:0$((v % 10)):00Z</kd:plaatsgevondenOp><kd:onderwerp>vraag $id</kd:onderwerp><kd:inhoud>gesprek versie $v</kd:inhoud><kd:medewerker>agent $v</kd:medewerker>" ;;
	esac
	[ "$soort" = V ] && body=""
	printf '<kd:lokaleWijziging xmlns:kd="urn:ketenpoort:ketendossier:1"><kd:mutatiesoort>%s</kd:mutatiesoort><kd:object><kd:%s><kd:bron>%s</kd:bron><kd:identificatie>%s</kd:identificatie><kd:bronversie>%s</kd:bronversie><kd:bsn>%s</kd:bsn>%s</kd:%s></kd:object></kd:lokaleWijziging>\n' \
	    "$soort" "$el" "$bron" "$id" "$v" "$bsn" "$body" "$el" > "$f"
}

# kp_drained: no outbox of $KP_GATEWAYS holds anything undelivered, twice
# a second apart (a relay may queue as the last notice goes)
kp_waiting() {
	local g
	for g in $KP_GATEWAYS; do
		kp_sql $g "SELECT count(*) FROM outbox WHERE state != 'delivered'"
	done | tr '\n' ' '
}
kp_drained() {
	local i
	for i in $(seq 1 1200); do
		if [ "$(kp_waiting)" = "$(echo $KP_GATEWAYS | sed 's/[a-z]*/0/g') " ]; then
			sleep 1
			[ "$(kp_waiting)" = "$(echo $KP_GATEWAYS | sed 's/[a-z]*/0/g') " ] && return 0
		fi
		sleep 0.5
	done
	for g in $KP_GATEWAYS; do
		echo "#   $g: $(kp_sql $g "SELECT state || ' ' || count(*) FROM outbox GROUP BY state")"
	done
	return 1
}
# kp_sql2 A B SQL: a query on A's store with B's attached as o (a store
# on a database: an SQLite copy of it made now, kp_sqlite_file)
kp_sql2() {
	local a b
	a=$(kp_sqlite_file "$1") && b=$(kp_sqlite_file "$2") || return 1
	sqlite3 -batch -noheader "$a" "ATTACH '$b' AS o; $3"
}
# kp_sqlite_file NAME: the gateway's SQLite file; for a store on a
# database, a copy of it as it is now ($WORK/NAME/now.db, store copy)
kp_sqlite_file() {
	if [ ! -f "$WORK/$1/pgdb" ]; then
		echo "$WORK/$1/store.db"
		return
	fi
	kp_pg_copy "$1" "$WORK/$1/now.db" && echo "$WORK/$1/now.db"
}
# kp_integrity NAME: "ok" when the store is sound: SQLite's
# integrity_check; on a database, amcheck over every B-tree index
kp_integrity() {
	local db
	if [ ! -f "$WORK/$1/pgdb" ]; then
		kp_sql "$1" "PRAGMA integrity_check"
		return
	fi
	db=$(cat "$WORK/$1/pgdb")
	psql -qtA "host=$WORK/pg user=kp dbname=$db" -v ON_ERROR_STOP=1 \
	    -c "CREATE EXTENSION IF NOT EXISTS amcheck" \
	    -c "SELECT bt_index_check(c.oid, true) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace WHERE a.amname = 'btree' AND n.nspname = 'public'" \
	    > "$WORK/$1/amcheck.log" 2>&1 && echo ok || cat "$WORK/$1/amcheck.log"
}
# kp_haproxy FRONT A ADMIN_A B ADMIN_B: HAProxy with the shipped
# conf/haproxy.cfg on 127.0.0.1:FRONT in front of two nodes listening on A
# and B (health checks on their admin_listen ports), in the foreground of
# a background job; KP_HAPROXY_PID names it (kp_stop_all stops it)
KP_HAPROXY_PID=""
kp_haproxy() {
	sed -e '/^\t\(log \/dev\/log\|chroot\|user\|group\|daemon\)/d' \
	    -e "s|bind 192.0.2.10:443|bind 127.0.0.1:$1|" \
	    -e "s|node-a 10.0.0.11:443 check port 9090|node-a 127.0.0.1:$2 check port $3|" \
	    -e "s|node-b 10.0.0.12:443 check port 9090|node-b 127.0.0.1:$4 check port $5|" \
	    "$SRCDIR/conf/haproxy.cfg" > "$WORK/haproxy.cfg"
	haproxy -c -f "$WORK/haproxy.cfg" > "$WORK/haproxy.check" 2>&1 ||
	    { cat "$WORK/haproxy.check" >&2; return 1; }
	haproxy -db -f "$WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 &
	KP_HAPROXY_PID=$!
}

# kp_audit_key NAME: the file of the gateway's audit key
kp_audit_key() {
	local k
	k=$(sed -n 's/^audit_key[[:space:]]*//p' "$WORK/$1/ketenpoort.conf")
	[ -z "$k" ] && k=store.db.audit-key
	case $k in /*) echo "$k" ;; *) echo "$WORK/$1/$k" ;; esac
}
# kp_backup NAME FILE: a copy of the gateway's store as an SQLite file
kp_backup() {
	if [ -f "$WORK/$1/pgdb" ]; then
		kp_pg_copy "$1" "$2"
	else
		sqlite3 "$WORK/$1/store.db" ".backup $2"
	fi
}
# kp_disclosed PARTNER_OIN: an SQL condition on a source's record row: a
# live record, or a tombstone of a record the source once queued for that
# partner (a record deleted before it was ever disclosed needs no copy:
# e.g. its add was lost with a caller told nothing, its delete stored)
kp_disclosed() {
	echo "(deleted = 0 OR EXISTS (SELECT 1 FROM o.outbox x WHERE x.partner_oin = '$1' AND x.entiteittype = record.entiteittype AND x.bron = record.bron AND x.identificatie = record.identificatie))"
}
# kp_differences HOLDER SOURCE SOURCE_FILTER HOLDER_FILTER: how many
# records (identity, bronversie, deleted) SOURCE has and HOLDER has not,
# then the other way round
kp_differences() {
	local holder=$1 source=$2 filter_src=$3 filter_held=$4
	kp_sql2 "$holder" "$source" "SELECT count(*) FROM (
	    SELECT entiteittype, bron, identificatie, bronversie, deleted FROM o.record WHERE $filter_src
	    EXCEPT SELECT entiteittype, bron, identificatie, bronversie, deleted FROM main.record WHERE $filter_held)"
	kp_sql2 "$holder" "$source" "SELECT count(*) FROM (
	    SELECT entiteittype, bron, identificatie, bronversie, deleted FROM main.record WHERE $filter_held
	    EXCEPT SELECT entiteittype, bron, identificatie, bronversie, deleted FROM o.record WHERE $filter_src)"
}
# kp_streams_agree FROM FROM_OIN TO TO_OIN: exactly once, gap-free: per
# partition what TO applied is what FROM numbered, and every notice
# numbered was delivered
kp_streams_agree() {
	local from=$1 from_oin=$2 to=$3 to_oin=$4 bad
	bad=$(kp_sql2 "$to" "$from" "SELECT count(*) FROM o.stream_out s LEFT JOIN main.stream_in i
	    ON i.partner_oin = '$from_oin' AND i.partitie = s.partitie
	    WHERE s.partner_oin = '$to_oin' AND coalesce(i.next_expected, 1) != s.next_volgnummer")
	[ "$bad" = 0 ] || { echo "#   $from -> $to: $bad streams disagree"; return 1; }
	bad=$(kp_sql "$from" "SELECT count(*) FROM outbox WHERE partner_oin = '$to_oin' AND state != 'delivered'")
	[ "$bad" = 0 ] || { echo "#   $from -> $to: $bad undelivered"; return 1; }
	[ "$(kp_sql "$from" "SELECT count(*) FROM outbox WHERE partner_oin = '$to_oin'")" = \
	  "$(kp_sql "$to" "SELECT coalesce(sum(next_expected - 1), 0) FROM stream_in WHERE partner_oin = '$from_oin'")" ]
}

# kp_check_copies WORD: the checks sync.sh and crash.sh end with: nothing
# parked, and every copy on the chain equal, record by record, to its
# owner's (WORD says which version: "owner's", "latest")
kp_check_copies() {
	local v=$1
	check "nothing parked anywhere" \
	    eq "$(for g in $KP_GATEWAYS; do kp_sql $g "SELECT count(*) FROM outbox WHERE state = 'parked'"; done | tr '\n' ' ')" "0 0 0 "
	check "the GGD holds every record of the hub's it may see, in the $v version" \
	    eq "$(kp_differences ggd gemeente "bron != '$GGD' AND $(kp_disclosed $GGD)" "received_from = '$GEM'" | tr '\n' ' ')" "0 0 "
	check "the call centre holds every record of the hub's it may see, in the $v version" \
	    eq "$(kp_differences kcc gemeente "bron != '$KCC' AND $(kp_disclosed $KCC)" "received_from = '$GEM'" | tr '\n' ' ')" "0 0 "
	check "the hub holds every record of the GGD's own, in the $v version" \
	    eq "$(kp_differences gemeente ggd "bron = '$GGD'" "bron = '$GGD'" | tr '\n' ' ')" "0 0 "
	check "the hub holds every record of the call centre's own, in the $v version" \
	    eq "$(kp_differences gemeente kcc "bron = '$KCC'" "bron = '$KCC'" | tr '\n' ' ')" "0 0 "
}

# kp_check_streams: on every link of the chain each notice applied once,
# no gap
kp_check_streams() {
	check "hub -> GGD: each notice applied once, no gap" kp_streams_agree gemeente $GEM ggd $GGD
	check "hub -> call centre: each notice applied once, no gap" kp_streams_agree gemeente $GEM kcc $KCC
	check "GGD -> hub: each notice applied once, no gap" kp_streams_agree ggd $GGD gemeente $GEM
	check "call centre -> hub: each notice applied once, no gap" kp_streams_agree kcc $KCC gemeente $GEM
}

# kp_auditor_chain: the auditor's web view's scene (auditweb.sh,
# browser.sh): kp_pair, the gemeente disclosing 20 cases to the GGD on a
# law and refusing 3 notices from it (KP020, about citizen BSN); an
# auditors' CA ($WORK/auditca) with certificates vries, jansen and bakker,
# the first two listed in the gemeente's auditors; the web view on port A.
kp_auditor_chain() {
	local a n=200 i
	KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="publieke-gezondheid"><wet>Wet publieke gezondheid art. 2</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>'
	kp_pair || { echo "Bail out! no PKI"; return 1; }
	"$KP" pki init "$WORK/auditca" > /dev/null
	for a in vries jansen bakker; do
		n=$((n + 1))
		"$KP" pki issue "$WORK/auditca" "$a" --oin 00000001001000000$n \
		    --org "$a" > /dev/null || { echo "Bail out! no auditor certificate"; return 1; }
	done
	printf '# the privacy officers\n%s\n%s\n' \
	    "$(openssl x509 -noout -subject -nameopt RFC2253 -in "$WORK/auditca/vries.crt" | sed 's/^subject=//')" \
	    "$(openssl x509 -noout -subject -nameopt RFC2253 -in "$WORK/auditca/jansen.crt" | sed 's/^subject=//')" \
	    > "$WORK/gemeente/auditors"
	A=$(kp_free_port)
	printf 'audit_listen\t127.0.0.1:%s\nauditor_ca\t../auditca/ca.crt\nauditors\tauditors\nlocal_socket\tlocal.sock\n' "$A" \
	    >> "$WORK/gemeente/ketenpoort.conf"
	kp_start gemeente || { echo "Bail out! the gemeente did not start"; return 1; }
	kp_start ggd || { echo "Bail out! the GGD did not start"; return 1; }
	kp_put_cases 1 20
	for i in $(seq 1 50); do [ "$(kp_cases_at ggd)" = 20 ] && break; sleep 0.2; done
	BSN=$(kp_bsn 1)
	for i in 1 2 3; do
		kp_body zakLk01 $GGD $GEM "G$i" "$i" "$BSN" > "$WORK/g$i.xml"
		"$KPSEND" -c "$WORK/ggd/ketenpoort.conf" --to gemeente "$WORK/g$i.xml" > "$WORK/g$i.out" 2>&1
	done
	return 0
}

# kp_stop_pidfiles: stop what a demo left running ($WORK/*/pid), and wait
# until each is gone
kp_stop_pidfiles() {
	local pid
	for pid in $(cat "$WORK"/*/pid 2>/dev/null); do kill -TERM "$pid" 2>/dev/null; done
	for pid in $(cat "$WORK"/*/pid 2>/dev/null); do
		while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	done
}
