#!/usr/bin/env bash
# demo.sh with every store on PostgreSQL (onpg.sh)
. "$SRCDIR/tests/integration/onpg.sh" demo
