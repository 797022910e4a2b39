#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "consent.h"
#include "fanout.h"
#include "gateway.h"
#include "log.h"
#include "profile.h"
#include "store.h"
#include "util.h"

/* Copying a citizen's records (or only consents) out of the store's rows. */
struct loading {
	struct kp_citizen	*c;		/* NULL: consents only */
	struct kp_consents	*consents;
	int			 failed;
};

/* A TST record in force or not, as the decision reads it. */
static int
load_consent(void *arg, const struct kp_stored_record *r)
{
	struct loading *l = arg;
	struct kp_err e;

	if (r->deleted || strcmp(r->entiteittype, "TST") != 0)
		return 0;
	if (kp_consents_add(l->consents, r->identificatie, r->bron, r->fields,
	    &e) != KP_OK) {
		l->failed = 1;
		return 1;
	}
	return 0;
}

static int
load_record(void *arg, const struct kp_stored_record *r)
{
	struct loading *l = arg;
	struct kp_citizen *c = l->c;
	struct kp_citizen_record *v = realloc(c->v, (c->n + 1) * sizeof(*v));
	struct kp_notice *n;

	if (v == NULL) {
		l->failed = 1;
		return 1;
	}
	c->v = v;
	memset(&v[c->n], 0, sizeof(v[0]));
	n = &v[c->n].n;
	n->mutatiesoort = r->deleted ? 'V' : 'W';
	snprintf(n->entiteittype, sizeof(n->entiteittype), "%s", r->entiteittype);
	snprintf(n->bron, sizeof(n->bron), "%s", r->bron);
	snprintf(n->identificatie, sizeof(n->identificatie), "%s",
	    r->identificatie);
	n->bronversie = (uint64_t)r->bronversie;
	snprintf(n->bsn, sizeof(n->bsn), "%s", r->bsn);
	snprintf(v[c->n].from, sizeof(v[0].from), "%s",
	    r->received_from != NULL ? r->received_from : "");
	c->n++;
	if ((n->fields = strdup(r->deleted || r->fields == NULL ? "" :
	    r->fields)) == NULL) {
		l->failed = 1;
		return 1;
	}
	return load_consent(arg, r);
}

int
kp_citizen_load(struct kp_gateway *gw, const char *bsn, struct kp_citizen *c,
    struct kp_err *err)
{
	struct loading l = { c, &c->consents, 0 };
	int ret;

	memset(c, 0, sizeof(*c));
	kp_today(c->consents.today);
	ret = kp_store_each_record(gw->store, bsn, NULL, load_record, &l, err);
	if (ret == KP_OK && l.failed)
		ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
	if (ret != KP_OK)
		kp_citizen_clear(c);
	return ret;
}

void
kp_citizen_clear(struct kp_citizen *c)
{
	for (size_t i = 0; i < c->n; i++)
		kp_notice_clear(&c->v[i].n);
	free(c->v);
	kp_consents_clear(&c->consents);
	memset(c, 0, sizeof(*c));
}

int
kp_consents_load(struct kp_gateway *gw, const struct kp_notice *n,
    struct kp_consents *c, struct kp_err *err)
{
	struct loading l = { NULL, c, 0 };
	int ret;

	memset(c, 0, sizeof(*c));
	kp_today(c->today);
	if (!kp_profiles_use_consent(gw->profiles))
		return KP_OK;
	/* the citizen's TST records only: this runs for every notice */
	ret = kp_store_each_record(gw->store, n->bsn, "TST", load_consent, &l,
	    err);
	if (ret == KP_OK && l.failed)
		ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
	/* a consent change is decided with itself in force */
	if (ret == KP_OK)
		ret = kp_consents_apply(c, n, err);
	if (ret != KP_OK)
		kp_consents_clear(c);
	return ret;
}

int
kp_citizen_requeue(struct kp_gateway *gw, const char *bsn, const char *only_oin,
    int reconcile, int64_t mark, const char *why, size_t *queued,
    struct kp_err *err)
{
	struct kp_citizen c;
	int ret, stale = 0;

