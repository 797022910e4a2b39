/*
 * consent_cmd — the operator's consent commands: list a citizen's
 * consents, grant one, withdraw one (ketenpoort consent; the local
 * interface's callers do the same through POST /dossier with a TST
 * record).  Each grant or withdrawal is a TST record put through the
 * outbound pipeline (outbound.h).
 */
#ifndef KP_CONSENT_CMD_H
#define KP_CONSENT_CMD_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

struct kp_gateway;

struct kp_consent_request {
	const char	*bsn;
	const char	*partner;	/* profile name, stem or OIN */
	const char	*doel;
	const char	*ingangsdatum;	/* NULL: today */
	const char	*einddatum;	/* NULL: open-ended */
	const char	*via;		/* vastgelegdVia kanaal, NULL: none */
	const char	*identificatie;	/* withdraw: which; NULL: by partner+doel */
};

int	kp_consent_list(struct kp_gateway *gw, const char *bsn, FILE *out,
	    struct kp_err *err);
/* Grant: a new TST record (or a W of the one for partner+doel); msg says. */
int	kp_consent_grant(struct kp_gateway *gw,
	    const struct kp_consent_request *r, char *msg, size_t msglen,
	    struct kp_err *err);
/* Withdraw: status ingetrokken, then retract what it alone disclosed. */
int	kp_consent_withdraw(struct kp_gateway *gw,
	    const struct kp_consent_request *r, char *msg, size_t msglen,
	    struct kp_err *err);

#endif
