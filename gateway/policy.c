#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fanout.h"
#include "kd.h"
#include "policy.h"
#include "profile.h"
#include "store.h"

void
kp_today(char out[12])
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(out, 12, "%Y-%m-%d", &tm);
}

/* Copy field name of fields into out (""), bounded. */
static void
field_into(const char *fields, const char *name, char *out, size_t outlen)
{
	char *v = kp_field_get(fields, name);

	snprintf(out, outlen, "%s", v != NULL ? v : "");
	free(v);
}

int
kp_consents_add(struct kp_consents *c, const char *identificatie,
    const char *bron, const char *fields, struct kp_err *err)
{
	struct kp_consent *nv = realloc(c->v, (c->n + 1) * sizeof(*nv)), *k;

	if (nv == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	c->v = nv;
	k = &c->v[c->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->identificatie, sizeof(k->identificatie), "%s", identificatie);
	snprintf(k->bron, sizeof(k->bron), "%s", bron);
	field_into(fields, "partner", k->partner, sizeof(k->partner));
	field_into(fields, "doel", k->doel, sizeof(k->doel));
	field_into(fields, "status", k->status, sizeof(k->status));
	field_into(fields, "ingangsdatum", k->ingangsdatum,
	    sizeof(k->ingangsdatum));
	field_into(fields, "einddatum", k->einddatum, sizeof(k->einddatum));
	return KP_OK;
}

int
kp_consents_apply(struct kp_consents *c, const struct kp_notice *n,
    struct kp_err *err)
{
	if (strcmp(n->entiteittype, "TST") != 0)
		return KP_OK;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].identificatie, n->identificatie) == 0 &&
		    strcmp(c->v[i].bron, n->bron) == 0) {
			c->v[i] = c->v[--c->n];
			break;
		}
	if (n->mutatiesoort == 'V')
		return KP_OK;
	return kp_consents_add(c, n->identificatie, n->bron, n->fields, err);
}

