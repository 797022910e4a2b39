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
# the volume in the normal build; where the heavy tests are left out (the
# sanitizer build, distcheck) 2,000 changes find the same memory errors
if [ "${KP_HEAVY:-yes}" = no ]; then
	CHANGES=${KP_SYNC_CHANGES:-2000}
else
	CHANGES=${KP_SYNC_CHANGES:-5000}
fi

kp_hub_spokes
echo "sync_verify_interval 2" >> "$WORK/gemeente/ketenpoort.conf"
for g in gemeente ggd kcc; do
	kp_start $g || { echo "Bail out! $g did not start"; exit 1; }
done

# 400 citizens.
declare -a BSNS
for i in $(seq 1 400); do BSNS[$i]=$(kp_bsn "$i"); done

# Each gateway owns 2M records (two types); round 1 adds them all (T),
# round 2 changes all (W), round 3 changes one in three again, round 4
# deletes one in six (V): 2.5 changes a record, 5,010 with M = 334.
M=$(( (CHANGES + 14) / 15 ))
owner_types() {
	case $1 in gemeente) echo "PRS ZAK" ;; ggd) echo "ZAK KCT" ;; kcc) echo "KCT KCT" ;; esac
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
				1) kp_local_change "$d/$id.xml" T $type "$(kp_oin_of $g)" "$id" 1 "$bsn" ;;
				2) kp_local_change "$d/$id.xml" W $type "$(kp_oin_of $g)" "$id" 2 "$bsn" ;;
				3) [ $((k % 3)) -eq 0 ] || continue
				   kp_local_change "$d/$id.xml" W $type "$(kp_oin_of $g)" "$id" 3 "$bsn" ;;
				4) [ $((k % 6)) -eq 1 ] || continue
				   kp_local_change "$d/$id.xml" V $type "$(kp_oin_of $g)" "$id" 4 "$bsn" ;;
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

check "every outbox drains, relayed notices included" kp_drained
kp_check_copies "owner's"
check "relayed: the GGD holds the call centre's contact moments (through the hub)" \
    eq "$(kp_sql ggd "SELECT count(*) FROM record WHERE bron = '$KCC' AND received_from = '$GEM'")" \
       "$(kp_sql kcc "SELECT count(*) FROM record WHERE bron = '$KCC'")"
check "relayed: the call centre holds the GGD's cases and contact moments" \
    eq "$(kp_sql kcc "SELECT count(*) FROM record WHERE bron = '$GGD' AND received_from = '$GEM'")" \
       "$(kp_sql ggd "SELECT count(*) FROM record WHERE bron = '$GGD'")"
check "deletions arrived as tombstones everywhere" \
    eq "$(for g in gemeente ggd kcc; do kp_sql $g "SELECT CASE WHEN count(*) > 0 THEN 1 ELSE 0 END FROM record WHERE deleted = 1 AND received_from IS NOT NULL"; done | tr '\n' ' ')" "1 1 1 "
# field_set GATEWAY WHERE: how many live records, and the exact set of
# field names among them
field_set() {
	echo "$(kp_sql "$1" "SELECT count(*) FROM record WHERE deleted = 0 AND $2") records:" \
	    $(kp_sql "$1" "SELECT fields FROM record WHERE deleted = 0 AND $2" |
	    sed -n 's/=.*//p' | sort -u)
}
is "the GGD sees exactly zaaktype and status of the hub's cases" \
    "$(kp_sql ggd "SELECT count(*) FROM record WHERE deleted = 0 AND bron = '$GEM' AND entiteittype = 'ZAK'") records: status zaaktype" \
    "$(field_set ggd "bron = '$GEM' AND entiteittype = 'ZAK'")"
check "  (of some: the set is not empty)" test "$(kp_sql ggd "SELECT count(*) FROM record WHERE deleted = 0 AND bron = '$GEM' AND entiteittype = 'ZAK'")" -gt 0
is "the GGD sees exactly kanaal, onderwerp and plaatsgevondenOp of the call centre's contacts" \
    "$(kp_sql ggd "SELECT count(*) FROM record WHERE deleted = 0 AND bron = '$KCC'") records: kanaal onderwerp plaatsgevondenOp" \
    "$(field_set ggd "bron = '$KCC'")"
