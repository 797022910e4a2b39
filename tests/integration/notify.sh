#!/usr/bin/env bash
# The organisation's own systems told of every change (issue 18), with two
# real gateways on 127.0.0.1 and a real HTTP receiver (tests/tools/
# subscriber.py): a municipality (gemeente) with four configured
# subscriptions —
#   alles          every channel, no filters
#   zaken-lokaal   zaken made here (herkomst lokaal)
#   kcc-contacten  klantcontacten from the call centre (partij = its OIN)
#   nooit          zaken of an organisation that does not exist
# — and a call centre (kcc) that receives the municipality's records on
# the citizen's consent, with one subscription (alles).
# Each kind of change — a local change, a local update, a local deletion,
# a partner's record, a consent, a consent withdrawn (the copies retracted
# at the call centre), a repair — makes exactly the notifications
# expected, per subscriber (count, kanaal, actie, herkomst, entiteittype,
# partij), and none for those whose filters do not hold.  Every
# notification received validates against the Message schema; carries
# its subscription's Authorization and a unique Idempotency-Key; holds no
# BSN.  Every resourceUrl resolves with a JWT to the record it names (404
# once the record is gone); without one, or with a bad one, 401.  Reads
# are audited.  Abonnementen made, read and removed through the read API
# and the local socket.  /metrics counts what was delivered.
set -u
WORK=$(mktemp -d /tmp/kp-notify.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
SUBPID=""
trap 'kp_stop_all; [ -n "$SUBPID" ] && kill $SUBPID 2>/dev/null; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "1..54"
PY=/usr/bin/python3
NAME=notificaties-api-1.0.0.post1.openapi.yaml
VALIDATE="$PY $SRCDIR/tests/tools/zgwvalidate.py $SRCDIR/tests/contracts/zgw/$NAME Message"

KCC=00000003003000000000
KP_GATEWAYS="gemeente kcc"
kp_pki && kp_org gemeente $GEM && kp_org kcc $KCC
P1=$(kp_free_port); P2=$(kp_free_port); R1=$(kp_free_port)
R2=$(kp_free_port); S=$(kp_free_port); A1=$(kp_free_port)
kp_gateway gemeente $GEM "$P1"; kp_gateway kcc $KCC "$P2"
KP_ONTVANGEN='<ontvangen>
  <entiteit type="PRS" doel="klantcontact"><toestemming/><veld>geslachtsnaam</veld><veld>telefoon</veld></entiteit>
  <entiteit type="ZAK" doel="klantcontact"><toestemming/><veld>zaaktype</veld><veld>status</veld></entiteit>
  <entiteit type="TST" doel="klantcontact"><toestemming/><veld>partner</veld><veld>doel</veld><veld>status</veld></entiteit>
</ontvangen>' kp_profile gemeente kcc $KCC "$P2" callcenter kctLk01 dosLv01
KP_ONTVANGEN='<ontvangen><entiteit type="KCT" doel="klantcontact"><wet>Testwet art. 2</wet><veld>kanaal</veld><veld>onderwerp</veld></entiteit></ontvangen>' \
    kp_profile kcc gemeente $GEM "$P1" gemeente prsLk01 zakLk01 tstLk01 dosLv01
SECRET=0123456789abcdef0123456789abcdef-zaaksysteem
for g in gemeente kcc; do
	printf '[{"client_id": "zaaksysteem", "secret": "%s"}]\n' "$SECRET" \
	    > "$WORK/$g/clients.json"
done
cat > "$WORK/gemeente/subs.json" <<J
[ {"naam": "alles", "callbackUrl": "http://127.0.0.1:$S/g/alles", "auth": "Bearer alles-token",
   "kanalen": [{"naam": "zaken"}, {"naam": "personen"}, {"naam": "klantcontacten"}, {"naam": "toestemmingen"}]},
  {"naam": "zaken-lokaal", "callbackUrl": "http://127.0.0.1:$S/g/zaken-lokaal", "auth": "Bearer zl-token",
   "kanalen": [{"naam": "zaken", "filters": {"herkomst": "lokaal"}}]},
  {"naam": "kcc-contacten", "callbackUrl": "http://127.0.0.1:$S/g/kcc-contacten", "auth": "Bearer kc-token",
   "kanalen": [{"naam": "klantcontacten", "filters": {"partij": "$KCC"}}]},
  {"naam": "nooit", "callbackUrl": "http://127.0.0.1:$S/g/nooit", "auth": "Bearer n-token",
   "kanalen": [{"naam": "zaken", "filters": {"bron": "99999999999999999999"}}]} ]
J
cat > "$WORK/kcc/subs.json" <<J
[ {"naam": "alles", "callbackUrl": "http://127.0.0.1:$S/c/alles", "auth": "Bearer c-token",
   "kanalen": [{"naam": "zaken"}, {"naam": "personen"}, {"naam": "klantcontacten"}, {"naam": "toestemmingen"}]} ]
J
chmod 600 "$WORK"/*/subs.json "$WORK"/*/clients.json
printf 'read_listen 127.0.0.1:%s\nread_clients clients.json\nread_client_ca ../lokaal/ca.crt\nsubscriptions subs.json\nlocal_socket local.sock\nadmin_listen 127.0.0.1:%s\n' \
    "$R1" "$A1" >> "$WORK/gemeente/ketenpoort.conf"
# the municipality's own CA, for its systems' client certificates
"$KP" pki init "$WORK/lokaal" > /dev/null
"$KP" pki issue "$WORK/lokaal" zaaksysteem --oin 00000001001000000999 --org Zaaksysteem > /dev/null
printf 'read_listen 127.0.0.1:%s\nread_clients clients.json\nsubscriptions subs.json\n' \
    "$R2" >> "$WORK/kcc/ketenpoort.conf"
HUB=$WORK/gemeente/ketenpoort.conf
CCC=$WORK/kcc/ketenpoort.conf

# check-config reads the subscriptions: a broken one and an open file
cp "$WORK/gemeente/subs.json" "$WORK/subs.ok"
sed 's/"naam": "zaken"}, {"naam": "personen"/"naam": "zaken"}, {"naam": "brieven"/' \
    "$WORK/subs.ok" > "$WORK/gemeente/subs.json"
out=$("$KP" check-config -c "$HUB" 2>&1)
check "check-config: an unknown channel in a configured subscription is named" \
    eq "$(echo "$out" | grep -c 'subscriptions: .*subs.json: entry 1 (alles): kanalen\[1\]: no channel "brieven"')" 1
cp "$WORK/subs.ok" "$WORK/gemeente/subs.json"
chmod 644 "$WORK/gemeente/subs.json"
out=$("$KP" check-config -c "$HUB" 2>&1)
check "check-config: a subscriptions file others can read is refused (auth is a secret)" \
    eq "$(echo "$out" | grep -c 'accessible to group or others (mode 0644); run: chmod 600')" 1
chmod 600 "$WORK/gemeente/subs.json"

$PY "$SRCDIR/tests/tools/subscriber.py" "$S" "$WORK/sub" &
SUBPID=$!
for g in $KP_GATEWAYS; do
	kp_start $g || { echo "Bail out! $g did not start"; exit 1; }
done
is "the four configured subscriptions are in the store" 4 \
    "$(kp_sql gemeente 'SELECT count(*) FROM subscription WHERE name IS NOT NULL')"

B1=$(kp_bsn 601); B2=$(kp_bsn 602)
mkdir -p "$WORK/in"
# got PATH: what PATH's subscriber received, sorted, one line each:
# kanaal actie herkomst entiteittype partij; mark N: remember how many
# lines arrived so far, since: what arrived after the mark
got() {
	[ -f "$WORK/sub/received.jsonl" ] || return 0
	$PY - "$WORK/sub/received.jsonl" "$1" "$(cat "$WORK/mark" 2>/dev/null || echo 0)" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[3]):]
