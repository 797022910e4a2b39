#!/usr/bin/env bash
# notifyload.sh with every store on PostgreSQL (onpg.sh)
. "$SRCDIR/tests/integration/onpg.sh" notifyload
