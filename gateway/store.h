/*
 * store — the gateway's store: the exact signed bytes of every message
 * received and sent, the replay table (partner + MessageID, partner +
 * referentienummer) with the answer we gave, records, streams, the outbox
 * and the audit chain.  A core (store.c) and rooms (store_*.c, README "The
 * store") on a backend interface (db.h; SQLite, WAL with
 * synchronous=FULL, the embedded default).  Migrations are numbered and
 * run in order on open.
 *
 * Writes that answer a partner go through kp_store_submit(): with the group
 * commit writer running (kp_store_writer_start, in serve), jobs queue up and
 * the writer applies all that are waiting in one transaction, each in its
 * own savepoint, with one fsync, then calls each job's done().  What a job
 * does is its own apply() (apply.h has the gateway's writes); the writer
 * knows no rule.  Without the writer, submit applies the job at once.
 * Reads (the replay check, the listings) use a connection of their own,
 * so they never wait for an fsync; a listing's callback may run another
 * read, never a write.
 */
#ifndef KP_STORE_H
#define KP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct kp_store;

struct kp_store	*kp_store_open(const char *path, struct kp_err *err);
/* readonly: the auditor's look, maybe at a copy: no migrations, no writes. */
struct kp_store	*kp_store_open_mode(const char *path, int readonly,
		    struct kp_err *err);
void		 kp_store_close(struct kp_store *store);
int		 kp_store_version(struct kp_store *store);
const char	*kp_store_path(const struct kp_store *store);
/* Cap the store at max_mb MiB (0: no cap beyond the disk's). */
int		 kp_store_limit(struct kp_store *store, int64_t max_mb,
		    struct kp_err *err);
/* The newest schema version this program knows. */
int		 kp_store_latest_version(void);

/*
 * One audit entry (PROTOCOL.md 6) as a writer hands it over; the store adds
 * seq, time, the citizen's pseudonym and the chain hash (auditlog.h).
 */
struct kp_audit {
	const char	*direction;	/* "in", "out" or "local" */
	const char	*partner_oin;
	const char	*message_id;
	const char	*berichtcode;
	const char	*entiteittype;
	const char	*bsn;		/* the citizen: stored only as pseudonym */
	const char	*subject;	/* or the pseudonym, when bsn is NULL */
	const char	*record;	/* "ZAK|bron|identificatie|bronversie" */
	const char	*velden;	/* fields disclosed, comma-separated */
	const char	*basis;		/* "wet: …" or "toestemming: TST id" */
	const char	*doel;		/* purpose of the disclosure or question */
	const char	*outcome;	/* accepted, rejected, duplicate, delivered, fault, failed, queued, withheld, retracted … */
	const char	*code;		/* KPnnn or NULL */
	const char	*bytes_sha256;
	int64_t		 message;	/* the archived message (message.id), 0: none */
	const char	*detail;	/* never a BSN or a body */
};

/* The key for the citizens' pseudonyms; without it no entry names one. */
void	kp_store_set_audit_key(struct kp_store *store,
	    const unsigned char key[32]);
/*
 * Or ask for each pseudonym: fn(arg, bsn, out) writes the 64 hex digits
 * of HMAC-SHA256(audit key, bsn) and returns 0, or -1 (no entry about a
 * citizen can be written then).  The key stays in the key process.
 */
void	kp_store_set_pseudonym(struct kp_store *store,
	    int (*fn)(void *arg, const char *bsn, char out[65]), void *arg);

struct kp_txn;
struct kp_record_change;

/*
 * fn(arg, txn, change) runs inside the writer's transaction for every
 * change to a record (store_txn.h); an error from it undoes the write.
 */
void	kp_store_set_change_hook(struct kp_store *store,
	    int (*fn)(void *arg, struct kp_txn *txn,
	    const struct kp_record_change *c, struct kp_err *err), void *arg);

enum kp_replay { KP_REPLAY_NEW, KP_REPLAY_SAME, KP_REPLAY_CONFLICT };

