#!/usr/bin/env bash
# crash.sh with every store on PostgreSQL (onpg.sh), with 10 kills rather
# than 20: what the engine adds (its transactions, its reconnects) shows in
# ten as in twenty, and the twenty run on SQLite in the same build.
export KP_CRASH_KILLS=${KP_CRASH_KILLS:-10}
. "$SRCDIR/tests/integration/onpg.sh" crash