out = []
for d in rows:
    if d["path"] != sys.argv[2]:
        continue
    b = d["body"]; k = b["kenmerken"]
    out.append(" ".join([b["kanaal"], b["actie"], k["herkomst"],
                         k["entiteittype"], k["partij"]]))
print("|".join(sorted(out)))
PY
}
received() { [ -f "$WORK/sub/received.jsonl" ] && wc -l < "$WORK/sub/received.jsonl" || echo 0; }
# settle: every notification of both gateways taken, and every notice
settled() {
	local i
	for i in $(seq 1 300); do
		if [ "$(kp_sql gemeente 'SELECT count(*) FROM notification')" = 0 ] &&
		    [ "$(kp_sql kcc 'SELECT count(*) FROM notification')" = 0 ] &&
		    [ "$(kp_waiting)" = "0 0 " ]; then
			sleep 0.3
			[ "$(kp_sql gemeente 'SELECT count(*) FROM notification')" = 0 ] &&
			    [ "$(kp_sql kcc 'SELECT count(*) FROM notification')" = 0 ] &&
			    [ "$(kp_waiting)" = "0 0 " ] && return 0
		fi
		sleep 0.1
	done
	echo "#   still waiting: $(kp_sql gemeente 'SELECT count(*) FROM notification') and $(kp_sql kcc 'SELECT count(*) FROM notification') notifications, outboxes $(kp_waiting)"
	return 1
}
# step NAME: the paths and what each got since the last step
step() {
	settled || return 1
	local p
	for p in /g/alles /g/zaken-lokaal /g/kcc-contacten /g/nooit /c/alles; do
		echo "$p=$(got $p)"
	done | tr '\n' ';'
	received > "$WORK/mark"
}
put() { "$KP" dossier put -c "$1" "$2" >/dev/null 2>&1; }