/*
 * Rule 2.1.7: has partner used message_id (or referentienummer) before?
 * SAME: same body digest; *response is the answer given then (malloc'd).
 */
int	kp_store_replay_check(struct kp_store *store, const char *partner_oin,
	    const char *message_id, const char *referentienummer,
	    const char *body_digest, enum kp_replay *result, char **response,
	    size_t *response_len, struct kp_err *err);

struct kp_outbound_record;
struct kp_outbox_row;
struct kp_checkpoint;
struct kp_txn;

/*
 * A write for the group-commit writer (apply.h says what the gateway's
 * writes are).  The writer runs apply() in the next batch's transaction,
 * in a savepoint of its own: KP_OK, KP_ERR_PROTOCOL when the write is
 * refused (its savepoint is undone, then refused() writes what stays, if
 * set), or KP_ERR_STORE.  When its effects are undone after all (its
 * savepoint, or the whole batch whose commit failed), undone() lets it
 * forget what apply() kept.  Then done(job, arg), with status set.
 */
struct kp_store_job {
	int			(*apply)(struct kp_txn *txn, struct kp_store_job *job,
				    struct kp_err *err);
	int			(*refused)(struct kp_txn *txn,
				    struct kp_store_job *job, struct kp_err *err);
	void			(*undone)(struct kp_store_job *job);
	int			 status;	/* KP_OK or KP_ERR_STORE */
	void			(*done)(struct kp_store_job *job, void *arg);
	void			*arg;
	struct kp_store_job	*next;		/* the writer's queue */
};

/*
 * Can the store take writes?  0, or -1 with why: the last batch of writes
 * failed (until one commits), the file system says it is read-only, a
 * file cannot be created next to the store (a file system the kernel made
 * read-only after an error may not say so), or SQLite opened it read-only.
 * why says which, or where the store is.
 */
int	kp_store_health(struct kp_store *st, char *why, size_t len);
/*
 * Apply a job durably: its apply() in the next batch's transaction, then
 * its done(), in the writer's thread, or in the caller's before this
 * returns when no writer runs.
 */
void	kp_store_submit(struct kp_store *store, struct kp_store_job *job);
/* The same, waiting for it (done and arg are the wait's). */
void	kp_store_submit_wait(struct kp_store *store, struct kp_store_job *job);
int	kp_store_writer_start(struct kp_store *store, struct kp_err *err);
/* Apply what is queued, then stop the writer. */
void	kp_store_writer_stop(struct kp_store *store);
/* Jobs waiting for the writer: the load-shedding signal. */
size_t	kp_store_pending(struct kp_store *store);
/*
 * Several nodes on one store (a database server): 1 when gateways may
 * share it, so that outgoing streams are leased and periodic jobs elected.
 */
int	kp_store_shared(const struct kp_store *store);
/*
 * Should this node run the singleton job named now?  1 on the one node
 * that holds its lock (taking it when free), 0 on the others; always 1 on
 * an embedded store.  A change of hands is logged.
 */
int	kp_store_leader(struct kp_store *store, const char *job);

/*
 * A message we sent, its verified answer and its audit row, written
 * together: kp_apply_sent() (apply.h) in the group commit, kp_txn_sent()
 * (store_txn.h) inside a transaction.
 */
struct kp_outbound_record {
	const char	*partner_oin;
	const char	*message_id;
	const char	*referentienummer;
	const char	*berichtcode;
	const char	*entiteittype;
	const char	*root;
	const char	*bytes;
	size_t		 len;
	const char	*response;	/* may be NULL: no verified answer */
	size_t		 response_len;
	const char	*outcome;
	const char	*code;
	const char	*detail;
	const char	*bsn;		/* a question's citizen (pseudonymised) */
	const char	*doel;		/* a question's purpose */
};

