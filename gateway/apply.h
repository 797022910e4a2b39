/*
 * apply — what each write does, inside the writer's transaction: an
 * accepted message (its stream place, its record, the partners it goes on
 * to, its replay row and audit), a local change (its record, the
 * partners' outbox rows, the audit), an acknowledged delivery, an audit
 * row alone.  The store's group-commit writer runs them (store.h) and
 * knows none of these rules; records.c and streams.c hold the rules this
 * file calls on.
 */
#ifndef KP_APPLY_H
#define KP_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fanout.h"
#include "kd.h"
#include "store.h"
#include "store_txn.h"

enum kp_write_kind {
	KP_WRITE_AUDIT = 0,	/* an audit row alone (a rejection, a duplicate) */
	KP_WRITE_COMMIT,	/* an accepted message: message, replay, audit */
	KP_WRITE_LOCAL,		/* a local change: record, outbox rows, audit */
	KP_WRITE_DELIVERED,	/* an outbox row acknowledged: row, message, audit */
	KP_WRITE_SENT,		/* a message sent otherwise: message, audit */
};

struct kp_local_change {
	const struct kp_notice	*notice;	/* the record (no stream numbers) */
	const char		*our_oin;
	const struct kp_fanout	*fanout;
	size_t			 nfanout;
};

struct kp_inbound_commit {
	const struct kp_notice *notice;	/* Lk01: the record and its stream */
	const char	*partner_oin;
	const char	*message_id;
	const char	*referentienummer;
	const char	*berichtcode;
	const char	*entiteittype;
	const char	*root;
	const char	*bytes;
	size_t		 len;
	const char	*bytes_sha256;
	const char	*body_digest;
	const char	*response;
	size_t		 response_len;
	/* Lk01: the partners it goes on to when it is applied (relaying) */
	const struct kp_fanout *fanout;
	size_t		 nfanout;
	/* ckpDi01: the partner's checkpoint we keep as its witness */
	const struct kp_checkpoint *checkpoint;
	/* dosLv01: the citizen and purpose asked, the answer's decisions */
	const char	*bsn;
	const char	*doel;
	const struct kp_audit *decisions;
	size_t		 ndecisions;
};

/*
 * One write of the gateway's, for the store's writer (store.h): what it is
 * (kind and its part), and what came of it.  A COMMIT of a notice follows
 * PROTOCOL.md 4.1 and 4.2 in one transaction: its volgnummer against the
 * stream (streams.h: ahead, KP030 with expected; behind, acknowledged with
 * nothing applied, or KP031 when another notice holds the number), then
 * its record against the version held (records.h: stale, KP023; the same
 * version and content, a duplicate, acknowledged); a refused notice stores
 * only its audit row.  A COMMIT whose MessageID or referentienummer is
 * taken already writes no message but its own audit row: "duplicate"
 * (the same body; prior holds the answer given then) or "rejected" with
 * KP013 (another body).
 */
struct kp_write {
	struct kp_store_job		 job;		/* the writer's part */
	enum kp_write_kind		 kind;
	struct kp_inbound_commit	 commit;	/* KP_WRITE_COMMIT */
	struct kp_audit			 audit;		/* KP_WRITE_AUDIT */
	struct kp_local_change		 local;		/* KP_WRITE_LOCAL */
	struct kp_delivery		 delivery;	/* KP_WRITE_DELIVERED */
	const struct kp_outbound_record	*sent;		/* KP_WRITE_SENT */
	/* results, set before job.done() runs */
	enum kp_replay			 race;		/* KP_WRITE_COMMIT */
	kp_fault			 verdict;	/* KP030, KP023 ...: refused */
	uint64_t			 expected;	/* KP030: verwachtVolgnummer */
	size_t				 queued;	/* outbox rows made */
	char				 verdict_msg[200];
	char				*prior;		/* SAME: answer given then */
	size_t				 prior_len;
};

/* The write w of its kind; w->job.done(&w->job, arg) runs when durable. */
void	kp_apply_submit(struct kp_store *st, struct kp_write *w);

/*
 * An accepted message, waiting for it: the message, its replay row with
 * our response and its audit row in one transaction, or (race) only the
 * audit row of the duplicate or KP013.  PROTOCOL.md 4.1 and 4.2 for a
 * notice, as store.h's kp_store_job says.
 */
int	kp_apply_inbound(struct kp_store *st, const struct kp_inbound_commit *c,
	    enum kp_replay *result, char **response, size_t *response_len,
	    struct kp_err *err);

/*
 * A local change, waiting for it: the record (KP023 in *verdict when its
 * bronversie is not higher than held, with msg), an outbox row per fan-out
 * entry on the next volgnummer of that partner's partitie, the audit rows.
 */
int	kp_apply_local(struct kp_store *st, const struct kp_local_change *lc,
	    kp_fault *verdict, char *msg, size_t msglen, size_t *queued,
	    struct kp_err *err);

/*
 * A message we sent (a question, a checkpoint, a repair: anything not from
 * the outbox), its answer and its audit row, waiting for it: it shares
 * its commit with whatever else the writer has.
 */
int	kp_apply_sent(struct kp_store *st, const struct kp_outbound_record *r,
	    struct kp_err *err);

/* One audit row, waiting for it. */
int	kp_apply_audit(struct kp_store *st, const struct kp_audit *a,
	    struct kp_err *err);

#endif
