/*
 * db_sqlite — the SQLite engine of the store's backend interface (db.h):
 * one file, WAL with synchronous=FULL, so that a commit is on disk before
 * the answer that depends on it goes out.  Its schema is in
 * db_sqlite_schema.c.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"

struct sqlite_db {
	struct kp_db	 base;
	sqlite3		*h;
	char		*path;
};

struct sqlite_stmt {
	struct kp_stmt	 base;
	sqlite3_stmt	*s;
};

#define DB(d)	((struct sqlite_db *)(void *)(d))
#define ST(s)	(((struct sqlite_stmt *)(void *)(s))->s)

extern const char *const kp_sqlite_migrations[];

static void sqlite_close(struct kp_db *);

static int
sqlite_exec(struct kp_db *db, const char *sql, struct kp_err *err)
{
	struct sqlite_db *d = DB(db);
	char *msg = NULL;

	if (sqlite3_exec(d->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		kp_fail(err, KP_ERR_STORE, "%s: %s", d->path,
		    msg != NULL ? msg : "failed");
		sqlite3_free(msg);
		return KP_ERR_STORE;
	}
	return KP_OK;
}

static int
sqlite_open(const char *path, int mode, struct kp_db **out,
    struct kp_err *err)
{
	struct sqlite_db *d;

	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->path = strdup(path)) == NULL) {
		free(d);
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	}
	d->base.ops = &kp_db_sqlite;
	if (mode == KP_DB_WRITE) {
		/*
		 * A new store is ours alone, whatever the umask: SQLite makes
		 * its -wal and -shm files with the database file's mode.  Only
		 * a new one (O_EXCL): closing a descriptor of a file this
		 * process has open elsewhere drops every POSIX lock it holds on
		 * it, and another process would then take our open WAL for
		 * abandoned, checkpoint and delete it (a second connection,
		 * store_wal.c's, did exactly that).
		 */
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		if (fd != -1)
			close(fd);
	}
	if (sqlite3_open_v2(path, &d->h, (mode == KP_DB_READ ?
	    SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		if (mode == KP_DB_READ)
			kp_fail(err, KP_ERR_STORE, "%s: cannot open for reading: "
			    "%s", path, d->h != NULL ? sqlite3_errmsg(d->h) :
			    "out of memory");
		else
			kp_fail(err, KP_ERR_STORE, "%s: cannot open: %s", path,
			    d->h != NULL ? sqlite3_errmsg(d->h) : "out of memory");
		sqlite_close(&d->base);
		return KP_ERR_STORE;
	}
	sqlite3_busy_timeout(d->h, 10000);
	/*
	 * WAL with synchronous=FULL: every commit is on disk before we answer,
	 * so an acknowledged message survives a power cut.
	 */
	if (mode == KP_DB_WRITE &&
	    (sqlite_exec(&d->base, "PRAGMA journal_mode = WAL", err) != KP_OK ||
	    sqlite_exec(&d->base, "PRAGMA synchronous = FULL", err) != KP_OK ||
	    sqlite_exec(&d->base, "PRAGMA foreign_keys = ON", err) != KP_OK)) {
		sqlite_close(&d->base);
		return KP_ERR_STORE;
	}
	*out = &d->base;
	return KP_OK;
}

static void
sqlite_close(struct kp_db *db)
{
	struct sqlite_db *d = DB(db);

	if (d == NULL)
		return;
	sqlite3_close(d->h);
	free(d->path);
	free(d);
}

static int
sqlite_begin(struct kp_db *db, struct kp_err *err)
{
	/* IMMEDIATE: the write lock now, not at the first write. */
	return sqlite_exec(db, "BEGIN IMMEDIATE", err);
}

static struct kp_stmt *
sqlite_prepare(struct kp_db *db, const char *sql, int keep)
{
	struct sqlite_stmt *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->base.ops = &kp_db_sqlite;
	if (sqlite3_prepare_v3(DB(db)->h, sql, -1, keep ?
	    SQLITE_PREPARE_PERSISTENT : 0, &s->s, NULL) != SQLITE_OK) {
		sqlite3_finalize(s->s);
		free(s);
		return NULL;
	}
	return &s->base;
}

static void
sqlite_bind_int(struct kp_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(ST(s), i, v);
}

static void
sqlite_bind_text(struct kp_stmt *s, int i, const char *t)
{
	if (t == NULL)
		sqlite3_bind_null(ST(s), i);
	else
		sqlite3_bind_text(ST(s), i, t, -1, SQLITE_STATIC);
}

static void
sqlite_bind_blob(struct kp_stmt *s, int i, const void *p, size_t len)
{
	if (p == NULL)
		sqlite3_bind_null(ST(s), i);
	else
		sqlite3_bind_blob64(ST(s), i, p, len, SQLITE_STATIC);
}

static void
sqlite_bind_null(struct kp_stmt *s, int i)
{
	sqlite3_bind_null(ST(s), i);
}

static int
sqlite_step(struct kp_stmt *s)
{
	switch (sqlite3_step(ST(s))) {
	case SQLITE_ROW:
		return KP_DB_ROW;
	case SQLITE_DONE:
		return KP_DB_DONE;
	default:
		return KP_DB_ERROR;
	}
}

static int
sqlite_col_null(struct kp_stmt *s, int col)
{
	return sqlite3_column_type(ST(s), col) == SQLITE_NULL;
}

static int64_t
sqlite_col_int(struct kp_stmt *s, int col)
{
	return sqlite3_column_int64(ST(s), col);
}

static const char *
sqlite_col_text(struct kp_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(ST(s), col);
}

static const void *
sqlite_col_blob(struct kp_stmt *s, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(ST(s), col);

	*len = (size_t)sqlite3_column_bytes(ST(s), col);
	return p;
}

static int
sqlite_ncols(struct kp_stmt *s)
{
	return sqlite3_column_count(ST(s));
}

static const char *
sqlite_col_name(struct kp_stmt *s, int col)
{
	return sqlite3_column_name(ST(s), col);
}

static int
sqlite_col_kind(struct kp_stmt *s, int col)
{
	switch (sqlite3_column_type(ST(s), col)) {
	case SQLITE_NULL:
		return KP_DB_NULL;
	case SQLITE_INTEGER:
		return KP_DB_INT;
	case SQLITE_BLOB:
		return KP_DB_BLOB;
	default:
		return KP_DB_TEXT;
	}
}

static void
sqlite_reset(struct kp_stmt *s)
{
	sqlite3_reset(ST(s));
	sqlite3_clear_bindings(ST(s));
}

static void
sqlite_finalize(struct kp_stmt *s)
{
	sqlite3_finalize(ST(s));
	free(s);
}

static const char *
sqlite_errmsg(struct kp_db *db)
{
	return sqlite3_errmsg(DB(db)->h);
}

static int
sqlite_version(struct kp_db *db)
{
	sqlite3_stmt *stmt;
	int v = -1;

	if (sqlite3_prepare_v2(DB(db)->h, "PRAGMA user_version", -1, &stmt,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

static int
sqlite_set_version(struct kp_db *db, int version, struct kp_err *err)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
	return sqlite_exec(db, sql, err);
}

static int
sqlite_limit(struct kp_db *db, int64_t max_mb, struct kp_err *err)
{
	char sql[96];

	/* SQLite refuses to grow past max_page_count: SQLITE_FULL, as a disk. */
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld",
	    (long long)(max_mb * 1024 * 1024 / 4096));
	if (sqlite_exec(db, "PRAGMA page_size", err) != KP_OK ||
	    sqlite_exec(db, sql, err) != KP_OK)
		return KP_ERR_STORE;
	return KP_OK;
}

static int
sqlite_readonly(struct kp_db *db)
{
	return sqlite3_db_readonly(DB(db)->h, "main") == 1;
}

/*
 * SQLite checkpoints a WAL of 1,000 pages in the COMMIT that fills it, on
 * the writer's thread: copying 4 MB into the database and two fsyncs,
 * tens of milliseconds every few seconds in which no commit is made and
 * nothing is answered.  With the writer's connection set not to, another
 * connection checkpoints PASSIVE (store_wal.c): it never waits for the
 * writer, nor the writer for it.
 */
static int
sqlite_wal_handoff(struct kp_db *writer, struct kp_db *checkpointer,
    struct kp_err *err)
{
	if (checkpointer == NULL)	/* SQLite's default again */
		return sqlite_exec(writer, "PRAGMA wal_autocheckpoint = 1000",
		    err);
	/* it copies WAL frames, it reads no rows: no page cache of 2 MiB */
	if (sqlite_exec(checkpointer, "PRAGMA cache_size = -64", err) != KP_OK)
		return KP_ERR_STORE;
	return sqlite_exec(writer, "PRAGMA wal_autocheckpoint = 0", err);
}

static int
sqlite_wal_checkpoint(struct kp_db *db, struct kp_err *err)
{
	struct sqlite_db *d = DB(db);
	int rc = sqlite3_wal_checkpoint_v2(d->h, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return kp_fail(err, KP_ERR_STORE, "%s: checkpoint: %s", d->path,
		    sqlite3_errmsg(d->h));
	return KP_OK;
}

const struct kp_db_ops kp_db_sqlite = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.exec = sqlite_exec,
	.begin = sqlite_begin,
	.prepare = sqlite_prepare,
	.bind_int = sqlite_bind_int,
	.bind_text = sqlite_bind_text,
	.bind_blob = sqlite_bind_blob,
	.bind_null = sqlite_bind_null,
	.step = sqlite_step,
	.col_null = sqlite_col_null,
	.col_int = sqlite_col_int,
	.col_text = sqlite_col_text,
	.col_blob = sqlite_col_blob,
	.ncols = sqlite_ncols,
	.col_name = sqlite_col_name,
	.col_kind = sqlite_col_kind,
	.reset = sqlite_reset,
	.finalize = sqlite_finalize,
	.errmsg = sqlite_errmsg,
	.version = sqlite_version,
	.set_version = sqlite_set_version,
	.limit = sqlite_limit,
	.readonly = sqlite_readonly,
	.wal_handoff = sqlite_wal_handoff,
	.wal_checkpoint = sqlite_wal_checkpoint,
	/* deferred: the snapshot is taken at the first read (WAL) */
	.snapshot = "BEGIN",
	.migrations = kp_sqlite_migrations,
};