struct kp_stored_message {
	int64_t		 id;
	const char	*direction;
	const char	*partner_oin;
	const char	*message_id;
	const char	*at;		/* ISO 8601 UTC, when stored */
	const char	*bytes;
	size_t		 len;
};

/*
 * Call fn for every stored message of direction ("in", "out" or NULL for
 * both), oldest first.  fn returns 0 to go on.  The store is locked while
 * this runs: for offline commands.
 */
int	kp_store_each_message(struct kp_store *store, const char *direction,
	    int (*fn)(void *arg, const struct kp_stored_message *m), void *arg,
	    struct kp_err *err);
/* The same for the one message with row id (none: fn is not called). */
int	kp_store_message(struct kp_store *store, int64_t id,
	    int (*fn)(void *arg, const struct kp_stored_message *m), void *arg,
	    struct kp_err *err);

struct kp_stored_record {
	const char	*entiteittype, *bron, *identificatie, *bsn;
	int64_t		 bronversie;
	int		 deleted;
	const char	*fields;	/* canonical: "name=value" lines */
	const char	*received_from;	/* NULL: our own */
	const char	*updated_at;
};

/*
 * Call fn for every record about bsn (of entiteittype; NULL: of every
 * type), in entity, bron, id order.
 */
int	kp_store_each_record(struct kp_store *store, const char *bsn,
	    const char *entiteittype,
	    int (*fn)(void *arg, const struct kp_stored_record *r), void *arg,
	    struct kp_err *err);

/* An outbox row, as the delivery worker sees it. */
struct kp_outbox_row {
	int64_t		 id;
	char		 partner_oin[24];
	uint32_t	 partitie;
	uint64_t	 volgnummer;
	char		 mutatiesoort;
	char		 entiteittype[8];
	char		 bron[24];
	char		 identificatie[48];
	uint64_t	 bronversie;
	char		 bsn[16];
	char		*fields;	/* malloc'd */
	int		 attempts;
	int		 intrekking;	/* V reden=intrekking */
	char		 basis[200];	/* what it was disclosed on */
	char		 doel[48];
};

/*
 * The head of every stream that can send now: its lowest undelivered row,
 * when that row is pending (a parked head stops its stream) and due.  At
 * most max rows; fn gets each (and owns nothing).
 */
int	kp_store_outbox_heads(struct kp_store *store, int64_t now_ms, int max,
	    int (*fn)(void *arg, const struct kp_outbox_row *row), void *arg,
	    struct kp_err *err);
/*
 * Delivered: the row, the signed message and answer, the audit row; in the
 * group commit when the writer runs (a KP_WRITE_DELIVERED write, apply.h,
 * does the same without waiting).
 */
int	kp_store_outbox_delivered(struct kp_store *store,
	    const struct kp_outbox_row *row, const struct kp_outbound_record *r,
	    struct kp_err *err);
/*
 * Claim an outgoing stream for node until until_ms (epoch ms), or renew
 * the claim: *held 1 when the stream is node's now; 0 when another node
 * holds it until *other_until, after now_ms.  taken_from gets the node
 * whose lapsed claim this one replaced ("" when none or node's own).
 */
int	kp_store_lease(struct kp_store *store, const char *partner_oin,
	    uint32_t partitie, const char *node, int64_t now_ms,
	    int64_t until_ms, int *held, int64_t *other_until, char *taken_from,
	    size_t len, struct kp_err *err);
/* Give up node's claims (a clean stop): other nodes continue at once. */
int	kp_store_lease_release(struct kp_store *store, const char *node,
	    struct kp_err *err);
/* Not now: try again at next_ms (attempts + 1), keeping why. */
int	kp_store_outbox_retry(struct kp_store *store, int64_t id,
	    int64_t next_ms, const char *why, struct kp_err *err);
/*
 * A fault that a resend will not cure: park the row, its stream stops.
 * code is the partner's Fo03 code (NULL: refused here); verwacht the
 * number it expected (KP031), 0 when none.
 */
