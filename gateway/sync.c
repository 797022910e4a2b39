#include "autoconf.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "compose.h"
#include "config.h"
#include "consent.h"
#include "envelope.h"
#include "gateway.h"
#include "kd.h"
#include "log.h"
#include "policy.h"
#include "profile.h"
#include "status.h"
#include "store.h"
#include "sync.h"
#include "util.h"
#include "xmlsafe.h"

/* Most citizens a partner's answers may name in one verify. */
#define DIGEST_MAX_CITIZENS	(50 * 1000 * 1000)

struct citizen {
	char	bsn[16];
	char	digest[KP_SHA256_HEX_LEN + 1];
	int64_t	records;
	int	in_flight;
};

struct citizens {
	struct citizen	*v;
	size_t		 n, cap;
};

static void
citizens_clear(struct citizens *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static struct citizen *
citizens_add(struct citizens *c)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct citizen *v = realloc(c->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		c->v = v;
		c->cap = cap;
	}
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	return &c->v[c->n++];
}

/*
 * Builds one citizen's digest from the store's rows, which come in BSN
 * order, and hands each finished citizen to emit.
 */
struct digester {
	char		 bsn[16];
	char		**lines;
	size_t		 n, cap;
	int		 in_flight;
	int		 failed;
	int		(*emit)(struct digester *dg, const struct citizen *c);
	void		*arg;
};

