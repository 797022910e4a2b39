/*
 * deliver — the delivery worker inside serve: drains the outbox with the
 * libcurl multi interface over kept-alive mutual-TLS connections.
 *
 * Every (partner, partitie) is one ordered stream with at most one notice
 * in flight; many streams travel in parallel.  A notice is signed when it
 * is sent, and delivered only when a verified Bv03 (signature, RelatesTo,
 * SignatureConfirmation) comes back.  Transport errors and herhaalbaar
 * faults are retried with exponential backoff and jitter; KP030 rewinds
 * the stream to verwachtVolgnummer; any other fault parks the row and
 * stops its stream until an operator acts.  The outbox is polled, so rows
 * queued by another process (ketenpoort dossier put) go out within
 * KP_DELIVER_POLL_MS.
 */
#ifndef KP_DELIVER_H
#define KP_DELIVER_H

#include <stdint.h>

#include "err.h"

#define KP_DELIVER_POLL_MS	100
#define KP_DELIVER_INFLIGHT	64

struct kp_gateway;
struct kp_deliver;

struct kp_deliver	*kp_deliver_start(struct kp_gateway *gw,
			    struct kp_err *err);
/* Stop: transfers in flight are abandoned; their rows stay pending. */
void			 kp_deliver_stop(struct kp_deliver *d);

/*
 * The wait before attempt attempts + 1 of a row: 0.5 s doubling per
 * attempt up to a minute, then -25 % to +25 % by random16 (two random
 * bytes), so that partners coming back are not hit all at once.
 */
int64_t			 kp_deliver_backoff_ms(int attempts,
			    unsigned int random16);

#endif