void
kp_consents_clear(struct kp_consents *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

/* Is k in force on today?  Dates compare as strings (YYYY-MM-DD). */
static int
consent_in_force(const struct kp_consent *k, const char *today)
{
	return strcmp(k->status, "verleend") == 0 &&
	    strcmp(k->ingangsdatum, today) <= 0 &&
	    (k->einddatum[0] == '\0' || strcmp(today, k->einddatum) <= 0);
}

const struct kp_consent *
kp_consent_active(const struct kp_consents *c, const char *partner_oin,
    const char *doel)
{
	for (size_t i = 0; c != NULL && i < c->n; i++)
		if (strcmp(c->v[i].partner, partner_oin) == 0 &&
		    strcmp(c->v[i].doel, doel) == 0 &&
		    consent_in_force(&c->v[i], c->today))
			return &c->v[i];
	return NULL;
}

/* Why no consent of c holds for partner and doel: for the audit. */
static void
why_no_consent(const struct kp_consents *c, const char *partner_oin,
    const char *doel, char *out, size_t outlen)
{
	const struct kp_consent *seen = NULL;

	for (size_t i = 0; c != NULL && i < c->n; i++)
		if (strcmp(c->v[i].partner, partner_oin) == 0 &&
		    strcmp(c->v[i].doel, doel) == 0)
			seen = &c->v[i];
	if (seen == NULL)
		snprintf(out, outlen, "no consent of the citizen for doel %s",
		    doel);
	else if (strcmp(seen->status, "verleend") != 0)
		snprintf(out, outlen, "consent %s for doel %s is %s",
		    seen->identificatie, doel, seen->status);
	else if (strcmp(seen->ingangsdatum, c->today) > 0)
		snprintf(out, outlen, "consent %s for doel %s starts on %s",
		    seen->identificatie, doel, seen->ingangsdatum);
	else
		snprintf(out, outlen, "consent %s for doel %s ended on %s",
		    seen->identificatie, doel, seen->einddatum);
}

/* The lines of n's fields that rule lists, in their order; and their names. */
static int
project(const struct kp_receive_rule *rule, const struct kp_notice *n,
    struct kp_decision *d, struct kp_err *err)
{
	const char *line, *eol;
	size_t o = 0;
	char *out;

	if ((out = malloc(strlen(n->fields) + 1)) == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	for (line = n->fields; *line != '\0'; line = eol) {
		const char *eq = strchr(line, '=');
		size_t namelen;
		int keep = 0;

		eol = strchr(line, '\n');
		eol = eol != NULL ? eol + 1 : line + strlen(line);
		if (eq == NULL || eq > eol)
			continue;
		namelen = (size_t)(eq - line);
		for (size_t v = 0; v < rule->nvelden; v++)
			if (strlen(rule->velden[v]) == namelen &&
			    strncmp(rule->velden[v], line, namelen) == 0)
				keep = 1;
		if (keep) {
			memcpy(out + o, line, (size_t)(eol - line));
			o += (size_t)(eol - line);
		}
	}
	out[o] = '\0';
	d->fields = out;
	kp_field_names(out, d->velden, sizeof(d->velden));
	return KP_OK;
}

int
kp_policy_decide(const struct kp_profile *p, const struct kp_notice *n,
    const char *doel, const struct kp_consents *c, struct kp_decision *d,
    struct kp_err *err)
{
	int level = -1;

	memset(d, 0, sizeof(*d));
	d->verdict = KP_NOT_ENTITLED;
	for (size_t i = 0; i < p->nontvangen; i++) {
		const struct kp_receive_rule *r = &p->ontvangen[i];
		const struct kp_consent *k = NULL;

		if (strcmp(r->entiteittype, n->entiteittype) != 0 ||
		    (doel != NULL && strcmp(r->doel, doel) != 0) ||
		    (doel == NULL && r->on_request))
			continue;
		d->verdict = KP_WITHHOLD;
		if (r->max_vertrouwelijkheid >= 0) {
			if (level < 0) {
				char *v = kp_field_get(n->fields,
				    "vertrouwelijkheidaanduiding");

				/* PROTOCOL.md 3.1: the default */
				level = kp_kd_vertrouwelijkheid(v != NULL ? v :
				    "zaakvertrouwelijk");
				free(v);
			}
			if (level > r->max_vertrouwelijkheid) {
				snprintf(d->reason, sizeof(d->reason), "the case is "
				    "%s, above the %s that doel %s allows",
				    kp_kd_vertrouwelijkheid_name(level),
				    kp_kd_vertrouwelijkheid_name(
				    r->max_vertrouwelijkheid), r->doel);
				continue;
			}
		}
		if (r->wet != NULL) {
			snprintf(d->basis, sizeof(d->basis), "wet: %s", r->wet);
		} else if ((k = kp_consent_active(c, p->oin, r->doel)) != NULL) {
			snprintf(d->basis, sizeof(d->basis), "toestemming: %s",
			    k->identificatie);
		} else {
			why_no_consent(c, p->oin, r->doel, d->reason,
			    sizeof(d->reason));
			continue;
		}
		snprintf(d->doel, sizeof(d->doel), "%s", r->doel);
		d->reason[0] = '\0';
		d->verdict = KP_DISCLOSE;
		return project(r, n, d, err);
	}
	return KP_OK;
}

void
kp_decision_clear(struct kp_decision *d)
{
	free(d->fields);
	d->fields = NULL;
}

int
kp_profiles_use_consent(const struct kp_profiles *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		for (size_t r = 0; r < ps->v[i].nontvangen; r++)
			if (ps->v[i].ontvangen[r].wet == NULL)
				return 1;
	return 0;
}

/* Has p any rule for this entity type by which it gets notices? */
static int
has_rule(const struct kp_profile *p, const char *entiteittype)
{
	for (size_t r = 0; r < p->nontvangen; r++)
		if (strcmp(p->ontvangen[r].entiteittype, entiteittype) == 0 &&
		    !p->ontvangen[r].on_request)
			return 1;
	return 0;
}

int
kp_policy_fanout(const struct kp_profiles *ps, const struct kp_notice *n,
    const char *from_oin, const char *only_oin, uint32_t partitions,
    const struct kp_consents *consents, struct kp_fanout **out, size_t *nout,
    struct kp_err *err)
{
	struct kp_fanout *f;
	size_t nf = 0;

	*out = NULL;
	*nout = 0;
	if (ps->n == 0)
		return KP_OK;
	if ((f = calloc(ps->n, sizeof(*f))) == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < ps->n; i++) {
		const struct kp_profile *p = &ps->v[i];
		struct kp_fanout *e = &f[nf];
		struct kp_decision d;

		if (strcmp(p->oin, n->bron) == 0 ||
		    (from_oin != NULL && strcmp(p->oin, from_oin) == 0) ||
		    (only_oin != NULL && strcmp(p->oin, only_oin) != 0))
			continue;
		if (n->mutatiesoort == 'V') {
			if (!has_rule(p, n->entiteittype))
				continue;
			e->kind = n->intrekking ? KP_FAN_RETRACT : KP_FAN_DELETE;
			if (n->intrekking)
				snprintf(e->reason, sizeof(e->reason), "retracted "
				    "by %s, who delivered it to us",
				    from_oin != NULL ? from_oin : "us");
		} else {
			if (kp_policy_decide(p, n, NULL, consents, &d, err) != KP_OK) {
				kp_fanout_free(f, nf);
				return KP_ERR_NOMEM;
			}
			if (d.verdict == KP_NOT_ENTITLED)
				continue;
			e->kind = d.verdict == KP_DISCLOSE ? KP_FAN_DISCLOSE :
			    KP_FAN_WITHHOLD;
			e->fields = d.fields;	/* the entry owns it now */
			memcpy(e->velden, d.velden, sizeof(e->velden));
			memcpy(e->basis, d.basis, sizeof(e->basis));
			memcpy(e->doel, d.doel, sizeof(e->doel));
			memcpy(e->reason, d.reason, sizeof(e->reason));
		}
		e->partner_oin = p->oin;
		e->partitie = kp_bsn_partition(n->bsn, partitions);
		nf++;
	}
	if (nf == 0) {
		free(f);
		return KP_OK;
	}
	*out = f;
	*nout = nf;
	return KP_OK;
}

void
kp_fanout_free(struct kp_fanout *f, size_t n)
{
	for (size_t i = 0; f != NULL && i < n; i++)
		free((char *)f[i].fields);
	free(f);
}
