#!/usr/bin/env bash
# The auditor's web view (issue 17) over real TLS with client
# certificates, against a municipality (gemeente) that disclosed 20 cases
# to a GGD and refused 3 notices from it (KP020):
#
# - who may look: no certificate, one of another CA, one of the auditors'
#   CA that is not listed: 403 with the reason and nothing of the log; a
#   listed auditor: the pages, each with a strict Content-Security-Policy,
#   Cache-Control: no-store, nosniff;
# - the overview's counts are the store's (entries, messages per partner
#   per day, refusals by code);
# - a search by BSN: a POST (with the page's token) answered 303 to a
#   search on the server; its rows are exactly audit query --bsn's; the
#   BSN is in no URL, header or log line; the view is audited and the
#   citizen's inzage lists it; the inzage page and its downloads are
#   audit inzage's rows;
# - a message: its entries and decision, its bytes (their SHA-256 is the
#   entry's), its signature verified again;
# - verification from the page: refused without the token; with it, it
#   runs, is kept, and finds nothing; after a byte of the log is changed,
#   it finds the entry, and the page shows it in red, linked.
set -u
WORK=$(mktemp -d /tmp/kp-auditweb.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "1..41"

kp_auditor_chain || exit 1
C=$WORK/gemeente/ketenpoort.conf
URL=https://127.0.0.1:$A
# web AS PATH [curl options]: the body; the headers in $WORK/h
web() {
	local who=$1 path=$2
	shift 2
	local cert=()
	case $who in
	none) ;;
	ggd) cert=(--cert "$WORK/pki/ggd.crt" --key "$WORK/pki/ggd.key") ;;
	*) cert=(--cert "$WORK/auditca/$who.crt" --key "$WORK/auditca/$who.key") ;;
	esac
	curl -s --cacert "$WORK/pki/ca.crt" "${cert[@]}" -D "$WORK/h" "$@" "$URL$path"
}
status() { sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$WORK/h"; }
header() { tr -d '\r' < "$WORK/h" | sed -n "s/^$1: //Ip"; }

check "the GGD holds the 20 cases, the gemeente refused 3 notices (KP020)" \
    eq "$(kp_cases_at ggd) $(kp_sql gemeente "SELECT count(*) FROM audit WHERE direction = 'in' AND outcome = 'rejected' AND code = 'KP020'")" "20 3"

# 1. who may look
body=$(web none /)
check "no certificate: 403, says why, shows nothing of the log" \
    eq "$(status) $(grep -c 'stuurde geen certificaat' <<< "$body") $(grep -c 'regels' <<< "$body")" "403 1 0"
body=$(web ggd /)
check "a partner's certificate (another CA): 403, says why" \
    eq "$(status) $(grep -c 'niet uitgegeven door een CA die hier is ingesteld' <<< "$body")" "403 1"
body=$(web bakker /)
check "an auditor of the CA who is not listed: 403, says why" \
    eq "$(status) $(grep -c 'staat niet op de lijst van auditors' <<< "$body")" "403 1"
body=$(web vries /)
check "a listed auditor: the overview" eq "$(status) $(grep -c '<h1>Overzicht</h1>' <<< "$body")" "200 1"
is "  with a strict Content-Security-Policy" \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" \
    "$(header Content-Security-Policy)"
is "  never cached, never sniffed, never framed" "no-store nosniff DENY" \
    "$(header Cache-Control) $(header X-Content-Type-Options) $(header X-Frame-Options)"
check "  nothing inline: no script or style element with content, no on* attribute, no external origin" \
    eq "$(grep -c '<script>\|<style\|style=\| on[a-z]*=\|https\?://[^"]*\.\(js\|css\)' <<< "$body")" 0

# 2. the overview's counts
entries=$(kp_sql gemeente "SELECT count(*) FROM audit")
check "the overview counts the log's $entries entries" \
    eq "$(grep -c "Het auditlog telt <strong>$entries</strong> regels" <<< "$body")" 1
today=$(date -u +%F)
want=$(kp_sql gemeente "SELECT (SELECT count(*) FROM audit WHERE direction = 'in' AND partner_oin = '$GGD' AND outcome = 'accepted' AND at LIKE '$today%') || ' ' || (SELECT count(*) FROM audit WHERE direction = 'in' AND partner_oin = '$GGD' AND outcome = 'refused' AND at LIKE '$today%') || ' ' || (SELECT count(*) FROM audit WHERE direction = 'in' AND partner_oin = '$GGD' AND outcome = 'rejected' AND at LIKE '$today%')")
got=$(grep -o "<tr><th scope=\"row\">$today</th><td>[0-9]*</td><td>[0-9]*</td><td>[0-9]*</td></tr>" <<< "$body" | sed 's/<[^>]*>/ /g' | awk '{print $2, $3, $4}')
check "  messages from the GGD today, accepted/refused/rejected, as the store has them ($want)" eq "$got" "$want"
check "  drawn as SVG, labelled" eq "$(grep -c '<svg [^>]*role="img" aria-labelledby="grafiek-0"><title id="grafiek-0">Berichten van ggd per dag' <<< "$body")" 1
check "  the refusals by code: KP020, 3, in words" \
    eq "$(grep -c '<tr><th scope="row">KP020</th><td>partner mag dit bericht niet sturen</td><td>3 ' <<< "$body")" 1

