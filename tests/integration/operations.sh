#!/usr/bin/env bash
# The operator's listener (admin_listen): /healthz and /metrics of two
# real gateways, a municipality (gemeente) that sends cases to a GGD.
#
# - /metrics parses as the Prometheus text format (every sample after its
#   TYPE, label syntax, histograms cumulative with +Inf = _count), and its
#   counters are exactly the traffic this test made: 3 notices delivered by
#   the gemeente's daemon and accepted by the GGD, 1 refused with KP020,
#   2 failed TLS handshakes, the outbox backlog while the GGD is away.
# - /healthz is ready, then unready while the newest certificate the GGD
#   saw of the gemeente is expired (a handshake with an expired one), ready
#   again once the renewed one is used, and unready when the GGD's store
#   is on a file system the kernel made read-only (ext4 on a loop device
#   aborted with remount,abort: as after an I/O error; needs root).
# - Open files: started with a soft limit of 1024, the daemon raises it to
#   what max_connections needs; when the hard limit is too low it says so.
set -u
# A mount namespace of our own for the loop file system (see diskfull.sh).
if [ -z "${KP_OPS_NS:-}" ]; then
	KP_OPS_NS=1 exec unshare $([ "$(id -u)" = 0 ] || echo -r) -m \
	    --propagation private bash "$0" "$@"
	echo "Bail out! cannot make a mount namespace (unshare -m)"
	exit 1
