#!/usr/bin/env bash
# bench_exchange with a PostgreSQL cluster of its own (issue 19's goal 1:
# the receiver on PostgreSQL against the same receiver on SQLite, in each
# run): initdb and pg_ctl as in the tests (tests/integration/lib.sh), but
# with fsync on, as deployed; then bench/bench_exchange --pg with the
# arguments given.
#
#   KP=ketenpoort SRCDIR=.. BENCH_EXCHANGE=bench/bench_exchange \
#       bench_exchange.sh [bench_exchange's options]
set -u
WORK=$(mktemp -d /tmp/kp-bench-exchange.XXXXXX)
KP_PG_FSYNC=on
. "$SRCDIR/tests/integration/lib.sh"
trap 'kp_pg_stop; rm -rf "$WORK"' EXIT
kp_pg_start || { echo "bench_exchange.sh: PostgreSQL did not start" >&2; exit 1; }
"$BENCH_EXCHANGE" --pg "$WORK/pg" "$@"
