#!/bin/sh
# Replay the fuzz target's seeds (and the raw bad-input corpus) as a test.
exec "$BUILDDIR/tests/fuzz/fuzz_verify" "$SRCDIR/tests/fuzz/seeds" \
    "$SRCDIR/tests/corpus/raw"