fi
WORK=$(mktemp -d /tmp/kp-operations.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
LOOPFS=""
cleanup() {
	kp_stop_all
	[ -n "$LOOPFS" ] && umount "$LOOPFS" 2>/dev/null
	[ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
echo "1..32"

# The GGD's directory on its own ext4 file system, when we may make one.
mkdir -p "$WORK/ggd"
if [ "$(id -u)" = 0 ] && truncate -s 32M "$WORK/fs.img" &&
    mkfs.ext4 -q "$WORK/fs.img" 2>/dev/null &&
    mount -o loop "$WORK/fs.img" "$WORK/ggd" 2>/dev/null; then
	LOOPFS="$WORK/ggd"
fi

KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>' \
    kp_pair
KP_GATEWAYS="gemeente ggd"
A1=$(kp_free_port); A2=$(kp_free_port)
for g in gemeente:$A1 ggd:$A2; do
	printf 'admin_listen\t127.0.0.1:%s\nsync_verify_interval 0\ncheckpoint_interval 0\n' \
	    "${g#*:}" >> "$WORK/${g%%:*}/ketenpoort.conf"
done
kp_org oud $GEM --start-days -30 --days 10	# the gemeente's expired one
kp_start gemeente && kp_start ggd || { echo "Bail out! no gateways"; exit 1; }

# get PORT PATH: the body; HTTP status in $WORK/status
get() {
	curl -s -o "$WORK/body" -w '%{http_code}' "http://127.0.0.1:$1$2" > "$WORK/status"
	cat "$WORK/body"
}
# metric PORT SAMPLE: the value of one sample, e.g. 'x_total{a="b"}'
metric() {
	get "$1" /metrics | awk -v s="$2" 'index($0, s " ") == 1 { print $2 }'
}
# prom_valid PORT: the exposition is well formed; problems on stdout
prom_valid() {
	get "$1" /metrics | awk '
	function base(n) { sub(/_(bucket|sum|count)$/, "", n); return n }
	/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* / { next }
	/^# TYPE / {
		if ($4 !~ /^(counter|gauge|histogram)$/) { print "bad TYPE: " $0; bad = 1 }
		if ($3 in type) { print "TYPE twice: " $3; bad = 1 }
		type[$3] = $4; next }
	/^#/ { print "stray comment: " $0; bad = 1; next }
	{
		if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? -?[0-9.e+-]+$/ &&
		    $0 !~ / \+Inf$/) { print "bad sample: " $0; bad = 1; next }
		name = $1; sub(/\{.*/, "", name)
		t = (name in type) ? type[name] : type[base(name)]
		if (t == "") { print "no TYPE before: " $0; bad = 1 }
		if (t == "counter" && $2 < 0) { print "negative counter: " $0; bad = 1 }
		if (t == "histogram" && name ~ /_bucket$/) {
			if ($2 < last[base(name)]) { print "buckets not cumulative: " $0; bad = 1 }
			last[base(name)] = $2
			if ($1 ~ /le="\+Inf"/) inf[base(name)] = $2 }
		if (t == "histogram" && name ~ /_count$/ && inf[base(name)] != $2) {
			print "+Inf bucket is not _count: " name; bad = 1 }
	}
	END { exit bad }'
}

# 1. ready before any traffic
body=$(get $A2 /healthz)
check "healthz: a fresh gateway is ready (200)" eq "$(cat "$WORK/status") $(echo "$body" | head -1)" "200 ready"
check "healthz: one line per check: store, key, our certificate, the partner" eq \
    "$(echo "$body" | sed -e 1d -e 's/:.*//' | tr '\n' '|')" \
    "ok   store|ok   key|ok   our certificate|ok   partner gemeente ($GEM) certificate|"
check "healthz: the store is named and writable" eq \
    "$(echo "$body" | grep store:)" "ok   store: $WORK/ggd/store.db writable"

# 2. the gemeente's expired certificate in a handshake: refused, and seen
curl -s -o /dev/null --cert "$WORK/pki/oud.crt" --key "$WORK/pki/oud.key" \
    --cacert "$WORK/pki/ca.crt" -X POST "https://127.0.0.1:$P2/wus/v1" && echo "# expired certificate accepted?"
body=$(get $A2 /healthz)
EXPIRED=$(openssl x509 -in "$WORK/pki/oud.crt" -noout -enddate | sed 's/notAfter=//')
check "healthz: unready (503) while the partner's newest certificate is expired" eq \
    "$(cat "$WORK/status") $(echo "$body" | head -1)" "503 not ready: 1 check failed"
check "healthz: says which partner, since when, and what follows" eq \
    "$(echo "$body" | grep FAIL)" \
    "FAIL partner gemeente ($GEM) certificate: expired on $(date -u -d "$EXPIRED" +%F); we refuse its messages and it refuses ours until it installs a renewed one"
# a handshake without a client certificate
curl -s -o /dev/null --cacert "$WORK/pki/ca.crt" -X POST "https://127.0.0.1:$P2/wus/v1"

# 3. traffic: three cases from the gemeente's daemon, one refused send
for i in 1 2 3; do
	kp_local_change "$WORK/c$i.xml" T ZAK $GEM "ZAAK-$i" 1 "$(kp_bsn $i)"
done
"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK"/c[123].xml > /dev/null
check "the three cases are delivered" kp_drained
kp_body kctLk01 $GEM $GGD "kct-1" 1 "$(kp_bsn 1)" > "$WORK/kct.xml"
"$KPSEND" -c "$WORK/gemeente/ketenpoort.conf" --to ggd "$WORK/kct.xml" > "$WORK/send.out" 2>&1
check "the contact is refused with KP020 (the GGD's profile does not let the gemeente send it)" eq \
    "$(grep -c 'KP020' "$WORK/send.out")" 1

body=$(get $A2 /healthz)
check "healthz: ready again once the partner used its renewed certificate" eq \
    "$(cat "$WORK/status") $(echo "$body" | head -1)" "200 ready"
check "metrics (ggd): well-formed Prometheus text" prom_valid $A2
check "metrics (gemeente): well-formed Prometheus text" prom_valid $A1
check "metrics: served as text/plain version 0.0.4" eq \
    "$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$A2/metrics")" \
    "text/plain; version=0.0.4; charset=utf-8"
check "metrics (ggd): 3 Lk01 accepted" eq \
    "$(metric $A2 'ketenpoort_messages_in_total{type="Lk01",outcome="accepted"}')" 3
check "metrics (ggd): 1 Lk01 rejected" eq \
    "$(metric $A2 'ketenpoort_messages_in_total{type="Lk01",outcome="rejected"}')" 1
check "metrics (ggd): nothing else came in" eq \
    "$(get $A2 /metrics | awk '/^ketenpoort_messages_in_total/ { n += $2 } END { print n }')" 4
check "metrics (ggd): rejections by code: KP020 once, no other" eq \
    "$(get $A2 /metrics | awk '/^ketenpoort_rejections_total/ && $2 != 0')" \
    'ketenpoort_rejections_total{code="KP020"} 1'
check "metrics (ggd): 2 failed handshakes in (expired certificate, none at all)" eq \
    "$(metric $A2 'ketenpoort_tls_handshake_failures_total{direction="in"}')" 2
check "metrics (ggd): request latency histogram counts the 4 requests" eq \
    "$(metric $A2 'ketenpoort_request_duration_seconds_count')" 4
check "metrics (gemeente): its daemon delivered 3 Lk01 and nothing else" eq \
    "$(get $A1 /metrics | awk '/^ketenpoort_messages_out_total/ && $2 != 0')" \
    'ketenpoort_messages_out_total{type="Lk01",outcome="delivered"} 3'
check "metrics (gemeente): exchange latency histogram counts the 3 exchanges" eq \
    "$(metric $A1 'ketenpoort_exchange_duration_seconds_count')" 3
# days PEM: days until its notAfter, as the gateway should say it
days() {
	echo $(( $(date -d "$(openssl x509 -in "$1" -noout -enddate | sed 's/notAfter=//')" +%s) - $(date +%s) ))
}
# close A SECONDS: A days is within two minutes of SECONDS
close() { awk -v a="$1" -v s="$2" 'BEGIN { d = a * 86400 - s; exit !(d < 120 && d > -120) }' || echo "#   $1 days, want $2 s"; }
check "metrics (gemeente): our certificate's days to expiry" \
    close "$(metric $A1 "ketenpoort_certificate_expiry_days{role=\"own\",oin=\"$GEM\"}")" "$(days "$WORK/pki/gemeente.crt")"
check "metrics (gemeente): the GGD's certificate's days to expiry" \
    close "$(metric $A1 "ketenpoort_certificate_expiry_days{role=\"partner\",oin=\"$GGD\"}")" "$(days "$WORK/pki/ggd.crt")"
check "metrics (gemeente): outbox empty for the GGD" eq \
    "$(metric $A1 "ketenpoort_outbox_backlog{partner=\"$GGD\"}") $(metric $A1 "ketenpoort_outbox_oldest_age_seconds{partner=\"$GGD\"}")" "0 0.000"

# 4. the GGD away: the backlog grows and ages
kp_stop ggd
for i in 4 5; do
	kp_local_change "$WORK/c$i.xml" T ZAK $GEM "ZAAK-$i" 1 "$(kp_bsn $i)"
done
"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK"/c[45].xml > /dev/null
sleep 1.5
check "metrics (gemeente): a backlog of 2 for the GGD, none parked" eq \
    "$(metric $A1 "ketenpoort_outbox_backlog{partner=\"$GGD\"}") $(metric $A1 "ketenpoort_outbox_parked{partner=\"$GGD\"}")" "2 0"
check "metrics (gemeente): the oldest waits over a second" \
    awk -v a="$(metric $A1 "ketenpoort_outbox_oldest_age_seconds{partner=\"$GGD\"}")" 'BEGIN { exit !(a >= 1.0 && a < 60) }'
check "metrics (gemeente): the failed attempts count as failed, not as handshake failures" \
    test "$(metric $A1 'ketenpoort_messages_out_total{type="Lk01",outcome="failed"}')" -ge 1 -a \
    "$(metric $A1 'ketenpoort_tls_handshake_failures_total{direction="out"}')" = 0
check "admin: anything else is 404 and says what there is" eq \
    "$(get $A1 /wus/v1) $(cat "$WORK/status")" "GET /healthz or GET /metrics 404"
check "admin: POST is refused with 405" eq \
    "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$A1/metrics")" 405
