#!/usr/bin/env bash
# The PostgreSQL engine against a real server: a cluster of the test's
# own, a database, and tests/unit/test_db_pg on it (what a lost
# connection may and may not do, parameters, singleton locks, columns).
set -u
WORK=$(mktemp -d /tmp/kp-pgconn.XXXXXX)
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_pg_stop; [ -n "${KP_KEEP:-}" ] || rm -rf "$WORK"' EXIT
kp_pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
URI=$(kp_pg_db conn) || { echo "Bail out! no database"; exit 1; }
"$BUILDDIR/tests/unit/test_db_pg" "$URI"
