/*
 * db_pg — the PostgreSQL engine of the store's backend interface (db.h),
 * with libpq.  The store address is a connection URI (postgresql://...).
 *
 * The rooms' portable SQL runs as it is, but for its parameters (? and
 * ?N become $N, outside quoted text) and SQLite's CROSS JOIN, a join
 * order hint there, read as the inner join it is.  Values go as text, blobs as binary
 * bytea, and their types are left to the server to infer from where they
 * are used.  A statement kept in a slot is prepared on the server at its
 * first run.  The schema version is a one-row table, since PostgreSQL has
 * no user_version; its migrations are db_pg_schema.c.
 */
#include "autoconf.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "db.h"

#define PG_MAX_PARAMS	32
#define PG_BACKOFF_MIN	100	/* ms between attempts to reconnect ... */
#define PG_BACKOFF_MAX	5000	/* ... doubling up to this */
/*
 * Every write transaction of every node takes this transaction-scoped
 * advisory lock first: one writer at a time on the database, as SQLite's
 * BEGIN IMMEDIATE is for a file.  Every write appends to the audit chain,
 * so the chain's order is the writes' order; and a receiving stream's next
 * number, an outgoing stream's next number and a record's bronversie are
 * read and written by one node at a time (README, "Several nodes").
 */
#define PG_WRITE_LOCK	"SELECT pg_advisory_xact_lock(7415238901)"

struct pg_db {
	struct kp_db	 base;
	PGconn		*c;
	char		*where;		/* for errors: without its password */
	int		 mode;		/* KP_DB_WRITE, KP_DB_READ */
	char		 err[512];
	unsigned int	 nprepared;	/* names for kept statements */
	/*
	 * The connection's life: gen counts the connections made (a kept
	 * statement prepared under another is prepared again); in_txn says a
	 * transaction is open, which a lost connection took with it, so no
	 * new one is made until the store has ended it (ROLLBACK).
	 */
	unsigned int	 gen;
	int		 in_txn;
	int64_t		 retry_at;	/* monotonic ms: next reconnect */
	int		 backoff_ms;
	/* the singleton jobs this connection holds the lock of */
	char		 leads[8][32];
	int		 nleads;
};

struct pg_stmt {
	struct kp_stmt	 base;
	struct pg_db	*db;
	char		*sql;		/* with $N */
	int		 nparams;
	/* 0: the server infers it; text for a number the SQL never uses
	 * (?2 without ?1), which it cannot infer */
	Oid		 types[PG_MAX_PARAMS];
	int		 keep;
	char		 name[24];	/* prepared on the server: "" not yet */
	unsigned int	 gen;		/* of the connection it was prepared on */
	const char	*values[PG_MAX_PARAMS];
	int		 lengths[PG_MAX_PARAMS];
	int		 formats[PG_MAX_PARAMS];
	char		 ints[PG_MAX_PARAMS][24];
	PGresult	*res;
	int		 row, nrows, ran;
	unsigned char	*blob;		/* the last bytea column read */
};

#define DB(d)	((struct pg_db *)(void *)(d))
#define ST(s)	((struct pg_stmt *)(void *)(s))

extern const char *const kp_pg_migrations[];
extern const struct kp_db_ops kp_db_pg;

