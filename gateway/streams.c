/*
 * streams — the rules of an incoming stream (streams.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "store_txn.h"
#include "streams.h"

/*
 * n is behind the stream: is it the notice applied under its number?  For
 * a number applied before identities were kept (below kept_from) a resend
 * is recognised by its record: held at this bronversie or later (a
 * retraction: no copy held any more).  why says what holds the number.
 */
static int
behind(struct kp_txn *txn, const char *partner, const struct kp_notice *n,
    uint64_t kept_from, int *same, char *why, size_t whylen,
    struct kp_err *err)
{
	struct kp_applied a;
	int ret;

	*same = 0;
	why[0] = '\0';
	if (n->volgnummer < kept_from) {
		struct kp_held held;

		if ((ret = kp_txn_record_get(txn, n->entiteittype, n->bron,
		    n->identificatie, &held, err)) != KP_OK)
			return ret;
		*same = n->intrekking ? !held.found :
		    held.found && held.bronversie >= n->bronversie;
		if (!*same)
			snprintf(why, whylen, "a notice applied before this "
			    "gateway kept stream identities, and %s %s of %s is "
			    "not held at bronversie %llu", n->entiteittype,
			    n->identificatie, n->bron,
			    (unsigned long long)n->bronversie);
		return KP_OK;
	}
	if ((ret = kp_txn_stream_applied_get(txn, partner, n->partitie,
	    n->volgnummer, &a, err)) != KP_OK)
		return ret;
	if (!a.found) {
		snprintf(why, whylen, "a notice whose identity is not kept");
		return KP_OK;
	}
	*same = strcmp(a.entiteittype, n->entiteittype) == 0 &&
	    strcmp(a.bron, n->bron) == 0 &&
	    strcmp(a.identificatie, n->identificatie) == 0 &&
	    a.bronversie == n->bronversie && a.mutatiesoort == n->mutatiesoort;
	if (!*same)
		snprintf(why, whylen, "%c %s %s of %s bronversie %llu",
		    a.mutatiesoort, a.entiteittype, a.identificatie, a.bron,
		    (unsigned long long)a.bronversie);
	return KP_OK;
}

int
kp_stream_check(struct kp_txn *txn, const char *partner,
    const struct kp_notice *n, struct kp_stream_check *c, struct kp_err *err)
{
	uint64_t kept_from;
	char applied[200];
	int ret, same;

	memset(c, 0, sizeof(*c));
	c->place = KP_STREAM_NEXT;
	c->fault = KP_F_NONE;
	if ((ret = kp_txn_stream_position(txn, partner, n->partitie,
	    &c->expected, &kept_from, err)) != KP_OK)
		return ret;
	if (n->volgnummer > c->expected) {
		/* A gap: the sender resends this stream from expected. */
		c->place = KP_STREAM_GAP;
		c->fault = KP_F_030;
		snprintf(c->msg, sizeof(c->msg), "volgnummer %llu on partitie "
		    "%u, expected %llu: resend from there",
		    (unsigned long long)n->volgnummer, n->partitie,
		    (unsigned long long)c->expected);
		return KP_OK;
	}
	if (n->volgnummer == c->expected)
		return KP_OK;
	if ((ret = behind(txn, partner, n, kept_from, &same, applied,
	    sizeof(applied), err)) != KP_OK)
		return ret;
	if (!same) {
		/* Another notice under a used number: never lost silently. */
		c->place = KP_STREAM_TAKEN;
		c->fault = KP_F_031;
		snprintf(c->msg, sizeof(c->msg), "volgnummer %llu on partitie "
		    "%u was used by another notice (%.100s); nothing applied; "
		    "expected %llu", (unsigned long long)n->volgnummer,
		    n->partitie, applied, (unsigned long long)c->expected);
		return KP_OK;
	}
	c->place = KP_STREAM_RESEND;
	snprintf(c->msg, sizeof(c->msg), "volgnummer %llu on partitie %u was "
	    "applied before: a resend, nothing applied",
	    (unsigned long long)n->volgnummer, n->partitie);
	return KP_OK;
}

int
kp_stream_applied(struct kp_txn *txn, const char *partner,
    const struct kp_notice *n, const struct kp_stream_check *c,
    struct kp_err *err)
{
	int ret;

	if ((ret = kp_txn_stream_advance(txn, partner, n->partitie,
	    c->expected + 1, err)) != KP_OK)
		return ret;
	return kp_txn_stream_applied_put(txn, partner, n, err);
}
