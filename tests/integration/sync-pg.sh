#!/usr/bin/env bash
# sync.sh with every store on PostgreSQL (onpg.sh), on 2,000 changes
# rather than 5,000: the engine's part (its queries, its transactions,
# its digests) is the same at either size, and the 5,000-change volume on
# PostgreSQL is ha.sh's (with the nodes killed meanwhile); at 5,000 this
# pass alone took nine and a half minutes of CI.
export KP_SYNC_CHANGES=${KP_SYNC_CHANGES:-2000}
. "$SRCDIR/tests/integration/onpg.sh" sync