# 3. a search by BSN
form=$(web vries /zoeken)
csrf=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' <<< "$form" | head -1)
check "the search form carries the auditor's token, and labels every field" \
    eq "${#csrf} $(grep -c '<label for=' <<< "$form") $(grep -o '<input id=\|<select id=' <<< "$form" | wc -l)" "64 7 7"
web vries /zoeken --data-urlencode "bsn=$BSN" --data-urlencode "partner=" > /dev/null
check "a search without the page's token: 403" eq "$(status)" 403
web vries /zoeken --data-urlencode "csrf=$csrf" --data-urlencode "bsn=123456789" > "$WORK/bad.html"
check "a BSN that fails the elfproef: 400, says why" \
    eq "$(status) $(grep -c 'elfproef' "$WORK/bad.html")" "400 1"
viewed_before=$(kp_sql gemeente "SELECT count(*) FROM audit WHERE outcome = 'viewed'")
web vries /zoeken --data-urlencode "csrf=$csrf" --data-urlencode "bsn=$BSN" > /dev/null
loc=$(header Location)
check "a search by BSN: 303 to a search kept on the server, the BSN not in it" \
    eq "$(status) $(grep -c '^/zoeken/[0-9a-f]\{32\}$' <<< "$loc") $(grep -c "$BSN" "$WORK/h")" "303 1 0"
page=$(web vries "$loc")
got=$(grep -o '<tr><td><a href="/regel/[0-9]*">' <<< "$page" | sed 's/[^0-9]//g' | sort -n | tr '\n' ' ')
want=$("$KP" audit query -c "$C" --bsn "$BSN" --format csv | tail -n +2 | cut -d, -f1 | tr -d '"' | sort -n | tr '\n' ' ')
check "  its rows are exactly audit query --bsn's ($(wc -w <<< "$want") entries)" eq "$got" "$want"
check "  (more than one)" test "$(wc -w <<< "$want")" -gt 1
viewed=$(kp_sql gemeente "SELECT count(*) FROM audit WHERE outcome = 'viewed' AND detail = 'viewed by auditor vries: a search by BSN' AND subject IS NOT NULL")
check "  the view is audited: which auditor, what, about whom (one entry)" eq "$viewed $((viewed_before))" "1 0"
"$KP" audit inzage -c "$C" --bsn "$BSN" > "$WORK/inzage.txt"
check "  and the citizen's inzage lists it, in words" \
    eq "$(grep -c 'een controleur heeft bekeken: welke berichten over u gaan' "$WORK/inzage.txt") $(grep -c 'Wie: vries' "$WORK/inzage.txt")" "1 1"