static void
remember(struct pg_db *d, const char *what)
{
	const char *m = d->c != NULL ? PQerrorMessage(d->c) : "no connection";
	size_t n;

	snprintf(d->err, sizeof(d->err), "%s%s%s", what, *what ? ": " : "", m);
	/* libpq's messages run over lines ("\n\tIs the server running ...") */
	for (char *p = d->err; *p != '\0'; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	n = strlen(d->err);
	while (n > 0 && (d->err[n - 1] == '\n' || d->err[n - 1] == ' '))
		d->err[--n] = '\0';
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int session(struct pg_db *d);
static int pg_readonly(struct kp_db *db);

/* The server's notices ("no transaction in progress"): not for stderr. */
static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/*
 * Is there a connection to run on?  A lost one is made again, at most
 * every backoff_ms (100 ms doubling to 5 s), and never under a
 * transaction it took with it.
 */
static int
alive(struct pg_db *d)
{
	int64_t now;

	if (PQstatus(d->c) == CONNECTION_OK)
		return 1;
	if (d->in_txn) {
		snprintf(d->err, sizeof(d->err), "store unreachable: the "
		    "connection was lost in a transaction; nothing of it was "
		    "committed");
		return 0;
	}
	now = mono_ms();
	if (now < d->retry_at) {
		snprintf(d->err, sizeof(d->err), "store unreachable; connecting "
		    "again in %lld ms", (long long)(d->retry_at - now));
		return 0;
	}
	PQreset(d->c);
	if (PQstatus(d->c) != CONNECTION_OK || session(d) != 0) {
		remember(d, "store unreachable");
		d->backoff_ms = d->backoff_ms == 0 ? PG_BACKOFF_MIN :
		    d->backoff_ms * 2 > PG_BACKOFF_MAX ? PG_BACKOFF_MAX :
		    d->backoff_ms * 2;
		d->retry_at = now + d->backoff_ms;
		return 0;
	}
	d->gen++;
	d->backoff_ms = 0;
	d->retry_at = 0;
	d->nleads = 0;		/* session locks went with the connection */
	return 1;
}

/* A statement failed: did it fail because the connection was lost? */
static int
lost(struct pg_db *d)
{
	return PQstatus(d->c) != CONNECTION_OK;
}

static int
word(const char *sql, const char *w)
{
	size_t n = strlen(w);

	return strncmp(sql, w, n) == 0 && (sql[n] == '\0' || sql[n] == ' ' ||
	    sql[n] == ';');
}

static int
exec_once(struct pg_db *d, const char *sql)
{
	PGresult *r = PQexec(d->c, sql);
	ExecStatusType s = PQresultStatus(r);
	int ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;

	if (!ok)
		remember(d, "");
	PQclear(r);
	return ok;
}

static int
pg_exec(struct kp_db *db, const char *sql, struct kp_err *err)
{
	struct pg_db *d = DB(db);
	int idle = !d->in_txn, ok;

	/*
	 * A transaction's COMMIT runs on the connection that ran it or not
	 * at all: on a new one it would "succeed" with nothing to commit.
	 * alive() refuses to connect again while in_txn.
	 */
	ok = alive(d) && exec_once(d, sql);
	if (word(sql, "COMMIT") || (word(sql, "ROLLBACK") &&
	    strncmp(sql, "ROLLBACK TO", 11) != 0))
		d->in_txn = 0;	/* whatever the outcome, it has ended */
	/* outside a transaction, a statement lost with the connection
	 * runs again once on the next */
	else if (!ok && idle && lost(d) && alive(d))
		ok = exec_once(d, sql);
	if (!ok)
		kp_fail(err, KP_ERR_STORE, "%s: %s", d->where, d->err);
	return ok ? KP_OK : KP_ERR_STORE;
}

static void
pg_close(struct kp_db *db)
{
	struct pg_db *d = DB(db);

	if (d == NULL)
		return;
	PQfinish(d->c);
	free(d->where);
	free(d);
}

static int
pg_open(const char *where, int mode, struct kp_db **out, struct kp_err *err)
{
	struct pg_db *d;

	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->where = kp_db_display(where)) == NULL) {
		free(d);
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	}
	d->base.ops = &kp_db_pg;
	d->mode = mode;
	d->c = PQconnectdb(where);
	PQsetNoticeProcessor(d->c, quiet, NULL);
	if (PQstatus(d->c) != CONNECTION_OK) {
		remember(d, "");
		kp_fail(err, KP_ERR_STORE, "%s: cannot connect%s: %s", d->where,
		    mode == KP_DB_READ ? " for reading" : "", d->err);
		pg_close(&d->base);
		return KP_ERR_STORE;
	}
	if (session(d) != 0) {
		kp_fail(err, KP_ERR_STORE, "%s: %s", d->where, d->err);
		pg_close(&d->base);
		return KP_ERR_STORE;
	}
	*out = &d->base;
	return KP_OK;
}

/* A new connection's settings; 0 when they took. */
static int
session(struct pg_db *d)
{
	/* a commit is durable before we answer: never asynchronous */
	if (!exec_once(d, "SET synchronous_commit = on; "
	    "SET client_min_messages = warning") ||
	    (d->mode == KP_DB_READ && !exec_once(d,
	    "SET default_transaction_read_only = on")))
		return -1;
	return 0;
}

static int
pg_begin(struct kp_db *db, struct kp_err *err)
{
	struct pg_db *d = DB(db);

	if (pg_exec(db, "BEGIN", err) != KP_OK)
		return KP_ERR_STORE;
	d->in_txn = 1;
	if (pg_exec(db, PG_WRITE_LOCK, err) != KP_OK) {
		pg_exec(db, "ROLLBACK", NULL);
		return KP_ERR_STORE;
	}
	return KP_OK;
}

