/*
 * dossier — a citizen's dossier as this gateway holds it: every record
 * about one BSN, ours and received, with tombstones, printed for people,
 * as JSON or as kd XML.
 */
#ifndef KP_DOSSIER_H
#define KP_DOSSIER_H

#include <stdio.h>

#include "err.h"

struct kp_gateway;

enum kp_dossier_format { KP_DOSSIER_TEXT, KP_DOSSIER_JSON, KP_DOSSIER_XML };

/* Print the dossier of bsn; KP_ERR_USAGE when bsn fails the elfproef. */
int	kp_dossier_show(struct kp_gateway *gw, const char *bsn,
	    enum kp_dossier_format format, FILE *out, struct kp_err *err);

struct kp_put_result {
	kp_fault	verdict;	/* KP_F_NONE: stored */
	char		msg[512];	/* what was wrong, or what happened */
	size_t		queued;		/* outbox rows made */
};

/*
 * A local change (kd:lokaleWijziging bytes) from the party's own systems:
 * the same safe parsing and body rules as partner input (KP001, KP002,
 * KP040), bron must be our OIN (KP022), a bronversie not above the one held
 * is KP023; then the record, its outbox rows and audit rows in one
 * transaction.  KP_OK with result->verdict set for a refusal; an error
 * only when the store failed.
 */
int	kp_dossier_put(struct kp_gateway *gw, const char *bytes, size_t len,
	    struct kp_put_result *result, struct kp_err *err);

struct kp_notice;

/*
 * The same for a change already read (n: bron must be us; no stream
 * numbers).  A consent (TST) change is followed at once by what it
 * entails: disclosures it allows, retractions it demands (consent.h).
 */
int	kp_dossier_change(struct kp_gateway *gw, const struct kp_notice *n,
	    struct kp_put_result *result, struct kp_err *err);

#endif
