#!/usr/bin/env bash
# SIGHUP: the configuration and the profiles read again, without dropping
# the partner's connection.  A municipality (gemeente) delivers to a GGD
# whose profile of it first allows cases only.
#
# - A configuration with an unknown option, then a profile that is not
#   valid XML: each reload is refused, the problem is logged as file:line,
#   the running configuration and profiles stay (a contact is still
#   refused with KP020, the log level is unchanged) and the GGD serves on.
# - A good profile that allows contacts, with log_level 2 and threads 3:
#   the reload takes the profile and the log level, keeps threads (logged:
#   it needs a restart), and the parked contact, retried, is accepted.
# - All of it over one connection; and the log in systemd's journal format
#   when stderr is the journal stream (JOURNAL_STREAM).
# - Started with serve -v, the GGD keeps logging at debug over a reload of
#   a configuration that says log_level 1.
# - The CA publishes a CRL revoking the gemeente's certificate: until the
#   GGD's reload its notices are accepted; after it, a new connection is
#   refused in the TLS handshake, and a notice over the connection the
#   gemeente's daemon kept open is refused with KP010 (the signing
#   certificate); nothing of either is stored.  A CRL file that cannot be
#   read refuses the reload and the running trust stays.
set -u
WORK=$(mktemp -d /tmp/kp-reload.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "1..34"

KP_ONTVANGEN='<ontvangen>
  <entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit>
  <entiteit type="KCT" doel="ketentest"><wet>Testwet art. 1</wet><veld>kanaal</veld><veld>onderwerp</veld></entiteit>
</ontvangen>' kp_pair
KP_GATEWAYS="gemeente ggd"
for g in gemeente ggd; do
	printf 'sync_verify_interval 0\ncheckpoint_interval 0\n' >> "$WORK/$g/ketenpoort.conf"
done
CONF="$WORK/ggd/ketenpoort.conf"
PROFILE="$WORK/ggd/profiles/gemeente.xml"
cp "$CONF" "$WORK/conf.good"
cp "$PROFILE" "$WORK/profile.good"
: > "$WORK/ggd/log"
JOURNAL_STREAM=$(stat -c %d:%i "$WORK/ggd/log") kp_start ggd && kp_start gemeente ||
    { echo "Bail out! no gateways"; exit 1; }
GGDPID=$(cat "$WORK/ggd/pid")

# put ID TYPE N: a local change at the gemeente, for citizen N
put() {
	kp_local_change "$WORK/$1.xml" T "$2" $GEM "$1" 1 "$(kp_bsn "$3")"
	"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK/$1.xml" > /dev/null
}
# hup: SIGHUP to the GGD; wait until it logged the outcome (refused or reloaded)
hup() {
	local before i
	before=$(grep -c 'reload refused\|reloaded ' "$WORK/ggd/log")
	kill -HUP "$GGDPID"
	for i in $(seq 1 100); do
		[ "$(grep -c 'reload refused\|reloaded ' "$WORK/ggd/log")" -gt "$before" ] && return 0
		sleep 0.1
	done
	echo "#   no reload logged"; return 1
}
held() { kp_sql ggd "SELECT count(*) FROM record WHERE entiteittype = '$1'"; }

put ZAAK-1 ZAK 1
check "a case is delivered" kp_drained
check "journal format: the level as <N> first, no time stamp (the journal adds it)" eq \
    "$(grep -m1 'ready:' "$WORK/ggd/log" | cut -c1-18)" "<6>info: kp_serve:"

# 1. a configuration with a problem
echo "bogus_option 1" >> "$CONF"
LINE=$(wc -l < "$CONF")
check "SIGHUP with a broken configuration is handled" hup
check "the problem is logged with file:line" eq \
    "$(grep -c "$CONF:$LINE: unknown option \"bogus_option\"" "$WORK/ggd/log")" 1
check "the log says the running configuration stays" eq \
    "$(grep -c 'reload refused: the running configuration and profiles stay' "$WORK/ggd/log")" 1
check "the GGD still runs" kill -0 "$GGDPID"
put ZAAK-2 ZAK 2
check "and still accepts cases" wait_for ggd "SELECT count(*) FROM record WHERE entiteittype = 'ZAK'" 2

# 2. a profile that is no XML
cp "$WORK/conf.good" "$CONF"
sed -i 's|</zenden>|<bericht>kctLk01</bericht></zenden|' "$PROFILE"
check "SIGHUP with a broken profile is handled" hup
check "the profile's problem is logged with its file and line" eq \
    "$(grep -o "$PROFILE:[0-9]*: not well-formed XML" "$WORK/ggd/log")" \
    "$PROFILE:$(( $(grep -n '</zenden$' "$PROFILE" | cut -d: -f1) + 1 )): not well-formed XML"	# where libxml2 sees the '>' missing
put KCT-1 KCT 3
check "the old profile still applies: the contact is refused and parked" \
    wait_for gemeente "SELECT state FROM outbox WHERE identificatie = 'KCT-1'" parked
check "parked for KP020" eq "$(kp_sql gemeente "SELECT code FROM audit WHERE outcome = 'parked'")" KP020
check "nothing was stored of it" eq "$(held KCT)" 0
check "the log level did not change (no debug lines)" eq "$(grep -c ' debug: \|^<7>' "$WORK/ggd/log")" 0