kp_local_change "$WORK/in/z1.xml" T ZAK $GEM Z1 1 "$B1"; put "$HUB" "$WORK/in/z1.xml"
is "a local case: alles and zaken-lokaal, create, lokaal, partij ourselves" \
    "/g/alles=zaken create lokaal ZAK $GEM;/g/zaken-lokaal=zaken create lokaal ZAK $GEM;/g/kcc-contacten=;/g/nooit=;/c/alles=;" "$(step)"
kp_local_change "$WORK/in/z1w.xml" W ZAK $GEM Z1 2 "$B1"; put "$HUB" "$WORK/in/z1w.xml"
is "a local update: update to the same two" \
    "/g/alles=zaken update lokaal ZAK $GEM;/g/zaken-lokaal=zaken update lokaal ZAK $GEM;/g/kcc-contacten=;/g/nooit=;/c/alles=;" "$(step)"
kp_local_change "$WORK/in/p1.xml" T PRS $GEM P1 1 "$B1"; put "$HUB" "$WORK/in/p1.xml"
is "a local person: alles only (personen)" \
    "/g/alles=personen create lokaal PRS $GEM;/g/zaken-lokaal=;/g/kcc-contacten=;/g/nooit=;/c/alles=;" "$(step)"
"$KP" consent grant -c "$HUB" --bsn "$B1" --partner kcc --doel klantcontact >/dev/null 2>&1
is "a consent: toestemmingen at the municipality; at the call centre the consent, the person and the case arrive, herkomst partner, partij the municipality" \
    "/g/alles=toestemmingen create lokaal TST $GEM;/g/zaken-lokaal=;/g/kcc-contacten=;/g/nooit=;/c/alles=personen create partner PRS $GEM|toestemmingen create partner TST $GEM|zaken create partner ZAK $GEM;" "$(step)"
kp_local_change "$WORK/in/k1.xml" T KCT $KCC K1 1 "$B1"; put "$CCC" "$WORK/in/k1.xml"
is "the call centre's contact: lokaal there; at the municipality to alles and kcc-contacten, partner, partij the call centre" \
    "/g/alles=klantcontacten create partner KCT $KCC;/g/zaken-lokaal=;/g/kcc-contacten=klantcontacten create partner KCT $KCC;/g/nooit=;/c/alles=klantcontacten create lokaal KCT $KCC;" "$(step)"

# The contact's resourceUrl and its dossier, fetched as the case system does
JWT=$($PY "$SRCDIR/tests/tools/zgwjwt.py" zaaksysteem "$SECRET")
CURL="curl -s --cacert $WORK/pki/ca.crt"
last_url() {	# last_url PATH FIELD: the newest notification's FIELD
	$PY - "$WORK/sub/received.jsonl" "$1" "$2" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == sys.argv[2]]
