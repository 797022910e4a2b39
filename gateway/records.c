/*
 * records — the rules a notice's record follows (records.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "kd.h"
#include "records.h"
#include "store_txn.h"

static int
consent_changed(struct kp_txn *txn, const struct kp_notice *n,
    struct kp_err *err)
{
	if (strcmp(n->entiteittype, "TST") != 0)
		return KP_OK;
	return kp_txn_consent_mark(txn, n->bsn, err);
}

int
kp_record_apply(struct kp_txn *txn, const struct kp_notice *n,
    const char *from_oin, int64_t message, enum kp_record_outcome *out,
    uint64_t *held_version, struct kp_err *err)
{
	int is_delete = n->mutatiesoort == 'V';
	struct kp_held held;
	int ret;

	*held_version = 0;
	if ((ret = kp_txn_record_get(txn, n->entiteittype, n->bron,
	    n->identificatie, &held, err)) != KP_OK)
		return ret;
	if (held.found) {
		*held_version = held.bronversie;
		if (n->bronversie <= held.bronversie) {
			*out = n->bronversie == held.bronversie &&
			    held.deleted == is_delete &&
			    strcmp(held.fields_sha256, n->fields_sha256) == 0 ?
			    KP_RECORD_SAME : KP_RECORD_STALE;
			return KP_OK;
		}
	}
	if ((ret = kp_txn_record_put(txn, n, from_oin, message, err)) != KP_OK)
		return ret;
	*out = KP_RECORD_APPLIED;
	if ((ret = consent_changed(txn, n, err)) != KP_OK)
		return ret;
	/* a V of a record not held (or gone) changes nothing one can see */
	if (is_delete && (!held.found || held.deleted))
		return KP_OK;
	return kp_txn_changed(txn, &(struct kp_record_change){ .notice = n,
	    .actie = is_delete ? 'V' : held.found && !held.deleted ? 'W' : 'T',
	    .from_oin = from_oin }, err);
}

int
kp_record_retract(struct kp_txn *txn, const struct kp_notice *n,
    const char *from_oin, enum kp_record_outcome *out, char *why,
    size_t whylen, struct kp_err *err)
{
	struct kp_held held;
	int ret;

	*out = KP_RECORD_SAME;
	why[0] = '\0';
	if ((ret = kp_txn_record_get(txn, n->entiteittype, n->bron,
	    n->identificatie, &held, err)) != KP_OK)
		return ret;
	if (!held.found || held.deleted)
		return KP_OK;
	if (strcmp(held.received_from, from_oin) != 0) {
		snprintf(why, whylen, "%s %s of %s was delivered to us by %s, "
		    "not by you: only that partner may retract it",
		    n->entiteittype, n->identificatie, n->bron,
		    held.received_from[0] ? held.received_from :
		    "nobody (it is ours)");
		*out = KP_RECORD_STALE;
		return KP_OK;
	}
	if ((ret = kp_txn_record_remove(txn, n, err)) != KP_OK)
		return ret;
	*out = KP_RECORD_APPLIED;
	if ((ret = consent_changed(txn, n, err)) != KP_OK)
		return ret;
	return kp_txn_changed(txn, &(struct kp_record_change){ .notice = n,
	    .actie = 'V', .from_oin = from_oin, .retracted = 1 }, err);
}
