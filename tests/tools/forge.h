/*
 * forge — build hostile messages for the bad-input corpus, the unit tests
 * and the fuzz seeds: a real signed request with one named mutation applied
 * before signing (to the template), after signing (to the tree) or to the
 * bytes.  Test code only; never linked into ketenpoort.
 */
#ifndef KP_FORGE_H
#define KP_FORGE_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "err.h"

struct kp_gateway;
struct kp_profile;
struct kp_signer;

struct forge_opts {
	const char		*mutation;	/* NULL or "none": a valid message */
	const struct kp_signer	*signer;	/* NULL: the sender gateway's */
	int64_t			 created_offset_s;
	int			 lifetime_s;	/* 0: the configured lifetime */
	const char		*message_id;	/* NULL: fresh */
	const char		*wsa_to;	/* NULL: the partner's endpoint */
	const char		*action;	/* NULL: from the body root */
	int			 external_port;	/* for external-uri */
	/*
	 * After signing, the header blocks in this order: their indices as
	 * signed, e.g. "4,0,3,1,2" (NULL: as built).  Order is not signed.
	 */
	const char		*header_order;
};

int	forge_build(struct kp_gateway *sender, const struct kp_profile *to,
	    xmlNodePtr body_root, const struct forge_opts *o, char **out,
	    size_t *len, struct kp_err *err);

/* The mutation names, NULL-terminated, for --help and loops. */
extern const char *const forge_mutations[];

#endif
