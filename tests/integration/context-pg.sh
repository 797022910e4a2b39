#!/usr/bin/env bash
# context.sh with every store on PostgreSQL (onpg.sh)
. "$SRCDIR/tests/integration/onpg.sh" context