/*
 * ? and ?N as $N, outside quoted text; the number of parameters.  And
 * SQLite's CROSS JOIN, its hint for the join order, as the inner join it
 * is (PostgreSQL's CROSS JOIN takes no ON).
 */
static char *
translate(const char *sql, int *nparams, unsigned int *used)
{
	size_t len = strlen(sql);
	char *out = malloc(len * 4 + 1), *o = out;
	int next = 0, max = 0;
	char quote = 0;

	if (out == NULL)
		return NULL;
	for (const char *p = sql; *p != '\0'; p++) {
		if (quote != 0) {
			if (*p == quote)
				quote = 0;
			*o++ = *p;
			continue;
		}
		if (*p == '\'' || *p == '"') {
			quote = *p;
			*o++ = *p;
			continue;
		}
		if (strncmp(p, "CROSS JOIN ", 11) == 0) {
			o += sprintf(o, "JOIN ");
			p += 10;
			continue;
		}
		if (*p != '?') {
			*o++ = *p;
			continue;
		}
		if (isdigit((unsigned char)p[1])) {
			int n = 0;

			while (isdigit((unsigned char)p[1]))
				n = n * 10 + (*++p - '0');
			next = n;
		} else {
			next = max + 1;
		}
		if (next > max)
			max = next;
		if (next >= 1 && next <= 32)
			*used |= 1u << (next - 1);
		o += sprintf(o, "$%d", next);
	}
	*o = '\0';
	*nparams = max;
	return out;
}

static struct kp_stmt *
pg_prepare(struct kp_db *db, const char *sql, int keep)
{
	struct pg_stmt *s;
	unsigned int used = 0;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->base.ops = &kp_db_pg;
	s->db = DB(db);
	s->keep = keep;
	if ((s->sql = translate(sql, &s->nparams, &used)) == NULL ||
	    s->nparams > PG_MAX_PARAMS) {
		snprintf(s->db->err, sizeof(s->db->err), "a statement with %d "
		    "parameters; the engine takes %d", s->nparams, PG_MAX_PARAMS);
		free(s->sql);
		free(s);
		return NULL;
	}
	for (int i = 0; i < s->nparams; i++)
		s->types[i] = (used & (1u << i)) ? 0 : 25 /* text */;
	return &s->base;
}

static void
bind(struct pg_stmt *s, int i, const void *v, int len, int format)
{
	if (i < 1 || i > PG_MAX_PARAMS)
		return;
	s->values[i - 1] = v;
	s->lengths[i - 1] = len;
	s->formats[i - 1] = format;
}

static void
pg_bind_int(struct kp_stmt *st, int i, int64_t v)
{
	struct pg_stmt *s = ST(st);

	if (i < 1 || i > PG_MAX_PARAMS)
		return;
	snprintf(s->ints[i - 1], sizeof(s->ints[0]), "%" PRId64, v);
	bind(s, i, s->ints[i - 1], 0, 0);
}

static void
pg_bind_text(struct kp_stmt *st, int i, const char *t)
{
	bind(ST(st), i, t, 0, 0);
}

static void
pg_bind_blob(struct kp_stmt *st, int i, const void *p, size_t len)
{
	bind(ST(st), i, p, (int)len, 1);
}

static void
pg_bind_null(struct kp_stmt *st, int i)
{
	bind(ST(st), i, NULL, 0, 0);
}

/* Run it: prepared on the server once when kept. */
static int
run(struct pg_stmt *s)
{
	struct pg_db *d = s->db;
	ExecStatusType rs;

	if (!alive(d))
		return KP_DB_ERROR;
	if (s->keep && (s->name[0] == '\0' || s->gen != d->gen)) {
		PGresult *r;

		if (s->name[0] == '\0')
			snprintf(s->name, sizeof(s->name), "kp%u",
			    ++d->nprepared);
		s->gen = d->gen;
		r = PQprepare(d->c, s->name, s->sql, s->nparams, s->types);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			remember(d, "");
			PQclear(r);
			s->name[0] = '\0';
			return KP_DB_ERROR;
		}
		PQclear(r);
	}
	if (s->keep)
		s->res = PQexecPrepared(d->c, s->name, s->nparams, s->values,
		    s->lengths, s->formats, 0);
	else
		s->res = PQexecParams(d->c, s->sql, s->nparams, s->types, s->values,
		    s->lengths, s->formats, 0);
	rs = PQresultStatus(s->res);
	if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK) {
		remember(d, "");
		return KP_DB_ERROR;
	}
	s->ran = 1;
	s->row = -1;
	s->nrows = rs == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
	return KP_DB_DONE;
}

