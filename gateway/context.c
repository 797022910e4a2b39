#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog.h"
#include "client.h"
#include "compose.h"
#include "config.h"
#include "consent.h"
#include "context.h"
#include "envelope.h"
#include "gateway.h"
#include "policy.h"
#include "profile.h"
#include "store.h"
#include "util.h"
#include "xmlsafe.h"

/* The order of an answer: customer, cases, contacts, consents. */
static int
type_rank(const char *entiteittype)
{
	static const char *const order[] = { "PRS", "ZAK", "KCT", "TST" };

	for (int i = 0; i < 4; i++)
		if (strcmp(order[i], entiteittype) == 0)
			return i;
	return 4;
}

struct candidate {
	const struct kp_citizen_record	*r;
	int				 rank;
	char				*when;	/* KCT plaatsgevondenOp */
	size_t				 pos;	/* the store's order */
};

static int
by_answer_order(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	int c;

	if (x->rank != y->rank)
		return x->rank - y->rank;
	/* contacts newest first */
	if (x->when != NULL && y->when != NULL &&
	    (c = strcmp(y->when, x->when)) != 0)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* A case with an einddatum today or before is closed. */
static int
case_closed(const struct kp_notice *n, const char *today)
{
	char *end = kp_field_get(n->fields, "einddatum");
	int closed = end != NULL && strcmp(end, today) <= 0;

	free(end);
	return closed;
}

static char *
dup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* One decision as an audit entry of the answer. */
static int
add_audit(struct kp_context_audit *a, const char *asker_oin, const char *bsn,
    const struct kp_notice *n, const struct kp_decision *d, const char *doel)
{
	struct kp_audit *nv, *e;
	char record[160];

	if ((nv = realloc(a->v, (a->n + 1) * sizeof(*nv))) == NULL)
		return -1;
	a->v = nv;
	e = &a->v[a->n++];
	memset(e, 0, sizeof(*e));
	kp_audit_record(record, sizeof(record), n->entiteittype, n->bron,
	    n->identificatie, n->bronversie);
	e->direction = "out";
	e->partner_oin = dup(asker_oin);
	e->berichtcode = "La01";
	e->entiteittype = dup(n->entiteittype);
	e->bsn = dup(bsn);
	e->record = dup(record);
	if (d->verdict == KP_DISCLOSE) {
		e->outcome = "answered";
		e->velden = dup(d->velden);
		e->basis = dup(d->basis);
		e->doel = dup(d->doel);
		e->detail = dup("context");
		a->disclosed++;
	} else {
		e->outcome = "withheld";
		e->code = "KP021";
		e->doel = dup(doel);
		e->detail = dup(d->reason);
		a->withheld++;
	}
	return e->record != NULL && e->bsn != NULL ? 0 : -1;
}

void
kp_context_audit_clear(struct kp_context_audit *a)
{
	for (size_t i = 0; i < a->n; i++) {
		struct kp_audit *e = &a->v[i];

		free((char *)e->partner_oin);
		free((char *)e->entiteittype);
		free((char *)e->bsn);
		free((char *)e->record);
		free((char *)e->velden);
		free((char *)e->basis);
		free((char *)e->doel);
		free((char *)e->detail);
	}
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* Decide each candidate in order and put what may go into antwoord. */
static int
fill_answer(struct kp_gateway *gw, const struct kp_profile *asker,
    const char *bsn, const char *doel, const struct kp_citizen *c,
    xmlNodePtr antwoord, struct kp_context_audit *audit, struct kp_err *err)
{
	struct candidate *cs;
	size_t n = 0;
	int64_t contacts = 0;
	int ret = KP_OK;

	if ((cs = calloc(c->n + 1, sizeof(*cs))) == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < c->n; i++) {
		const struct kp_citizen_record *r = &c->v[i];

		if (r->n.mutatiesoort == 'V' ||
		    strcmp(r->n.bron, asker->oin) == 0 ||
		    (strcmp(r->n.entiteittype, "ZAK") == 0 &&
		    case_closed(&r->n, c->consents.today)))
			continue;
		cs[n].r = r;
		cs[n].rank = type_rank(r->n.entiteittype);
		cs[n].pos = i;
		if (strcmp(r->n.entiteittype, "KCT") == 0)
			cs[n].when = kp_field_get(r->n.fields, "plaatsgevondenOp");
		n++;
	}
	qsort(cs, n, sizeof(*cs), by_answer_order);
	for (size_t i = 0; ret == KP_OK && i < n; i++) {
		const struct kp_notice *rec = &cs[i].r->n;
		int contact = strcmp(rec->entiteittype, "KCT") == 0;
		struct kp_decision d;

		if (contact && contacts >= gw->cfg->context_contacts)
			continue;	/* only the newest, not a refusal */
		if (kp_policy_decide(asker, rec, doel, &c->consents, &d,
		    err) != KP_OK) {
			ret = KP_ERR_NOMEM;
			break;
		}
		if (d.verdict != KP_NOT_ENTITLED) {
			if (d.verdict == KP_DISCLOSE) {
				struct kp_notice copy = *rec;

				/* only the rule's fields leave, and are signed */
				copy.fields = d.fields;
				if (kp_kd_add_entity(antwoord, &copy) == NULL)
					ret = kp_fail(err, KP_ERR_NOMEM,
					    "out of memory");
				contacts += contact;
			}
			if (ret == KP_OK && add_audit(audit, asker->oin, bsn, rec,
			    &d, doel) != 0)
				ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
		}
		kp_decision_clear(&d);
	}
	for (size_t i = 0; i < n; i++)
		free(cs[i].when);
	free(cs);
	return ret;
}

int
kp_context_answer(struct kp_gateway *gw, const struct kp_profile *asker,
    const char *bsn, const char *doel, const struct kp_reply_params *rp,
    char **out, size_t *len, struct kp_context_audit *audit,
    struct kp_err *err)
{
	struct kp_kd_reply r = {
		.our_oin = gw->cfg->oin, .our_app = gw->cfg->application,
		.to_oin = rp->to_oin, .to_app = rp->to_app, .crossref = rp->crossref,
	};
	struct kp_citizen c;
	xmlNodePtr antwoord;
	xmlDocPtr doc = NULL;
	int ret;

	memset(audit, 0, sizeof(*audit));
	if ((ret = kp_citizen_load(gw, bsn, &c, err)) != KP_OK)
		return ret;
	if ((doc = kp_kd_la01(&r, "context", &antwoord, err)) == NULL)
		ret = KP_ERR_NOMEM;
	else
		ret = fill_answer(gw, asker, bsn, doel, &c, antwoord, audit, err);
	kp_citizen_clear(&c);
	if (ret == KP_OK) {
		ret = kp_reply_build_answer(gw, rp, doc, out, len, err);
		doc = NULL;	/* freed by it */
	}
	xmlFreeDoc(doc);
	if (ret != KP_OK)
		kp_context_audit_clear(audit);
	return ret;
}

/* The entities of a verified dosLa01 about bsn into ctx. */
static int
read_answer(const struct kp_outcome *o, const char *bsn,
    struct kp_context *ctx, struct kp_err *err)
{
	xmlDocPtr doc;
	xmlNodePtr antwoord;
	int ret = KP_OK;

	if ((antwoord = kp_outcome_antwoord(o, &doc, err)) == NULL)
		return KP_ERR_PROTOCOL;
	for (xmlNodePtr e = kp_xml_first(antwoord); e != NULL;
	    e = kp_xml_next(e)) {
		struct kp_notice n, *nv;

		if ((ret = kp_kd_read_entity(e, &n, err)) != KP_OK)
			break;
		/* an answer about someone else is no answer */
		if (strcmp(n.bsn, bsn) != 0) {
			kp_notice_clear(&n);
			ret = kp_fail(err, KP_ERR_PROTOCOL, "the partner's answer "
			    "holds %s %s about another citizen; ignored it all",
			    n.entiteittype, n.identificatie);
			break;
		}
		if ((nv = realloc(ctx->v, (ctx->n + 1) * sizeof(*nv))) == NULL) {
			kp_notice_clear(&n);
			ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
			break;
		}
		ctx->v = nv;
		ctx->v[ctx->n++] = n;
	}
	xmlFreeDoc(doc);
	return ret;
}

int
kp_context_ask(struct kp_gateway *gw, const struct kp_profile *partner,
    const char *bsn, const char *doel, struct kp_context *ctx,
    struct kp_err *err)
{
	struct kp_kd_reply r = {
		.our_oin = gw->cfg->oin, .our_app = gw->cfg->application,
		.to_oin = partner->oin, .to_app = "ketenpoort",
	};
	struct kp_outcome o = { 0 };
	struct kp_client *client;
	xmlDocPtr q;
	int ret;

	memset(ctx, 0, sizeof(*ctx));
	if (!kp_bsn_valid(bsn))
		return kp_fail(err, KP_ERR_USAGE, "%s is not a BSN (9 digits "
		    "passing the elfproef)", bsn);
	if ((client = kp_client_new(gw, partner, err)) == NULL)
		return KP_ERR_NOMEM;
	if ((q = kp_kd_question(&r, "context", bsn, doel, NULL, err)) == NULL) {
		kp_client_free(client);
		return KP_ERR_NOMEM;
	}
	ret = kp_client_exchange(client, xmlDocGetRootElement(q), &o, err);
	snprintf(ctx->message_id, sizeof(ctx->message_id), "%s", o.message_id);
	if (ret == KP_OK && o.fault != KP_F_NONE)
		ret = kp_fail(err, KP_ERR_PROTOCOL, "%s refused the context "
		    "question: %s %s", partner->naam, kp_fault_code(o.fault),
		    o.omschrijving);
	if (ret == KP_OK)
		ret = read_answer(&o, bsn, ctx, err);
	if (ret != KP_OK)
		kp_context_clear(ctx);
	kp_outcome_clear(&o);
	xmlFreeDoc(q);
	kp_client_free(client);
	return ret;
}

void
kp_context_clear(struct kp_context *ctx)
{
	for (size_t i = 0; i < ctx->n; i++)
		kp_notice_clear(&ctx->v[i]);
	free(ctx->v);
	memset(ctx, 0, sizeof(*ctx));
}

static const char *const headings[] = { "Customer (PRS)", "Open cases (ZAK)",
    "Recent contacts (KCT)", "Consents (TST)", "Other" };

static void
print_field(void *out, const char *name, const char *value)
{
	kp_text_line(out, "    %-26s %s", name, value);
}

/* The JSON members of one record's fields. */
struct json_fields {
	FILE	*out;
	int	 n;
};

static void
json_field(void *arg, const char *name, const char *value)
{
	struct json_fields *j = arg;

	fputs(j->n++ ? ", " : "", j->out);
	kp_json_string(j->out, name);
	fputs(": ", j->out);
	kp_json_string(j->out, value);
}

void
kp_context_print(const struct kp_context *ctx, const char *partner_name,
    const char *bsn, const char *doel, FILE *out)
{
	int shown[5] = { 0 };

	kp_text_line(out, "Context from %s for BSN %s, doel %s: %zu record%s",
	    partner_name, bsn, doel, ctx->n, ctx->n == 1 ? "" : "s");
	for (int rank = 0; rank < 5; rank++)
		for (size_t i = 0; i < ctx->n; i++) {
			const struct kp_notice *n = &ctx->v[i];

			if (type_rank(n->entiteittype) != rank)
				continue;
			if (!shown[rank]++)
				fprintf(out, "\n%s\n", headings[rank]);
			kp_text_line(out, "  %s (of %s, version %llu)",
			    n->identificatie, n->bron,
			    (unsigned long long)n->bronversie);
			kp_field_each(n->fields, print_field, out);
		}
	if (ctx->n == 0)
		fprintf(out, "\nnothing this partner may show us for this "
		    "purpose\n");
}

void
kp_context_json(const struct kp_context *ctx, const char *partner_oin,
    const char *bsn, const char *doel, FILE *out)
{
	fprintf(out, "{\"partner\": \"%s\", \"bsn\": \"%s\", \"doel\": ",
	    partner_oin, bsn);
	kp_json_string(out, doel);
	fputs(", \"records\": [", out);
	for (size_t i = 0; i < ctx->n; i++) {
		const struct kp_notice *n = &ctx->v[i];
		struct json_fields j = { out, 0 };

		fprintf(out, "%s\n  {\"entiteittype\": \"%s\", \"bron\": \"%s\", "
		    "\"identificatie\": ", i ? "," : "", n->entiteittype, n->bron);
		kp_json_string(out, n->identificatie);
		fprintf(out, ", \"bronversie\": %llu, \"velden\": {",
		    (unsigned long long)n->bronversie);
		kp_field_each(n->fields, json_field, &j);
		fputs("}}", out);
	}
	fputs(ctx->n > 0 ? "\n]}\n" : "]}\n", out);
}
