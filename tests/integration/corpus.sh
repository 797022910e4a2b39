#!/usr/bin/env bash
# The bad-input corpus (tests/corpus/cases/*.case), played against a real
# gateway on 127.0.0.1 over mutual TLS with a PKI made for this run.
#
# Each case names an input (a raw file, a generated monster, or a real
# signed message from kpforge with one mutation), how to send it (client
# certificate, TLS version, headers) and what must come back:
#   expect=KPnnn        HTTP 500, a SOAP Fault whose Fo03 carries KPnnn
#   expect=http:NNN     that HTTP status
#   expect=tls          no HTTP exchange at all: the handshake fails
#   expect=same-answer  a resend gets the first answer again, byte for byte
# and in every case: no message stored, no replay row added, and exactly
# one audit row for the rejection (none when TLS or the HTTP layer refused).
set -u
WORK=$(mktemp -d /tmp/kp-corpus.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; rm -rf "$WORK"' EXIT
GEM=00000001001000000000
GGD=00000002002000000000
CC=00000003003000000000
STRANGER=00000009009000000000

kp_pki
kp_org gemeente $GEM; kp_org ggd $GGD; kp_org callcenter $CC
kp_org stranger $STRANGER
kp_org weak $GEM --bits 1024 2>/dev/null
kp_org selfsigned $GEM --self-signed
kp_org expired $GEM --start-days -30 --days 10
kp_org revoked $GEM
"$KP" pki revoke "$WORK/pki" revoked >/dev/null
"$KP" pki init "$WORK/rogue" >/dev/null
"$KP" pki issue "$WORK/rogue" rogue --oin $GEM --org gemeente >/dev/null
cp "$WORK/rogue/rogue.crt" "$WORK/rogue/rogue.key" "$WORK/pki/"

P1=$(kp_free_port); P2=$(kp_free_port)
kp_gateway gemeente $GEM "$P1"
kp_gateway ggd $GGD "$P2"
echo "max_body 25165824" >> "$WORK/ggd/ketenpoort.conf"
kp_profile gemeente ggd $GGD "$P2" ketenpartner
kp_profile ggd gemeente $GEM "$P1" gemeente zakLk01 prsLk01
kp_profile ggd callcenter $CC 9 callcenter kctLk01
if ! kp_start ggd; then echo "Bail out! receiving gateway did not start"; exit 1; fi
URL="https://127.0.0.1:$P2/wus/v1"

counts() { kp_sql ggd "SELECT (SELECT count(*) FROM message) || ' ' || (SELECT count(*) FROM replay) || ' ' || (SELECT count(*) FROM audit)"; }

# post FILE TLS_ORG [curl options...]: prints the HTTP status (000: none)
post() {
	local file=$1 org=$2; shift 2
	local certopt=()
	[ "$org" != none ] && certopt=(--cert "$WORK/pki/$org.crt" --key "$WORK/pki/$org.key")
	curl -s -o "$WORK/resp" -w '%{http_code}' --cacert "$WORK/pki/ca.crt" \
	    "${certopt[@]}" -H 'Expect:' "$@" --data-binary @"$file" "$URL" \
	    2>"$WORK/curl.err"
}

t=0
stream=0
for casefile in "$SRCDIR"/tests/corpus/cases/*.case; do
	name=$(basename "$casefile" .case)
	desc=$(sed -n '1s/^# //p' "$casefile")
	raw="" body=zakLk01 mutate="" bsn=111222333 from=$GEM to=$GGD tls=gemeente
	tlsversion="" tlscipher="" signer="" created="" lifetime="" wsa_to="" action=""
	soapaction="" content_type="text/xml; charset=utf-8" repeat="" expect=""
	gen="" listen="" secret="" message_id=""
	while IFS='=' read -r k v; do
		case "$k" in ''|'#'*) continue ;; esac
		printf -v "$k" '%s' "$v"
	done < "$casefile"
	t=$((t + 1))
	problems=""
	msg="$WORK/msg.xml"
	lport=""; lpid=""

	# 1. the input
	if [ -n "$listen" ]; then
		lport=$(kp_free_port)
		"$KPFORGE" listen "$lport" 4 > "$WORK/listen.out" &
		lpid=$!
		for i in $(seq 1 50); do grep -q listening "$WORK/listen.out" && break; sleep 0.05; done
	fi
	if [ -n "$raw" ]; then
		echo "kp-secret-$RANDOM$RANDOM" > "$WORK/secret.txt"
		sed -e "s|@PORT@|${lport:-9}|g" -e "s|@SECRETFILE@|$WORK/secret.txt|g" \
		    "$SRCDIR/tests/corpus/raw/$raw" > "$msg"
	elif [ "$gen" = deep ]; then
		{ for i in $(seq 1 10000); do printf '<a>'; done
		  for i in $(seq 1 10000); do printf '</a>'; done; } > "$msg"
	elif [ "$gen" = bigtext ]; then
		{ printf '<a>'; head -c 20971520 /dev/zero | tr '\0' x; printf '</a>'; } > "$msg"
	elif [ "$gen" = oversize ]; then
		{ printf '<a>'; head -c 26214400 /dev/zero | tr '\0' x; printf '</a>'; } > "$msg"
	else
		# each case the first notice of a stream of its own (4.1)
		stream=$((stream + 1))
		kp_body "$body" "$from" "$to" "$name-$RANDOM$RANDOM" 1 "$bsn" "$stream" > "$WORK/body.xml"
		fopts=(-c "$WORK/gemeente/ketenpoort.conf" --to ggd --body "$WORK/body.xml" -o "$msg")
		[ -n "$mutate" ] && fopts+=(--mutate "$mutate")
		[ -n "$signer" ] && fopts+=(--signer-cert "$WORK/pki/$signer.crt" --signer-key "$WORK/pki/$signer.key")
		[ -n "$created" ] && fopts+=(--created-offset "$created")
		[ -n "$lifetime" ] && fopts+=(--lifetime "$lifetime")
		[ -n "$wsa_to" ] && fopts+=(--wsa-to "$wsa_to")
		[ -n "$message_id" ] && fopts+=(--message-id "$message_id")
		[ -n "$action" ] && fopts+=(--action "$action")
		[ -n "$lport" ] && fopts+=(--external-port "$lport")
		if [ -n "$repeat" ]; then
			mid="urn:uuid:$(cat /proc/sys/kernel/random/uuid)"
			fopts+=(--message-id "$mid")
			"$KPFORGE" "${fopts[@]}" || problems="$problems kpforge-first"
			first_status=$(post "$msg" "$tls" -H "Content-Type: $content_type")
			cp "$WORK/resp" "$WORK/first-resp"
			[ "$first_status" = 200 ] || problems="$problems first-send:$first_status"
			if [ "$repeat" = other-body ]; then
				kp_body "$body" "$from" "$to" "$name-other-$RANDOM" 1 999993653 "$stream" > "$WORK/body.xml"
				"$KPFORGE" "${fopts[@]}" || problems="$problems kpforge"
			fi
		else
			"$KPFORGE" "${fopts[@]}" || problems="$problems kpforge"
		fi
	fi

	# 2. send it
	before=$(counts)
	if [ -n "$tlsversion" ]; then
		openssl s_client -connect "127.0.0.1:$P2" -tls1_1 \
		    -cipher 'DEFAULT:@SECLEVEL=0' -cert "$WORK/pki/gemeente.crt" \
		    -key "$WORK/pki/gemeente.key" -CAfile "$WORK/pki/ca.crt" \
		    </dev/null > "$WORK/sclient.out" 2>&1
		sc=$?
		status=000
		# the server must answer the TLS 1.1 hello with a protocol alert
		grep -q "alert protocol version" "$WORK/sclient.out" ||
		    problems="$problems no-protocol-version-alert(s_client:$sc)"
	elif [ -n "$tlscipher" ]; then
		openssl s_client -connect "127.0.0.1:$P2" -tls1_2 \
		    -cipher "$tlscipher" -cert "$WORK/pki/gemeente.crt" \
		    -key "$WORK/pki/gemeente.key" -CAfile "$WORK/pki/ca.crt" \
		    </dev/null > "$WORK/sclient.out" 2>&1
		sc=$?
		status=000
		# a TLS 1.2 hello offering only that suite: the server refuses
		grep -q "alert handshake failure" "$WORK/sclient.out" ||
		    problems="$problems no-handshake-failure-alert(s_client:$sc)"
	else
		hdr=(-H "Content-Type: $content_type")
		[ -n "$soapaction" ] && hdr+=(-H "SOAPAction: $soapaction")
		status=$(post "$msg" "$tls" "${hdr[@]}")
	fi
	after=$(counts)
	read -r m0 r0 a0 <<< "$before"
	read -r m1 r1 a1 <<< "$after"

	# 3. what must come back, and what must not have changed
	audit_delta=1
	case "$expect" in
	KP*)
		[ "$status" = 500 ] || problems="$problems http:$status"
		grep -q "<kd:code>$expect</kd:code>" "$WORK/resp" ||
		    problems="$problems code:$(sed -n 's|.*<kd:code>\(KP[0-9]*\)</kd:code>.*|\1|p' "$WORK/resp")"
		grep -q '<soap:Fault' "$WORK/resp" && grep -q '<ds:SignatureValue>' "$WORK/resp" ||
		    problems="$problems fault-not-signed"
		last=$(kp_sql ggd "SELECT outcome || ' ' || coalesce(code, '-') FROM audit ORDER BY seq DESC LIMIT 1")
		[ "$last" = "rejected $expect" ] || problems="$problems audit:'$last'"
		;;
	http:*)
		[ "$status" = "${expect#http:}" ] || problems="$problems http:$status"
		[ "$expect" = http:413 ] && audit_delta=0
		;;
	tls)
		[ "$status" = 000 ] || problems="$problems http:$status"
		audit_delta=0
		;;
	same-answer)
		[ "$status" = 200 ] || problems="$problems http:$status"
		cmp -s "$WORK/resp" "$WORK/first-resp" || problems="$problems answer-differs"
		last=$(kp_sql ggd "SELECT outcome FROM audit ORDER BY seq DESC LIMIT 1")
		[ "$last" = duplicate ] || problems="$problems audit:'$last'"
		;;
	*)	problems="$problems bad-case-file" ;;
	esac
	[ "$m1" = "$m0" ] || problems="$problems stored:$((m1 - m0))"
	[ "$r1" = "$r0" ] || problems="$problems replay-rows:$((r1 - r0))"
	[ "$a1" = $((a0 + audit_delta)) ] || problems="$problems audit-rows:$((a1 - a0))"
	if [ -n "$secret" ]; then
		s=$(cat "$WORK/secret.txt")
		grep -q "$s" "$WORK/resp" && problems="$problems secret-in-answer"
		[ "$(kp_sql ggd "SELECT count(*) FROM audit WHERE detail LIKE '%$s%'")" = 0 ] ||
		    problems="$problems secret-in-audit"
	fi
	if [ -n "$lpid" ]; then
		wait "$lpid"
		grep -q "connections 0" "$WORK/listen.out" ||
		    problems="$problems $(tail -1 "$WORK/listen.out")"
	fi
	if [ -z "$problems" ]; then
		echo "ok $t - $name: $desc ($expect)"
	else
		echo "not ok $t - $name: $desc ($expect):$problems"
		sed 's/^/#   /' "$WORK/curl.err" | head -3
	fi
done

# The gateway survived all of it and still serves a good message.
t=$((t + 1))
kp_body zakLk01 $GEM $GGD after-corpus 1 111222333 $((stream + 1)) > "$WORK/body.xml"
"$KPFORGE" -c "$WORK/gemeente/ketenpoort.conf" --to ggd --body "$WORK/body.xml" -o "$msg"
status=$(post "$msg" gemeente -H "Content-Type: text/xml; charset=utf-8")
if [ "$status" = 200 ] && grep -q '<kd:berichtcode>Bv03</kd:berichtcode>' "$WORK/resp"; then
	echo "ok $t - after the corpus, a valid notice is still accepted"
else
	echo "not ok $t - after the corpus, a valid notice is still accepted (HTTP $status)"
fi
t=$((t + 1))
if kp_stop ggd; then echo "ok $t - the gateway stops cleanly"; else echo "not ok $t - the gateway stops cleanly"; fi
echo "1..$t"
