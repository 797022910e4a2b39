/*
 * compose — build and sign what this gateway sends: requests to a partner
 * (an envelope around a kd body) and answers to a partner's request (Bv03,
 * or a SOAP Fault carrying Fo03), each signed with our key at the moment it
 * is made.
 */
#ifndef KP_COMPOSE_H
#define KP_COMPOSE_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "err.h"

struct kp_gateway;
struct kp_profile;

struct kp_reply_params {
	const char	*relates_to;		/* request MessageID, NULL: unknown */
	const char	*signature_value;	/* request SignatureValue, NULL: unknown */
	const char	*to_oin;
	const char	*to_app;
	const char	*crossref;
	uint64_t	 verwacht_volgnummer;	/* KP030: resend from here */
};

/*
 * fault == KP_F_NONE: a signed Bv03.  Otherwise a signed SOAP 1.1 Fault
 * (soap:Client or soap:Server by the code's plek) whose detail is a Fo03
 * with omschrijving.
 */
int	kp_reply_build(struct kp_gateway *gw, const struct kp_reply_params *p,
	    kp_fault fault, const char *omschrijving, char **out, size_t *len,
	    struct kp_err *err);

/* A signed answer whose body is body's root (a dosLa01); body is freed. */
int	kp_reply_build_answer(struct kp_gateway *gw,
	    const struct kp_reply_params *p, xmlDocPtr body, char **out,
	    size_t *len, struct kp_err *err);

struct kp_composed {
	char	*bytes;
	size_t	 len;
	char	 message_id[48];
	char	 action[128];
	char	*signature_value;	/* to check the answer's SignatureConfirmation */
};

/* Wrap body_root for partner, sign it now. */
int	kp_request_build(struct kp_gateway *gw, const struct kp_profile *partner,
	    xmlNodePtr body_root, struct kp_composed *out, struct kp_err *err);
void	kp_composed_clear(struct kp_composed *c);

#endif
