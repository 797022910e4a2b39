/*
 * db — the store's backend interface: one table of operations per database
 * engine (OpenSMTPD's queue_backend shape, one level lower: connections,
 * statements and rows, not queue verbs).  The store's rooms write their
 * SQL once, in the subset below, and every engine runs it; an engine
 * brings its own connection handling, transactions, schema version and
 * migrations.  SQLite (db_sqlite.c) is the first and the embedded default.
 *
 * The SQL subset the rooms keep to (README, "The store"):
 *   - parameters ? or ?N, bound by number: text, 64-bit integer, blob, NULL;
 *   - INSERT … ON CONFLICT (…) DO UPDATE / DO NOTHING, never INSERT OR …;
 *   - a new row's id with RETURNING id, never last_insert_rowid();
 *   - times bound by the caller (kp_time_iso), never the engine's clock;
 *   - no PRAGMA: what the rooms needed of them is an operation here.
 *
 * A connection is used by one thread at a time (the store's locks see to
 * it).  Text and blobs bound to a statement must stay valid until it is
 * reset; column values stay valid until the next step or reset.
 */
#ifndef KP_DB_H
#define KP_DB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"

struct kp_db;
struct kp_stmt;

/* kp_db_step */
#define KP_DB_DONE	0	/* no (more) rows: the statement ran */
#define KP_DB_ROW	1	/* a row is ready */
#define KP_DB_ERROR	(-1)	/* kp_db_errmsg says why */

/* kp_db_col_kind: what a column of the current row holds */
#define KP_DB_NULL	0
#define KP_DB_INT	1
#define KP_DB_TEXT	2
#define KP_DB_BLOB	3

/* kp_db_open */
#define KP_DB_WRITE	0	/* migrate, then read and write */
#define KP_DB_READ	1	/* read only, no migration: a reader, an auditor */

struct kp_db_ops {
	const char	*name;		/* "sqlite" */
	/* where: the engine's address of the store (a path for SQLite) */
	int		(*open)(const char *where, int mode, struct kp_db **db,
			    struct kp_err *err);
	void		(*close)(struct kp_db *db);
	/* Statements without parameters, one or more (DDL, savepoints). */
	int		(*exec)(struct kp_db *db, const char *sql,
			    struct kp_err *err);
	/*
	 * A write transaction: taken now, so that it cannot fail later on a
	 * lock another writer holds, and serialised with every other writer
	 * of the store, whichever process or node (SQLite: BEGIN IMMEDIATE;
	 * PostgreSQL: a transaction-scoped advisory lock).
	 */
	int		(*begin)(struct kp_db *db, struct kp_err *err);
	/* keep: the statement is used again and again (a cached slot). */
	struct kp_stmt	*(*prepare)(struct kp_db *db, const char *sql, int keep);
	void		(*bind_int)(struct kp_stmt *s, int i, int64_t v);
	void		(*bind_text)(struct kp_stmt *s, int i, const char *t);
	void		(*bind_blob)(struct kp_stmt *s, int i, const void *p,
			    size_t len);
	void		(*bind_null)(struct kp_stmt *s, int i);
	int		(*step)(struct kp_stmt *s);
	int		(*col_null)(struct kp_stmt *s, int col);
	int64_t		(*col_int)(struct kp_stmt *s, int col);
	const char	*(*col_text)(struct kp_stmt *s, int col);
	const void	*(*col_blob)(struct kp_stmt *s, int col, size_t *len);
	/* The columns of a row, by position: how many, named, and kind. */
	int		(*ncols)(struct kp_stmt *s);
	const char	*(*col_name)(struct kp_stmt *s, int col);
	int		(*col_kind)(struct kp_stmt *s, int col);
	/* Ready to bind and run again; the bindings cleared. */
	void		(*reset)(struct kp_stmt *s);
	void		(*finalize)(struct kp_stmt *s);
	const char	*(*errmsg)(struct kp_db *db);
	/* The schema version the store has, -1 when it cannot be read. */
	int		(*version)(struct kp_db *db);
	/* Inside the migration's transaction. */
	int		(*set_version)(struct kp_db *db, int version,
			    struct kp_err *err);
	/* Refuse to grow past max_mb MiB, as a full disk would. */
	int		(*limit)(struct kp_db *db, int64_t max_mb,
			    struct kp_err *err);
	/* 1 when the engine can only read (file permissions, a standby). */
	int		(*readonly)(struct kp_db *db);
	/*
	 * Checkpoints kept off the writer's path (store_wal.c): wal_handoff
	 * makes the writer's connection leave them to checkpointer, which
	 * calls wal_checkpoint now and then; with checkpointer NULL the
	 * writer's connection makes them itself again.  NULL: the engine has
	 * none to move.
	 */
	int		(*wal_handoff)(struct kp_db *writer,
			    struct kp_db *checkpointer, struct kp_err *err);
	int		(*wal_checkpoint)(struct kp_db *checkpointer,
			    struct kp_err *err);
	/*
	 * 0 when the database answers, else -1 with why; NULL: the store
	 * checks the file system the file is on.
	 */
	int		(*health)(struct kp_db *db, char *why, size_t len);
	/*
	 * 1 when this connection holds, or now took, the lock of the
	 * singleton job named (checkpoints, digest checks): one node of those
	 * sharing the store runs it, until its connection goes.  NULL: the
	 * engine has one node, which runs them all.
	 */
	int		(*leader)(struct kp_db *db, const char *job);
	/* Several gateways may share the store (leases, leader election). */
	int		 shared;
	/* Starts a read transaction that sees one moment of the store. */
	const char	*snapshot;
	/*
	 * After rows were copied in with their ids: the next id of each
	 * table numbers on from the largest.  NULL: the engine does that.
	 */
	int		(*reseed)(struct kp_db *db, struct kp_err *err);
	/*
	 * The schema, version by version: migrations[v] takes it from v to
	 * v + 1; a NULL ends the list.
	 */
	const char *const *migrations;
};