int	kp_store_outbox_park(struct kp_store *store,
	    const struct kp_outbox_row *row, const char *code, uint64_t verwacht,
	    const char *why, struct kp_err *err);
/* KP030: resend the stream from volgnummer on. */
int	kp_store_outbox_rewind(struct kp_store *store, const char *partner_oin,
	    uint32_t partitie, uint64_t from, struct kp_err *err);

/* An outbox row as the operator sees it. */
struct kp_queue_row {
	int64_t		 id;
	const char	*partner_oin;
	int64_t		 partitie, volgnummer;
	const char	*mutatiesoort, *entiteittype, *bron, *identificatie;
	int64_t		 bronversie;
	const char	*state;
	int		 attempts;
	int64_t		 next_attempt_ms;
	const char	*last_error, *created_at, *delivered_at, *fields;
};

/* Outbox rows by partner (NULL: all), state (NULL: all) or id (0: all). */
int	kp_store_outbox_list(struct kp_store *store, const char *partner_oin,
	    const char *state, int64_t id,
	    int (*fn)(void *arg, const struct kp_queue_row *row), void *arg,
	    struct kp_err *err);
/*
 * The operator acts on row id: retry (pending now, attempts reset) or skip
 * (only the first undelivered row of its stream: it moves to
 * outbox_skipped and the rows after it move up one volgnummer, so the
 * stream stays gap-free).  Retrying a row the partner refused with KP031
 * (its number was used by another notice) renumbers it and the rows after
 * it from the number the partner expected.  Audited; msg says what was
 * done.
 */
int	kp_store_outbox_operate(struct kp_store *store, int64_t id, int skip,
	    const char *operator_note, char *msg, size_t msglen,
	    struct kp_err *err);

/* One record's line of a digest (PROTOCOL.md 4.3), as the store has it. */
struct kp_digest_row {
	const char	*bsn, *entiteittype, *bron, *identificatie;
	int64_t		 bronversie;
	const char	*fields_sha256;	/* held: as stored */
	const char	*fields;	/* disclosed: the projection we sent */
	int		 undelivered;	/* disclosed: not acknowledged yet */
};

/*
 * The records partner delivered to us (tombstones too), in BSN order: of
 * bsn, or (bsn NULL) of every citizen after BSN after (NULL: from the
 * first).  fn returns 0 to go on.
 */
int	kp_store_each_held(struct kp_store *store, const char *partner_oin,
	    const char *bsn, const char *after,
	    int (*fn)(void *arg, const struct kp_digest_row *r), void *arg,
	    struct kp_err *err);
/*
 * What we disclosed to partner: the newest outbox row of every record we
 * queued for it (of bsn, or of all citizens), in BSN order.
 */
int	kp_store_each_disclosed(struct kp_store *store, const char *partner_oin,
	    const char *bsn, int (*fn)(void *arg, const struct kp_digest_row *r),
	    void *arg, struct kp_err *err);

/* The outcome of one sync verify with a partner, kept for sync status. */
struct kp_sync_check {
	const char	*partner_oin;
	int64_t		 citizens, differ, in_flight;
	const char	*error;		/* NULL: the comparison ran */
};

int	kp_store_sync_checked(struct kp_store *store,
	    const struct kp_sync_check *c, struct kp_err *err);

/* Per partner, for sync status. */
struct kp_link_status {
	const char	*partner_oin;
	int64_t		 streams_out, next_out_total;	/* our streams to it */
	int64_t		 pending, parked, delivered;
	int64_t		 conflicts;	/* parked on KP031: a human must look */
	const char	*oldest_undelivered;		/* created_at, or "" */
	int64_t		 streams_in, next_in_total;	/* its streams to us */
	const char	*checked_at;			/* last verify, or "" */
	int64_t		 checked_citizens, checked_differ, checked_in_flight;
	const char	*check_error;			/* "" when it ran */
};

