/*
 * consent — the citizen's consents (TST records) and what follows from
 * them (PROTOCOL.md 5).
 *
 * A consent is a TST record like any other: put locally (the KCC
 * operator's `ketenpoort consent grant|withdraw`, or the party's own
 * systems) or received from a partner.  Whenever a citizen's consents
 * change — a TST record stored, or a day passing that starts or ends one —
 * the disclosure decision is taken again for each of that citizen's
 * records and each partner: what a partner may now have and does not hold
 * is sent; what it holds and may no longer have (consent withdrawn or
 * expired, and no other basis) is retracted with V reden=intrekking.
 * Records a partner holds on a legal basis are never retracted this way.
 *
 * The store marks citizens whose TST records changed (consent_dirty) in
 * the transaction that changes them, so no change is missed across a
 * crash; kp_consent_reconcile_pending() works that list off.
 */
#ifndef KP_CONSENT_H
#define KP_CONSENT_H

#include <stdio.h>

#include "err.h"
#include "kd.h"
#include "policy.h"

struct kp_gateway;
struct kp_profile;

/* A citizen's records as we hold them, and their consents. */
struct kp_citizen_record {
	struct kp_notice	n;		/* W, or V for a tombstone */
	char			from[24];	/* received_from, "": ours */
};

struct kp_citizen {
	struct kp_citizen_record *v;
	size_t			  n;
	struct kp_consents	  consents;
};

int	kp_citizen_load(struct kp_gateway *gw, const char *bsn,
	    struct kp_citizen *c, struct kp_err *err);
void	kp_citizen_clear(struct kp_citizen *c);

/*
 * The consents of n's citizen into c (today set) as they will be once n
 * is applied, for deciding where n goes; reads nothing when no profile
 * discloses on consent.
 */
int	kp_consents_load(struct kp_gateway *gw, const struct kp_notice *n,
	    struct kp_consents *c, struct kp_err *err);

/*
 * Queue bsn's records again: to partner only_oin (NULL: every partner),
 * as a repair (reconcile 0) or only where a partner's state must change
 * (reconcile 1).  why goes into the audit entries.  mark (0: none): the
 * citizen's consent_dirty mark read before its records; when a consent
 * changed since, the rest is left to the next pass (kp_fanout_requeue).
 */
int	kp_citizen_requeue(struct kp_gateway *gw, const char *bsn,
	    const char *only_oin, int reconcile, int64_t mark, const char *why,
	    size_t *queued, struct kp_err *err);

/*
 * Reconcile every citizen marked in consent_dirty (at most max, 0: all),
 * unmarking each once done.  *citizens and *queued count the work.
 */
int	kp_consent_reconcile_pending(struct kp_gateway *gw, size_t max,
	    size_t *citizens, size_t *queued, struct kp_err *err);
/*
 * The daily pass: mark every citizen that has a consent, so that consents
 * whose einddatum passed (or ingangsdatum came) take effect.
 */
int	kp_consent_mark_all(struct kp_gateway *gw, struct kp_err *err);

/*
 * The daemon's consent schedule: each tick works off the marked citizens;
 * at the first tick, when the date changes and every interval_ms (0: only
 * those) it first marks every citizen with a consent.
 */
struct kp_consent_schedule {
	struct kp_gateway	*gw;
	int64_t			 interval_ms;
	char			 last_pass[12];
	int64_t			 last_pass_ms;
};

void	kp_consent_tick(void *schedule);

#endif
