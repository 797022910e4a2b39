/*
 * records — what a notice does to the record it is about (PROTOCOL.md 4.2
 * and 5): applied when its bronversie is higher than the version held, a
 * V leaving a tombstone; the same version with the same content is a
 * duplicate; anything else not higher is stale.  A retraction (V
 * reden=intrekking) removes the copy its sender delivered and leaves no
 * tombstone.  A stored consent (TST) marks its citizen for
 * reconsideration.  Runs inside the writer's transaction (store_txn.h).
 */
#ifndef KP_RECORDS_H
#define KP_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct kp_txn;
struct kp_notice;

enum kp_record_outcome {
	KP_RECORD_APPLIED,	/* it is held now */
	KP_RECORD_SAME,		/* held already: a duplicate, nothing done */
	KP_RECORD_STALE,	/* refused: KP023 (or KP022 for a retraction) */
};

/*
 * Apply n, from from_oin (NULL: our own change) in message (0: none).
 * *held_version: the version held before (0 when none).
 */
int	kp_record_apply(struct kp_txn *txn, const struct kp_notice *n,
	    const char *from_oin, int64_t message, enum kp_record_outcome *out,
	    uint64_t *held_version, struct kp_err *err);
/*
 * Retract the copy from_oin delivered: only that partner may (STALE, with
 * why, otherwise); a copy no longer held is retracted already (SAME).
 */
int	kp_record_retract(struct kp_txn *txn, const struct kp_notice *n,
	    const char *from_oin, enum kp_record_outcome *out, char *why,
	    size_t whylen, struct kp_err *err);

#endif