/* fn for each partner that has any stream, in or out, or a sync check. */
int	kp_store_link_status(struct kp_store *store,
	    int (*fn)(void *arg, const struct kp_link_status *s), void *arg,
	    struct kp_err *err);

/*
 * The streams of a link, partition by partition: the next volgnummer we
 * give to partner (0 when that stream is unused) and the next we expect
 * from it (0 likewise).
 */
int	kp_store_each_stream(struct kp_store *store, const char *partner_oin,
	    int (*fn)(void *arg, int64_t partitie, int64_t next_out,
	    int64_t next_in), void *arg, struct kp_err *err);

/*
 * Citizens whose consents changed (TST records stored, or marked by the
 * daily pass), oldest mark first, at most max (0: all); then each one
 * unmarked with its mark — unless it was marked again meanwhile.
 */
int	kp_store_consent_dirty(struct kp_store *store, int64_t max,
	    int (*fn)(void *arg, const char *bsn, int64_t mark), void *arg,
	    struct kp_err *err);
int	kp_store_consent_done(struct kp_store *store, const char *bsn,
	    int64_t mark, struct kp_err *err);
/* Mark every citizen that has a TST record. */
int	kp_store_consent_mark_all(struct kp_store *store, struct kp_err *err);

struct kp_audit_entry;

/* Which audit entries to read: each field set narrows, NULL or 0 does not. */
struct kp_audit_where {
	const char	*subject;	/* the citizen's pseudonym */
	const char	*message_id;
	const char	*partner_oin;
	const char	*direction;	/* in, out, local */
	const char	*outcome;
	const char	*kind;		/* the berichtcode or the entiteittype */
	const char	*at_from;	/* at >= at_from (ISO 8601) */
	const char	*at_until;	/* at <= at_until */
	int64_t		 seq_from;	/* seq >= seq_from */
	int64_t		 seq_before;	/* seq < seq_before */
	int		 newest_first;	/* seq descending */
	int64_t		 limit;		/* at most this many; 0: all */
};

/*
 * The audit entries (auditlog.h) that where selects (NULL: every entry),
 * in seq order.  fn returns 0 to go on.
 */
int	kp_store_each_audit(struct kp_store *store,
	    const struct kp_audit_where *where,
	    int (*fn)(void *arg, const struct kp_audit_entry *e), void *arg,
	    struct kp_err *err);
/*
 * Where a check of the chain from entry first on can start: the seq of
 * the last entry before it whose stored hash is well-formed (64 hex
 * digits), 0 when there is none.
 */
int	kp_store_audit_resume(struct kp_store *store, int64_t first,
	    int64_t *from, struct kp_err *err);
/*
 * The entries first <= seq <= last in seq order, read on a read-only
 * connection of this call's own: several threads may each read a range
 * of the log at once (audit verify does).
 */
int	kp_store_each_audit_range(struct kp_store *store, int64_t first,
	    int64_t last, int (*fn)(void *arg, const struct kp_audit_entry *e),
	    void *arg, struct kp_err *err);
/* The log's lowest and highest seq (0 when empty). */
int	kp_store_audit_bounds(struct kp_store *store, int64_t *first,
	    int64_t *last, struct kp_err *err);
/*
 * Copy every table of the gateway's state from one store into another,
 * new and empty (refused otherwise), whatever the engines: one snapshot
 * read, one transaction written, then the rows counted again on the copy.
 * The audit chain keeps its seq, times and hashes.
 */
struct kp_copy_report {
	int64_t		 rows[24];	/* by kp_store_copy_tables() */
	size_t		 ntables;
	int64_t		 total;
	/* the chain's head as copied, the same on both */
	int64_t		 head_seq;
	char		 head_hash[65];
};
int	kp_store_copy(struct kp_store *from, struct kp_store *to,
	    struct kp_copy_report *rep, struct kp_err *err);
/* The tables copied, NULL-terminated. */
const char *const *kp_store_copy_tables(void);
/* The chain's newest entry: seq and hash (0 and "" when empty). */
int	kp_store_audit_head(struct kp_store *store, int64_t *seq, char hash[65],
	    struct kp_err *err);

