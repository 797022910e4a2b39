/*
 * store_txn — what a write may do inside the writer's transaction.
 *
 * The group-commit writer (store.h) opens one transaction per batch and
 * hands each job's apply a struct kp_txn; the rules that decide what a
 * message or a change does (records.c, streams.c, apply.c) read and write
 * the store only through the operations below, which decide nothing.
 * Everything done through one handle commits or rolls back together, so
 * moving the rules out of the store changed no atomicity.  Every function
 * returns KP_OK, or KP_ERR_STORE with err saying where and why.
 */
#ifndef KP_STORE_TXN_H
#define KP_STORE_TXN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

struct kp_txn;
struct kp_notice;

/* Messages, replay and audit (store.c, store_audit.c). */

/* Rule 2.1.7 inside the transaction: another job may have taken the id. */
int	kp_txn_replay(struct kp_txn *txn, const char *partner_oin,
	    const char *message_id, const char *referentienummer,
	    const char *body_digest, enum kp_replay *result, char **prior,
	    size_t *prior_len, struct kp_err *err);
int	kp_txn_replay_put(struct kp_txn *txn, const char *partner_oin,
	    const char *message_id, const char *referentienummer,
	    const char *body_digest, int64_t message, struct kp_err *err);
/* A message to archive: its signed bytes and the answer. */
struct kp_message_new {
	const char	*direction;	/* "in" or "out" */
	const char	*partner_oin;
	const char	*message_id;
	const char	*referentienummer;
	const char	*berichtcode;
	const char	*entiteittype;
	const char	*root;
	const char	*bytes;
	size_t		 len;
	const char	*bytes_sha256;
	const char	*response;
	size_t		 response_len;
	const char	*outcome;
};

/* Archive m; *id: its row. */
int	kp_txn_message_put(struct kp_txn *txn, const struct kp_message_new *m,
	    int64_t *id, struct kp_err *err);
/* A partner's checkpoint, kept as its witness, with its message. */
int	kp_txn_witness(struct kp_txn *txn, const struct kp_checkpoint *c,
	    int64_t message, struct kp_err *err);
/* A message we sent (not from the outbox), its answer and its audit row. */
int	kp_txn_sent(struct kp_txn *txn, const struct kp_outbound_record *r,
	    struct kp_err *err);
/* The next entry of the chain. */
int	kp_txn_audit(struct kp_txn *txn, const struct kp_audit *a,
	    struct kp_err *err);

/* Records (store_records.c). */

/* A record as held: found 0 when none (not even a tombstone). */
struct kp_held {
	int		 found;
	uint64_t	 bronversie;
	int		 deleted;		/* a tombstone */
	char		 fields_sha256[65];
	int		 ours;			/* no partner delivered it */
	char		 received_from[24];	/* the partner that did */
};

int	kp_txn_record_get(struct kp_txn *txn, const char *entiteittype,
	    const char *bron, const char *identificatie, struct kp_held *held,
	    struct kp_err *err);
/*
 * Hold n as it is now (from_oin NULL: our own; message: the row that
 * brought it, 0 for none); a V leaves a tombstone with its version.
 */
int	kp_txn_record_put(struct kp_txn *txn, const struct kp_notice *n,
	    const char *from_oin, int64_t message, struct kp_err *err);
/* Forget n's record altogether: no tombstone. */
int	kp_txn_record_remove(struct kp_txn *txn, const struct kp_notice *n,
	    struct kp_err *err);
/*
 * A record of the dossier changed in this transaction (records.c says
 * which did): the store's change hook (kp_store_set_change_hook) hears of
 * it and may write in the same transaction (the notifications, notifyq.h).
 */
struct kp_record_change {
	const struct kp_notice	*notice;
	char			 actie;		/* T new here, W changed, V gone */
	const char		*from_oin;	/* NULL: our own change */
	int			 retracted;	/* a copy withdrawn (intrekking) */
};

int	kp_txn_changed(struct kp_txn *txn, const struct kp_record_change *c,
	    struct kp_err *err);
/* bsn's mark in consent_dirty, inside the transaction (0: not marked). */
int	kp_txn_consent_mark_of(struct kp_txn *txn, const char *bsn,
	    int64_t *mark, struct kp_err *err);
/* The citizen's consents changed: reconsider their disclosures. */
int	kp_txn_consent_mark(struct kp_txn *txn, const char *bsn,
	    struct kp_err *err);

/* Incoming streams (store_streams.c). */

/*
 * The number expected next from partner on partitie (1 for a new stream)
 * and the first number whose notice's identity is kept (migration 7).
 */
int	kp_txn_stream_position(struct kp_txn *txn, const char *partner_oin,
	    uint32_t partitie, uint64_t *expected, uint64_t *kept_from,
	    struct kp_err *err);
int	kp_txn_stream_advance(struct kp_txn *txn, const char *partner_oin,
	    uint32_t partitie, uint64_t next, struct kp_err *err);

/* The identity of the notice applied under one number. */
struct kp_applied {
	int		 found;
	char		 entiteittype[8];
	char		 bron[24];
	char		 identificatie[48];
	uint64_t	 bronversie;
	char		 mutatiesoort;
};

int	kp_txn_stream_applied_get(struct kp_txn *txn, const char *partner_oin,
	    uint32_t partitie, uint64_t volgnummer, struct kp_applied *a,
	    struct kp_err *err);
int	kp_txn_stream_applied_put(struct kp_txn *txn, const char *partner_oin,
	    const struct kp_notice *n, struct kp_err *err);

/* The outbox (store_outbox.c). */

/*
 * The newest row we queued for partner of n's record: its mutatiesoort
 * ('\0' when there is none) and bronversie.
 */
int	kp_txn_outbox_newest(struct kp_txn *txn, const char *partner_oin,
	    const struct kp_notice *n, char *soort, uint64_t *bronversie,
	    struct kp_err *err);

/* A row to queue: n's record as one partner gets it. */
struct kp_outbox_new {
	const struct kp_notice	*notice;
	const char		*partner_oin;
	uint32_t		 partitie;
	char			 mutatiesoort;	/* T, W or V */
	int			 intrekking;	/* V reden=intrekking */
	const char		*fields;	/* the projection (not for a V) */
	const char		*basis, *doel;	/* what it is disclosed on */
};

/* Queue r on the next volgnummer of its partner's stream (*volgnummer). */
int	kp_txn_outbox_put(struct kp_txn *txn, const struct kp_outbox_new *r,
	    uint64_t *volgnummer, struct kp_err *err);
/* An outbox row its partner acknowledged, with what was exchanged. */
struct kp_delivery {
	const struct kp_outbox_row	*row;
	const struct kp_outbound_record	*record;
};

/* An acknowledged row: delivered, its message and answer, its audit. */
int	kp_txn_outbox_delivered(struct kp_txn *txn,
	    const struct kp_delivery *d, struct kp_err *err);

#endif
