#!/usr/bin/env bash
# The key process (issue 16), with two real gateways (a municipality that
# sends, a GGD that receives):
#
# - serve is three processes: a parent whose two children are the key
#   process and the network process;
# - after an exchange, the network process's and the parent's readable
#   memory (/proc/PID/maps + /proc/PID/mem) hold neither of the RSA key's
#   prime factors nor the audit key; the same scan of the key process finds
#   them (so the scan works) — as root, which may read a process that is
#   not dumpable;
# - the key process killed (kill -9) while changes are being sent: the
#   parent logs it and starts a new one, and every change arrives;
# - failure is closed: with the key process gone and no new one possible
#   (its key file moved away), /healthz is unready and says why, a
#   request gets 503 with Retry-After and nothing signed or stored, the
#   sender keeps its notice; the key file back, a new key process starts
#   by itself and the notice arrives;
# - a system call outside the sandbox (made in the key process by gdb)
#   kills it with SIGSYS; the parent says so and starts a new one;
# - both gateways stop cleanly, their key processes with them.
set -u
WORK=$(mktemp -d /tmp/kp-keyproc.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "1..29"

KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>' \
    kp_pair
KP_GATEWAYS="gemeente ggd"
A1=$(kp_free_port); A2=$(kp_free_port)
for g in gemeente:$A1 ggd:$A2; do
	printf 'admin_listen\t127.0.0.1:%s\nsync_verify_interval 0\nsend_timeout 3\n' \
	    "${g#*:}" >> "$WORK/${g%%:*}/ketenpoort.conf"
done
kp_start gemeente && kp_start ggd || { echo "Bail out! no gateways"; exit 1; }

# pids NAME: "KEY NETWORK" as the parent logged them last
pids() {
	sed -n 's/.*started: key process pid \([0-9]*\), network process pid \([0-9]*\).*/\1 \2/p' \
	    "$WORK/$1/log" | tail -1
}
# keypid NAME: the key process now (the parent's other child)
keypid() {
	local p net
	net=$(pids "$1" | cut -d' ' -f2)
	for p in $(kp_children "$(cat "$WORK/$1/pid")"); do
		[ "$p" != "$net" ] && echo "$p"
	done
}
# get PORT PATH: the body; HTTP status in $WORK/status
get() {
	curl -s -o "$WORK/body" -w '%{http_code}' "http://127.0.0.1:$1$2" > "$WORK/status"
	cat "$WORK/body"
}
# scan PID FILE: how many of the secrets in FILE (hex, one per line) are in
# the process's readable memory, big- or little-endian
scan() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import re, sys
pid, secrets = sys.argv[1], [bytes.fromhex(l.strip()) for l in open(sys.argv[2]) if l.strip()]
needles = [s for v in secrets for s in (v, v[::-1])]
found = set()
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
        if m.group(3)[0] != "r" or "[vvar]" in line or "[vsyscall]" in line:
            continue
        start, end = int(m.group(1), 16), int(m.group(2), 16)
        try:
            mem.seek(start)
            chunk = mem.read(end - start)
        except OSError:
            continue
        for i, n in enumerate(needles):
            if n in chunk:
                found.add(i // 2)
print(len(found))
PY
}

read -r KEY NET < <(pids gemeente)
PARENT=$(cat "$WORK/gemeente/pid")
check "serve is a parent with two children: the key and the network process" \
    eq "$(kp_children "$PARENT" | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')" \
    "$(printf '%s\n' "$KEY" "$NET" | sort -n | tr '\n' ' ')"
check "the network process answers the partners (it holds the listener)" \
    eq "$(ss -ltnp 2>/dev/null | grep ":$P1 " | grep -o 'pid=[0-9]*' | sort -u)" "pid=$NET"

kp_put_cases 1 20
check "an exchange: 20 changes sent and stored at the GGD" kp_drained
is "  20 records arrived" 20 "$(kp_cases_at ggd)"

# the secrets: the RSA key's prime factors and the audit key
openssl pkey -in "$WORK/pki/gemeente.key" -noout -text 2>/dev/null | awk '
    /^[a-zA-Z]/ { if (on) print v; on = 0 }
    /^prime1:|^prime2:/ { on = 1; v = ""; next }
    on { gsub(/[ :]/, ""); v = v $0 }' | sed 's/^00//' > "$WORK/secrets"
cat "$WORK/gemeente/store.db.audit-key" >> "$WORK/secrets"
is "the secrets to look for: two primes of 128 bytes and the audit key" \
    "256 256 64" "$(awk '{ printf "%s%d", (NR > 1 ? " " : ""), length($0) }' "$WORK/secrets")"
if nm "$KP" 2>/dev/null | grep -q __asan_init; then
	for w in network parent key; do
		t=$((t + 1)); echo "ok $t # SKIP sanitizer build: ASan reserves terabytes of address space; the scan runs in the normal build"
	done
elif [ "$(id -u)" = 0 ]; then
	is "the network process's memory holds none of them" 0 "$(scan "$NET" "$WORK/secrets")"
	is "the parent's memory holds none of them" 0 "$(scan "$PARENT" "$WORK/secrets")"
	is "the key process's memory holds all three (the scan finds them)" 3 \
	    "$(scan "$KEY" "$WORK/secrets")"
else
	for w in network parent key; do
		t=$((t + 1)); echo "ok $t # SKIP reading another process's memory needs root"
	done
fi

# the key process killed under load
kp_put_cases 101 300 &
putter=$!
for i in $(seq 1 100); do
	[ "$(kp_sql gemeente "SELECT count(*) FROM outbox WHERE state = 'delivered'")" -ge 40 ] && break
	sleep 0.05
done
kill -9 "$KEY"
wait "$putter"
check "killed under load: the changes still all arrive (220)" kp_drained
is "  every one" 220 "$(kp_cases_at ggd)"
check "  the parent logged the death" grep -q "the key process (pid $KEY) was killed by signal 9" "$WORK/gemeente/log"
NEWKEY=$(sed -n 's/.*started a new key process (pid \([0-9]*\)).*/\1/p' "$WORK/gemeente/log" | tail -1)
check "  and started a new key process (pid $NEWKEY), its child, alive" eq \
    "$(kp_children "$PARENT" | tr ' ' '\n' | grep -cx "$NEWKEY")/$(kill -0 "$NEWKEY" 2>/dev/null && echo alive)" "1/alive"
check "  the network process is the same one" eq "$(kp_children "$PARENT" | grep -c "$NET")" 1

# failure is closed: the GGD's key process gone, and no new one possible.
# A connection made before (kept alive, as partners do) gets a signed
# fault while it lives, then 503; a new connection fails its handshake.
keepalive() {
	/usr/bin/python3 - "$P2" "$WORK/pki" "$1" <<'PY'
import http.client, os, signal, ssl, sys, time
port, pki, victim = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=f"{pki}/ca.crt")
ctx.check_hostname = False
ctx.load_cert_chain(f"{pki}/gemeente.crt", f"{pki}/gemeente.key")
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
soap = (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        b'<soap:Header/><soap:Body/></soap:Envelope>')
def post():
    c.request("POST", "/wus/v1", soap, {"Content-Type": "text/xml; charset=utf-8"})
    r = c.getresponse()
    return r.status, r.getheader("Retry-After"), r.read()
first = post()
os.kill(victim, signal.SIGKILL)
time.sleep(0.5)
second = post()
print(first[0], b"Fo03" in first[2] and b"SignatureValue" in first[2])
print(second[0], second[1], second[2].decode().strip())
PY
}
GKEY=$(keypid ggd)
mv "$WORK/pki/ggd.key" "$WORK/pki/ggd.key.away"
keepalive "$GKEY" > "$WORK/kept" 2>&1
is "a kept-alive connection: a signed fault while the key process lives" \
    "500 True" "$(sed -n 1p "$WORK/kept")"