# 3. a good profile and configuration
sed 's|</zenden>|<bericht>kctLk01</bericht></zenden>|' "$WORK/profile.good" > "$PROFILE"
sed -e 's/^log_level.*/log_level 2/' -e 's/^threads.*/threads 3/' "$WORK/conf.good" > "$CONF"
check "SIGHUP with a good configuration and profile" hup
check "the reload is logged" eq "$(grep -c 'reloaded .*: 1 partner profiles' "$WORK/ggd/log")" 1
check "threads needs a restart: logged, and the running value stays" eq \
    "$(grep -c "threads changed; it takes effect at restart" "$WORK/ggd/log")" 1
"$KP" queue retry -c "$WORK/gemeente/ketenpoort.conf" \
    "$(kp_sql gemeente "SELECT id FROM outbox WHERE identificatie = 'KCT-1'")" > /dev/null
check "the retried contact is accepted under the new profile" \
    wait_for ggd "SELECT count(*) FROM record WHERE entiteittype = 'KCT'" 1
check "log_level 2 took effect: the acceptance is logged at debug" eq \
    "$(grep -c '^<7>debug: kp_inbound_finish: in .*: accepted' "$WORK/ggd/log")" 1
kp_stop ggd
check "every request, before and after the reloads, on one connection" eq \
    "$(grep -o 'stopped: .*' "$WORK/ggd/log")" "stopped: 4 requests answered on 1 connections"

# 4. serve -v outlasts a reload
cp "$WORK/conf.good" "$CONF"
KP_SERVE_ARGS=-v kp_start ggd || { echo "Bail out! ggd did not restart"; exit 1; }
GGDPID=$(cat "$WORK/ggd/pid")
check "SIGHUP to a gateway started with -v (log_level 1 in its file)" hup
put ZAAK-3 ZAK 4
check "after the reload, an acceptance is still logged at debug" eq \
    "$(kp_drained; grep -c ' debug: kp_inbound_finish: in .*: accepted' "$WORK/ggd/log")" 1

# 5. a new CRL, read at SIGHUP
kp_body zakLk01 $GEM $GGD crl-1 1 "$(kp_bsn 5)" > "$WORK/crl-1.xml"
kp_body zakLk01 $GEM $GGD crl-2 2 "$(kp_bsn 5)" > "$WORK/crl-2.xml"
# resume VERSION in|out FILE [REQUEST]: a TLS session of the gemeente's
# saved to or resumed from FILE; prints s_client's "New" or "Reused" and
# the status line of an answer to REQUEST, if any
resume() {
	(printf "${4:-}"; sleep 1) | openssl s_client -connect "127.0.0.1:$P2" "-$1" \
	    -cert "$WORK/pki/gemeente.crt" -key "$WORK/pki/gemeente.key" \
	    -CAfile "$WORK/pki/ca.crt" "-sess_$2" "$3" 2>/dev/null |
	    tr -d '\r' | grep -a -o '^\(New\|Reused\),\|^HTTP/1.1 [0-9]*' | tr '\n' ' ' |
	    sed 's/ $//'
}
for v in tls1_2 tls1_3; do
	resume $v out "$WORK/$v.sess" > /dev/null
	check "$v: before the revocation, the partner's session resumes" \
	    eq "$(resume $v in "$WORK/$v.sess")" "Reused,"
done
"$KP" pki revoke "$WORK/pki" gemeente > /dev/null
"$KPSEND" -c "$WORK/gemeente/ketenpoort.conf" --to ggd "$WORK/crl-1.xml" > "$WORK/send1.out" 2>&1
check "before the reload the running trust does not know the new CRL: accepted" eq \
    "$?:$(grep -c ': accepted' "$WORK/send1.out")" "0:1"
check "SIGHUP reads the CA and the CRL again" hup
check "the reload says so" eq "$(grep -c 'reloaded .*: 1 partner profiles; CA certificates and CRL read again' "$WORK/ggd/log")" 2
audited=$(kp_sql ggd "SELECT count(*) FROM audit")
for v in tls1_2 tls1_3; do
	check "$v: after the reload the revoked partner's session does not resume, nor does its request reach the pipeline" \
	    eq "$(resume $v in "$WORK/$v.sess" 'POST /wus/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 2\r\n\r\n<a')" "New,"
done
check "  nothing audited, nothing stored" eq "$(kp_sql ggd "SELECT count(*) FROM audit")" "$audited"
before=$(held ZAK)
refusals=$(grep -c "refused a TLS client certificate (OIN $GEM, chain depth 0): certificate revoked" "$WORK/ggd/log")
"$KPSEND" -c "$WORK/gemeente/ketenpoort.conf" --to ggd "$WORK/crl-2.xml" > "$WORK/send2.out" 2>&1
rc=$?
check "after it, a new connection with the revoked certificate fails in the handshake, and the GGD says whose and why" eq \
    "$rc:$(grep -c "refused a TLS client certificate (OIN $GEM, chain depth 0): certificate revoked" "$WORK/ggd/log")" "2:$((refusals + 1))"
put ZAAK-5 ZAK 6
check "the daemon's kept connection: the notice is refused, parked with the GGD's reason" \
    wait_for gemeente "SELECT state || ': ' || last_error FROM outbox WHERE identificatie = 'ZAAK-5'" \
    "parked: signing certificate not trusted: certificate revoked"
check "nothing of either is stored" eq "$(held ZAK)" "$before"
cp "$WORK/pki/ca.crl" "$WORK/ca.crl.good"
echo "not a CRL" > "$WORK/pki/ca.crl"
check "SIGHUP with a CRL that cannot be read" hup
check "refused, naming the file; the running trust stays" eq \
    "$(grep -c "pki/ca.crl: cannot load CRL" "$WORK/ggd/log"):$(grep -c 'reload refused: the running configuration, profiles and trust store stay' "$WORK/ggd/log")" "1:1"
