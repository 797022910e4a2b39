/*
 * checkpoint — signed heads of the audit chain (PROTOCOL.md 6).
 *
 * A checkpoint says "entry seq of my audit chain has hash H, at time T",
 * signed with the gateway's own key (SHA-256, the key's own algorithm)
 * over the text of kp_checkpoint_text(); the signer's certificate goes
 * along (base64 DER), so that anyone who trusts the chain's CA can check
 * it later without the gateway.  The gateway makes one at an interval and
 * on shutdown and sends each to its partners, who keep it: a log rewritten
 * before a checkpoint someone witnessed no longer matches it.
 */
#ifndef KP_CHECKPOINT_H
#define KP_CHECKPOINT_H

#include <stdint.h>
#include <stdio.h>

#include <openssl/x509.h>

#include "err.h"

struct kp_checkpoint;
struct kp_gateway;

/* The signed text: "ketenpoort-checkpoint:1\nOIN\nSEQ\nHASH\nAT\n". */
int	kp_checkpoint_text(const char *oin, int64_t seq, const char *hash,
	    const char *at, char *out, size_t outlen);

/*
 * Sign and keep a checkpoint of the chain's head now, unless the head is
 * the one the last checkpoint signed (*made 0).
 */
int	kp_checkpoint_make(struct kp_gateway *gw, int *made, struct kp_err *err);

/*
 * Send our newest checkpoint to every partner with an endpoint that has
 * not acknowledged it yet (ckpDi01, answered Bv03); *sent counts them.  A
 * partner that cannot be reached now gets it at the next try.
 */
int	kp_checkpoint_send(struct kp_gateway *gw, size_t *sent,
	    struct kp_err *err);
/* The daemon's schedule (arg: the gateway): make, then send. */
void	kp_checkpoint_tick(void *gw);

/*
 * Is c a checkpoint signed by organisation oin, with a certificate that
 * chains to trust as of c->at?  KP_OK, or err says what is wrong.
 */
int	kp_checkpoint_verify(X509_STORE *trust, const char *oin,
	    const struct kp_checkpoint *c, struct kp_err *err);

#endif
