#!/usr/bin/env bash
# Any node can receive (issue 15): two nodes of the municipality, a and b,
# on one PostgreSQL database, and a raw partner (tests/tools/kpsend, the
# GGD's certificate) that drives one stream on both at the same moment:
#
# - each notice sent to a, and at the same moment its resend (another
#   MessageID and referentienummer, the same notice) to b, twenty times:
#   each applied once, the other answered as a duplicate, whichever node
#   came first;
# - two consecutive notices of the stream at the same moment, #n to a and
#   #n+1 to b, twenty times: each applied once and in order; a notice
#   that came before its predecessor was applied got KP030 and, sent
#   again, was applied after it; the stream never skipped a number.
set -u
WORK=$(mktemp -d /tmp/kp-twonodes.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; kp_pg_stop; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "1..8"

kp_pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>'
kp_pair || { echo "Bail out! no PKI"; exit 1; }
kp_profile gemeente ggd $GGD "$P2" ketenpartner zakLk01
KP_ONTVANGEN=""
kp_use_pg gemeente || { echo "Bail out! no database"; exit 1; }
PB=$(kp_free_port)
echo "sync_verify_interval 0" >> "$WORK/gemeente/ketenpoort.conf"
mkdir -p "$WORK/gemb"
cp -r "$WORK/gemeente/profiles" "$WORK/gemb/"
sed -e "s|^listen.*|listen\t127.0.0.1:$PB|" -e 's|^audit_key.*|audit_key\t../gemeente/audit.key|' \
    "$WORK/gemeente/ketenpoort.conf" > "$WORK/gemb/ketenpoort.conf"
echo "node a" >> "$WORK/gemeente/ketenpoort.conf"
echo "node b" >> "$WORK/gemb/ketenpoort.conf"
# the raw partner: the GGD's identity, towards a (the endpoint's port)
# or b (kpsend --connect-to; wsa:To stays the one endpoint)
kp_start gemeente || { echo "Bail out! node a did not start"; exit 1; }
kp_start gemb || { echo "Bail out! node b did not start"; exit 1; }

# 1. a notice to a, its resend to b, at once
mkdir -p "$WORK/n"
BSN=$(kp_bsn 7)
# the raw partner's own store made first: two new processes making one
# SQLite file at once may find it locked
"$KP" dossier show -c "$WORK/ggd/ketenpoort.conf" --bsn "$BSN" > /dev/null 2>&1
for i in $(seq 1 20); do
	kp_body zakLk01 $GGD $GEM "r$i" "$i" "$BSN" > "$WORK/n/$i.xml"
	sed "s|<kd:referentienummer>r$i<|<kd:referentienummer>r$i-again<|" \
	    "$WORK/n/$i.xml" > "$WORK/n/$i-again.xml"
	"$KPSEND" -c "$WORK/ggd/ketenpoort.conf" --to gemeente "$WORK/n/$i.xml" \
	    > "$WORK/n/$i.a" 2>&1 &
	a=$!
	"$KPSEND" -c "$WORK/ggd/ketenpoort.conf" --connect-to "127.0.0.1:$PB" --to gemeente "$WORK/n/$i-again.xml" \
	    > "$WORK/n/$i.b" 2>&1 &
	b=$!
	wait $a; wait $b
done
is "twenty notices, each sent to both nodes at once: all forty acknowledged" 40 \
    "$(cat "$WORK"/n/*.a "$WORK"/n/*.b | grep -c ': Bv03 from gemeente .*: accepted;')"
is "  each applied once: 20 records, 20 accepted, 20 duplicates" "20 20 20" \
    "$(kp_sql gemeente "SELECT count(*) FROM record") $(kp_sql gemeente "SELECT count(*) FROM audit WHERE direction = 'in' AND outcome = 'accepted'") $(kp_sql gemeente "SELECT count(*) FROM audit WHERE direction = 'in' AND outcome = 'duplicate'")"
is "  the stream expects #21" 21 \
    "$(kp_sql gemeente "SELECT next_expected FROM stream_in WHERE partner_oin = '$GGD' AND partitie = 0")"

# 2. #n to a and #n+1 to b at once; what got KP030 is sent again after
refused=0
for j in $(seq 0 19); do
	n=$((21 + 2 * j))
	for v in $n $((n + 1)); do
		kp_body zakLk01 $GGD $GEM "s$v" "$v" "$BSN" > "$WORK/n/s$v.xml"
	done
	"$KPSEND" -c "$WORK/ggd/ketenpoort.conf" --to gemeente "$WORK/n/s$n.xml" \
	    > "$WORK/n/s$n.out" 2>&1 &
	a=$!
	"$KPSEND" -c "$WORK/ggd/ketenpoort.conf" --connect-to "127.0.0.1:$PB" --to gemeente "$WORK/n/s$((n + 1)).xml" \
	    > "$WORK/n/s$((n + 1)).out" 2>&1 &
	b=$!
	wait $a; wait $b
	for v in $n $((n + 1)); do
		if grep -q 'KP030' "$WORK/n/s$v.out"; then
			refused=$((refused + 1))
			"$KPSEND" -c "$WORK/ggd/ketenpoort.conf" --to gemeente \
			    "$WORK/n/s$v.xml" > "$WORK/n/s$v.again" 2>&1
		fi
	done
done
echo "# $refused of the forty came before their predecessor and got KP030"
is "forty consecutive notices, two at a time on two nodes: the stream expects #61" 61 \
    "$(kp_sql gemeente "SELECT next_expected FROM stream_in WHERE partner_oin = '$GGD' AND partitie = 0")"
is "  each applied once" "60 60" \
    "$(kp_sql gemeente "SELECT count(*) FROM record") $(kp_sql gemeente "SELECT count(*) FROM stream_applied WHERE partner_oin = '$GGD' AND partitie = 0")"
is "  in order: the accepted entries of the chain follow the numbers" \
    "$(for v in $(seq 1 20); do echo "ZAAK-r$v"; done; for v in $(seq 21 60); do echo "ZAAK-s$v"; done)" \
    "$(kp_sql gemeente "SELECT split_part(record, '|', 3) FROM audit WHERE direction = 'in' AND outcome = 'accepted' ORDER BY seq")"
is "  only KP030 refused anything: never a number taken, never a gap applied" \
    "$refused/$refused" "$(kp_sql gemeente "SELECT count(*) FROM audit WHERE direction = 'in' AND outcome = 'rejected' AND code = 'KP030'")/$(kp_sql gemeente "SELECT count(*) FROM audit WHERE direction = 'in' AND outcome = 'rejected'")"
out=$("$KP" audit verify -c "$WORK/gemb/ketenpoort.conf" 2>&1); rc=$?
check "the chain both nodes wrote verifies" eq "$rc/$(grep -c '^audit chain: [0-9]* entries, 0 bad' <<< "$out")" "0/1"
