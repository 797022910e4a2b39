#!/usr/bin/env bash
# crash.sh with every store on PostgreSQL (onpg.sh)
. "$SRCDIR/tests/integration/onpg.sh" crash
