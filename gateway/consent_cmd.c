/*
 * consent_cmd — the operator's consent commands (consent_cmd.h): a
 * consent granted or withdrawn is a TST record, put through the outbound
 * pipeline like any local change, which also carries out what follows
 * from it.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "consent.h"
#include "consent_cmd.h"
#include "gateway.h"
#include "outbound.h"
#include "profile.h"
#include "util.h"

/* YYYY-MM-DD that is a real day? */
static int
date_valid(const char *s)
{
	struct tm tm = { 0 };
	const char *end;

	if (s == NULL || strlen(s) != 10)
		return 0;
	end = strptime(s, "%Y-%m-%d", &tm);
	return end != NULL && *end == '\0';
}

int
kp_consent_list(struct kp_gateway *gw, const char *bsn, FILE *out,
    struct kp_err *err)
{
	struct kp_citizen c;
	int ret;

	if (!kp_bsn_valid(bsn))
		return kp_fail(err, KP_ERR_USAGE, "BSN %s fails the elfproef", bsn);
	if ((ret = kp_citizen_load(gw, bsn, &c, err)) != KP_OK)
		return ret;
	fprintf(out, "consents of citizen %s, as of %s:\n", bsn,
	    c.consents.today);
	if (c.consents.n == 0)
		fprintf(out, "  none\n");
	for (size_t i = 0; i < c.consents.n; i++) {
		const struct kp_consent *k = &c.consents.v[i];
		const struct kp_profile *p = kp_profiles_by_oin(gw->profiles,
		    k->partner);
		const struct kp_consent *active = kp_consent_active(&c.consents,
		    k->partner, k->doel);

		kp_text_line(out, "  %s (bron %s): %s for %s (%s), doel %s, from "
		    "%s%s%s - %s", k->identificatie, k->bron, k->status,
		    p != NULL ? p->naam : "a partner without a profile",
		    k->partner, k->doel, k->ingangsdatum,
		    k->einddatum[0] ? " until " : "", k->einddatum,
		    active == k ? "in force" : "not in force");
	}
	kp_citizen_clear(&c);
	return KP_OK;
}

/* Our TST record of bsn for partner and doel (or identificatie), if any. */
static const struct kp_citizen_record *
find_consent(struct kp_gateway *gw, const struct kp_citizen *c,
    const char *partner_oin, const char *doel, const char *identificatie)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct kp_notice *n = &c->v[i].n;
		char *p, *d;
		int match;

		if (strcmp(n->entiteittype, "TST") != 0 ||
		    strcmp(n->bron, gw->cfg->oin) != 0 || n->mutatiesoort == 'V')
			continue;
		if (identificatie != NULL) {
			if (strcmp(n->identificatie, identificatie) == 0)
				return &c->v[i];
			continue;
		}
		p = kp_field_get(n->fields, "partner");
		d = kp_field_get(n->fields, "doel");
		match = p != NULL && d != NULL && strcmp(p, partner_oin) == 0 &&
		    strcmp(d, doel) == 0;
		free(p);
		free(d);
		if (match)
			return &c->v[i];
	}
	return NULL;
}

/* Store the TST record n; msg says what happened. */
static int
put_consent(struct kp_gateway *gw, struct kp_notice *n, const char *what,
    char *msg, size_t msglen, struct kp_err *err)
{
	struct kp_put_result res;
	int ret;

	kp_sha256_hex(n->fields, strlen(n->fields), n->fields_sha256);
	if ((ret = kp_outbound_change(gw, n, &res, err)) != KP_OK)
		return ret;
	if (res.verdict != KP_F_NONE)
		return kp_fail(err, KP_ERR_USAGE, "%s: %s", kp_fault_code(
		    res.verdict), res.msg);
	snprintf(msg, msglen, "%s %s (bronversie %llu); %zu notices queued "
	    "(the consent itself, disclosures it allows, retractions it ends)",
	    what, n->identificatie, (unsigned long long)n->bronversie,
	    res.queued);
	return KP_OK;
}

/* Build the canonical fields of a TST record in schema order. */
static char *
consent_fields(const char *partner, const char *doel, const char *status,
    const char *ingang, const char *eind, const char *via)
{
	size_t len = 0;
	char *f = strdup("");

	if (f != NULL)
		f = kp_field_append(f, &len, "partner", partner);
	if (f != NULL)
		f = kp_field_append(f, &len, "doel", doel);
	if (f != NULL)
		f = kp_field_append(f, &len, "status", status);
	if (f != NULL)
		f = kp_field_append(f, &len, "ingangsdatum", ingang);
	if (f != NULL && eind != NULL && *eind != '\0')
		f = kp_field_append(f, &len, "einddatum", eind);
	if (f != NULL && via != NULL && *via != '\0')
		f = kp_field_append(f, &len, "vastgelegdVia", via);
	return f;
}

/* The partner of a request, by profile name, stem or OIN. */
static const struct kp_profile *
request_partner(struct kp_gateway *gw, const struct kp_consent_request *r,
    struct kp_err *err)
{
	const struct kp_profile *p;

	if (!kp_bsn_valid(r->bsn)) {
		kp_fail(err, KP_ERR_USAGE, "BSN %s fails the elfproef", r->bsn);
		return NULL;
	}
	if ((p = kp_profiles_find(gw->profiles, r->partner)) == NULL)
		kp_fail(err, KP_ERR_USAGE, "no partner profile named %s in %s",
		    r->partner, gw->cfg->profiles);
	return p;
}