check "  (of some)" test "$(kp_sql ggd "SELECT count(*) FROM record WHERE deleted = 0 AND bron = '$KCC'")" -gt 0
is "the call centre sees exactly the persons' geslachtsnaam and telefoon" \
    "$(kp_sql kcc "SELECT count(*) FROM record WHERE deleted = 0 AND entiteittype = 'PRS'") records: geslachtsnaam telefoon" \
    "$(field_set kcc "entiteittype = 'PRS'")"
check "  (of some)" test "$(kp_sql kcc "SELECT count(*) FROM record WHERE deleted = 0 AND entiteittype = 'PRS'")" -gt 0

kp_check_streams

# The digests (PROTOCOL.md 4.3) on every link.
verify() {
	"$KP" sync verify -c "$WORK/$1/ketenpoort.conf" --partner "$2" > "$WORK/verify.out" 2>&1
}
for link in "gemeente ggd" "gemeente kcc" "ggd gemeente" "kcc gemeente"; do
	set -- $link
	citizens=$(kp_sql2 "$2" "$1" "SELECT count(DISTINCT bsn) FROM main.record WHERE received_from = '$(kp_oin_of "$1")'")
	check "sync verify $1 -> $2: all $citizens citizens the same" verify "$1" "$2"
	check "  and it says so" eq "$(grep -c "digests with $2 .*: $citizens citizens, $citizens the same, 0 differ, 0 with" "$WORK/verify.out")" 1
done
check "the hub's scheduled verify found no differences with either spoke" \
    wait_for gemeente "SELECT count(DISTINCT partner_oin) FROM sync_check WHERE differ = 0 AND error IS NULL AND citizens > 0 AND id > (SELECT coalesce(max(id), 0) FROM sync_check WHERE differ > 0)" 2 10
check "sync status shows the last comparison" \
    eq "$("$KP" sync status -c "$WORK/gemeente/ketenpoort.conf" | grep -c "digests: compared .*, 0 differ")" 2

# Damage a copy at the GGD: one citizen's case is lost, another's is set
# back to an older version (as a restore from an old backup would).
before_damage=$(kp_sql gemeente "SELECT coalesce(max(id), 0) FROM sync_check")
log_before=$(stat -c %s "$WORK/gemeente/log")
LOST=$(kp_sql ggd "SELECT bsn FROM record WHERE bron = '$GEM' AND entiteittype = 'ZAK' AND deleted = 0 ORDER BY bsn LIMIT 1")
OLD=$(kp_sql ggd "SELECT bsn FROM record WHERE bron = '$GEM' AND entiteittype = 'ZAK' AND deleted = 0 AND bsn != '$LOST' ORDER BY bsn DESC LIMIT 1")
OLD_ID=$(kp_sql ggd "SELECT identificatie FROM record WHERE bron = '$GEM' AND entiteittype = 'ZAK' AND bsn = '$OLD' AND deleted = 0 LIMIT 1")
OLD_V=$(kp_sql ggd "SELECT bronversie FROM record WHERE bron = '$GEM' AND identificatie = '$OLD_ID'")
kp_sql ggd "DELETE FROM record WHERE bron = '$GEM' AND entiteittype = 'ZAK' AND bsn = '$LOST';
    UPDATE record SET bronversie = 1, fields = 'zaaktype=Bijzondere bijstand' || '$KP_NL' || 'status=status 1' || '$KP_NL',
      fields_sha256 = 'x' WHERE bron = '$GEM' AND identificatie = '$OLD_ID'"