static int
cmp_line(const void *a, const void *b)
{
	/* strcmp compares as unsigned char: bytewise, as 4.3 asks */
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
digester_reset(struct digester *dg)
{
	for (size_t i = 0; i < dg->n; i++)
		free(dg->lines[i]);
	dg->n = 0;
	dg->in_flight = 0;
	dg->bsn[0] = '\0';
}

static void
digester_free(struct digester *dg)
{
	digester_reset(dg);
	free(dg->lines);
	dg->lines = NULL;
	dg->cap = 0;
}

/* The citizen collected so far, finished: sorted, joined, hashed. */
static int
digester_flush(struct digester *dg)
{
	struct citizen c;
	size_t total = 0, o = 0;
	char *joined;

	if (dg->n == 0)
		return 0;
	qsort(dg->lines, dg->n, sizeof(dg->lines[0]), cmp_line);
	for (size_t i = 0; i < dg->n; i++)
		total += strlen(dg->lines[i]) + 1;
	if ((joined = malloc(total)) == NULL) {
		dg->failed = 1;
		return 1;
	}
	for (size_t i = 0; i < dg->n; i++) {
		size_t l = strlen(dg->lines[i]);

		if (i > 0)
			joined[o++] = '\n';
		memcpy(joined + o, dg->lines[i], l);
		o += l;
	}
	memset(&c, 0, sizeof(c));
	snprintf(c.bsn, sizeof(c.bsn), "%s", dg->bsn);
	kp_sha256_hex(joined, o, c.digest);
	free(joined);
	c.records = (int64_t)dg->n;
	c.in_flight = dg->in_flight;
	digester_reset(dg);
	return dg->emit(dg, &c);
}

/* One record row from the store; returns non-zero to stop. */
static int
digester_row(void *arg, const struct kp_digest_row *r)
{
	struct digester *dg = arg;
	char sha[KP_SHA256_HEX_LEN + 1], *line;
	const char *fields_sha = r->fields_sha256;

	if (r->bsn == NULL || r->entiteittype == NULL || r->bron == NULL ||
	    r->identificatie == NULL)
		return 0;
	if (dg->n > 0 && strcmp(dg->bsn, r->bsn) != 0 && digester_flush(dg))
		return 1;
	if (dg->n == dg->cap) {
		size_t cap = dg->cap ? dg->cap * 2 : 16;
		char **v = realloc(dg->lines, cap * sizeof(*v));

		if (v == NULL) {
			dg->failed = 1;
			return 1;
		}
		dg->lines = v;
		dg->cap = cap;
	}
	if (fields_sha == NULL) {
		kp_sha256_hex(r->fields != NULL ? r->fields : "",
		    r->fields != NULL ? strlen(r->fields) : 0, sha);
		fields_sha = sha;
	}
	if (asprintf(&line, "%s|%s|%s|%" PRId64 "|%s", r->entiteittype, r->bron,
	    r->identificatie, r->bronversie, fields_sha) == -1) {
		dg->failed = 1;
		return 1;
	}
	snprintf(dg->bsn, sizeof(dg->bsn), "%s", r->bsn);
	dg->lines[dg->n++] = line;
	dg->in_flight |= r->undelivered;
	return 0;
}

static int
collect(struct digester *dg, const struct citizen *c)
{
	struct citizens *all = dg->arg;
	struct citizen *slot = citizens_add(all);

	if (slot == NULL) {
		dg->failed = 1;
		return 1;
	}
	*slot = *c;
	return 0;
}

/* Our side: what we disclosed to partner, per citizen, in BSN order. */
static int
digests_disclosed(struct kp_gateway *gw, const char *partner_oin,
    const char *bsn, struct citizens *out, struct kp_err *err)
{
	struct digester dg = { .emit = collect, .arg = out };
	int ret;

	ret = kp_store_each_disclosed(gw->store, partner_oin, bsn, digester_row,
	    &dg, err);
	if (ret == KP_OK && !dg.failed)
		digester_flush(&dg);
	digester_free(&dg);
	if (ret == KP_OK && dg.failed)
		ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
	return ret;
}

/* The answering side: a page of digests into a dosLa01's antwoord. */
struct page {
	xmlNodePtr	 antwoord;
	size_t		 n;
	int		 more;
	char		 last[16];
};

static int
emit_digest(struct digester *dg, const struct citizen *c)
{
	struct page *pg = dg->arg;
	xmlNodePtr d;
	char num[32];

	if ((d = kp_kd_add(pg->antwoord, "digest", NULL)) == NULL) {
		dg->failed = 1;
		return 1;
	}
	snprintf(num, sizeof(num), "%" PRId64, c->records);
	kp_kd_add(d, "bsn", c->bsn);
	kp_kd_add(d, "waarde", c->digest);
	kp_kd_add(d, "aantal", num);
	snprintf(pg->last, sizeof(pg->last), "%s", c->bsn);
	pg->n++;
	return 0;
}

/* Stops the row stream when a citizen begins after a full page. */
static int
page_row(void *arg, const struct kp_digest_row *r)
{
	struct digester *dg = arg;
	struct page *pg = dg->arg;

	if (dg->n > 0 && r->bsn != NULL && strcmp(dg->bsn, r->bsn) != 0) {
		if (digester_flush(dg))
			return 1;
		if (pg->n >= KP_DIGEST_PAGE) {
			pg->more = 1;
			return 1;
		}
	}
	return digester_row(arg, r);
}

int
kp_sync_answer_digest(struct kp_gateway *gw, const char *partner_oin,
    xmlNodePtr question, const struct kp_reply_params *rp, char **out,
    size_t *len, struct kp_err *err)
{
	struct kp_kd_reply r = {
		.our_oin = gw->cfg->oin, .our_app = gw->cfg->application,
		.to_oin = rp->to_oin, .to_app = rp->to_app, .crossref = rp->crossref,
	};
	xmlNodePtr params = kp_xml_child(question, KD_NS, "parameters");
	char *bsn = kp_xml_text(kp_xml_child(params, KD_NS, "bsn"));
	char *vanaf = kp_xml_text(kp_xml_child(params, KD_NS, "vanaf"));
	struct page pg = { 0 };
	struct digester dg = { .emit = emit_digest, .arg = &pg };
	xmlDocPtr doc;
	int ret;

	if ((doc = kp_kd_la01(&r, "digest", &pg.antwoord, err)) == NULL) {
		ret = KP_ERR_NOMEM;
		goto out;
	}
	ret = kp_store_each_held(gw->store, partner_oin, bsn,
	    bsn == NULL ? vanaf : NULL, page_row, &dg, err);
	if (ret == KP_OK && !dg.failed && !pg.more)
		digester_flush(&dg);
	if (ret == KP_OK && dg.failed)
		ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
	if (ret == KP_OK && pg.more)
		kp_kd_add(xmlDocGetRootElement(doc), "vervolgVanaf", pg.last);
	if (ret != KP_OK) {
		xmlFreeDoc(doc);
		goto out;
	}
	ret = kp_reply_build_answer(gw, rp, doc, out, len, err);
out:
	digester_free(&dg);
	free(bsn);
	free(vanaf);
	return ret;
}

/*
 * Read one verified dosLa01 of digests into theirs; *next is the BSN to
 * ask from for the next page ("" when this was the last).
 */
static int
read_page(const struct kp_outcome *o, struct citizens *theirs, char next[16],
    struct kp_err *err)
{
	xmlDocPtr doc;
	xmlNodePtr antwoord, d;
	char *vervolg = NULL;
	int ret = KP_OK;

	next[0] = '\0';
	if ((antwoord = kp_outcome_antwoord(o, &doc, err)) == NULL)
		return KP_ERR_PROTOCOL;
	for (d = kp_xml_first(antwoord); d != NULL; d = kp_xml_next(d)) {
		char *bsn, *waarde, *aantal;
		struct citizen *c;

		if (!kp_xml_is(d, KD_NS, "digest"))
			continue;
		bsn = kp_xml_text(kp_xml_child(d, KD_NS, "bsn"));
		waarde = kp_xml_text(kp_xml_child(d, KD_NS, "waarde"));
		aantal = kp_xml_text(kp_xml_child(d, KD_NS, "aantal"));
		if (theirs->n >= DIGEST_MAX_CITIZENS ||
		    (c = citizens_add(theirs)) == NULL) {
			ret = kp_fail(err, KP_ERR_NOMEM, "the partner named too "
			    "many citizens");
		} else {
			snprintf(c->bsn, sizeof(c->bsn), "%s", bsn ? bsn : "");
			snprintf(c->digest, sizeof(c->digest), "%s",
			    waarde ? waarde : "");
			c->records = aantal != NULL ? strtoll(aantal, NULL, 10) : 0;
		}
		free(bsn);
		free(waarde);
		free(aantal);
		if (ret != KP_OK)
			goto out;
	}
	if ((vervolg = kp_xml_text(kp_xml_child(antwoord->parent, KD_NS,
	    "vervolgVanaf"))) != NULL)
		snprintf(next, 16, "%s", vervolg);
out:
	free(vervolg);
	xmlFreeDoc(doc);
	return ret;
}

/* Ask partner for its digests of what we delivered, page by page. */
static int
digests_theirs(struct kp_gateway *gw, const struct kp_profile *partner,
    const char *bsn, struct citizens *theirs, struct kp_err *err)
{
	struct kp_kd_reply r = {
		.our_oin = gw->cfg->oin, .our_app = gw->cfg->application,
		.to_oin = partner->oin, .to_app = "ketenpoort",
	};
	struct kp_client *client;
	char vanaf[16] = "", next[16];
	int ret = KP_OK;

	if ((client = kp_client_new(gw, partner, err)) == NULL)
		return KP_ERR_NOMEM;
	for (;;) {
		struct kp_outcome o = { 0 };
		xmlDocPtr q = kp_kd_question(&r, "digest", bsn, KP_DIGEST_DOEL,
		    vanaf[0] ? vanaf : NULL, err);

		if (q == NULL) {
			ret = KP_ERR_NOMEM;
			break;
		}
		ret = kp_client_exchange(client, xmlDocGetRootElement(q), &o, err);
		xmlFreeDoc(q);
		if (ret == KP_OK && o.fault != KP_F_NONE)
			ret = kp_fail(err, KP_ERR_PROTOCOL, "%s refused the digest "
			    "question: %s %s", partner->naam,
			    kp_fault_code(o.fault), o.omschrijving);
		if (ret == KP_OK)
			ret = read_page(&o, theirs, next, err);
		kp_outcome_clear(&o);
		if (ret != KP_OK || next[0] == '\0')
			break;
		/* each page must move on, or a partner could keep us asking */
		if (strcmp(next, vanaf) <= 0) {
			ret = kp_fail(err, KP_ERR_PROTOCOL, "%s's digest pages do "
			    "not advance; stopped", partner->naam);
			break;
		}
		memcpy(vanaf, next, sizeof(vanaf));
	}
	kp_client_free(client);
	return ret;
}

static int
cmp_citizen(const void *a, const void *b)
{
	return strcmp(((const struct citizen *)a)->bsn,
	    ((const struct citizen *)b)->bsn);
}

static int
add_diff(struct kp_sync_report *rep, const char *bsn, int64_t ours,
    int64_t theirs)
{
	struct kp_sync_diff *v = realloc(rep->diffs,
	    (rep->ndiffs + 1) * sizeof(*v));

	if (v == NULL)
		return -1;
	rep->diffs = v;
	snprintf(v[rep->ndiffs].bsn, sizeof(v[0].bsn), "%s", bsn);
	v[rep->ndiffs].ours = ours;
	v[rep->ndiffs].theirs = theirs;
	rep->ndiffs++;
	return 0;
}

/*
 * Our digests read before (*before) and after (after) the partner answered,
 * merged into *before: a citizen whose notices moved in between (its
 * digest changed, it appeared, or it was in flight either time) counts as
 * in flight, since the partner may have answered from either state.
 */
static int
settle(struct citizens *before, const struct citizens *after)
{
	struct citizens out = { 0 };
	size_t i = 0, j = 0;

	while (i < before->n || j < after->n) {
		int c = i == before->n ? 1 : j == after->n ? -1 :
		    strcmp(before->v[i].bsn, after->v[j].bsn);
		const struct citizen *a = c <= 0 ? &before->v[i++] : NULL;
		const struct citizen *b = c >= 0 ? &after->v[j++] : NULL;
		struct citizen *slot = citizens_add(&out);

		if (slot == NULL) {
			citizens_clear(&out);
			return -1;
		}
		*slot = b != NULL ? *b : *a;
		slot->in_flight = a == NULL || b == NULL || a->in_flight ||
		    b->in_flight || strcmp(a->digest, b->digest) != 0;
	}
	citizens_clear(before);
	*before = out;
	return 0;
}

/* A whole-link comparison's outcome (rep NULL: it failed, with err). */
static void
keep_check(struct kp_gateway *gw, const struct kp_profile *partner,
    const struct kp_sync_report *rep, const struct kp_err *err)
{
	struct kp_sync_check c = { .partner_oin = partner->oin };
	struct kp_err serr;

	if (rep != NULL) {
		c.citizens = rep->citizens;
		c.differ = (int64_t)rep->ndiffs;
		c.in_flight = rep->in_flight;
	} else {
		c.error = err->msg;
	}
	if (kp_store_sync_checked(gw->store, &c, &serr) != KP_OK)
		log_warnx("%s", serr.msg);
}

int
kp_sync_verify(struct kp_gateway *gw, const struct kp_profile *partner,
    const char *bsn, struct kp_sync_report *rep, struct kp_err *err)
{
	struct citizens ours = { 0 }, later = { 0 }, theirs = { 0 };
	size_t i = 0, j = 0;
	int ret;

	memset(rep, 0, sizeof(*rep));
	if ((ret = digests_disclosed(gw, partner->oin, bsn, &ours, err)) != KP_OK ||
	    (ret = digests_theirs(gw, partner, bsn, &theirs, err)) != KP_OK ||
	    (ret = digests_disclosed(gw, partner->oin, bsn, &later, err)) != KP_OK)
		goto out;
	if (settle(&ours, &later) != 0) {
		ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* Ours come in BSN order; a partner's answer is not trusted to. */
	if (theirs.n > 1)	/* qsort(NULL, 0, ...) is undefined */
		qsort(theirs.v, theirs.n, sizeof(theirs.v[0]), cmp_citizen);
	for (size_t k = 1; k < theirs.n; k++)
		if (strcmp(theirs.v[k - 1].bsn, theirs.v[k].bsn) == 0) {
			ret = kp_fail(err, KP_ERR_PROTOCOL, "%s named a citizen "
			    "twice in its digests; not compared", partner->naam);
			goto out;
		}
	while (i < ours.n || j < theirs.n) {
		int c = i == ours.n ? 1 : j == theirs.n ? -1 :
		    strcmp(ours.v[i].bsn, theirs.v[j].bsn);
		const struct citizen *a = c <= 0 ? &ours.v[i] : NULL;
		const struct citizen *b = c >= 0 ? &theirs.v[j] : NULL;

		if (a != NULL)
			i++;
		if (b != NULL)
			j++;
		rep->citizens++;
		if (a != NULL && a->in_flight)
			rep->in_flight++;
		else if (a != NULL && b != NULL &&
		    strcmp(a->digest, b->digest) == 0)
			rep->same++;
		else if (add_diff(rep, a != NULL ? a->bsn : b->bsn,
		    a != NULL ? a->records : -1, b != NULL ? b->records : -1)) {
			ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
out:
	citizens_clear(&ours);
	citizens_clear(&later);
	citizens_clear(&theirs);
	if (ret != KP_OK)
		kp_sync_report_clear(rep);
	if (bsn == NULL)
		keep_check(gw, partner, ret == KP_OK ? rep : NULL, err);
	return ret;
}

void
kp_sync_report_clear(struct kp_sync_report *rep)
{
	free(rep->diffs);
	memset(rep, 0, sizeof(*rep));
}

int
kp_sync_repair(struct kp_gateway *gw, const struct kp_profile *partner,
    const struct kp_sync_report *rep, size_t *queued, struct kp_err *err)
{
	int ret = KP_OK;

	*queued = 0;
	for (size_t d = 0; d < rep->ndiffs && ret == KP_OK; d++) {
		size_t q = 0;

		ret = kp_citizen_requeue(gw, rep->diffs[d].bsn, partner->oin, 0, 0,
		    "repair", &q, err);
		*queued += q;
	}
	return ret;
}

/* One round: verify every partner we have sent notices to. */
void
kp_sync_verify_all(void *arg)
{
	struct kp_gateway *gw = arg;
	struct kp_links links = { 0 };
	struct kp_err err;

	/* one node of those sharing the store runs it */
	if (!kp_store_leader(gw->store, "digest check"))
		return;
	if (kp_status_links(gw, 0, &links, &err) != KP_OK)
		log_warnx("sync verify: %s", err.msg);
	for (size_t i = 0; i < links.n; i++) {
		const struct kp_profile *p = kp_profiles_by_oin(gw->profiles,
		    links.v[i].partner_oin);
		struct kp_sync_report rep;

		if (p == NULL || links.v[i].streams_out == 0)
			continue;
		if (kp_sync_verify(gw, p, NULL, &rep, &err) != KP_OK) {
			log_warnx("sync verify with %s (%s): %s", p->naam, p->oin,
			    err.msg);
			continue;
		}
		if (rep.ndiffs > 0)
			log_warnx("sync verify with %s (%s): %zu of %lld citizens "
			    "differ; see ketenpoort sync verify --partner %s, and "
			    "sync repair", p->naam, p->oin, rep.ndiffs,
			    (long long)rep.citizens, p->stem);
		else
			log_info("sync verify with %s (%s): %lld citizens the "
			    "same, %lld in flight", p->naam, p->oin,
			    (long long)rep.same, (long long)rep.in_flight);
		kp_sync_report_clear(&rep);
	}
	kp_status_links_clear(&links);
}

void
kp_sync_report_print(FILE *out, const struct kp_profile *p,
    const struct kp_sync_report *rep)
{
	fprintf(out, "digests with %s (%s): %lld citizens, %lld the same, %zu differ, "
	    "%lld with notices not yet acknowledged\n", p->naam, p->oin,
	    (long long)rep->citizens, (long long)rep->same, rep->ndiffs,
	    (long long)rep->in_flight);
	for (size_t i = 0; i < rep->ndiffs; i++) {
		const struct kp_sync_diff *d = &rep->diffs[i];

		fprintf(out, "  differs: BSN %s: ", d->bsn);
		if (d->ours < 0)
			fprintf(out, "we disclosed nothing, %s holds %lld record%s\n",
			    p->naam, (long long)d->theirs, d->theirs == 1 ? "" : "s");
		else if (d->theirs < 0)
			fprintf(out, "we disclosed %lld record%s, %s holds none\n",
			    (long long)d->ours, d->ours == 1 ? "" : "s", p->naam);
		else
			fprintf(out, "we disclosed %lld record%s, %s holds %lld\n",
			    (long long)d->ours, d->ours == 1 ? "" : "s", p->naam,
			    (long long)d->theirs);
	}
}