print(rows[-1]["body"][sys.argv[3]])
PY
}
field() { $PY -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
KURL=$(last_url /g/kcc-contacten resourceUrl)
DURL=$(last_url /g/kcc-contacten hoofdObject)
$CURL -D "$WORK/h" -H "Authorization: Bearer $JWT" "$KURL" > "$WORK/k.json"
is "the contact's resourceUrl, with a JWT: the record it names" \
    "KCT $KCC K1 1 $B1 telefoon" \
    "$(field 'd["entiteittype"], d["bron"], d["identificatie"], d["bronversie"], d["bsn"], d["velden"]["kanaal"]' < "$WORK/k.json" | tr -d "(),'")"
check "  answered 200, JSON, Cache-Control: no-store" \
    eq "$(grep -ciE '^(HTTP/1.1 200|content-type: application/json|cache-control: no-store)' "$WORK/h")" 3
$CURL -H "Authorization: Bearer $JWT" "$DURL" > "$WORK/d.json"
is "the hoofdObject: the citizen's dossier, every record held about them" \
    "$(kp_sql gemeente "SELECT count(*) FROM record WHERE bsn = '$B1' AND deleted = 0")" \
    "$(field 'len(d["records"])' < "$WORK/d.json")"
is "  with its BSN, behind the JWT" "$B1" "$(field 'd["bsn"]' < "$WORK/d.json")"
is "  and its url is the hoofdObject" "$DURL" "$(field 'd["url"]' < "$WORK/d.json")"
is "both reads audited: outcome read, the client named" 2 \
    "$(kp_sql gemeente "SELECT count(*) FROM audit WHERE outcome = 'read' AND detail LIKE 'read API: client zaaksysteem read %'")"
code() { $CURL -o /dev/null -w '%{http_code}' "$@"; }
is "without a JWT: 401" 401 "$(code "$KURL")"
is "with another secret: 401" 401 \
    "$(code -H "Authorization: Bearer $($PY "$SRCDIR/tests/tools/zgwjwt.py" zaaksysteem wrong-secret-wrong-secret-wrong-secret)" "$KURL")"
is "an unsigned JWT (alg none): 401" 401 \
    "$(code -H "Authorization: Bearer $($PY "$SRCDIR/tests/tools/zgwjwt.py" zaaksysteem x 0 none)" "$KURL")"
is "a JWT issued an hour ago: 401" 401 \
    "$(code -H "Authorization: Bearer $($PY "$SRCDIR/tests/tools/zgwjwt.py" zaaksysteem "$SECRET" -3600)" "$KURL")"
is "a 401 says why, never repeating the token" 1 \
    "$($CURL "$KURL" | grep -c '"status":401')"
is "a record under another channel's path: 404" 404 \
    "$(code -H "Authorization: Bearer $JWT" "${KURL/klantcontacten/zaken}")"
is "the refusals read nothing: still two reads audited" 2 \
    "$(kp_sql gemeente "SELECT count(*) FROM audit WHERE outcome = 'read'")"
is "a client certificate of the municipality's own CA, no JWT: the record" "200 K1" \
    "$($CURL -o "$WORK/c.json" -w '%{http_code}' --cert "$WORK/lokaal/zaaksysteem.crt" --key "$WORK/lokaal/zaaksysteem.key" "$KURL") $(field 'd["identificatie"]' < "$WORK/c.json")"
is "  audited as that certificate (its CN)" 1 \
    "$(kp_sql gemeente "SELECT count(*) FROM audit WHERE outcome = 'read' AND detail = 'read API: certificate Zaaksysteem read a record'")"
is "the call centre's certificate (the partners' CA), no JWT: 401 saying why" \
    "401 the client certificate (CN kcc) is not one of read_client_ca's" \
    "$($CURL -o "$WORK/c.json" -w '%{http_code}' --cert "$WORK/pki/kcc.crt" --key "$WORK/pki/kcc.key" "$KURL") $(field 'd["detail"].split(":")[0]' < "$WORK/c.json")"

kp_local_change "$WORK/in/z1v.xml" V ZAK $GEM Z1 3 "$B1"; put "$HUB" "$WORK/in/z1v.xml"
is "a local deletion: destroy to alles and zaken-lokaal; the call centre's copy goes too" \
    "/g/alles=zaken destroy lokaal ZAK $GEM;/g/zaken-lokaal=zaken destroy lokaal ZAK $GEM;/g/kcc-contacten=;/g/nooit=;/c/alles=zaken destroy partner ZAK $GEM;" "$(step)"
ZURL=$(last_url /g/alles resourceUrl)
is "the deleted case's resourceUrl: 404" 404 "$(code -H "Authorization: Bearer $JWT" "$ZURL")"
"$KP" consent withdraw -c "$HUB" --bsn "$B1" --partner kcc --doel klantcontact >/dev/null 2>&1
is "a consent withdrawn: an update at the municipality; the copies at the call centre withdrawn (destroy, herkomst intrekking)" \
    "/g/alles=toestemmingen update lokaal TST $GEM;/g/zaken-lokaal=;/g/kcc-contacten=;/g/nooit=;/c/alles=personen destroy intrekking PRS $GEM|toestemmingen destroy intrekking TST $GEM;" "$(step)"

# A repair: the call centre lost a record; the municipality resends it
kp_local_change "$WORK/in/p2.xml" T PRS $GEM P2 1 "$B2"; put "$HUB" "$WORK/in/p2.xml"
"$KP" consent grant -c "$HUB" --bsn "$B2" --partner kcc --doel klantcontact >/dev/null 2>&1
is "a second citizen's person and consent" \
    "/g/alles=personen create lokaal PRS $GEM|toestemmingen create lokaal TST $GEM;/g/zaken-lokaal=;/g/kcc-contacten=;/g/nooit=;/c/alles=personen create partner PRS $GEM|toestemmingen create partner TST $GEM;" "$(step)"
kp_stop kcc
kp_sql kcc "DELETE FROM record WHERE identificatie = 'P2'"
kp_start kcc || echo "Bail out! kcc did not start again"
"$KP" sync repair -c "$HUB" --partner kcc >/dev/null 2>&1
is "a repair: the person comes back to the call centre, create, herkomst partner" \
    "/g/alles=;/g/zaken-lokaal=;/g/kcc-contacten=;/g/nooit=;/c/alles=personen create partner PRS $GEM;" "$(step)"

# Everything received
cut_bodies() {
	mkdir -p "$WORK/bodies"
	$PY - "$WORK/sub/received.jsonl" "$WORK/bodies" <<'PY'
import json, sys
for i, l in enumerate(open(sys.argv[1])):
    with open("%s/%03d.json" % (sys.argv[2], i), "w") as f:
        json.dump(json.loads(l)["body"], f)
PY
}
cut_bodies
N=$(received)
is "every notification received validates against the Message schema" "$N" \
    "$($VALIDATE "$WORK"/bodies/*.json | grep -c '^ok ')"
is "nothing went to nooit (its filter holds for no change)" "" "$(rm -f "$WORK/mark"; got /g/nooit)"
is "every one carries its subscription's Authorization" "$N" \
    "$($PY - "$WORK/sub/received.jsonl" <<'PY'
import json, sys
auth = {"/g/alles": "Bearer alles-token", "/g/zaken-lokaal": "Bearer zl-token",
        "/g/kcc-contacten": "Bearer kc-token", "/c/alles": "Bearer c-token"}
print(sum(1 for l in open(sys.argv[1])
          if auth.get(json.loads(l)["path"]) == json.loads(l)["authorization"]
          and json.loads(l)["content_type"] == "application/json"))
PY
)"
is "each its own Idempotency-Key (a UUID)" "$N" \
    "$($PY -c 'import json, re, sys; print(len({d["idempotency_key"] for d in map(json.loads, open(sys.argv[1])) if re.fullmatch("[0-9a-f-]{36}", d["idempotency_key"] or "")}))' "$WORK/sub/received.jsonl")"
