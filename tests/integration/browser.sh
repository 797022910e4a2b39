#!/usr/bin/env bash
# The auditor's web view in a real browser (issue 17), on the demo chain
# (`ketenpoort demo --keep`: three gateways, cases, contacts, a consent
# given and withdrawn, a context question, the municipality's privacy
# officer listed as its auditor): tests/browser/auditview.mjs drives
# Debian's headless Chromium through every page of the municipality's web
# view with puppeteer-core and checks each with axe-core (WCAG 2.1 AA) and
# the keyboard; screenshots go to tests/browser-shots/ in the build
# directory.
#
# The auditor's certificate reaches Chromium the way it reaches a desktop
# browser: an NSS database (certutil, pk12util) in the browser's HOME
# holds it, and the demo's CA as trusted for TLS; the profile's
# auto_select_certificate setting (what the AutoSelectCertificateForUrls
# policy sets) chooses it for the gateway's address.  TLS client
# authentication is real: an auditor of the same CA who is not listed is
# refused.
#
# Afterwards: no BSN in the gateway's log (the browser's addresses and
# response headers are checked by the script).  Runs in the normal build
# (Chromium under the sanitizer build would add minutes; auditweb.sh
# checks the same server code there with curl).
set -u
if [ "${KP_HEAVY:-yes}" = no ]; then
	echo "1..0 # SKIP heavy: runs in the normal build (configure --disable-heavy-tests)"
	exit 0
fi
ROOT=$(mktemp -d /tmp/kp-browser.XXXXXX)
WORK=$ROOT/demo
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_pidfiles; [ -n "${KP_KEEP:-}" ] || rm -rf "$ROOT"' EXIT
BROWSER=$SRCDIR/tests/browser
for need in node chromium certutil pk12util; do
	command -v "$need" > /dev/null ||
	    { echo "Bail out! $need is missing: run tools/dev deps"; exit 1; }
done
[ -d "$BROWSER/node_modules/puppeteer-core" ] && [ -d "$BROWSER/node_modules/axe-core" ] ||
    { echo "Bail out! tests/browser/node_modules is missing: run tools/dev deps (npm ci there)"; exit 1; }

"$KP" demo --keep --dir "$WORK" > "$ROOT/demo.out" 2>&1 ||
    { sed 's/^/# /' "$ROOT/demo.out" | tail -20; echo "Bail out! the demo failed"; exit 1; }
A=$(awk '/^audit_listen/ { sub(/.*:/, "", $2); print $2 }' "$WORK/gemeente/ketenpoort.conf")
BSN=$(kp_bsn 42)	# the demo's citizen
# an auditor of the same CA whom the municipality does not list
"$KP" pki issue "$WORK/auditors" stranger --oin 00000001823288444997 --org "Onbekende" > /dev/null

# A browser of an auditor: HOME with an NSS database holding the auditor's
# certificate and key, and the gateway's CA; a profile choosing it.
browser_of() {
	local who=$1 home=$WORK/home-$1 profile=$WORK/profile-$1
	mkdir -p "$home/.pki/nssdb" "$profile/Default"
	certutil -N -d "sql:$home/.pki/nssdb" --empty-password &&
	    openssl pkcs12 -export -in "$WORK/auditors/$who.crt" -inkey "$WORK/auditors/$who.key" \
	        -out "$WORK/$who.p12" -passout pass: &&
	    pk12util -i "$WORK/$who.p12" -d "sql:$home/.pki/nssdb" -W "" > /dev/null &&
	    certutil -A -d "sql:$home/.pki/nssdb" -n ketenpoort-ca -t "C,," -i "$WORK/pki/ca.crt" &&
	    printf '{"profile": {"content_settings": {"exceptions": {"auto_select_certificate": {"https://127.0.0.1:%s,*": {"last_modified": "13300000000000000", "setting": {"filters": [{}]}}}}}}}\n' \
	        "$A" > "$profile/Default/Preferences"
}
browser_of privacy-officer && browser_of stranger || { echo "Bail out! no NSS database"; exit 1; }
# the entry the script changes, to see the verification find it
TAMPER=$(kp_sql gemeente "SELECT seq FROM audit ORDER BY seq LIMIT 1 OFFSET 4")
SHOTS=$BUILDDIR/tests/browser-shots
rm -rf "$SHOTS"

KP_URL=https://127.0.0.1:$A KP_BSN=$BSN KP_SHOTS=$SHOTS KP_TAP_FROM=0 \
KP_CONF=$WORK/gemeente/ketenpoort.conf KP_STORE=$WORK/gemeente/store.db KP_TAMPER=$TAMPER \
KP_HOME=$WORK/home-privacy-officer KP_PROFILE=$WORK/profile-privacy-officer KP_AUDITOR="Functionaris gegevensbescherming" \
KP_HOME2=$WORK/home-stranger KP_PROFILE2=$WORK/profile-stranger \
    timeout 300 node "$BROWSER/auditview.mjs" > "$WORK/node.out" 2> "$WORK/node.err"
rc=$?
cat "$WORK/node.out"
sed 's/^/# node: /' "$WORK/node.err" | head -20
t=$(grep -c '^\(not \)\?ok ' "$WORK/node.out")
check "the browser run finished (exit $rc), all of its 42 checks made" eq "$rc $t" "0 42"
check "a screenshot of every page in $SHOTS" \
    eq "$(ls "$SHOTS" | sort | tr '\n' ' ')" \
    "bericht-gecontroleerd.png bericht.png controle-fout-bezig.png controle-fout.png controle-klaar-bezig.png controle-klaar.png controle.png geweigerd.png inzage.png overzicht.png regel.png zoeken.png zoekresultaten.png "
check "no BSN in the gateway's log during the whole run" eq "$(grep -cw "$BSN" "$WORK/gemeente/log")" 0
check "  which logged each page the browser asked for" \
    test "$(grep -c "auditor's view: .*CN=Functionaris gegevensbescherming.* GET /inzage/[0-9a-f]* 200" "$WORK/gemeente/log")" -ge 1
echo "1..$t"