/*
 * The pseudonym the audit chain knows bsn by, as the store makes it for
 * an entry (the key process, or the audit key loaded); KP_ERR_CONFIG when
 * the store has neither.
 */
int	kp_store_pseudonym(struct kp_store *store, const char *bsn, char out[65],
	    struct kp_err *err);
/*
 * Ask now, in this thread, for the pseudonym an entry the writer is about
 * to write will need: it keeps the last answers of the key process, so
 * that the writer does not wait for them one by one.  Errors are the
 * writer's to meet.
 */
void	kp_store_pseudonym_warm(struct kp_store *store, const char *bsn);

/*
 * The auditor's overview (store_auditview.c).  Counts of the entries
 * since a time (ISO 8601): messages from partners per day (UTC), partner
 * and outcome (accepted, refused, rejected); refused and rejected ones by
 * code.
 */
struct kp_audit_count {
	const char	*day, *partner_oin, *outcome, *code;
	int64_t		 n;
};
int	kp_store_audit_daily(struct kp_store *store, const char *since,
	    int (*fn)(void *arg, const struct kp_audit_count *c), void *arg,
	    struct kp_err *err);
int	kp_store_audit_codes(struct kp_store *store, const char *since,
	    int (*fn)(void *arg, const struct kp_audit_count *c), void *arg,
	    struct kp_err *err);
/* Our newest checkpoint (id 0: none) and the partners it was sent to. */
struct kp_checkpoint_last {
	int64_t		 id, seq;
	char		 at[40];
	char		 witnesses[16][24];
	size_t		 nwitnesses;
};
int	kp_store_checkpoint_last(struct kp_store *store,
	    struct kp_checkpoint_last *c, struct kp_err *err);
/* A run of audit verify and what it found. */
struct kp_verification {
	int64_t		 id;
	const char	*started_at, *finished_at, *started_by;
	int64_t		 entries, bad, first_bad;
	const char	*first;		/* what is wrong at first_bad */
	const char	*error;		/* it could not run: why */
};
int	kp_store_verification_add(struct kp_store *store,
	    const struct kp_verification *v, struct kp_err *err);
/* The newest limit runs, newest first. */
int	kp_store_each_verification(struct kp_store *store, int64_t limit,
	    int (*fn)(void *arg, const struct kp_verification *v), void *arg,
	    struct kp_err *err);

/* A signed chain head: ours, or one a partner sent us to witness. */
struct kp_checkpoint {
	int64_t		 id;
	int64_t		 seq;
	const char	*hash;
	const char	*at;
	const char	*signature;	/* base64 */
	const char	*cert;		/* base64 DER of the signer */
	const char	*partner_oin;	/* witnessed: whose; ours: NULL */
};

/* Keep our checkpoint c, with its audit entry. */
int	kp_store_checkpoint_add(struct kp_store *store,
	    const struct kp_checkpoint *c, struct kp_err *err);
/* Has our checkpoint id reached partner (*sent 1 or 0)? */
int	kp_store_checkpoint_was_sent(struct kp_store *store, int64_t id,
	    const char *partner_oin, int *sent, struct kp_err *err);
/* It has: a Bv03 came back. */
int	kp_store_checkpoint_mark_sent(struct kp_store *store, int64_t id,
	    const char *partner_oin, struct kp_err *err);
/* Our newest checkpoint, if any. */
int	kp_store_newest_checkpoint(struct kp_store *store,
	    int (*fn)(void *arg, const struct kp_checkpoint *c), void *arg,
	    struct kp_err *err);
/* Our checkpoints (witnessed_from NULL), or those partner sent us. */
int	kp_store_each_checkpoint(struct kp_store *store,
	    const char *witnessed_from,
	    int (*fn)(void *arg, const struct kp_checkpoint *c), void *arg,
	    struct kp_err *err);

#endif