is "  then, the key process killed and none possible: 503, Retry-After, why" \
    "503 5 the gateway cannot sign an answer now; nothing was stored: resend later" \
    "$(sed -n 2p "$WORK/kept")"
body=$(get "$A2" /healthz)
is "healthz: unready without a key process" 503 "$(cat "$WORK/status")"
check "  and says why" eq "$(echo "$body" | grep '^FAIL key' | cut -c1-60)" \
    "FAIL key: the key process does not answer (no answer from th"
curl -s -o /dev/null --cacert "$WORK/pki/ca.crt" --cert "$WORK/pki/gemeente.crt" \
    --key "$WORK/pki/gemeente.key" -H 'Content-Type: text/xml' \
    --data-binary '<x/>' "https://127.0.0.1:$P2/wus/v1"
is "a new connection: its handshake fails (nothing signed; curl exit 35)" 35 "$?"
before=$(kp_cases_at ggd)
kp_put_cases 401 401
sleep 2
is "  a notice sent now is not taken" "$before" "$(kp_cases_at ggd)"
is "  and waits at the sender" 1 "$(kp_sql gemeente "SELECT count(*) FROM outbox WHERE state = 'pending'")"
check "  the parent keeps trying, and says why it cannot" grep -q "cannot read\|No such file" "$WORK/ggd/log"
mv "$WORK/pki/ggd.key.away" "$WORK/pki/ggd.key"
check "the key file back: a new key process starts by itself, the notice arrives" kp_drained
is "  221 records" 221 "$(kp_cases_at ggd)"
get "$A2" /healthz > /dev/null
is "  healthz ready again" 200 "$(cat "$WORK/status")"

# a system call outside the sandbox
GKEY=$(keypid ggd)
if [ "$(id -u)" = 0 ] && command -v gdb > /dev/null; then
	gdb -p "$GKEY" -batch -ex 'call (int)open("/etc/hostname", 0)' > "$WORK/gdb.out" 2>&1
	for i in $(seq 1 50); do
		grep -q "pid $GKEY) was killed" "$WORK/ggd/log" && break
		sleep 0.1
	done
	check "a system call outside the sandbox (open, made by gdb) kills it with SIGSYS" \
	    grep -q "the key process (pid $GKEY) was killed by signal 31 (a system call outside its sandbox)" "$WORK/ggd/log"
else
	t=$((t + 1)); echo "ok $t # SKIP making the key process call open needs root and gdb"
fi
kp_put_cases 501 510
check "  a new one signs: ten more arrive" kp_drained
is "  231 records" 231 "$(kp_cases_at ggd)"

kids="$(kp_children "$(cat "$WORK/gemeente/pid")") $(kp_children "$(cat "$WORK/ggd/pid")")"
kp_stop gemeente && kp_stop ggd
check "both stop cleanly (exit 0)" test $? = 0
gone=0
for p in $kids; do [ -d "/proc/$p" ] || gone=$((gone + 1)); done
is "  and their four children are gone" 4 "$gone"
