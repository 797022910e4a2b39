#include "autoconf.h"

#include <string.h>

#include "audit.h"
#include "config.h"
#include "envelope.h"
#include "gateway.h"
#include "store.h"
#include "util.h"
#include "wss.h"
#include "xmlsafe.h"

struct reverify_ctx {
	struct kp_gateway	*gw;
	FILE			*report;
	struct kp_reverify	*counts;
};

static int
reverify_one(void *arg, const struct kp_stored_message *m)
{
	struct reverify_ctx *rc = arg;
	struct kp_wss_policy policy = { .trust = rc->gw->trust };
	struct kp_wss_result sig = { 0 };
	struct kp_env env;
	struct kp_err err;
	xmlDocPtr doc;
	int ok = 0;

	rc->counts->checked++;
	/*
	 * Outbound messages were signed by us; inbound ones by the partner
	 * whose OIN the row names.
	 */
	policy.expected_oin = strcmp(m->direction, "in") == 0 ?
	    m->partner_oin : rc->gw->cfg->oin;
	if (m->at == NULL || kp_time_parse_iso(m->at, &policy.at_ms) != 0)
		policy.at_ms = 0;
	if ((doc = kp_xml_parse(m->bytes, m->len, &err)) != NULL &&
	    kp_env_inspect(doc, 0, &env, &err) == KP_OK &&
	    kp_wss_verify(&env, &policy, &sig, &err) == KP_OK)
		ok = 1;
	kp_wss_result_clear(&sig);
	xmlFreeDoc(doc);
	if (ok) {
		rc->counts->verified++;
	} else {
		rc->counts->failed++;
		if (rc->report != NULL)
			fprintf(rc->report, "message %lld (%s %s, partner %s): %s\n",
			    (long long)m->id, m->direction, m->message_id,
			    m->partner_oin, err.msg);
	}
	return 0;
}

int
kp_audit_reverify(struct kp_gateway *gw, const char *direction, FILE *report,
    struct kp_reverify *counts, struct kp_err *err)
{
	struct reverify_ctx rc = { gw, report, counts };

	memset(counts, 0, sizeof(*counts));
	return kp_store_each_message(gw->store, direction, reverify_one, &rc,
	    err);
}
