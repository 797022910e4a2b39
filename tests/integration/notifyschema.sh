#!/usr/bin/env bash
# Every notification the gateway makes (test_notify --dump: each kind of
# change, each channel) validates against the Message schema of the
# Notificaties API 1.0.0 OpenAPI document, with python3-jsonschema
# (formats checked: uri, date-time).  The document is kept in
# tests/contracts/zgw (VNG's, EUPL: LICENCE-VNG-EUPL.md there), so a clean
# checkout tests against it; when ../shared/contracts is next to the
# source tree, the copy must be the same.
set -u
NAME=notificaties-api-1.0.0.post1.openapi.yaml
SPEC=$SRCDIR/tests/contracts/zgw/$NAME
SHARED=$SRCDIR/../shared/contracts/zgw/$NAME
if ! /usr/bin/python3 -c 'import jsonschema, yaml' 2>/dev/null; then
	echo "1..0 # SKIP python3-jsonschema and python3-yaml are not installed (tools/dev installs them)"
	exit 0
fi
WORK=$(mktemp -d /tmp/kp-notifyschema.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
"$BUILDDIR/tests/unit/test_notify" --dump "$WORK" > /dev/null
n=$(ls "$WORK"/*.json 2>/dev/null | wc -l)
if [ "$n" -lt 9 ]; then
	echo "1..1"
	echo "not ok 1 - test_notify --dump wrote $n messages, want at least 9"
	exit 0
fi
# and the validator refuses what is not a Message: it can fail
mkdir "$WORK/bad"
good=$(cat "$WORK/00.json")
echo "$good" | sed 's/"kanaal":"zaken",//' > "$WORK/bad/no-kanaal.json"
echo "$good" | sed 's|"resourceUrl":"[^"]*"|"resourceUrl":"zaken/1"|' > "$WORK/bad/relative-url.json"
echo "$good" | sed 's|"aanmaakdatum":"[^"]*"|"aanmaakdatum":"gisteren"|' > "$WORK/bad/no-date.json"
echo "$good" | sed 's|"kenmerken":{|"kenmerken":{"leeg":"",|' > "$WORK/bad/empty-kenmerk.json"
VALIDATE="/usr/bin/python3 $SRCDIR/tests/tools/zgwvalidate.py $SPEC Message"
echo "1..$((n + 5))"
$VALIDATE "$WORK"/*.json | grep -v '^1\.\.'
i=$n
for f in "$WORK"/bad/*.json; do
	i=$((i + 1))
	if $VALIDATE "$f" > "$WORK/out" 2>&1; then
		echo "not ok $i - $(basename "$f" .json): accepted, but it is no Message"
	else
		echo "ok $i - $(basename "$f" .json): refused ($(grep -m1 '^#' "$WORK/out" | sed 's/^#  *//'))"
	fi
done
if [ -f "$SHARED" ]; then
	cmp -s "$SPEC" "$SHARED" && echo "ok $((n + 5)) - the kept contract is the published one ($SHARED)" ||
	    echo "not ok $((n + 5)) - tests/contracts/zgw/$NAME differs from $SHARED: copy it again"
else
	echo "ok $((n + 5)) # SKIP ../shared/contracts is not next to this source tree"
fi
