#!/usr/bin/env bash
# notify.sh with every store on PostgreSQL (onpg.sh)
. "$SRCDIR/tests/integration/onpg.sh" notify
