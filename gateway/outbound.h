/*
 * outbound — the local pipeline: a change from the party's own systems
 * (or its operator's consent command) on its way to the partners entitled
 * to it.  One stage per step, as inbound.h's pipeline has them:
 *
 *   parse       safe parsing of the kd:lokaleWijziging bytes (KP001)
 *   body        the kd schema and the body rules (KP002, KP040)
 *   owner       bron must be our OIN: only the owner changes a record (KP022)
 *   consents    the citizen's consents as they will be once it is applied
 *   fanout      the disclosure decision, per partner (policy.h)
 *   commit      the record, the partners' outbox rows and the audit rows,
 *               in one transaction of the store's writer (apply.h; a
 *               bronversie not above the one held is KP023)
 *   followups   a consent (TST) changed: the disclosures it allows and the
 *               retractions it demands, at once (consent.h)
 *
 * A refusal is KP_OK with result->verdict set (nothing was stored); an
 * error only when the store failed.
 */
#ifndef KP_OUTBOUND_H
#define KP_OUTBOUND_H

#include <stddef.h>

#include "err.h"

struct kp_gateway;
struct kp_notice;

struct kp_put_result {
	kp_fault	verdict;	/* KP_F_NONE: stored */
	char		msg[512];	/* what was wrong, or what happened */
	size_t		queued;		/* outbox rows made */
};

/* A local change as its bytes (kd:lokaleWijziging), from parse on. */
int	kp_outbound_put(struct kp_gateway *gw, const char *bytes, size_t len,
	    struct kp_put_result *result, struct kp_err *err);

/* A change already read (no stream numbers), from owner on. */
int	kp_outbound_change(struct kp_gateway *gw, const struct kp_notice *n,
	    struct kp_put_result *result, struct kp_err *err);

#endif