# wait_log GATEWAY TEXT [SECONDS]: until the gateway's log has the text
# in what it wrote since the damage (a comparison made while notices were
# still settling may have said the same before)
wait_log() {
	local i
	for i in $(seq 1 $((${3:-10} * 10))); do
		tail -c +$((log_before + 1)) "$WORK/$1/log" | grep -qF "$2" && return 0
		sleep 0.1
	done
	echo "#   no '$2' in the log of $1"
	return 1
}
# wait_log_re GATEWAY REGEX [SECONDS]: the same for a basic regex
wait_log_re() {
	local i
	for i in $(seq 1 $((${3:-10} * 10))); do
		tail -c +$((log_before + 1)) "$WORK/$1/log" | grep -q "$2" && return 0
		sleep 0.1
	done
	echo "#   nothing like '$2' in the log of $1"
	return 1
}
check "the daemon's scheduled verify finds the two (and logs no BSN)" \
    eq "$(wait_log_re gemeente "sync verify with ggd ($GGD): 2 of [0-9]* citizens differ" && grep -c -e "$LOST" -e "$OLD" "$WORK/gemeente/log")" 0
# the comparison that found them is kept for sync status (one whose
# question failed keeps its error)
check "  and keeps the count for sync status" wait_for gemeente \
    "SELECT CASE WHEN count(*) > 0 THEN 1 ELSE 0 END FROM sync_check WHERE partner_oin = '$GGD' AND error IS NULL AND differ = 2 AND id > $before_damage" 1 10 ||
    kp_sql gemeente "SELECT id, at, citizens, differ, in_flight, error FROM sync_check WHERE partner_oin = '$GGD' ORDER BY id DESC LIMIT 4" | sed 's/^/# /'
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
check "the repair is delivered" kp_drained
check "the lost case is back at the GGD, the old version replaced" \
    eq "$(kp_sql ggd "SELECT count(*) FROM record WHERE bron = '$GEM' AND entiteittype = 'ZAK' AND bsn = '$LOST'")/$(kp_sql ggd "SELECT bronversie FROM record WHERE bron = '$GEM' AND identificatie = '$OLD_ID'")" \
       "$(kp_sql gemeente "SELECT count(*) FROM record WHERE bron = '$GEM' AND entiteittype = 'ZAK' AND bsn = '$LOST'")/$OLD_V"
verify gemeente ggd
check "verify agrees again" eq "$?/$(grep -c ', 0 differ' "$WORK/verify.out")" "0/1"
check "the GGD's copies equal the hub's again, record by record" \
    eq "$(kp_differences ggd gemeente "bron != '$GGD'" "received_from = '$GEM'" | tr '\n' ' ')" "0 0 "
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
	kp_local_change "$WORK/changes/outage/p$k.xml" W PRS $GEM "gemeente-PRS-1-$k" 5 \
	    "$(kp_sql gemeente "SELECT bsn FROM record WHERE identificatie = 'gemeente-PRS-1-$k'")"
done
OUT=$(ls "$WORK/changes/outage" | wc -l)
"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK"/changes/outage/*.xml > "$WORK/outage.out" 2>&1
check "during the call centre's outage $OUT changes wait for it at the hub" \
    eq "$(grep -c 'stored; 2 notices queued' "$WORK/outage.out")/$(sleep 1; kp_sql gemeente "SELECT count(*) FROM outbox WHERE partner_oin = '$KCC' AND state = 'pending'")" "$OUT/$OUT"
kp_start kcc || { echo "Bail out! kcc did not restart"; exit 1; }
check "the backlog drains when it is back" kp_drained
check "  in order: every stream gap-free, each notice applied once" kp_streams_agree gemeente $GEM kcc $KCC
check "  the call centre holds the new versions" \
    eq "$(kp_sql kcc "SELECT count(*) FROM record WHERE bronversie = 5 AND received_from = '$GEM'")" "$OUT"
verify gemeente kcc
check "  and the digests agree" eq "$?/$(grep -c ', 0 differ' "$WORK/verify.out")" "0/1"
check "every store passes PRAGMA integrity_check" \
    eq "$(for g in gemeente ggd kcc; do kp_integrity $g; done | tr '\n' ' ')" "ok ok ok "
for g in gemeente ggd kcc; do
	check "$g stops cleanly" kp_stop $g
done
echo "1..$t"
