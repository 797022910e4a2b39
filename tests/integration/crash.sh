#!/usr/bin/env bash
# Crash test on the three-gateway chain (a municipality as hub, a GGD and a
# call centre): while all three keep changing their records (adds,
# changes, deletions; the hub relaying the spokes' records to each
# other), kill -9 a random one of the three at random moments (20 times,
# KP_CRASH_KILLS) and start it again.  The kills land while changes are
# in flight: the hub's come one by one over its local socket (POST
# /dossier) and the spokes' through `dossier put`, both still running when
# a gateway dies.  At the end every change a caller was told "stored" is
# at every party entitled to it (in its latest version), each notice was
# applied once, no stream has a gap, the digests agree on every link, and
# every store passes PRAGMA integrity_check.
set -u
WORK=$(mktemp -d /tmp/kp-crash.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
KILLS=${KP_CRASH_KILLS:-20}
kp_hub_spokes
echo "local_socket local.sock" >> "$WORK/gemeente/ketenpoort.conf"
for g in $KP_GATEWAYS; do
	echo "send_timeout 3" >> "$WORK/$g/ketenpoort.conf"
	kp_start $g || { echo "Bail out! $g did not start"; exit 1; }
done

# kill9 NAME: no goodbye, then start again
kill9() {
	kp_kill9 "$1"
	kp_start "$1" >/dev/null || echo "#   $1 did not restart"
}

declare -a BSNS
for i in $(seq 1 12); do BSNS[$i]=$(kp_bsn "$i"); done
# round G V: the changes gateway G makes in round V, as files in $WORK/c/G
round() {
	local g=$1 v=$2 d="$WORK/c/$1" i soort
	rm -rf "$d"; mkdir -p "$d"
	soort=$([ "$v" = 1 ] && echo T || echo W)
	case $g in
	gemeente)
		for i in 1 2 3 4; do
			kp_local_change "$d/z$i.xml" $soort ZAK $GEM "Z$i" "$v" "${BSNS[$i]}"
		done
		for i in 5 6; do
			kp_local_change "$d/p$i.xml" $soort PRS $GEM "P$i" "$v" "${BSNS[$i]}"
		done
		# one case made each round and deleted the next
		kp_local_change "$d/x.xml" T ZAK $GEM "X$v" 1 "${BSNS[$((v % 12 + 1))]}"
		[ "$v" -gt 1 ] && kp_local_change "$d/y.xml" V ZAK $GEM "X$((v - 1))" 2 \
		    "${BSNS[$(((v - 1) % 12 + 1))]}"
		;;
	ggd)
		for i in 1 2 3 4; do
			kp_local_change "$d/z$i.xml" $soort ZAK $GGD "G$i" "$v" "${BSNS[$((i + 4))]}"
		done
		for i in 1 2; do
			kp_local_change "$d/k$i.xml" $soort KCT $GGD "GK$i" "$v" "${BSNS[$((i + 8))]}"
		done
		;;
	kcc)
		for i in 1 2 3 4; do
			kp_local_change "$d/k$i.xml" $soort KCT $KCC "K$i" "$v" "${BSNS[$((i * 3))]}"
		done
		;;
	esac
}

