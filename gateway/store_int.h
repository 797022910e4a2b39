/*
 * store_int — what the store's rooms share, and nobody else: the store
 * object, the prepared-statement slots, and the core's helpers for
 * statements, transactions and reads (store.c).  The rooms: the schema's
 * migrations (db_sqlite_schema.c, through db.h), the outbox and the
 * outgoing streams
 * (store_outbox.c), the audit chain and checkpoints (store_audit.c), the
 * links' streams, digests and checks (store_sync.c), the consent marks
 * (store_consent.c), incoming streams (store_streams.c), records and
 * their reads (store_records.c); the core (open, statements, replay, the
 * group-commit writer and the apply) in store.c.
 */
#ifndef KP_STORE_INT_H
#define KP_STORE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>


#include "auditlog.h"
#include "db.h"
#include "err.h"
#include "kd.h"
#include "store.h"
#include "ticker.h"


/* Statements prepared once per connection and reused. */
enum stmt_slot {
	STMT_AUDIT, STMT_MESSAGE, STMT_REPLAY_INSERT, STMT_REPLAY_WRITER,
	STMT_REPLAY_READER, STMT_STREAM_GET, STMT_STREAM_SET, STMT_RECORD_GET,
	STMT_RECORD_PUT, STMT_OUT_NEXT, STMT_OUT_SET, STMT_OUTBOX_PUT,
	STMT_AUDIT_HEAD, STMT_OUTBOX_LAST, STMT_CONSENT_MARK, STMT_APPLIED_GET,
	STMT_APPLIED_PUT, STMT_DOSSIER_REF, STMT_RECORD_REF,
	STMT_SUB_VERSION, STMT_NOTIFY_PUT, STMT_MAX
};

struct kp_store {
	struct kp_stmt	*stmts[STMT_MAX];
	const struct kp_db_ops *ops;	/* the engine (db.h) */
	struct kp_db	*db;		/* writes, under lock */
	pthread_mutex_t	 lock;
	struct kp_db	*reader;	/* the replay check, under read_lock */
	pthread_mutex_t	 read_lock;	/* recursive: callbacks may read */
	char		*path;		/* as shown: no password */
	char		*where;		/* as the engine connects */
	unsigned char	 audit_key[KP_AUDIT_KEY_LEN];
	struct kp_audit_hasher *hasher;	/* under lock */
	int		 have_audit_key;
	/* or pseudonyms asked elsewhere (the key process): 0, or -1 */
	int		(*pseudonym)(void *, const char *, char[65]);
	void		*pseudonym_arg;
	/* the last answers to those questions (store_audit.c), by BSN */
	pthread_mutex_t	 pseudo_lock;
	struct pseudo_slot *pseudo_cache;	/* PSEUDO_SLOTS; NULL until asked */
	/* told of every record change, in its transaction (store_txn.h) */
	int		(*change_hook)(void *, struct kp_txn *,
			    const struct kp_record_change *, struct kp_err *);
	void		*change_arg;
	/* group commit */
	pthread_mutex_t	 queue_lock;
	pthread_cond_t	 queue_cond;
	struct kp_store_job *queue_head, *queue_tail;
	size_t		 queued;
	int		 writer_running, writer_stopping;
	pthread_t	 writer;
	/* the WAL's checkpoints, on a connection and ticker of their own */
	struct kp_db	*wal_db;
	struct kp_ticker *wal_ticker;	/* NULL: the writer's connection's */
	int		 wal_failed;	/* checkpoints failed in a row */
	/* singleton jobs (kp_store_leader): their own connection */
	pthread_mutex_t	 leader_lock;
	struct kp_db	*leader;
	char		 leading[8][32];	/* jobs this node runs now */
	int		 nleading;
	/* the last batch's failure, "" after a batch that committed */
	char		 write_error[sizeof(((struct kp_err *)0)->msg)];	/* queue_lock */
	int64_t		 write_error_ms;
};



/*
 * A read-only query on the reader connection: its parameters bound by the
 * caller's values (text or integer, in order), each row handed to row(),
 * which returns non-zero to stop.  One frame for every listing below.
 */
struct param {
	const char	*text;	/* NULL: bind integer (or NULL when is_null) */
	int64_t		 integer;
	int		 is_null;
};



int	store_fail(struct kp_store *st, struct kp_err *err, const char *what);
/* Bind params (struct param, below) to stmt's ?1..?n. */
struct param;
void	store_bind(struct kp_stmt *stmt, const struct param *params, int n);
int	store_exec(struct kp_store *st, const char *sql, struct kp_err *err);
/* store_wal.c: checkpoints beside the writer (a no-op where none). */
int	store_wal_start(struct kp_store *st, struct kp_err *err);
void	store_wal_stop(struct kp_store *st);
/* The writer committed: a checkpoint may be due. */
void	store_wal_committed(struct kp_store *st);

/* A write transaction on the writer connection, taken now. */
int	store_begin(struct kp_store *st, struct kp_err *err);
/* Run one statement with ?1 text (may be NULL), ?2 and ?3 integers. */
int	store_exec_bound(struct kp_store *st, const char *sql, const char *t1,
	    int64_t i2, int64_t i3, struct kp_err *err);
/* One integer from sql with ?1 integer and ?2 text (-1: none). */
int64_t	store_query_int(struct kp_store *st, const char *sql, int64_t a,
	    const char *b);
struct kp_stmt *store_stmt_get(struct kp_store *st, struct kp_db *db,
	    enum stmt_slot slot, const char *sql);
/* The query on db (path names it in errors); store_read_each: the reader. */
int	store_read_rows(struct kp_db *db, const char *path, const char *sql,
	    const char *what, const struct param *params, int nparams,
	    int (*row)(struct kp_stmt *stmt, void *arg), void *arg,
	    struct kp_err *err);
int	store_read_each(struct kp_store *st, const char *sql, const char *what,
	    const struct param *params, int nparams,
	    int (*row)(struct kp_stmt *stmt, void *arg), void *arg,
	    struct kp_err *err);
/* Under st->lock, inside the caller's transaction. */
int	store_audit_locked(struct kp_store *st, const struct kp_audit *a,
	    struct kp_err *err);
/* Archive r, an exchange we started, as outcome (sha: of its bytes). */
int	store_insert_outbound(struct kp_store *st,
	    const struct kp_outbound_record *r, const char *outcome,
	    const char *sha, int64_t *id, struct kp_err *err);

/* The audit room (store_audit.c): entries before this version, chained. */
int	store_chain_unchained(struct kp_store *st, struct kp_err *err);

/* The writer's transaction, as a job's apply gets it (store_txn.h). */
struct kp_txn {
	struct kp_store	*st;
};

#endif
