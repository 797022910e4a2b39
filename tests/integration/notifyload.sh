#!/usr/bin/env bash
# Notifications are never lost (issue 18), with real gateways and a real
# HTTP receiver (tests/tools/subscriber.py):
#   - a subscriber that is down for the whole of 2,000 changes (100
#     citizens, ten cases each made and then changed), then up: all 2,000
#     arrive, each once, in order per citizen; meanwhile they wait in the
#     store, /metrics and queue notifications say so, and the gateway
#     stays ready;
#   - kill -9 of the gateway during delivery, ten times: every one of
#     another 1,000 arrives, in order per citizen; a delivery the crash
#     interrupted may arrive twice, with the same Idempotency-Key (the test
#     says how many did: at most the 16 in flight at each crash);
#   - a subscriber that takes five seconds per notification delays neither
#     another subscriber nor a partner's notices;
#   - a notification not taken within notify_park_after is parked with its
#     reason, holds its citizen's later ones, and queue notify-retry sends
#     it again.
# A soak: it runs in the normal build only (configure --disable-heavy-tests
# skips it, as in the sanitizer build and distcheck); notify.sh, which
# every build runs, covers the same code paths with fewer changes.
set -u
if [ "${KP_HEAVY:-yes}" = no ]; then
	echo "1..0 # SKIP soak: runs in the normal build (configure --disable-heavy-tests)"
	exit 0
