/*
 * streams — the rules of an incoming stream (PROTOCOL.md 4.1): each
 * sender's notices on a partitie are applied in volgnummer order, once.
 * The next number is applied; a number ahead is a gap (KP030: resend from
 * the number expected); a number behind is acknowledged without applying
 * anything when it is the notice applied there (a resend), and refused
 * with KP031 when it is another (never lost silently).  Runs inside the
 * writer's transaction (store_txn.h).
 */
#ifndef KP_STREAMS_H
#define KP_STREAMS_H

#include <stdint.h>

#include "err.h"
#include "kd.h"

struct kp_txn;

enum kp_stream_place {
	KP_STREAM_NEXT,		/* the number expected: apply it */
	KP_STREAM_RESEND,	/* behind, the same notice: acknowledge only */
	KP_STREAM_GAP,		/* ahead: KP030 */
	KP_STREAM_TAKEN,	/* behind, another notice: KP031 */
};

struct kp_stream_check {
	enum kp_stream_place	 place;
	kp_fault		 fault;		/* KP030, KP031 or none */
	uint64_t		 expected;	/* the number expected next */
	char			 msg[200];	/* the refusal, or the resend's note */
};

/* Where n stands in partner's stream. */
int	kp_stream_check(struct kp_txn *txn, const char *partner_oin,
	    const struct kp_notice *n, struct kp_stream_check *c,
	    struct kp_err *err);
/* n (at c->expected) is applied: the stream moves on, n's identity kept. */
int	kp_stream_applied(struct kp_txn *txn, const char *partner_oin,
	    const struct kp_notice *n, const struct kp_stream_check *c,
	    struct kp_err *err);

#endif