static int
pg_step(struct kp_stmt *st)
{
	struct pg_stmt *s = ST(st);

	if (!s->ran) {
		int idle = !s->db->in_txn;

		if (run(s) != KP_DB_DONE) {
			/* a read outside a transaction: once more on a new
			 * connection when the old one was lost under it */
			if (!idle || !lost(s->db))
				return KP_DB_ERROR;
			PQclear(s->res);
			s->res = NULL;
			if (run(s) != KP_DB_DONE)
				return KP_DB_ERROR;
		}
	}
	if (s->row + 1 < s->nrows) {
		s->row++;
		return KP_DB_ROW;
	}
	s->row = s->nrows;
	return KP_DB_DONE;
}

static int
pg_col_null(struct kp_stmt *st, int col)
{
	struct pg_stmt *s = ST(st);

	return s->res == NULL || s->row < 0 || s->row >= s->nrows ||
	    PQgetisnull(s->res, s->row, col);
}

static const char *
pg_col_text(struct kp_stmt *st, int col)
{
	struct pg_stmt *s = ST(st);

	if (pg_col_null(st, col))
		return NULL;
	return PQgetvalue(s->res, s->row, col);
}

static int64_t
pg_col_int(struct kp_stmt *st, int col)
{
	const char *t = pg_col_text(st, col);

	return t != NULL ? strtoll(t, NULL, 10) : 0;
}

static const void *
pg_col_blob(struct kp_stmt *st, int col, size_t *len)
{
	struct pg_stmt *s = ST(st);
	const char *t = pg_col_text(st, col);

	*len = 0;
	if (s->blob != NULL) {
		PQfreemem(s->blob);
		s->blob = NULL;
	}
	if (t == NULL)
		return NULL;
	s->blob = PQunescapeBytea((const unsigned char *)t, len);
	return s->blob;
}

static int
pg_ncols(struct kp_stmt *st)
{
	struct pg_stmt *s = ST(st);

	return s->res != NULL ? PQnfields(s->res) : 0;
}

static const char *
pg_col_name(struct kp_stmt *st, int col)
{
	struct pg_stmt *s = ST(st);

	return s->res != NULL ? PQfname(s->res, col) : NULL;
}

/* Type oids of pg_type.h: bytea 17, int8 20, int2 21, int4 23. */
static int
pg_col_kind(struct kp_stmt *st, int col)
{
	struct pg_stmt *s = ST(st);

	if (pg_col_null(st, col))
		return KP_DB_NULL;
	switch (PQftype(s->res, col)) {
	case 17:
		return KP_DB_BLOB;
	case 20: case 21: case 23:
		return KP_DB_INT;
	default:
		return KP_DB_TEXT;
	}
}

static void
pg_reset(struct kp_stmt *st)
{
	struct pg_stmt *s = ST(st);

	PQclear(s->res);
	s->res = NULL;
	if (s->blob != NULL)
		PQfreemem(s->blob);
	s->blob = NULL;
	s->ran = 0;
	s->row = -1;
	s->nrows = 0;
	memset(s->values, 0, sizeof(s->values));
	memset(s->lengths, 0, sizeof(s->lengths));
	memset(s->formats, 0, sizeof(s->formats));
}

static void
pg_finalize(struct kp_stmt *st)
{
	struct pg_stmt *s = ST(st);
	char sql[48];

	pg_reset(st);
	if (s->name[0] != '\0' && s->gen == s->db->gen &&
	    PQstatus(s->db->c) == CONNECTION_OK) {
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
		PQclear(PQexec(s->db->c, sql));
	}
	free(s->sql);
	free(s);
}

static const char *
pg_errmsg(struct kp_db *db)
{
	return DB(db)->err;
}

