/*
 * policy — who may receive what.  One place decides whether a partner is
 * entitled to a record and which of its fields that partner may see, so
 * that consent (a later rule) extends this function instead of spreading.
 *
 * Now: a partner is entitled to a record when its profile lists the entity
 * type under <ontvangen>; it sees the fields listed there, nothing else
 * (identity and bronversie always).  A record never goes back to its owner
 * nor to the partner that delivered it to us.  Local changes, relaying of
 * received records and repairs all take their recipients from
 * kp_policy_fanout().
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

/*
 * 1 and *fields (malloc'd canonical fields, filtered) when partner may
 * receive n; 0 when not (*fields NULL); negative on error.
 */
int	kp_policy_projection(const struct kp_profile *partner,
	    const struct kp_notice *n, char **fields, struct kp_err *err);

/*
 * The partners n goes to, each with its projection and the stream
 * (partitie of n's BSN among partitions) it travels on: every partner
 * entitled to it except its bron and from_oin (the partner that delivered
 * it to us; NULL for our own).  only_oin: consider that partner alone
 * (repair), NULL: all.  *out is malloc'd (NULL when none); free it with
 * kp_fanout_free().
 */
int	kp_policy_fanout(const struct kp_profiles *ps, const struct kp_notice *n,
	    const char *from_oin, const char *only_oin, uint32_t partitions,
	    struct kp_fanout **out, size_t *nout, struct kp_err *err);
void	kp_fanout_free(struct kp_fanout *f, size_t n);

#endif