token=${loc#/zoeken/}
check "another auditor cannot use the search" eq "$(web jansen "$loc" > /dev/null; status)" 404

# the citizen's report
page=$(web vries "/inzage/$token")
rows=$("$KP" audit inzage -c "$C" --bsn "$BSN" --format json | grep -c '"wanneer": ')
check "the inzage page holds audit inzage's $rows rows, in its words" \
    eq "$(grep -c '^<tr><td><time datetime=' <<< "$page") $(grep -c '<td>heeft gekregen: een zaak' <<< "$page")" "$rows 1"
web vries "/inzage/$token.csv" > "$WORK/inzage.csv"
check "  as CSV: an attachment, audit inzage's rows" \
    eq "$(header Content-Disposition) $(($(wc -l < "$WORK/inzage.csv") - 1))" \
    "attachment; filename=\"inzage.csv\" $("$KP" audit inzage -c "$C" --bsn "$BSN" --format json | grep -c '"wanneer": ')"

# 4. one message: a case delivered to the GGD
mid=$(kp_sql gemeente "SELECT message_id FROM audit WHERE direction = 'out' AND outcome = 'delivered' AND subject IS NOT NULL ORDER BY seq LIMIT 1")
page=$(web vries "/bericht/$mid")
check "a message: its entries with the disclosure decision in words" \
    eq "$(status) $(grep -c 'Dit mag volgens de wet (Wet publieke gezondheid art. 2)' <<< "$page") $(grep -c '<code>zaaktype,status</code>' <<< "$page")" "200 1 1"
web vries "/bericht/$mid/bytes" > "$WORK/bytes.xml"
check "  its signed bytes: their SHA-256 is the entry's" \
    eq "$(sha256sum < "$WORK/bytes.xml" | cut -c1-64)" \
    "$(kp_sql gemeente "SELECT bytes_sha256 FROM audit WHERE message_id = '$mid' AND bytes_sha256 IS NOT NULL LIMIT 1")"
page=$(web vries "/bericht/$mid?controleer=1")
check "  its signature verified again: it holds" eq "$(grep -c 'De handtekening klopt:' <<< "$page")" 1

# 5. verification from the page
n0=$(kp_sql gemeente "SELECT count(*) FROM audit_verification")
web vries /controle -d "csrf=0000" > /dev/null
check "a verification without the page's token: 403, nothing started" \
    eq "$(status) $(kp_sql gemeente "SELECT count(*) FROM audit_verification")" "403 $n0"
verify_now() {
	web vries /controle --data-urlencode "csrf=$csrf" > /dev/null
	[ "$(status)" = 303 ] || return 1
	local i
	for i in $(seq 1 100); do
		web vries /controle/status | grep -q '"finished": true' && return 0
		sleep 0.1
	done
	return 1
}
check "with it: 303, it runs and finishes" verify_now
check "  kept with its result: nothing bad" \
    eq "$(kp_sql gemeente "SELECT count(*) || ' ' || max(bad) || ' ' || max(started_by) FROM audit_verification")" "$((n0 + 1)) 0 vries"
check "  and the overview says so" eq "$(web vries / | grep -c 'in orde</span>')" 1
seq5=$(kp_sql gemeente "SELECT seq FROM audit ORDER BY seq LIMIT 1 OFFSET 4")
kp_sql gemeente "UPDATE audit SET detail = 'tampered' WHERE seq = $seq5"
check "a byte of entry $seq5 changed: the verification finds it" verify_now
check "  first bad entry $seq5" eq "$(web vries /controle/status | sed 's/.*"first_bad": \([0-9]*\).*/\1/')" "$seq5"
page=$(web vries /controle)
check "  the page shows it in red, linked to the entry" \
    eq "$(grep -c "<span class=\"bad\">[0-9]* fout\(en\)\? in [0-9]* regels; de eerste bij <a href=\"/regel/$seq5\">regel $seq5</a>" <<< "$page")" 1
check "  and the entry's page shows it" eq "$(web vries "/regel/$seq5" | grep -c '<code>tampered</code>')" 1

# 6. the auditors file read again on SIGHUP; a broken one changes nothing
subject() { openssl x509 -noout -subject -nameopt RFC2253 -in "$WORK/auditca/$1.crt" | sed 's/^subject=//'; }
printf '%s\n' "$(subject bakker)" > "$WORK/gemeente/auditors"
kill -HUP "$(cat "$WORK/gemeente/pid")"
for i in $(seq 1 50); do grep -q "lets in 1 auditors" "$WORK/gemeente/log" && break; sleep 0.1; done
check "SIGHUP reads the auditors file again: bakker in, vries out" \
    eq "$(web bakker / > /dev/null; status) $(web vries / > /dev/null; status)" "200 403"
echo "no subject here" > "$WORK/gemeente/auditors"
kill -HUP "$(cat "$WORK/gemeente/pid")"
for i in $(seq 1 50); do grep -q "keeps its 1 auditors" "$WORK/gemeente/log" && break; sleep 0.1; done
check "  a broken file is refused in the log, and the list stays" \
    eq "$(grep -c 'keeps its 1 auditors: .*is not a certificate subject' "$WORK/gemeente/log") $(web bakker / > /dev/null; status)" "1 200"
printf '%s\n' "$(subject vries)" > "$WORK/gemeente/auditors"
kill -HUP "$(cat "$WORK/gemeente/pid")"
for i in $(seq 1 50); do [ "$(grep -c "lets in 1 auditors" "$WORK/gemeente/log")" = 2 ] && break; sleep 0.1; done

# 7. nothing else, and no BSN anywhere
web vries / -X PUT > /dev/null
check "other methods: 405; other paths: 404" eq "$(status) $(web vries /etc/passwd > /dev/null; status)" "405 404"
codes=""
for path in /zoeken/00000000000000000000000000000000 /zoeken/xyz /regel/abc /regel/0 /regel/99999999 \
    /bericht/urn:uuid:onbekend /bericht/%2Fetc%2Fpasswd /inzage/00000000000000000000000000000000.csv; do
	codes="$codes $(web vries "$path" > /dev/null; status)"
done
check "an unknown search, entry or message, a path in a message id: 404 each" \
    eq "$codes" " 404 404 404 404 404 404 404 404"
web vries /zoeken --data-urlencode "csrf=$csrf" --data-urlencode "van=1-12-2026" > "$WORK/bad.html"
check "a date written otherwise: 400, says how to write it" eq "$(status) $(grep -c 'jjjj-mm-dd' "$WORK/bad.html")" "400 3"
check "the access log names each request, who and what" \
    test "$(grep -c "auditor's view: .*CN=vries.* GET /zoeken/[0-9a-f]* 200" "$WORK/gemeente/log")" -ge 1
check "no BSN in the gemeente's log" eq "$(grep -cw "$BSN" "$WORK/gemeente/log")" 0
