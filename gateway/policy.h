/*
 * policy — the one disclosure decision (PROTOCOL.md 5).
 *
 * For (partner, record, purpose) kp_policy_decide() says: disclose these
 * fields on this basis, or withhold, and why.  A partner's profile lists,
 * per entity type, rules with a purpose (doel) and a basis: a law (wet) or
 * the citizen's consent (toestemming: a TST record about that citizen,
 * status verleend, for that partner and purpose, ingangsdatum <= today <=
 * einddatum).  The first rule that gives a basis wins; a case above a
 * rule's maxVertrouwelijkheid gets nothing from that rule.  Fields not in
 * the rule are removed before anything is signed.
 *
 * kp_policy_fanout() applies the decision to every partner for one record:
 * local changes, relaying of received records, repairs and consent changes
 * all take their recipients from it.  A record never goes back to its
 * owner nor to the partner that delivered it to us.
 */
#ifndef KP_POLICY_H
#define KP_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct kp_fanout;
struct kp_profile;
struct kp_profiles;
struct kp_notice;

/* One consent (a TST record) as the decision reads it. */
struct kp_consent {
	char	identificatie[48];
	char	bron[24];
	char	partner[24];
	char	doel[48];
	char	status[16];		/* verleend, ingetrokken */
	char	ingangsdatum[12];	/* YYYY-MM-DD */
	char	einddatum[12];		/* "" when open-ended */
};

/* The consents of one citizen, and the day they are judged on. */
struct kp_consents {
	struct kp_consent	*v;
	size_t			 n;
	char			 today[12];	/* YYYY-MM-DD, local time */
};

/* The consent of c active for partner and doel today, or NULL. */
const struct kp_consent *kp_consent_active(const struct kp_consents *c,
	    const char *partner_oin, const char *doel);
/* Add the consent in TST record fields (canonical) to c. */
int	kp_consents_add(struct kp_consents *c, const char *identificatie,
	    const char *bron, const char *fields, struct kp_err *err);
/* The consents as they are once TST notice n is applied (else: as is). */
int	kp_consents_apply(struct kp_consents *c, const struct kp_notice *n,
	    struct kp_err *err);
void	kp_consents_clear(struct kp_consents *c);
/* Today's date, local time, YYYY-MM-DD. */
void	kp_today(char out[12]);

enum kp_verdict {
	KP_NOT_ENTITLED,	/* no rule for this type (and purpose) */
	KP_WITHHOLD,		/* rules, but none gives a basis now */
	KP_DISCLOSE,
};

struct kp_decision {
	enum kp_verdict	 verdict;
	char		*fields;	/* DISCLOSE: projection, malloc'd */
	char		 velden[400];	/* DISCLOSE: field names, a,b,c */
	char		 basis[200];
	char		 doel[48];
	char		 reason[200];	/* WITHHOLD: why not */
};

/*
 * Decide for partner p, record n (a T or W) and purpose doel with the
 * citizen's consents c (NULL: none).  doel is the purpose of a question
 * being answered (p's rules for that purpose, on request or not); NULL
 * for a notice pushed to p (any of p's rules but those given only on
 * request, verstrekking="opvraag").  Negative only
 * when out of memory; free d->fields with kp_decision_clear().
 */
int	kp_policy_decide(const struct kp_profile *p, const struct kp_notice *n,
	    const char *doel, const struct kp_consents *c, struct kp_decision *d,
	    struct kp_err *err);
void	kp_decision_clear(struct kp_decision *d);

/* Does any profile disclose on consent?  (Else consents need no reading.) */
int	kp_profiles_use_consent(const struct kp_profiles *ps);

/*
 * What every partner gets of n: except n's bron and from_oin (the partner
 * that delivered it to us; NULL for our own); only_oin: that partner alone
 * (NULL: all).  A T or W is decided per partner (DISCLOSE or WITHHOLD); a
 * V is a DELETE, a V with reden intrekking a RETRACT, for every partner
 * with a rule for its type.  Each entry travels on the stream of n's BSN
 * among partitions.  *out is malloc'd (NULL when none); free it with
 * kp_fanout_free().
 */
int	kp_policy_fanout(const struct kp_profiles *ps, const struct kp_notice *n,
	    const char *from_oin, const char *only_oin, uint32_t partitions,
	    const struct kp_consents *consents, struct kp_fanout **out,
	    size_t *nout, struct kp_err *err);
void	kp_fanout_free(struct kp_fanout *f, size_t n);

#endif
