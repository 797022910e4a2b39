#!/usr/bin/env bash
# consent.sh with every store on PostgreSQL (onpg.sh)
. "$SRCDIR/tests/integration/onpg.sh" consent
