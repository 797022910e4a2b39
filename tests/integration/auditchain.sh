#!/usr/bin/env bash
# The audit chain pinned independently of the code that writes and verifies
# it (issue 13.6): a municipality stores a few local changes and delivers
# none; each of its audit entries' hashes is computed here from the store's
# columns by the rule the README gives, with the shell's own tools
# (printf, openssl dgst), and must equal the stored hash:
#
#   canonical = for each column, in this order, "name=value\n" (value with
#     "\" as "\\" and a newline as "\n"), or "name\n" when NULL:
#     seq at direction partner messageid berichtcode entiteittype subject
#     record velden basis doel outcome code sha256 message detail
#   hash = SHA-256(previous hash as 32 bytes || canonical), the first
#     entry's previous hash 32 zero bytes.
set -u
WORK=$(mktemp -d /tmp/kp-auditchain.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_stop_all; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
KP_ONTVANGEN='<ontvangen><entiteit type="ZAK" doel="ketentest"><wet>Testwet art. 1</wet><veld>zaaktype</veld><veld>status</veld></entiteit></ontvangen>' \
    kp_pair || { echo "Bail out! no PKI"; exit 1; }
for i in 1 2 3; do
	kp_change T $GEM "KAT-$i" 1 "$(kp_bsn "$i")" ontvangen > "$WORK/c$i.xml"
done
"$KP" dossier put -c "$WORK/gemeente/ketenpoort.conf" "$WORK"/c*.xml > /dev/null
# an operator's note: a newline, a backslash and a percent in the detail
"$KP" queue retry -c "$WORK/gemeente/ketenpoort.conf" --note "regel 1
regel 2 \\ 100%" "$(kp_sql gemeente "SELECT min(id) FROM outbox")" > /dev/null
N=$(kp_sql gemeente "SELECT count(*) FROM audit")
echo "1..$((N + 1))"
check "the municipality's audit log holds entries to pin ($N)" test "$N" -ge 3

# line SQL-EXPRESSION NAME: the canonical line of one column, from the store
line() {
	echo "CASE WHEN $1 IS NULL THEN '$2' ELSE '$2=' || replace(replace(CAST($1 AS TEXT), '\\', '\\\\'), char(10), '\\n') END"
}
cols="$(line seq seq) || char(10) || $(line at at) || char(10) || \
$(line direction direction) || char(10) || $(line partner_oin partner) || char(10) || \
$(line message_id messageid) || char(10) || $(line berichtcode berichtcode) || char(10) || \
$(line entiteittype entiteittype) || char(10) || $(line subject subject) || char(10) || \
$(line record record) || char(10) || $(line velden velden) || char(10) || \
$(line basis basis) || char(10) || $(line doel doel) || char(10) || \
$(line outcome outcome) || char(10) || $(line code code) || char(10) || \
$(line bytes_sha256 sha256) || char(10) || \
$(line 'CASE WHEN message > 0 THEN message END' message) || char(10) || \
$(line detail detail)"
prev=0000000000000000000000000000000000000000000000000000000000000000
for seq in $(seq 1 "$N"); do
	# the previous hash as bytes, then the canonical form (sqlite3 ends
	# the row with the last line's newline)
	{ printf "$(echo "$prev" | sed 's/../\\x&/g')"
	  kp_sql gemeente "SELECT $cols FROM audit WHERE seq = $seq"; } > "$WORK/entry"
	want=$(openssl dgst -sha256 -r "$WORK/entry" | cut -c1-64)
	got=$(kp_sql gemeente "SELECT hash FROM audit WHERE seq = $seq")
	is "entry $seq ($(kp_sql gemeente "SELECT direction || ' ' || outcome FROM audit WHERE seq = $seq")): the stored hash is SHA-256 of the previous hash and the canonical form" \
	    "$want" "$got"
	prev=$got
done
