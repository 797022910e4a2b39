/*
 * fanout — a record's disclosure decisions (policy.h: one per partner)
 * made into outbox rows, given what each partner holds of the record (the
 * newest row we queued for it): inside the writer's transaction
 * (store_txn.h), each row with its audit entry.
 *
 *   KP_FANOUT_CHANGE     the record just changed: a disclosure always; a
 *                        deletion or retraction only to a partner that
 *                        holds a copy; a disclosure withheld retracts a
 *                        copy the partner holds, and is audited as
 *                        withheld (KP021) otherwise
 *   KP_FANOUT_RECONCILE  the citizen's consents changed, the record did
 *                        not: only what changes a partner's state — a
 *                        version it does not hold yet, the retraction of a
 *                        copy it holds
 *   KP_FANOUT_FORCE      a repair: disclosures and deletions always,
 *                        retractions as they are
 */
#ifndef KP_FANOUT_H
#define KP_FANOUT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * What one partner gets of a record (policy.h decides): the projection on
 * a basis; a deletion; a retraction; or nothing, for a reason.
 */
enum kp_fan_kind {
	KP_FAN_DISCLOSE,	/* send fields on basis for doel */
	KP_FAN_DELETE,		/* V: only if it holds a copy */
	KP_FAN_RETRACT,		/* V reden=intrekking: only if it holds a copy */
	KP_FAN_WITHHOLD,	/* no basis: retract a copy it holds, else audit */
};

struct kp_fanout {
	const char	*partner_oin;
	uint32_t	 partitie;
	enum kp_fan_kind kind;
	const char	*fields;	/* DISCLOSE: projection, canonical */
	char		 velden[400];	/* DISCLOSE: the field names, a,b,c */
	char		 basis[200];	/* "wet: …", "toestemming: <TST id>" */
	char		 doel[48];
	char		 reason[200];	/* WITHHOLD, RETRACT: why */
};

struct kp_notice;
struct kp_store;
struct kp_txn;

enum kp_fanout_mode {
	KP_FANOUT_CHANGE,
	KP_FANOUT_RECONCILE,
	KP_FANOUT_FORCE,
};

/* why goes into the audit entries (a local change, relayed, repair ...). */
int	kp_fanout_queue(struct kp_txn *txn, const struct kp_notice *n,
	    const struct kp_fanout *fanout, size_t nfanout,
	    enum kp_fanout_mode mode, const char *why, size_t *queued,
	    struct kp_err *err);

/*
 * The same as a write of its own through the store's writer, waiting for
 * it: a repair (reconcile 0, FORCE) or a reconciliation (reconcile 1).
 * mark (0: none): the citizen's consent_dirty mark when its consents were
 * read; if it has moved on, nothing is queued and *stale (if not NULL)
 * is set: the decisions were made on consents that have changed since.
 */
int	kp_fanout_requeue(struct kp_store *st, const struct kp_notice *n,
	    const struct kp_fanout *fanout, size_t nfanout, int reconcile,
	    int64_t mark, const char *why, size_t *queued, int *stale,
	    struct kp_err *err);

#endif
