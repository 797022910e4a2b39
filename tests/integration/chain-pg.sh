#!/usr/bin/env bash
# chain.sh with every store on PostgreSQL (onpg.sh)
. "$SRCDIR/tests/integration/onpg.sh" chain
