/*
 * fuzz_local — the local interface's POST /dossier body (a
 * kd:lokaleWijziging, outbound.h kp_outbound_put) on arbitrary bytes,
 * against a gateway with a store: each input is stored with its outbox
 * rows or refused with a Fo03 code, and a refusal changes nothing.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>

#include "dossier.h"
#include "fixture.h"
#include "fuzz.h"
#include "gateway.h"
#include "log.h"
#include "outbound.h"
#include "store.h"

static struct fixture fx;
static int ready;
static long runs, stored, refused, changed_on_refusal, failed;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_put_result res;
	struct kp_err err;
	int64_t records, outbox;

	if (!ready) {
		kp_log_init("fuzz", KP_LOG_WARN);
		if (fixture_setup(&fx) != 0)
			abort();
		ready = 1;
	}
	records = fixture_count(fx.self->store, "record");
	outbox = fixture_count(fx.self->store, "outbox");
	runs++;
	if (kp_outbound_put(fx.self, (const char *)data, size, &res,
	    &err) != KP_OK) {
		failed++;
	} else if (res.verdict == KP_F_NONE) {
		stored++;
	} else {
		refused++;
		if (fixture_count(fx.self->store, "record") != records ||
		    fixture_count(fx.self->store, "outbox") != outbox)
			changed_on_refusal++;
	}
	return 0;
}

int
fuzz_replay_checks(int first)
{
	printf("%sok %d - %ld inputs: %ld stored, %ld refused with a code, "
	    "%ld store errors\n", runs > 0 && stored > 0 && failed == 0 ? "" :
	    "not ", first, runs, stored, refused, failed);
	printf("%sok %d - a refused change left records and outbox as they "
	    "were (%ld did not)\n", changed_on_refusal == 0 ? "" : "not ",
	    first + 1, changed_on_refusal);
	if (ready)
		fixture_teardown(&fx);
	return 2;
}
