/*
 * policy — who may receive what.  One place decides whether a partner is
 * entitled to a record and which of its fields that partner may see, so
 * that consent (a later rule) extends this function instead of spreading.
 *
 * Now: a partner is entitled to a record when its profile lists the entity
 * type under <ontvangen>; it sees the fields listed there, nothing else
 * (identity and bronversie always).
 */
#ifndef KP_POLICY_H
#define KP_POLICY_H

#include "err.h"

struct kp_profile;
struct kp_notice;

/*
 * 1 and *fields (malloc'd canonical fields, filtered) when partner may
 * receive n; 0 when not (*fields NULL); negative on error.
 */
int	kp_policy_projection(const struct kp_profile *partner,
	    const struct kp_notice *n, char **fields, struct kp_err *err);

#endif
