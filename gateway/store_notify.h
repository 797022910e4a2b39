/*
 * store_notify — the store's room for the organisation's own systems
 * (issue 18, migration 9): their subscriptions, the notifications waiting
 * for them, and the opaque references that name a citizen's dossier and a
 * record in URLs instead of a BSN.
 *
 * A notification is made in the transaction of the change it tells of
 * (kp_txn_*, inside the writer's transaction, store_txn.h) and deleted
 * when its subscriber took it; until then it waits, across restarts and
 * outages.  Per subscription and citizen they go in id order: only the
 * oldest waiting one (the head) is handed to the delivery worker, and a
 * parked head holds back the ones after it, until the operator retries
 * it.  Deleting a subscription deletes what waits for it.
 */
#ifndef KP_STORE_NOTIFY_H
#define KP_STORE_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct kp_store;
struct kp_txn;

#define KP_REF_LEN	37	/* a UUID and its NUL */

/* Inside the writer's transaction. */

/* The dossier reference of the citizen bsn, made on first use. */
int	kp_txn_dossier_ref(struct kp_txn *txn, const char *bsn,
	    char ref[KP_REF_LEN], struct kp_err *err);
/* The reference of a record, made on first use; it outlives the record. */
int	kp_txn_record_ref(struct kp_txn *txn, const char *entiteittype,
	    const char *bron, const char *identificatie, char ref[KP_REF_LEN],
	    struct kp_err *err);
/*
 * A number that changes whenever a subscription is added, changed or
 * removed (0: there are none), so that a cache of them knows when to read
 * them again — on any node sharing the store.
 */
int	kp_txn_subscriptions_version(struct kp_txn *txn, int64_t *version,
	    struct kp_err *err);
/* fn for every subscription: its row id and Abonnement (JSON). */
int	kp_txn_subscriptions_each(struct kp_txn *txn,
	    int (*fn)(void *arg, int64_t id, const char *abonnement), void *arg,
	    struct kp_err *err);
/* A notification for subscription about dossier: body is its Message. */
int	kp_txn_notification_put(struct kp_txn *txn, int64_t subscription,
	    const char *dossier, const char *kanaal, const char *body,
	    struct kp_err *err);

/* Subscriptions, outside the writer. */

struct kp_subscription_row {
	int64_t		 id;
	const char	*uuid;
	const char	*name;		/* configured; NULL: made by a client */
	const char	*abonnement;	/* JSON, its auth included */
	const char	*created_at;
	int64_t		 pending, parked;
	int64_t		 oldest_ms;	/* the oldest waiting one's, 0: none */
	const char	*last_error;	/* of a waiting one that failed, or NULL */
};

/*
 * Add a subscription (name NULL: a client's), or, for a configured name
 * that exists, replace its Abonnement (its uuid and what waits for it
 * stay).  uuid: its identity.
 */
int	kp_store_subscription_put(struct kp_store *store, const char *name,
	    const char *abonnement, char uuid[KP_REF_LEN], struct kp_err *err);
/*
 * Remove the subscription uuid and what waits for it (*dropped: how many
 * notifications); *found 0 when there is none.
 */
int	kp_store_subscription_delete(struct kp_store *store, const char *uuid,
	    int *found, int64_t *dropped, struct kp_err *err);
/*
 * Remove the configured subscriptions whose name is not among names, and
 * what waits for them; fn (may be NULL) hears of each.
 */
int	kp_store_subscription_prune(struct kp_store *store,
	    const char *const *names, size_t n,
	    void (*fn)(void *arg, const char *name, int64_t dropped), void *arg,
	    struct kp_err *err);
/* fn for the subscription uuid (NULL: every one, oldest first). */
int	kp_store_subscription_each(struct kp_store *store, const char *uuid,
	    int (*fn)(void *arg, const struct kp_subscription_row *s), void *arg,
	    struct kp_err *err);

/* Delivery. */

/* The subscriptions' row ids, oldest first, at most max (*n of them). */
int	kp_store_subscription_ids(struct kp_store *store, int64_t *ids,
	    size_t max, size_t *n, struct kp_err *err);

/* A notification at the head of its citizen's line, as the worker gets it. */
struct kp_notify_row {
	int64_t		 id;
	const char	*uuid;
	int64_t		 subscription;
	const char	*body;		/* the Message */
	const char	*abonnement;	/* its subscription's, JSON */
	int		 attempts;
	int64_t		 created_ms;
};

/*
 * The heads of subscription's lines that are pending and due at now_ms,
 * oldest first, at most max.  fn owns nothing it gets.
 */
int	kp_store_notify_heads(struct kp_store *store, int64_t subscription,
	    int64_t now_ms, int max,
	    int (*fn)(void *arg, const struct kp_notify_row *row), void *arg,
	    struct kp_err *err);

/* What came of one attempt. */
struct kp_notify_outcome {
	int64_t		 id;
	int		 delivered;	/* the subscriber took it: deleted */
	int		 park;		/* not delivered: parked, not retried */
	int64_t		 next_ms;	/* not delivered: tried again then */
	char		 why[200];	/* not delivered: why */
};

/* Settle outcomes in one transaction. */
int	kp_store_notify_settle(struct kp_store *store,
	    const struct kp_notify_outcome *v, size_t n, struct kp_err *err);
/*
 * The operator: the parked notifications of subscription uuid (NULL: of
 * all) pending again now, their attempts reset; *n how many.
 */
int	kp_store_notify_retry(struct kp_store *store, const char *uuid,
	    int64_t *n, struct kp_err *err);
/* Over all subscriptions: waiting, parked, the oldest waiting's time. */
int	kp_store_notify_counts(struct kp_store *store, int64_t *pending,
	    int64_t *parked, int64_t *oldest_ms, struct kp_err *err);

/* The local read API: what a reference names. */

/* The citizen of dossier reference ref; bsn "" when there is none. */
int	kp_store_dossier_by_ref(struct kp_store *store, const char *ref,
	    char bsn[16], struct kp_err *err);
/* The reference of the citizen's dossier; "" when none was made. */
int	kp_store_ref_of_dossier(struct kp_store *store, const char *bsn,
	    char ref[KP_REF_LEN], struct kp_err *err);
/*
 * The record of reference ref: found 0 when ref names none; held 0 when
 * the record is gone (retracted; a tombstone is held, deleted 1).
 */
struct kp_record_key {
	int		 found, held, deleted;
	char		 entiteittype[8];
	char		 bron[24];
	char		 identificatie[48];
	char		 bsn[16];
};
int	kp_store_record_by_ref(struct kp_store *store, const char *ref,
	    struct kp_record_key *key, struct kp_err *err);

/*
 * The reference of a record (ref_out) or of a citizen's dossier
 * (kp_store_dossier_ref), made in a transaction of its own when there is
 * none yet (a record held before any subscription was).
 */
int	kp_store_record_ref(struct kp_store *store, const char *entiteittype,
	    const char *bron, const char *identificatie, char ref[KP_REF_LEN],
	    struct kp_err *err);
int	kp_store_dossier_ref(struct kp_store *store, const char *bsn,
	    char ref[KP_REF_LEN], struct kp_err *err);

#endif
