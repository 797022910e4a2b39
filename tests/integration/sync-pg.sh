#!/usr/bin/env bash
# sync.sh with every store on PostgreSQL (onpg.sh)
. "$SRCDIR/tests/integration/onpg.sh" sync