kp_start ggd || { echo "Bail out! ggd did not restart"; exit 1; }
check "the backlog drains when the GGD is back" kp_drained

# 5. the GGD's store on a file system the kernel made read-only
if [ -n "$LOOPFS" ]; then
	mount -o remount,abort "$LOOPFS"
	body=$(get $A2 /healthz)
	check "healthz: unready (503) when the store's file system went read-only" eq \
	    "$(cat "$WORK/status") $(echo "$body" | head -1)" "503 not ready: 1 check failed"
	check "healthz: says it is the store, where, and the consequence" eq \
	    "$(echo "$body" | grep FAIL)" \
	    "FAIL store: cannot write next to $WORK/ggd/store.db: Read-only file system; nothing can be acknowledged until it takes writes again"
	# it cannot write even its last checkpoint now: no clean stop
	kp_kill9 ggd
else
	t=$((t + 1)); echo "ok $t # SKIP a read-only file system needs root (loop device)"
	t=$((t + 1)); echo "ok $t # SKIP a read-only file system needs root (loop device)"
fi

# 6. open files for max_connections (2000 connections, a quarter more
# for handshakes, + 128 for the rest)
kp_stop gemeente
echo "max_connections 2000" >> "$WORK/gemeente/ketenpoort.conf"
hard=$(ulimit -Hn) want=2628
[ "$hard" != unlimited ] && [ "$hard" -lt $want ] && want=$hard
soft=$(ulimit -Sn)
ulimit -Sn 1024
kp_start gemeente || { echo "Bail out! gemeente did not restart"; exit 1; }
ulimit -Sn "$soft"
check "open files: started with 1024, the daemon raised its soft limit for max_connections" eq \
    "$(awk '/^Max open files/ { print $4 }' "/proc/$(cat "$WORK/gemeente/pid")/limits")" "$want"
kp_stop gemeente
( ulimit -Sn 512; ulimit -Hn 512; exec "$KP" serve -c "$WORK/gemeente/ketenpoort.conf" ) \
    2> "$WORK/nofile.log" &
pid=$!
for i in $(seq 1 200); do grep -q "ready:" "$WORK/nofile.log" && break; sleep 0.05; done
kill -TERM "$pid"; wait "$pid"
check "open files: a hard limit too low is named, with what to do" eq \
    "$(grep -c -F 'max_connections 2000 needs about 2628 open files, but the limit is 512: raise it (LimitNOFILE= in the systemd unit, ulimit -Hn) or lower max_connections' "$WORK/nofile.log")" 1