	*queued = 0;
	if ((ret = kp_citizen_load(gw, bsn, &c, err)) != KP_OK)
		return ret;
	for (size_t i = 0; ret == KP_OK && !stale && i < c.n; i++) {
		struct kp_fanout *f = NULL;
		size_t nf = 0, q = 0;

		ret = kp_policy_fanout(gw->profiles, &c.v[i].n,
		    c.v[i].from[0] ? c.v[i].from : NULL, only_oin,
		    (uint32_t)gw->cfg->partitions, &c.consents, &f, &nf, err);
		if (ret == KP_OK && nf > 0)
			ret = kp_fanout_requeue(gw->store, &c.v[i].n, f, nf,
			    reconcile, mark, why, &q, &stale, err);
		*queued += q;
		kp_fanout_free(f, nf);
	}
	kp_citizen_clear(&c);
	return ret;
}

/* The marked citizens, copied out before any of them is worked on. */
struct marks {
	struct mark { char bsn[16]; int64_t mark; } *v;
	size_t	n;
	int	failed;
};

static int
note_mark(void *arg, const char *bsn, int64_t mark)
{
	struct marks *m = arg;
	struct mark *v = realloc(m->v, (m->n + 1) * sizeof(*v));

	if (v == NULL) {
		m->failed = 1;
		return 1;
	}
	m->v = v;
	snprintf(v[m->n].bsn, sizeof(v[0].bsn), "%s", bsn != NULL ? bsn : "");
	v[m->n++].mark = mark;
	return 0;
}

int
kp_consent_reconcile_pending(struct kp_gateway *gw, size_t max,
    size_t *citizens, size_t *queued, struct kp_err *err)
{
	struct marks m = { 0 };
	int ret;

	*citizens = *queued = 0;
	ret = kp_store_consent_dirty(gw->store, (int64_t)max, note_mark, &m, err);
	if (ret == KP_OK && m.failed)
		ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
	for (size_t i = 0; ret == KP_OK && i < m.n; i++) {
		size_t q = 0;

		/* marks read before the citizen: a change since shows */
		ret = kp_citizen_requeue(gw, m.v[i].bsn, NULL, 1, m.v[i].mark,
		    "consent changed", &q, err);
		if (ret == KP_OK)
			ret = kp_store_consent_done(gw->store, m.v[i].bsn,
			    m.v[i].mark, err);
		*queued += q;
		(*citizens)++;
	}
	free(m.v);
	return ret;
}

int
kp_consent_mark_all(struct kp_gateway *gw, struct kp_err *err)
{
	return kp_store_consent_mark_all(gw->store, err);
}

void
kp_consent_tick(void *arg)
{
	struct kp_consent_schedule *cs = arg;
	struct kp_gateway *gw = cs->gw;
	int64_t now = kp_now_ms();
	char today[12];
	size_t citizens, queued;
	struct kp_err err;

	/* one node of those sharing the store runs it */
	if (!kp_store_leader(gw->store, "consent"))
		return;
	/*
	 * The first tick, a new day, or the interval passed: every consent is
	 * judged again (an einddatum passed, an ingangsdatum came).
	 */
	kp_today(today);
	if (strcmp(today, cs->last_pass) != 0 || (cs->interval_ms > 0 &&
	    now - cs->last_pass_ms >= cs->interval_ms)) {
		if (kp_consent_mark_all(gw, &err) != KP_OK) {
			log_warnx("consent check: %s", err.msg);
			return;
		}
		memcpy(cs->last_pass, today, sizeof(cs->last_pass));
		cs->last_pass_ms = now;
	}
	if (kp_consent_reconcile_pending(gw, 0, &citizens, &queued,
	    &err) != KP_OK)
		log_warnx("consent check: %s; tried again at the next check",
		    err.msg);
	else if (queued > 0)
		log_info("consent check: %zu citizens reconsidered, %zu notices "
		    "queued (disclosures and retractions)", citizens, queued);
}
