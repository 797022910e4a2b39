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

#include "err.h"
#include "kd.h"
#include "store.h"

/* Submit job (its kind says what it does); done() runs when durable. */
void	kp_apply_submit(struct kp_store *st, struct kp_store_job *job);

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

/* One audit row, waiting for it. */
int	kp_apply_audit(struct kp_store *st, const struct kp_audit *a,
	    struct kp_err *err);

#endif
