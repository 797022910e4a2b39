/*
 * fuzz_signed — everything after the signature: each input is a kd body
 * (what a partner's application would put in the Body), which the harness
 * wraps and signs with the partner's own test key before the receiver
 * handles it.  So the fuzzer reaches what a signed partner can reach:
 * envelope inspection, schema, kd parsing, policy, streams and the
 * store's apply path, the answer.  Bodies that are not XML stop at the
 * harness (a partner cannot sign what is not XML either).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>

#include "compose.h"
#include "fixture.h"
#include "fuzz.h"
#include "gateway.h"
#include "inbound.h"
#include "log.h"
#include "store.h"
#include "xmlsafe.h"

static struct fixture fx;
static int ready;
static long runs, signed_runs, accepted, bad_answers, stored_unaccepted;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_request kreq = { OIN_PARTNER, "text/xml; charset=utf-8",
	    NULL, NULL, 0 };
	struct kp_composed req = { 0 };
	struct kp_response resp;
	struct kp_err err;
	xmlDocPtr body;
	int64_t before;

	if (!ready) {
		kp_log_init("fuzz", KP_LOG_WARN);
		kp_log_set_level(KP_LOG_WARN);
		if (fixture_setup(&fx) != 0)
			abort();
		ready = 1;
	}
	runs++;
	if ((body = kp_xml_parse((const char *)data, size, &err)) == NULL)
		return 0;
	if (kp_request_build(fx.partner, fx.self_at_partner,
	    xmlDocGetRootElement(body), &req, &err) != KP_OK) {
		xmlFreeDoc(body);
		return 0;
	}
	xmlFreeDoc(body);
	signed_runs++;
	kreq.body = req.bytes;
	kreq.len = req.len;
	before = fixture_count(fx.self->store, "message");
	kp_inbound_handle(fx.self, &kreq, &resp);
	if (resp.body == NULL || (resp.http_status != 200 &&
	    resp.http_status != 500))
		bad_answers++;
	if (resp.http_status == 200 && resp.fault == KP_F_NONE)
		accepted++;
	else if (fixture_count(fx.self->store, "message") != before)
		stored_unaccepted++;
	kp_response_clear(&resp);
	kp_composed_clear(&req);
	return 0;
}

int
fuzz_replay_checks(int first)
{
	printf("%sok %d - %ld inputs, %ld signed and handled, %ld accepted\n",
	    signed_runs > 0 && accepted > 0 ? "" : "not ", first, runs,
	    signed_runs, accepted);
	printf("%sok %d - every one got a well-formed answer (%ld did not)\n",
	    bad_answers == 0 ? "" : "not ", first + 1, bad_answers);
	printf("%sok %d - nothing was stored unless it was accepted (%ld "
	    "were)\n", stored_unaccepted == 0 ? "" : "not ", first + 2,
	    stored_unaccepted);
	if (ready)
		fixture_teardown(&fx);
	return 3;
}
