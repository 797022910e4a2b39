#!/usr/bin/env bash
# Three gateways on 127.0.0.1: a municipality (the hub), a GGD and a call
# centre (the spokes).  All three change their own records at once (KP_SYNC_CHANGES,
# default 5,000 changes: persons, cases, contact moments; adds, changes and
# deletions); the hub relays the call centre's contact moments to the GGD
# and the GGD's cases and contact moments to the call centre.  At the end
# every copy is what its owner holds, as far as the profiles let each
# party see it: checked record by record in SQL across the stores and by
# digest (sync verify, PROTOCOL.md 4.3) on every link; each notice applied
# once, every stream gap-free.  Then a damaged copy: verify names exactly
# that citizen, repair resends it, the digests agree again; the daemon's
# own scheduled verify sees the damage and the repair.
set -u
WORK=$(mktemp -d /tmp/kp-sync.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
GEM=00000001001000000000
GGD=00000002002000000000
KCC=00000003003000000000
CHANGES=${KP_SYNC_CHANGES:-5000}

kp_pki && kp_org gemeente $GEM && kp_org ggd $GGD && kp_org kcc $KCC
P1=$(kp_free_port); P2=$(kp_free_port); P3=$(kp_free_port)
kp_gateway gemeente $GEM "$P1"
kp_gateway ggd $GGD "$P2"
kp_gateway kcc $KCC "$P3"
echo "sync_verify_interval 2" >> "$WORK/gemeente/ketenpoort.conf"

# What the hub lets each spoke see, and what each may send it.
KP_ONTVANGEN='<ontvangen>
    <entiteit type="PRS"><veld>geslachtsnaam</veld></entiteit>
    <entiteit type="ZAK"><veld>zaaktype</veld><veld>status</veld></entiteit>
    <entiteit type="KCT"><veld>kanaal</veld><veld>plaatsgevondenOp</veld><veld>onderwerp</veld></entiteit>
  </ontvangen>' kp_profile gemeente ggd $GGD "$P2" ketenpartner zakLk01 kctLk01 dosLv01
KP_ONTVANGEN='<ontvangen>
    <entiteit type="PRS"><veld>geslachtsnaam</veld><veld>telefoon</veld></entiteit>
    <entiteit type="ZAK"><veld>zaaktype</veld><veld>status</veld></entiteit>
    <entiteit type="KCT"><veld>kanaal</veld><veld>plaatsgevondenOp</veld><veld>onderwerp</veld><veld>inhoud</veld></entiteit>
  </ontvangen>' kp_profile gemeente kcc $KCC "$P3" callcenter kctLk01 dosLv01
# The spokes take the hub's records and what it relays; they send their
# own to the hub with every field.
KP_ONTVANGEN='<ontvangen>
    <entiteit type="ZAK"><veld>zaaktype</veld><veld>status</veld><veld>startdatum</veld><veld>toelichting</veld></entiteit>
    <entiteit type="KCT"><veld>kanaal</veld><veld>plaatsgevondenOp</veld><veld>onderwerp</veld><veld>inhoud</veld></entiteit>
  </ontvangen>' kp_profile ggd gemeente $GEM "$P1" gemeente prsLk01 zakLk01 kctLk01+relay dosLv01
KP_ONTVANGEN='<ontvangen>
    <entiteit type="KCT"><veld>kanaal</veld><veld>plaatsgevondenOp</veld><veld>onderwerp</veld><veld>inhoud</veld></entiteit>
  </ontvangen>' kp_profile kcc gemeente $GEM "$P1" gemeente prsLk01 zakLk01+relay kctLk01+relay dosLv01

for g in gemeente ggd kcc; do
	kp_start $g || { echo "Bail out! $g did not start"; exit 1; }
done

# 400 citizens.
declare -a BSNS
for i in $(seq 1 400); do BSNS[$i]=$(kp_bsn "$i"); done

# change FILE SOORT TYPE BRON ID VERSION BSN: one local change (builtins only)
change() {
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

# Each gateway owns 2M records (two types); round 1 adds them all (T),
# round 2 changes all (W), round 3 changes one in three again, round 4
# deletes one in six (V): 2.5 changes a record, 5,010 with M = 334.
M=$(( (CHANGES + 14) / 15 ))
owner_types() {
	case $1 in gemeente) echo "PRS ZAK" ;; ggd) echo "ZAK KCT" ;; kcc) echo "KCT KCT" ;; esac
}
oin_of() {
	case $1 in gemeente) echo $GEM ;; ggd) echo $GGD ;; kcc) echo $KCC ;; esac
}
total=0
for round in 1 2 3 4; do
	pids=""
	for g in gemeente ggd kcc; do
		d="$WORK/changes/$g/$round"
		mkdir -p "$d"
		set -- $(owner_types $g)
		n=0
		for k in $(seq 1 $M); do
			for half in 1 2; do
				type=${!half}
				id="${g}-${type}-${half}-$k"
				bsn=${BSNS[$(( (k * 7 + half * 13 + ${#g}) % 400 + 1 ))]}
				case $round in
				1) change "$d/$id.xml" T $type "$(oin_of $g)" "$id" 1 "$bsn" ;;
				2) change "$d/$id.xml" W $type "$(oin_of $g)" "$id" 2 "$bsn" ;;
				3) [ $((k % 3)) -eq 0 ] || continue
				   change "$d/$id.xml" W $type "$(oin_of $g)" "$id" 3 "$bsn" ;;
				4) [ $((k % 6)) -eq 1 ] || continue
				   change "$d/$id.xml" V $type "$(oin_of $g)" "$id" 4 "$bsn" ;;
				esac
				n=$((n + 1))
			done
		done
		total=$((total + n))
		"$KP" dossier put -c "$WORK/$g/ketenpoort.conf" "$d"/*.xml \
		    > "$WORK/changes/$g.$round.out" 2>&1 &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || echo "# a dossier put failed"; done
done
stored=0
for g in gemeente ggd kcc; do
	n=$(cat "$WORK"/changes/$g.*.out | grep -c 'stored;')
	stored=$((stored + n))
done
check "$total local changes at the three gateways (at least $CHANGES), all stored" \
    eq "$stored/$([ $total -ge "$CHANGES" ] && echo ok)" "$total/ok"

# Drained: nothing waits anywhere (relayed notices included).
waiting() {
	local g
	for g in gemeente ggd kcc; do
		kp_sql $g "SELECT count(*) FROM outbox WHERE state != 'delivered'"
	done | tr '\n' ' '
}
drained() {
	local i
	for i in $(seq 1 1200); do
		# twice, a second apart: a relay may queue as the last one goes
		if [ "$(waiting)" = "0 0 0 " ]; then
			sleep 1
			[ "$(waiting)" = "0 0 0 " ] && return 0
		fi
		sleep 0.5
	done
	for g in gemeente ggd kcc; do
		echo "#   $g: $(kp_sql $g "SELECT state || ' ' || count(*) FROM outbox GROUP BY state")"
	done
	return 1
}
check "every outbox drains, relayed notices included" drained
check "nothing parked anywhere" \
    eq "$(for g in gemeente ggd kcc; do kp_sql $g "SELECT count(*) FROM outbox WHERE state = 'parked'"; done | tr '\n' ' ')" "0 0 0 "

# same_copies HOLDER OWNER_DB_NAME SQL_FILTER: what HOLDER holds from the hub
# equals, record by record, what the hub holds of the entitled types.
sql3() {
	sqlite3 -batch -noheader "$WORK/$1/store.db" "ATTACH '$WORK/$2/store.db' AS o; $3"
}
# The records a holder has and the source has not (or in another version),
# and the other way round.
differences() {
	local holder=$1 source=$2 filter_src=$3 filter_held=$4
	sql3 "$holder" "$source" "SELECT count(*) FROM (
	    SELECT entiteittype, bron, identificatie, bronversie, deleted FROM o.record WHERE $filter_src
	    EXCEPT SELECT entiteittype, bron, identificatie, bronversie, deleted FROM main.record WHERE $filter_held)"
	sql3 "$holder" "$source" "SELECT count(*) FROM (
	    SELECT entiteittype, bron, identificatie, bronversie, deleted FROM main.record WHERE $filter_held
	    EXCEPT SELECT entiteittype, bron, identificatie, bronversie, deleted FROM o.record WHERE $filter_src)"
}
check "the GGD holds every record of the hub's it may see, in the owner's version" \
    eq "$(differences ggd gemeente "bron != '$GGD'" "received_from = '$GEM'" | tr '\n' ' ')" "0 0 "
check "the call centre holds every record of the hub's it may see, in the owner's version" \
    eq "$(differences kcc gemeente "bron != '$KCC'" "received_from = '$GEM'" | tr '\n' ' ')" "0 0 "
check "the hub holds every record of the GGD's own, in its version" \
    eq "$(differences gemeente ggd "bron = '$GGD'" "bron = '$GGD'" | tr '\n' ' ')" "0 0 "
check "the hub holds every record of the call centre's own, in its version" \
    eq "$(differences gemeente kcc "bron = '$KCC'" "bron = '$KCC'" | tr '\n' ' ')" "0 0 "
check "relayed: the GGD holds the call centre's contact moments (through the hub)" \
    eq "$(kp_sql ggd "SELECT count(*) FROM record WHERE bron = '$KCC' AND received_from = '$GEM'")" \
       "$(kp_sql kcc "SELECT count(*) FROM record WHERE bron = '$KCC'")"
check "relayed: the call centre holds the GGD's cases and contact moments" \
    eq "$(kp_sql kcc "SELECT count(*) FROM record WHERE bron = '$GGD' AND received_from = '$GEM'")" \
       "$(kp_sql ggd "SELECT count(*) FROM record WHERE bron = '$GGD'")"
check "deletions arrived as tombstones everywhere" \
    eq "$(for g in gemeente ggd kcc; do kp_sql $g "SELECT count(*) > 0 FROM record WHERE deleted = 1 AND received_from IS NOT NULL"; done | tr '\n' ' ')" "1 1 1 "
check "the GGD sees only zaaktype and status of the hub's cases" \
    eq "$(kp_sql ggd "SELECT count(*) FROM record WHERE bron = '$GEM' AND entiteittype = 'ZAK' AND deleted = 0 AND (fields LIKE '%toelichting%' OR fields LIKE '%behandelaar%' OR fields NOT LIKE '%status=%')")" 0
check "the GGD does not see the call centre's medewerker or inhoud" \
    eq "$(kp_sql ggd "SELECT count(*) FROM record WHERE bron = '$KCC' AND (fields LIKE '%medewerker%' OR fields LIKE '%inhoud%')")" 0
check "the call centre sees the persons' telefoon, not their email" \
    eq "$(kp_sql kcc "SELECT sum(fields LIKE '%telefoon=%') > 0 AND sum(fields LIKE '%email%') = 0 FROM record WHERE entiteittype = 'PRS' AND deleted = 0")" 1

# Exactly once, gap-free: per link and partition, what the receiver
# applied is what the sender numbered, and every notice numbered was
# delivered.
streams_agree() {
	local from=$1 from_oin=$2 to=$3 to_oin=$4 bad
	bad=$(sql3 "$to" "$from" "SELECT count(*) FROM o.stream_out s LEFT JOIN main.stream_in i
	    ON i.partner_oin = '$from_oin' AND i.partitie = s.partitie
	    WHERE s.partner_oin = '$to_oin' AND coalesce(i.next_expected, 1) != s.next_volgnummer")
	[ "$bad" = 0 ] || { echo "#   $from -> $to: $bad streams disagree"; return 1; }
	bad=$(kp_sql "$from" "SELECT count(*) FROM outbox WHERE partner_oin = '$to_oin' AND state != 'delivered'")
	[ "$bad" = 0 ] || { echo "#   $from -> $to: $bad undelivered"; return 1; }
	[ "$(kp_sql "$from" "SELECT count(*) FROM outbox WHERE partner_oin = '$to_oin'")" = \
	  "$(kp_sql "$to" "SELECT coalesce(sum(next_expected - 1), 0) FROM stream_in WHERE partner_oin = '$from_oin'")" ]
}
check "hub -> GGD: each notice applied once, streams gap-free" streams_agree gemeente $GEM ggd $GGD
check "hub -> call centre: each notice applied once, streams gap-free" streams_agree gemeente $GEM kcc $KCC
check "GGD -> hub: each notice applied once, streams gap-free" streams_agree ggd $GGD gemeente $GEM
check "call centre -> hub: each notice applied once, streams gap-free" streams_agree kcc $KCC gemeente $GEM

# The digests (PROTOCOL.md 4.3) on every link.
verify() {
	"$KP" sync verify -c "$WORK/$1/ketenpoort.conf" --partner "$2" > "$WORK/verify.out" 2>&1
}
for link in "gemeente ggd" "gemeente kcc" "ggd gemeente" "kcc gemeente"; do
	set -- $link
	citizens=$(sql3 "$2" "$1" "SELECT count(DISTINCT bsn) FROM main.record WHERE received_from = '$(oin_of "$1")'")
	check "sync verify $1 -> $2: all $citizens citizens the same" verify "$1" "$2"
	check "  and it says so" eq "$(grep -c "digests with $2 .*: $citizens citizens, $citizens the same, 0 differ, 0 with" "$WORK/verify.out")" 1
done
check "the hub's scheduled verify found no differences with either spoke" \
    wait_for gemeente "SELECT count(DISTINCT partner_oin) FROM sync_check WHERE differ = 0 AND error IS NULL AND citizens > 0 AND id > (SELECT coalesce(max(id), 0) FROM sync_check WHERE differ > 0)" 2 10
check "sync status shows the last comparison" \
    eq "$("$KP" sync status -c "$WORK/gemeente/ketenpoort.conf" | grep -c "digests: compared .*, 0 differ")" 2

# Damage a copy at the GGD: one citizen's case is lost, another's is set
# back to an older version (as a restore from an old backup would).
LOST=$(kp_sql ggd "SELECT bsn FROM record WHERE bron = '$GEM' AND entiteittype = 'ZAK' AND deleted = 0 ORDER BY bsn LIMIT 1")
OLD=$(kp_sql ggd "SELECT bsn FROM record WHERE bron = '$GEM' AND entiteittype = 'ZAK' AND deleted = 0 AND bsn != '$LOST' ORDER BY bsn DESC LIMIT 1")
OLD_ID=$(kp_sql ggd "SELECT identificatie FROM record WHERE bron = '$GEM' AND entiteittype = 'ZAK' AND bsn = '$OLD' AND deleted = 0 LIMIT 1")
OLD_V=$(kp_sql ggd "SELECT bronversie FROM record WHERE bron = '$GEM' AND identificatie = '$OLD_ID'")
kp_sql ggd "DELETE FROM record WHERE bron = '$GEM' AND entiteittype = 'ZAK' AND bsn = '$LOST';
    UPDATE record SET bronversie = 1, fields = 'zaaktype=Bijzondere bijstand' || char(10) || 'status=status 1' || char(10),
      fields_sha256 = 'x' WHERE bron = '$GEM' AND identificatie = '$OLD_ID'"
# wait_log GATEWAY TEXT [SECONDS]: until the gateway's log has the text
wait_log() {
	local i
	for i in $(seq 1 $((${3:-10} * 10))); do
		grep -qF "$2" "$WORK/$1/log" && return 0
		sleep 0.1
	done
	echo "#   no '$2' in the log of $1"
	return 1
}
check "the daemon's scheduled verify finds the two (and logs no BSN)" \
    eq "$(wait_log gemeente "sync verify with ggd ($GGD): 2 of 400 citizens differ" && grep -c -e "$LOST" -e "$OLD" "$WORK/gemeente/log")" 0
check "  and keeps the count for sync status" \
    eq "$(kp_sql gemeente "SELECT differ FROM sync_check WHERE partner_oin = '$GGD' ORDER BY id DESC LIMIT 1")" 2
verify gemeente ggd
check "verify after the damage fails (exit 1)" eq "$?" 1
check "and names exactly the two damaged citizens" \
    eq "$(grep '^  differs:' "$WORK/verify.out" | sed 's/.*BSN \([0-9]*\):.*/\1/' | sort | tr '\n' ' ')" "$(printf '%s\n' "$LOST" "$OLD" | sort | tr '\n' ' ')"
before=$(kp_sql gemeente "SELECT count(*) FROM outbox WHERE partner_oin = '$GGD'")
"$KP" sync repair -c "$WORK/gemeente/ketenpoort.conf" --partner ggd > "$WORK/repair.out" 2>&1
check "sync repair queues the two citizens' records again" \
    eq "$(grep -c "^repair: [1-9][0-9]* notices queued for ggd about 2 citizens" "$WORK/repair.out")" 1
queued=$(( $(kp_sql gemeente "SELECT count(*) FROM outbox WHERE partner_oin = '$GGD'") - before ))
check "  as many outbox rows as it says, audited as repairs" \
    eq "$(kp_sql gemeente "SELECT count(*) FROM audit WHERE outcome = 'queued' AND detail LIKE 'repair:%'")" "$queued"
check "the repair is delivered" drained
check "the lost case is back at the GGD, the old version replaced" \
    eq "$(kp_sql ggd "SELECT count(*) FROM record WHERE bron = '$GEM' AND entiteittype = 'ZAK' AND bsn = '$LOST'")/$(kp_sql ggd "SELECT bronversie FROM record WHERE bron = '$GEM' AND identificatie = '$OLD_ID'")" \
       "$(kp_sql gemeente "SELECT count(*) FROM record WHERE bron = '$GEM' AND entiteittype = 'ZAK' AND bsn = '$LOST'")/$OLD_V"
verify gemeente ggd
check "verify agrees again" eq "$?/$(grep -c ', 0 differ' "$WORK/verify.out")" "0/1"
check "the GGD's copies equal the hub's again, record by record" \
    eq "$(differences ggd gemeente "bron != '$GGD'" "received_from = '$GEM'" | tr '\n' ' ')" "0 0 "
check "verify of one citizen (--bsn) asks for that citizen only" \
    eq "$("$KP" sync verify -c "$WORK/gemeente/ketenpoort.conf" --partner ggd --bsn "$LOST" | grep -c ': 1 citizens, 1 the same, 0 differ')" 1
check "a BSN that fails the elfproef is refused before anything is asked" \
    eq "$("$KP" sync verify -c "$WORK/gemeente/ketenpoort.conf" --partner ggd --bsn 123456789 2>&1; echo "rc=$?")" \
       "ketenpoort sync: \"123456789\" is not a BSN: nine digits that pass the elfproef
rc=2"
# Outage: the call centre is down while the hub goes on changing; when it
# is back the backlog drains in order and the digests agree.
kp_stop kcc
mkdir -p "$WORK/changes/outage"
for k in $(seq 2 3 $M); do
	change "$WORK/changes/outage/p$k.xml" W PRS $GEM "gemeente-PRS-1-$k" 5 \
	    "$(kp_sql gemeente "SELECT bsn FROM record WHERE identificatie = 'gemeente-PRS-1-$k'")"
done
OUT=$(ls "$WORK/changes/outage" | wc -l)
"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK"/changes/outage/*.xml > "$WORK/outage.out" 2>&1
check "during the call centre's outage $OUT changes wait for it at the hub" \
    eq "$(grep -c 'stored; 2 notices queued' "$WORK/outage.out")/$(sleep 1; kp_sql gemeente "SELECT count(*) FROM outbox WHERE partner_oin = '$KCC' AND state = 'pending'")" "$OUT/$OUT"
kp_start kcc || { echo "Bail out! kcc did not restart"; exit 1; }
check "the backlog drains when it is back" drained
check "  in order: every stream gap-free, each notice applied once" streams_agree gemeente $GEM kcc $KCC
check "  the call centre holds the new versions" \
    eq "$(kp_sql kcc "SELECT count(*) FROM record WHERE bronversie = 5 AND received_from = '$GEM'")" "$OUT"
verify gemeente kcc
check "  and the digests agree" eq "$?/$(grep -c ', 0 differ' "$WORK/verify.out")" "0/1"
check "every store passes PRAGMA integrity_check" \
    eq "$(for g in gemeente ggd kcc; do kp_sql $g "PRAGMA integrity_check"; done | tr '\n' ' ')" "ok ok ok "
for g in gemeente ggd kcc; do
	check "$g stops cleanly" kp_stop $g
done
echo "1..$t"