is "no BSN in any notification or URL" 0 \
    "$(grep -c -e "$B1" -e "$B2" "$WORK/sub/received.jsonl")"
# every resourceUrl: 200 with its record while held, 404 once gone
resolved() {
	local url want got
	$PY -c 'import json, sys
seen = set()
for d in map(json.loads, open(sys.argv[1])):
    u = d["body"]["resourceUrl"]
    if u not in seen:
        seen.add(u); print(u, d["body"]["kenmerken"]["entiteittype"])' "$WORK/sub/received.jsonl" |
	while read -r url type; do
		ref=${url##*/}
		g=gemeente; case $url in *":$R2/"*) g=kcc ;; esac
		want=$(kp_sql $g "SELECT CASE WHEN r.deleted = 0 THEN 200 ELSE 404 END FROM record_ref f LEFT JOIN record r ON r.entiteittype = f.entiteittype AND r.bron = f.bron AND r.identificatie = f.identificatie WHERE f.ref = '$ref'")
		[ -n "$want" ] || want=404
		got=$($CURL -o "$WORK/r.json" -w '%{http_code}' -H "Authorization: Bearer $JWT" "$url")
		[ "$got" = 200 ] && got="$got $(field 'd["entiteittype"]' < "$WORK/r.json")"
		[ "$want" = 200 ] && want="200 $type"
		echo "$got" = "$want"
	done
}
res=$(resolved)
is "every resourceUrl resolves: the record it names while held, 404 once gone" \
    "$(echo "$res" | wc -l)" "$(echo "$res" | awk '$1 " " $2 == $4 " " $5 || ($1 == 404 && $3 == 404)' | wc -l)"
check "  among them records held (200) and records gone (404)" test \
    "$(echo "$res" | grep -c '^200')" -gt 0 -a "$(echo "$res" | grep -c '^404')" -gt 0 ||
    echo "# $res" | tr '\n' ' '

