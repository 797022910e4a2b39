/*
 * audit — what an auditor asks of the store.  For now: verify again the
 * exact signed bytes of every stored message, with the certificate checked
 * as of the moment the message was stored (a signature stays provable after
 * the certificate expires).  The hash chain and reports come later.
 */
#ifndef KP_AUDIT_H
#define KP_AUDIT_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"

struct kp_gateway;

struct kp_reverify {
	int64_t	checked;
	int64_t	verified;
	int64_t	failed;
};

/*
 * Re-verify every stored message of direction ("in", "out" or NULL);
 * each failure is printed to report (if not NULL) as one line.
 */
int	kp_audit_reverify(struct kp_gateway *gw, const char *direction,
	    FILE *report, struct kp_reverify *counts, struct kp_err *err);

#endif