int
kp_consent_grant(struct kp_gateway *gw, const struct kp_consent_request *r,
    char *msg, size_t msglen, struct kp_err *err)
{
	const struct kp_profile *p;
	const struct kp_citizen_record *held;
	struct kp_citizen c;
	struct kp_notice n;
	char today[12], uuid[40];
	int ret, purpose = 0;

	if ((p = request_partner(gw, r, err)) == NULL)
		return KP_ERR_USAGE;
	for (size_t i = 0; i < p->nontvangen; i++)
		if (strcmp(p->ontvangen[i].doel, r->doel) == 0 &&
		    p->ontvangen[i].wet == NULL)
			purpose = 1;
	if (!purpose)
		return kp_fail(err, KP_ERR_USAGE, "profile %s has no rule that "
		    "discloses on consent for doel %s: such a consent would "
		    "change nothing", p->path, r->doel);
	kp_today(today);
	if (r->ingangsdatum != NULL && !date_valid(r->ingangsdatum))
		return kp_fail(err, KP_ERR_USAGE, "ingangsdatum %s is not a date "
		    "(YYYY-MM-DD)", r->ingangsdatum);
	if (r->einddatum != NULL && !date_valid(r->einddatum))
		return kp_fail(err, KP_ERR_USAGE, "einddatum %s is not a date "
		    "(YYYY-MM-DD)", r->einddatum);
	if (r->einddatum != NULL && strcmp(r->einddatum, r->ingangsdatum != NULL ?
	    r->ingangsdatum : today) < 0)
		return kp_fail(err, KP_ERR_USAGE, "einddatum %s lies before "
		    "ingangsdatum %s", r->einddatum, r->ingangsdatum != NULL ?
		    r->ingangsdatum : today);
	if ((ret = kp_citizen_load(gw, r->bsn, &c, err)) != KP_OK)
		return ret;
	memset(&n, 0, sizeof(n));
	n.mutatiesoort = 'T';
	n.bronversie = 1;
	snprintf(n.entiteittype, sizeof(n.entiteittype), "TST");
	snprintf(n.bron, sizeof(n.bron), "%s", gw->cfg->oin);
	snprintf(n.bsn, sizeof(n.bsn), "%s", r->bsn);
	if ((held = find_consent(gw, &c, p->oin, r->doel, NULL)) != NULL) {
		n.mutatiesoort = 'W';
		n.bronversie = held->n.bronversie + 1;
		snprintf(n.identificatie, sizeof(n.identificatie), "%s",
		    held->n.identificatie);
	} else {
		kp_new_uuid(uuid);
		snprintf(n.identificatie, sizeof(n.identificatie), "TST-%s", uuid);
	}
	kp_citizen_clear(&c);
	if ((n.fields = consent_fields(p->oin, r->doel, "verleend",
	    r->ingangsdatum != NULL ? r->ingangsdatum : today, r->einddatum,
	    r->via)) == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	ret = put_consent(gw, &n, "granted", msg, msglen, err);
	kp_notice_clear(&n);
	return ret;
}

int
kp_consent_withdraw(struct kp_gateway *gw, const struct kp_consent_request *r,
    char *msg, size_t msglen, struct kp_err *err)
{
	const struct kp_profile *p = NULL;
	const struct kp_citizen_record *held;
	struct kp_citizen c;
	struct kp_notice n;
	char *partner = NULL, *doel = NULL, *ingang = NULL, *eind = NULL,
	    *via = NULL, *status = NULL;
	int ret;

	if (r->identificatie == NULL &&
	    (p = request_partner(gw, r, err)) == NULL)
		return KP_ERR_USAGE;
	if (!kp_bsn_valid(r->bsn))
		return kp_fail(err, KP_ERR_USAGE, "BSN %s fails the elfproef",
		    r->bsn);
	if ((ret = kp_citizen_load(gw, r->bsn, &c, err)) != KP_OK)
		return ret;
	if ((held = find_consent(gw, &c, p != NULL ? p->oin : NULL, r->doel,
	    r->identificatie)) == NULL) {
		kp_citizen_clear(&c);
		return kp_fail(err, KP_ERR_USAGE, "citizen %s has no consent of "
		    "ours %s%s%s%s; see ketenpoort consent list", r->bsn,
		    r->identificatie != NULL ? r->identificatie : "for ",
		    r->identificatie != NULL ? "" : r->partner,
		    r->identificatie != NULL ? "" : " and doel ",
		    r->identificatie != NULL ? "" : r->doel);
	}
	n = held->n;
	n.fields = NULL;
	partner = kp_field_get(held->n.fields, "partner");
	doel = kp_field_get(held->n.fields, "doel");
	status = kp_field_get(held->n.fields, "status");
	ingang = kp_field_get(held->n.fields, "ingangsdatum");
	eind = kp_field_get(held->n.fields, "einddatum");
	via = kp_field_get(held->n.fields, "vastgelegdVia");
	kp_citizen_clear(&c);
	if (status != NULL && strcmp(status, "ingetrokken") == 0) {
		ret = kp_fail(err, KP_ERR_USAGE, "consent %s is already "
		    "withdrawn", n.identificatie);
		goto out;
	}
	n.mutatiesoort = 'W';
	n.bronversie++;
	if ((n.fields = consent_fields(partner != NULL ? partner : "",
	    doel != NULL ? doel : "", "ingetrokken", ingang != NULL ? ingang : "",
	    eind, via)) == NULL) {
		ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
		goto out;
	}
	ret = put_consent(gw, &n, "withdrew", msg, msglen, err);
out:
	kp_notice_clear(&n);
	free(partner);
	free(doel);
	free(status);
	free(ingang);
	free(eind);
	free(via);
	return ret;
}