fi
WORK=$(mktemp -d /tmp/kp-notifyload.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
SUBS=""
trap 'kp_stop_all; for p in $SUBS; do kill $p 2>/dev/null; done; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "1..23"
PY=/usr/bin/python3

KCC=00000003003000000000
KP_GATEWAYS="gemeente kcc"
kp_pki && kp_org gemeente $GEM && kp_org kcc $KCC
P1=$(kp_free_port); P2=$(kp_free_port); R1=$(kp_free_port); A1=$(kp_free_port)
S1=$(kp_free_port); S2=$(kp_free_port); S3=$(kp_free_port)
kp_gateway gemeente $GEM "$P1"; kp_gateway kcc $KCC "$P2"
kp_profile gemeente kcc $KCC "$P2" callcenter kctLk01
KP_ONTVANGEN='<ontvangen><entiteit type="KCT" doel="klantcontact"><wet>Testwet art. 2</wet><veld>kanaal</veld></entiteit></ontvangen>' \
    kp_profile kcc gemeente $GEM "$P1" gemeente zakLk01
printf '[{"client_id": "zaaksysteem", "secret": "0123456789abcdef0123456789abcdef"}]\n' \
    > "$WORK/gemeente/clients.json"
cat > "$WORK/gemeente/subs.json" <<J
[ {"naam": "zaaksysteem", "callbackUrl": "http://127.0.0.1:$S1/zs", "auth": "Bearer zs",
   "kanalen": [{"naam": "zaken"}]} ]
J
chmod 600 "$WORK/gemeente/subs.json" "$WORK/gemeente/clients.json"
printf 'read_listen 127.0.0.1:%s\nread_clients clients.json\nsubscriptions subs.json\nlocal_socket local.sock\nadmin_listen 127.0.0.1:%s\n' \
    "$R1" "$A1" >> "$WORK/gemeente/ketenpoort.conf"
HUB=$WORK/gemeente/ketenpoort.conf
kp_start gemeente || { echo "Bail out! gemeente did not start"; exit 1; }

subscriber() {	# subscriber PORT DIR: start one; its pid in SUBS
	$PY "$SRCDIR/tests/tools/subscriber.py" "$1" "$2" &
	SUBS="$SUBS $!"
	local i
	for i in $(seq 1 100); do
		curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
		sleep 0.05
	done
}
lines() { [ -f "$1/received.jsonl" ] && wc -l < "$1/received.jsonl" || echo 0; }
waiting() { kp_sql gemeente "SELECT count(*) FROM notification"; }
metric() { curl -s "http://127.0.0.1:$A1/metrics" | sed -n "s/^$1 //p"; }
# changes FIRST LAST: citizens FIRST..LAST each get cases 1..10, then a new
# version of each, in that order: 20 changes a citizen
changes() {
	local i c d="$WORK/ch$1"
	mkdir -p "$d"
	for i in $(seq "$1" "$2"); do
		b=$(kp_bsn "$i")
		for c in 01 02 03 04 05 06 07 08 09 10; do
			kp_local_change "$d/$i-a$c.xml" T ZAK $GEM "Z$i-$c" 1 "$b"
		done
		for c in 01 02 03 04 05 06 07 08 09 10; do
			kp_local_change "$d/$i-b$c.xml" W ZAK $GEM "Z$i-$c" 2 "$b"
		done
	done
	# in this order: a citizen's ten cases, then their changes
	ls "$d"/*.xml | sort -V > "$d.list"
	"$KP" dossier put -c "$HUB" $(cat "$d.list") > /dev/null 2>&1
}
# verdict DIR: "N unique, D duplicates, O citizens out of order" over
# what DIR's subscriber received, judged by the gateway's references:
# per citizen, the first arrivals must be cases 01..10 created, then
# 01..10 updated
verdict() {
	kp_sql gemeente "SELECT ref || ' ' || identificatie FROM record_ref" > "$WORK/refs"
	$PY - "$1/received.jsonl" "$WORK/refs" <<'PY'
import json, sys
refs = dict(l.split() for l in open(sys.argv[2]))
seen, dup, per = set(), 0, {}
for d in map(json.loads, open(sys.argv[1])):
    key = d["idempotency_key"]
    if key in seen:
        dup += 1
        continue
    seen.add(key)
    b = d["body"]
    ident = refs[b["resourceUrl"].rsplit("/", 1)[1]]
    per.setdefault(b["hoofdObject"], []).append((ident, b["actie"]))
bad = 0
for dossier, got in per.items():
    citizen = got[0][0].split("-")[0]
    want = [("%s-%02d" % (citizen, c), "create") for c in range(1, 11)] + \
           [("%s-%02d" % (citizen, c), "update") for c in range(1, 11)]
    if got != want:
        bad += 1
print("%d unique, %d duplicates, %d citizens out of order" % (len(seen), dup, bad))
PY
}

# 1. The subscriber down for the whole of 2,000 changes
changes 1 100
is "2,000 changes made with the subscriber down: 2,000 notifications wait" 2000 "$(waiting)"
check "the worker tried: failed attempts counted in /metrics" \
    test "$(metric 'ketenpoort_notifications_total{outcome="failed"}')" -gt 0
is "/metrics: 2,000 waiting" 2000 "$(metric 'ketenpoort_notifications_waiting{state="pending"}')"
is "/healthz: still ready (200), saying how many wait" "200 1" \
    "$(curl -s -o "$WORK/hz" -w '%{http_code}' "http://127.0.0.1:$A1/healthz") $(grep -c '^ok   notifications: 2000 waiting$' "$WORK/hz")"
"$KP" queue notifications -c "$HUB" > "$WORK/q" 2>&1
is "queue notifications: the subscription, what waits, the last failure" "1 1" \
    "$(grep -c '^  2000 waiting, 0 parked' "$WORK/q") $(grep -c '^  last failure: .*Connection refused\|^  last failure: .*connect' "$WORK/q")"
subscriber "$S1" "$WORK/s1"
for i in $(seq 1 900); do [ "$(waiting)" = 0 ] && break; sleep 0.1; done
is "the subscriber up: nothing waits any more" 0 "$(waiting)"
is "all 2,000 arrived, each once, in order per citizen" \
    "2000 unique, 0 duplicates, 0 citizens out of order" "$(verdict "$WORK/s1")"
is "  and the subscriber received exactly 2,000" 2000 "$(lines "$WORK/s1")"
is "/metrics: 2,000 delivered" 2000 "$(metric 'ketenpoort_notifications_total{outcome="delivered"}')"

# 2. kill -9 during delivery, ten times
echo 0.25 > "$WORK/s1/delay"
changes 101 150
crashes=0
for k in $(seq 1 10); do
	[ "$(waiting)" = 0 ] && break
	sleep 0.$((RANDOM % 6 + 2))
	kp_kill9 gemeente
	crashes=$((crashes + 1))
	kp_start gemeente || { echo "Bail out! gemeente did not start again"; exit 1; }
done
is "ten crashes in the middle of delivery" 10 "$crashes"
rm -f "$WORK/s1/delay"
for i in $(seq 1 900); do [ "$(waiting)" = 0 ] && break; sleep 0.1; done
is "after them nothing waits" 0 "$(waiting)"
v=$(verdict "$WORK/s1")
check "all 3,000 arrived, in order per citizen; deliveries a crash interrupted came again with the same Idempotency-Key (${v#*unique, })" \
    eq "$(echo "$v" | sed 's/, [0-9]* duplicates//')" "3000 unique, 0 citizens out of order"
dups=$(echo "$v" | sed -n 's/.*unique, \([0-9]*\) duplicates.*/\1/p')
check "  at most the 16 in flight per crash came twice ($dups)" test "$dups" -le 160
mkdir -p "$WORK/bodies"
$PY - "$WORK/s1/received.jsonl" "$WORK/bodies" <<'PY'
import json, sys
for i, l in enumerate(open(sys.argv[1])):
    with open("%s/%05d.json" % (sys.argv[2], i), "w") as f:
        json.dump(json.loads(l)["body"], f)
PY
NAME=notificaties-api-1.0.0.post1.openapi.yaml
is "every one of the $(ls "$WORK/bodies" | wc -l) received validates against the Message schema" \
    "$(ls "$WORK/bodies" | wc -l)" \
    "$($PY "$SRCDIR/tests/tools/zgwvalidate.py" "$SRCDIR/tests/contracts/zgw/$NAME" Message "$WORK"/bodies/*.json | grep -c '^ok ')"

# 3. A slow subscriber delays neither another nor a partner
cat > "$WORK/gemeente/subs.json" <<J
[ {"naam": "zaaksysteem", "callbackUrl": "http://127.0.0.1:$S1/zs", "auth": "Bearer zs",
   "kanalen": [{"naam": "zaken"}]},
  {"naam": "traag", "callbackUrl": "http://127.0.0.1:$S2/traag", "auth": "Bearer t",
   "kanalen": [{"naam": "zaken"}, {"naam": "klantcontacten"}]} ]
J
kp_stop gemeente; kp_start gemeente || { echo "Bail out! gemeente did not start"; exit 1; }
kp_start kcc || { echo "Bail out! kcc did not start"; exit 1; }
subscriber "$S2" "$WORK/s2"
echo 5 > "$WORK/s2/delay"
before=$(lines "$WORK/s1")
changes 151 160
mkdir -p "$WORK/kct"
for i in $(seq 1 100); do
	kp_local_change "$WORK/kct/$i.xml" T KCT $KCC "K$i" 1 "$(kp_bsn $((i + 150)))"
done
"$KP" dossier put -c "$WORK/kcc/ketenpoort.conf" "$WORK"/kct/*.xml > /dev/null 2>&1
for i in $(seq 1 600); do
	[ "$(($(lines "$WORK/s1") - before))" = 200 ] &&
	    [ "$(kp_sql gemeente "SELECT count(*) FROM record WHERE entiteittype = 'KCT'")" = 100 ] &&
	    [ "$(kp_sql kcc "SELECT count(*) FROM outbox WHERE state = 'delivered'")" = 100 ] && break
	sleep 0.1
done
slow=$(lines "$WORK/s2")
is "with a subscriber taking 5 s each, the other gets all 200 of its notifications" 200 \
    "$(($(lines "$WORK/s1") - before))"
is "  and the call centre's 100 contacts are all applied and acknowledged" "100 100" \
    "$(kp_sql gemeente "SELECT count(*) FROM record WHERE entiteittype = 'KCT'") $(kp_sql kcc "SELECT count(*) FROM outbox WHERE state = 'delivered'")"
check "  while the slow one has taken a handful of its 300 ($slow)" test "$slow" -lt 40
# (it goes on taking them meanwhile: a notification leaves the store once
# taken, so those received before the count plus those waiting make at
# least 300, and those received after it at most 300 and the 16 in flight)
l1=$(lines "$WORK/s2")
waiting=$(kp_sql gemeente "SELECT count(*) FROM notification n JOIN subscription s ON s.id = n.subscription WHERE s.name = 'traag'")
l2=$(lines "$WORK/s2")
check "  which wait for it, in the store ($waiting, with $l1 to $l2 taken)" \
    test $((waiting + l1)) -ge 300 -a $((waiting + l2)) -le 316

# 4. Parked after notify_park_after, held back, retried
kp_stop kcc
cat > "$WORK/gemeente/subs.json" <<J
[ {"naam": "weigert", "callbackUrl": "http://127.0.0.1:$S3/w", "auth": "Bearer w",
   "kanalen": [{"naam": "zaken"}]} ]
J
echo "notify_park_after 60" >> "$HUB"
kp_stop gemeente
kp_start gemeente || { echo "Bail out! gemeente did not start"; exit 1; }
subscriber "$S3" "$WORK/s3"
echo 500 > "$WORK/s3/status"
b=$(kp_bsn 170)
kp_local_change "$WORK/p1.xml" T ZAK $GEM P-1 1 "$b"
kp_local_change "$WORK/p2.xml" W ZAK $GEM P-1 2 "$b"
"$KP" dossier put -c "$HUB" "$WORK/p1.xml" > /dev/null 2>&1
# the first notification is made 61 s in the past: due to be parked
kp_sql gemeente "UPDATE notification SET created_ms = created_ms - 61000"
"$KP" dossier put -c "$HUB" "$WORK/p2.xml" > /dev/null 2>&1
wait_for gemeente "SELECT count(*) FROM notification WHERE state = 'parked'" 1 30
is "a notification refused past notify_park_after: parked, with why" \
    "parked|the callback answered HTTP 500" \
    "$(kp_sql gemeente "SELECT state || '|' || last_error FROM notification ORDER BY id LIMIT 1")"
rm -f "$WORK/s3/status"
sleep 1.5
is "  its citizen's next waits behind it, though the subscriber takes it now" "0 2" \
    "$(lines "$WORK/s3") $(waiting)"
is "  /healthz warns and stays ready" "200 1" \
    "$(curl -s -o "$WORK/hz" -w '%{http_code}' "http://127.0.0.1:$A1/healthz") $(grep -c '^WARN notifications: 1 parked' "$WORK/hz")"
is "  queue notify-retry sends it again" "1 parked notification pending again; the worker sends them now" \
    "$("$KP" queue notify-retry -c "$HUB" 2>&1)"
wait_for gemeente "SELECT count(*) FROM notification" 0 30
is "  both arrive, in order" "create update" \
    "$($PY -c 'import json, sys; print(" ".join(json.loads(l)["body"]["actie"] for l in open(sys.argv[1])))' "$WORK/s3/received.jsonl")"