static int
pg_version(struct kp_db *db)
{
	struct pg_db *d = DB(db);
	PGresult *r;
	int v = -1;

	/* a new database: version 0, with the table to say so */
	r = PQexec(d->c, "CREATE TABLE IF NOT EXISTS kp_schema (version "
	    "INTEGER NOT NULL); INSERT INTO kp_schema SELECT 0 WHERE NOT EXISTS "
	    "(SELECT 1 FROM kp_schema)");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		remember(d, "");
		PQclear(r);
		/* read-only: the table may be there all the same */
	} else {
		PQclear(r);
	}
	r = PQexec(d->c, "SELECT version FROM kp_schema");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = atoi(PQgetvalue(r, 0, 0));
	else
		remember(d, "");
	PQclear(r);
	return v;
}

static int
pg_set_version(struct kp_db *db, int version, struct kp_err *err)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "UPDATE kp_schema SET version = %d", version);
	return pg_exec(db, sql, err);
}

static int
pg_limit(struct kp_db *db, int64_t max_mb, struct kp_err *err)
{
	(void)max_mb;
	return kp_fail(err, KP_ERR_CONFIG, "%s: store_max_mb caps an SQLite "
	    "file; a PostgreSQL database is capped by its server", DB(db)->where);
}

static int
pg_readonly(struct kp_db *db)
{
	PGresult *r = PQexec(DB(db)->c, "SELECT pg_is_in_recovery()");
	int ro = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    strcmp(PQgetvalue(r, 0, 0), "t") == 0;

	PQclear(r);
	return ro;
}

/* Each serial column's sequence numbers on from its table's largest. */
static int
pg_reseed(struct kp_db *db, struct kp_err *err)
{
	return pg_exec(db, "DO $$ DECLARE r record; BEGIN "
	    "FOR r IN SELECT table_name, column_name FROM "
	    "information_schema.columns WHERE table_schema = current_schema() "
	    "AND column_default LIKE 'nextval(%' LOOP "
	    "EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), "
	    "coalesce((SELECT max(%I) FROM %I), 0) + 1, false)', "
	    "r.table_name, r.column_name, r.column_name, r.table_name); "
	    "END LOOP; END $$", err);
}

static int
pg_leader(struct kp_db *db, const char *job)
{
	struct pg_db *d = DB(db);
	const char *values[1];
	char key[64];
	PGresult *r;
	int held;

	if (!alive(d))
		return 0;
	for (int i = 0; i < d->nleads; i++)
		if (strcmp(d->leads[i], job) == 0) {
			/* held while the connection lives: does it? */
			if (exec_once(d, "SELECT 1"))
				return 1;
			if (lost(d))
				d->nleads = 0;
			return 0;
		}
	snprintf(key, sizeof(key), "ketenpoort job %s", job);
	values[0] = key;
	r = PQexecParams(d->c, "SELECT pg_try_advisory_lock("
	    "hashtextextended($1, 0))", 1, NULL, values, NULL, NULL, 0);
	held = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (held && d->nleads < (int)(sizeof(d->leads) / sizeof(d->leads[0])))
		snprintf(d->leads[d->nleads++], sizeof(d->leads[0]), "%s", job);
	return held;
}

static int
pg_health(struct kp_db *db, char *why, size_t len)
{
	struct pg_db *d = DB(db);
	int ok;

	ok = alive(d) && exec_once(d, "SELECT 1");
	if (!ok && lost(d))
		ok = alive(d) && exec_once(d, "SELECT 1");
	if (ok && pg_readonly(db)) {
		snprintf(why, len, "store is read-only: %s is a standby, not "
		    "the primary", d->where);
		return -1;
	}
	if (!ok) {
		const char *m = d->err;

		if (strncmp(m, "store unreachable", 17) == 0)
			for (m += 17; *m == ':' || *m == ';' || *m == ' '; m++)
				;
		snprintf(why, len, "store unreachable: %s: %s", d->where, m);
		return -1;
	}
	snprintf(why, len, "%s answers", d->where);
	return 0;
}

const struct kp_db_ops kp_db_pg = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.begin = pg_begin,
	.prepare = pg_prepare,
	.bind_int = pg_bind_int,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.col_null = pg_col_null,
	.col_int = pg_col_int,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
	.ncols = pg_ncols,
	.col_name = pg_col_name,
	.col_kind = pg_col_kind,
	.reset = pg_reset,
	.finalize = pg_finalize,
	.errmsg = pg_errmsg,
	.version = pg_version,
	.set_version = pg_set_version,
	.limit = pg_limit,
	.readonly = pg_readonly,
	.health = pg_health,
	.leader = pg_leader,
	.shared = 1,
	.snapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	.reseed = pg_reseed,
	.migrations = kp_pg_migrations,
};