/* Every engine's connection and statement start with these. */
struct kp_db {
	const struct kp_db_ops	*ops;
};
struct kp_stmt {
	const struct kp_db_ops	*ops;
};

extern const struct kp_db_ops kp_db_sqlite;
extern const struct kp_db_ops kp_db_pg;

/* Is where a database server's URI (postgresql://...), not a file? */
static inline int
kp_db_is_uri(const char *where)
{
	return strncmp(where, "postgresql://", 13) == 0 ||
	    strncmp(where, "postgres://", 11) == 0;
}

/* The engine for a store address: a PostgreSQL URI, or an SQLite file. */
const struct kp_db_ops *kp_db_engine(const char *where);
/* where as it may be shown and logged: a URI without its password. */
char	*kp_db_display(const char *where);

static inline struct kp_stmt *
kp_db_prepare(struct kp_db *db, const char *sql)
{
	return db->ops->prepare(db, sql, 0);
}

static inline int
kp_db_exec(struct kp_db *db, const char *sql, struct kp_err *err)
{
	return db->ops->exec(db, sql, err);
}

static inline const char *
kp_db_errmsg(struct kp_db *db)
{
	return db->ops->errmsg(db);
}

static inline void
kp_db_bind_int(struct kp_stmt *s, int i, int64_t v)
{
	s->ops->bind_int(s, i, v);
}

/* NULL binds NULL. */
static inline void
kp_db_bind_text(struct kp_stmt *s, int i, const char *t)
{
	s->ops->bind_text(s, i, t);
}

/* NULL binds NULL. */
static inline void
kp_db_bind_blob(struct kp_stmt *s, int i, const void *p, size_t len)
{
	s->ops->bind_blob(s, i, p, len);
}

static inline void
kp_db_bind_null(struct kp_stmt *s, int i)
{
	s->ops->bind_null(s, i);
}

static inline int
kp_db_step(struct kp_stmt *s)
{
	return s->ops->step(s);
}

static inline int
kp_db_col_null(struct kp_stmt *s, int col)
{
	return s->ops->col_null(s, col);
}

static inline int64_t
kp_db_col_int(struct kp_stmt *s, int col)
{
	return s->ops->col_int(s, col);
}

/* NULL for NULL. */
static inline const char *
kp_db_col_text(struct kp_stmt *s, int col)
{
	return s->ops->col_text(s, col);
}

static inline const void *
kp_db_col_blob(struct kp_stmt *s, int col, size_t *len)
{
	return s->ops->col_blob(s, col, len);
}

static inline void
kp_db_reset(struct kp_stmt *s)
{
	s->ops->reset(s);
}

static inline void
kp_db_finalize(struct kp_stmt *s)
{
	if (s != NULL)
		s->ops->finalize(s);
}

#endif