# Abonnementen through the read API
ABO="{\"callbackUrl\": \"http://127.0.0.1:$S/g/nieuw\", \"auth\": \"Bearer nieuw-token\", \"kanalen\": [{\"naam\": \"personen\"}]}"
$CURL -D "$WORK/h" -H "Authorization: Bearer $JWT" -H 'Content-Type: application/json' \
    -d "$ABO" "https://127.0.0.1:$R1/api/v1/abonnement" > "$WORK/abo.json"
LOC=$(sed -n 's/^Location: \(.*\)\r$/\1/p' "$WORK/h")
check "POST abonnement: 201, Location its url" eq "$(head -1 "$WORK/h" | cut -d' ' -f2) $LOC" "201 $(field 'd["url"]' < "$WORK/abo.json")"
is "  the answer never shows auth" "False" "$(field '"auth" in d' < "$WORK/abo.json")"
is "GET it: callbackUrl and kanalen" "http://127.0.0.1:$S/g/nieuw personen" \
    "$($CURL -H "Authorization: Bearer $JWT" "$LOC" | field 'd["callbackUrl"] + " " + d["kanalen"][0]["naam"]')"
is "GET the collection: the four configured and the new one" 5 \
    "$($CURL -H "Authorization: Bearer $JWT" "https://127.0.0.1:$R1/api/v1/abonnement" | field 'len(d)')"
is "an invalid one: 400 saying why" "400 callbackUrl must be an http or https URL" \
    "$($CURL -H "Authorization: Bearer $JWT" -d '{"callbackUrl": "ftp://x", "auth": "a", "kanalen": [{"naam": "zaken"}]}' "https://127.0.0.1:$R1/api/v1/abonnement" | field 'str(d["status"]) + " " + d["detail"]')"
is "a configured one cannot be removed through the API: 409" 409 \
    "$(code -X DELETE -H "Authorization: Bearer $JWT" "https://127.0.0.1:$R1/api/v1/abonnement/$(kp_sql gemeente "SELECT uuid FROM subscription WHERE name = 'alles'")")"
kp_local_change "$WORK/in/p2w.xml" W PRS $GEM P2 2 "$B2"; put "$HUB" "$WORK/in/p2w.xml"
settled
is "the new subscription gets the next change" "personen update lokaal PRS $GEM" "$(got /g/nieuw)"
is "DELETE it: 204" 204 "$(code -X DELETE -H "Authorization: Bearer $JWT" "$LOC")"
is "  then GET: 404" 404 "$(code -H "Authorization: Bearer $JWT" "$LOC")"
is "  and DELETE again: 404" 404 "$(code -X DELETE -H "Authorization: Bearer $JWT" "$LOC")"
is "without a JWT the abonnementen are closed too: 401" 401 \
    "$(code "https://127.0.0.1:$R1/api/v1/abonnement")"

# and through the local socket
SOCK=$WORK/gemeente/local.sock
$CURL --unix-socket "$SOCK" -d "$ABO" http://localhost/abonnement > "$WORK/abo2.json"
is "POST abonnement on the local socket: its url on the read API" \
    "https://127.0.0.1:$R1/api/v1/abonnement/" "$(field 'd["url"][:-36]' < "$WORK/abo2.json")"
is "  listed on the socket: five again" 5 \
    "$($CURL --unix-socket "$SOCK" http://localhost/abonnement | field 'len(d)')"
is "  removed on the socket: 204" 204 \
    "$(code --unix-socket "$SOCK" -X DELETE "http://localhost/abonnement/$(field 'd["url"][-36:]' < "$WORK/abo2.json")")"

metric() { curl -s "http://127.0.0.1:$A1/metrics" | sed -n "s/^$1 //p"; }
is "/metrics: delivered notifications counted" \
    "$($PY -c 'import json, sys; print(sum(1 for d in map(json.loads, open(sys.argv[1])) if d["path"].startswith("/g/")))' "$WORK/sub/received.jsonl")" \
    "$(metric 'ketenpoort_notifications_total{outcome="delivered"}')"
is "/metrics: none waiting" "0 0" \
    "$(metric 'ketenpoort_notifications_waiting{state="pending"}') $(metric 'ketenpoort_notifications_waiting{state="parked"}')"
is "no BSN in either gateway's log" 0 "$(cat "$WORK"/*/log | grep -c -e "$B1" -e "$B2")"
rc=0
kp_stop gemeente || rc=1
kp_stop kcc || rc=1
is "both stop cleanly" 0 "$rc"
