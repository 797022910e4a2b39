/*
 * outbound — the local pipeline, stage by stage (outbound.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "config.h"
#include "consent.h"
#include "gateway.h"
#include "kd.h"
#include "outbound.h"
#include "policy.h"
#include "schema.h"
#include "store.h"
#include "xmlsafe.h"

/* One change from its first stage to its result. */
struct outbound {
	struct kp_gateway		*gw;
	const char			*bytes;		/* parse: the input */
	size_t				 len;
	xmlDocPtr			 doc;
	struct kp_notice		 read;		/* body: what it says */
	const struct kp_notice		*n;		/* the change */
	struct kp_consents		 consents;
	int				 have_consents;
	struct kp_fanout		*fanout;
	size_t				 nfanout;
	struct kp_put_result		*result;
	struct kp_err			 refusal;	/* verdict and why */
	int				 refused;
};

/* The change is refused: the stage stops the pipeline with KP_OK. */
static int
refuse(struct outbound *o)
{
	o->refused = 1;
	return KP_OK;
}

static int
stage_parse(struct outbound *o, struct kp_err *err)
{
	(void)err;
	if ((o->doc = kp_xml_parse(o->bytes, o->len, &o->refusal)) == NULL)
		return refuse(o);
	return KP_OK;
}

static int
stage_body(struct outbound *o, struct kp_err *err)
{
	(void)err;
	if (kp_schema_validate(o->gw->kd_schema, xmlDocGetRootElement(o->doc),
	    &o->refusal) != KP_OK ||
	    kp_kd_read_local(xmlDocGetRootElement(o->doc), &o->read,
	    &o->refusal) != KP_OK)
		return refuse(o);
	o->n = &o->read;
	return KP_OK;
}

static int
stage_owner(struct outbound *o, struct kp_err *err)
{
	(void)err;
	if (strcmp(o->n->bron, o->gw->cfg->oin) != 0) {
		kp_reject(&o->refusal, KP_F_022, "bron %s is not us (%s): only "
		    "the owner changes a record", o->n->bron, o->gw->cfg->oin);
		return refuse(o);
	}
	return KP_OK;
}

static int
stage_consents(struct outbound *o, struct kp_err *err)
{
	int ret;

	if ((ret = kp_consents_load(o->gw, o->n, &o->consents, err)) != KP_OK)
		return ret;
	o->have_consents = 1;
	return KP_OK;
}

/* Who may receive it, and what of it: one decision per partner. */
static int
stage_fanout(struct outbound *o, struct kp_err *err)
{
	return kp_policy_fanout(o->gw->profiles, o->n, NULL, NULL,
	    (uint32_t)o->gw->cfg->partitions, &o->consents, &o->fanout,
	    &o->nfanout, err);
}

static int
stage_commit(struct outbound *o, struct kp_err *err)
{
	struct kp_local_change lc = { o->n, o->gw->cfg->oin, o->fanout,
	    o->nfanout };
	struct kp_put_result *r = o->result;
	int ret;

	if ((ret = kp_apply_local(o->gw->store, &lc, &r->verdict, r->msg,
	    sizeof(r->msg), &r->queued, err)) != KP_OK)
		return ret;
	if (r->verdict != KP_F_NONE)
		o->refused = 1;		/* refused in the store: KP023 */
	return KP_OK;
}

/* A consent changed: what follows from it, now (consent.h). */
static int
stage_followups(struct outbound *o, struct kp_err *err)
{
	const struct kp_notice *n = o->n;
	size_t citizens, requeued = 0;
	int ret;

	if (strcmp(n->entiteittype, "TST") == 0 &&
	    (ret = kp_consent_reconcile_pending(o->gw, 0, &citizens,
	    &requeued, err)) != KP_OK)
		return ret;
	o->result->queued += requeued;
	snprintf(o->result->msg, sizeof(o->result->msg), "%c %s %s bronversie "
	    "%llu stored; %zu notices queued", n->mutatiesoort, n->entiteittype,
	    n->identificatie, (unsigned long long)n->bronversie,
	    o->result->queued);
	return KP_OK;
}

typedef int (*stage_fn)(struct outbound *, struct kp_err *);

static const struct {
	const char	*name;
	stage_fn	 fn;
} stages[] = {
	{ "parse", stage_parse },
	{ "body", stage_body },
	{ "owner", stage_owner },
	{ "consents", stage_consents },
	{ "fanout", stage_fanout },
	{ "commit", stage_commit },
	{ "followups", stage_followups },
};

#define STAGE_OWNER	2	/* where a change already read starts */

/* The stages from first on, until one refuses or fails. */
static int
run(struct outbound *o, size_t first, struct kp_err *err)
{
	int ret = KP_OK;

	memset(o->result, 0, sizeof(*o->result));
	for (size_t i = first; i < sizeof(stages) / sizeof(stages[0]); i++) {
		if ((ret = stages[i].fn(o, err)) != KP_OK || o->refused)
			break;
	}
	if (ret == KP_OK && o->refused && o->result->verdict == KP_F_NONE) {
		o->result->verdict = o->refusal.fault;
		memcpy(o->result->msg, o->refusal.msg, sizeof(o->result->msg));
	}
	if (o->have_consents)
		kp_consents_clear(&o->consents);
	kp_fanout_free(o->fanout, o->nfanout);
	kp_notice_clear(&o->read);
	xmlFreeDoc(o->doc);
	return ret;
}

int
kp_outbound_put(struct kp_gateway *gw, const char *bytes, size_t len,
    struct kp_put_result *result, struct kp_err *err)
{
	struct outbound o = { .gw = gw, .bytes = bytes, .len = len,
	    .result = result };

	return run(&o, 0, err);
}

int
kp_outbound_change(struct kp_gateway *gw, const struct kp_notice *n,
    struct kp_put_result *result, struct kp_err *err)
{
	struct outbound o = { .gw = gw, .n = n, .result = result };

	return run(&o, STAGE_OWNER, err);
}