: > "$WORK/taken"
: > "$WORK/posted"
made=0
# post ROUND: each change of the hub's in that round to its local socket,
# one at a time; "ROUND FILE HTTP-STATUS" each into $WORK/posted (000: no
# answer, the hub was down)
post() {
	local f
	for f in "$WORK/r$1/gemeente"/*.xml; do
		echo "$1 $(basename "$f") $(curl -s -o /dev/null -w '%{http_code}' \
		    --max-time 5 --unix-socket "$WORK/gemeente/local.sock" \
		    --data-binary @"$f" http://kp/dossier)" >> "$WORK/posted"
	done
}
# one round of all three, with a kill (not in the last round) while the
# changes are still arriving
for v in $(seq 1 $((KILLS + 1))); do
	pids=""
	for g in $KP_GATEWAYS; do
		round $g "$v"
		mkdir -p "$WORK/r$v"
		cp -r "$WORK/c/$g" "$WORK/r$v/$g"
		if [ $g = gemeente ]; then
			post "$v" &
		else
			made=$((made + $(ls "$WORK/c/$g" | wc -l)))
			"$KP" dossier put -c "$WORK/$g/ketenpoort.conf" "$WORK/r$v/$g"/*.xml \
			    >> "$WORK/taken" 2>&1 &
		fi
		pids="$pids $!"
	done
	if [ "$v" -le "$KILLS" ]; then
		sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
		case $((RANDOM % 3)) in
		0) kill9 gemeente ;;
		1) kill9 ggd ;;
		2) kill9 kcc ;;
		esac
	fi
	for p in $pids; do wait "$p"; done
done
check "$KILLS kill -9s survived; every one of the $made changes put by the spokes was taken" \
    eq "$(grep -c ' stored; ' "$WORK/taken")" "$made"
check "the hub's local socket answered some posts 200 \"stored\" ($(grep -c ' 200$' "$WORK/posted") of $(wc -l < "$WORK/posted")), the last round's all" \
    test "$(grep -c ' 200$' "$WORK/posted")" -gt 0 -a \
    "$(tail -n "$(ls "$WORK/r$((KILLS + 1))/gemeente" | wc -l)" "$WORK/posted" | grep -vc ' 200$')" = 0
check "every outbox drains after the last restart, relays included" kp_drained
kp_check_copies latest
check "and the latest version is the last round's" \
    eq "$(kp_sql ggd "SELECT group_concat(bronversie) FROM (SELECT bronversie FROM record WHERE identificatie IN ('Z1', 'K1') ORDER BY identificatie) r")" "$((KILLS + 1)),$((KILLS + 1))"
# every post answered "stored": its record at the hub in that version or
# later (a V: its tombstone); the copies at the partners checked above
lost=$(grep ' 200$' "$WORK/posted" | while read -r v f code; do
	id=$(sed -n 's|.*<kd:identificatie>\([^<]*\)<.*|\1|p' "$WORK/r$v/gemeente/$f")
	ver=$(sed -n 's|.*<kd:bronversie>\([^<]*\)<.*|\1|p' "$WORK/r$v/gemeente/$f")
	[ "$(kp_sql gemeente "SELECT count(*) FROM record WHERE bron = '$GEM' AND identificatie = '$id' AND bronversie >= $ver")" = 1 ] ||
	    echo "$id v$ver"
done)
is "every change the hub's local socket said it stored is held there" "" "$lost"
check "deleted cases arrived as tombstones, as many as the hub deleted after disclosing them" \
    eq "$(kp_sql ggd "SELECT count(*) FROM record WHERE identificatie LIKE 'X%' AND deleted = 1")" \
    "$(kp_sql gemeente "SELECT count(*) FROM record r WHERE identificatie LIKE 'X%' AND deleted = 1 AND EXISTS (SELECT 1 FROM outbox x WHERE x.partner_oin = '$GGD' AND x.identificatie = r.identificatie AND x.mutatiesoort = 'V')")"
check "  (some)" test "$(kp_sql ggd "SELECT count(*) FROM record WHERE identificatie LIKE 'X%' AND deleted = 1")" -gt 0
kp_check_streams
for link in "gemeente ggd" "gemeente kcc" "ggd gemeente" "kcc gemeente"; do
	set -- $link
	check "digests $1 -> $2 agree" \
	    eq "$("$KP" sync verify -c "$WORK/$1/ketenpoort.conf" --partner "$2" | grep -c ', 0 differ, 0 with')" 1
done
for g in $KP_GATEWAYS; do kp_stop $g; done
check "every store passes PRAGMA integrity_check" \
    eq "$(for g in $KP_GATEWAYS; do kp_integrity $g; done | tr '\n' ' ')" "ok ok ok "
echo "1..$t"
