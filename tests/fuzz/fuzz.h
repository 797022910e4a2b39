/*
 * fuzz.h — what each fuzz target gives the shared replay main
 * (replay_main.c): LLVMFuzzerTestOneInput, and fuzz_replay_checks(),
 * which prints the target's own TAP lines after its seeds ran (what must
 * hold over all of them) and returns how many it printed.
 */
#ifndef KP_FUZZ_H
#define KP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	fuzz_replay_checks(int first);

#endif
