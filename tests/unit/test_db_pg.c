/*
 * test_db_pg — the PostgreSQL engine (db_pg.c) against a real server:
 * tests/integration/pgconn.sh starts a cluster and runs this with a
 * database's URI.  What a lost connection may and may not do:
 *
 * - a transaction whose connection was lost never commits: its COMMIT
 *   fails (on a new connection it would "succeed" with nothing to do),
 *   and nothing of it is in the database;
 * - the next transaction connects again and commits;
 * - a kept statement is prepared again on the new connection; a read
 *   outside a transaction runs again once by itself;
 * - a parameter number the SQL never uses (?2 without ?1) still binds;
 * - a singleton job's lock is one connection's until that one closes;
 * - the columns of a row say their names and kinds (store copy).
 *
 *   test_db_pg URI
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "tap.h"

static struct kp_db *
open_db(const char *uri)
{
	struct kp_db *db = NULL;
	struct kp_err err;

	if (kp_db_pg.open(uri, KP_DB_WRITE, &db, &err) != KP_OK)
		diag("%s", err.msg);
	return db;
}

static int64_t
one_int(struct kp_db *db, const char *sql)
{
	struct kp_stmt *s = kp_db_prepare(db, sql);
	int64_t v = -1;

	if (s != NULL && kp_db_step(s) == KP_DB_ROW)
		v = kp_db_col_int(s, 0);
	kp_db_finalize(s);
	return v;
}

/* The backend of db ended from another connection, as a server restart. */
static void
cut(struct kp_db *other, int64_t pid)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%lld)",
	    (long long)pid);
	one_int(other, sql);
}

static int
insert(struct kp_db *db, const char *v)
{
	struct kp_stmt *s = kp_db_prepare(db, "INSERT INTO t (v) VALUES (?)");
	int rc;

	if (s == NULL)
		return KP_DB_ERROR;
	kp_db_bind_text(s, 1, v);
	rc = kp_db_step(s);
	kp_db_finalize(s);
	return rc;
}

int
main(int argc, char **argv)
{
	struct kp_db *a, *b;
	struct kp_stmt *kept, *s;
	struct kp_err err;
	int64_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: test_db_pg URI (tests/integration/"
		    "pgconn.sh runs it)\n");
		return 2;
	}
	if ((a = open_db(argv[1])) == NULL || (b = open_db(argv[1])) == NULL) {
		printf("Bail out! cannot connect\n");
		return 1;
	}
	ok(kp_db_exec(a, "CREATE TABLE t (v TEXT)", &err) == KP_OK,
	    "a table made");

	/* 1. a transaction whose connection goes never commits */
	pid = one_int(a, "SELECT pg_backend_pid()");
	ok(a->ops->begin(a, &err) == KP_OK, "a write transaction begins");
	is_int(insert(a, "lost"), KP_DB_DONE, "  a row written in it");
	cut(b, pid);
	is_int(insert(a, "after"), KP_DB_ERROR,
	    "its connection cut: the next statement in it fails");
	ok(kp_db_exec(a, "COMMIT", &err) != KP_OK,
	    "  so does COMMIT: it never runs on a new connection");
	is_int(one_int(b, "SELECT count(*) FROM t"), 0, "  nothing of it is there");
	kp_db_exec(a, "ROLLBACK", NULL);	/* as the store ends it */

	/* 2. the next transaction connects again */
	ok(a->ops->begin(a, &err) == KP_OK,
	    "the next transaction connects again and begins");
	is_int(insert(a, "kept"), KP_DB_DONE, "  a row written");
	ok(kp_db_exec(a, "COMMIT", &err) == KP_OK, "  committed");
	ok(one_int(a, "SELECT pg_backend_pid()") != pid, "  on a new backend");
	is_int(one_int(b, "SELECT count(*) FROM t WHERE v = 'kept'"), 1,
	    "  and there");

	/* 3. a kept statement, prepared again after the connection went */
	kept = a->ops->prepare(a, "SELECT count(*) FROM t", 1);
	ok(kept != NULL && kp_db_step(kept) == KP_DB_ROW &&
	    kp_db_col_int(kept, 0) == 1, "a kept statement runs");
	kp_db_reset(kept);
	cut(b, one_int(a, "SELECT pg_backend_pid()"));
	ok(kp_db_step(kept) == KP_DB_ROW && kp_db_col_int(kept, 0) == 1,
	    "the connection cut: the read runs again by itself, prepared anew");
	kp_db_finalize(kept);

	/* 4. ?2 without ?1 */
	s = kp_db_prepare(a, "SELECT count(*) FROM t WHERE v = ?2");
	kp_db_bind_text(s, 1, NULL);
	kp_db_bind_text(s, 2, "kept");
	ok(s != NULL && kp_db_step(s) == KP_DB_ROW && kp_db_col_int(s, 0) == 1,
	    "a statement with ?2 and no ?1 runs");
	kp_db_finalize(s);

	/* 5. a singleton job */
	is_int(a->ops->leader(a, "checkpoint"), 1, "the first to ask runs a job");
	is_int(a->ops->leader(a, "checkpoint"), 1, "  and still does");
	is_int(b->ops->leader(b, "checkpoint"), 0, "  the other does not");
	is_int(b->ops->leader(b, "consent"), 1, "  another job is another lock");
	a->ops->close(a);
	{
		/* the server ends the closed session's locks a moment later:
		 * the other node asks again at its next tick */
		int took = 0;

		for (int i = 0; i < 50 && !took; i++) {
			took = b->ops->leader(b, "checkpoint");
			if (!took)
				usleep(100 * 1000);
		}
		is_int(took, 1, "the first one's connection gone, the other "
		    "takes the job (asking again as at its next tick)");
	}

	/* 6. a row's columns */
	s = kp_db_prepare(b, "SELECT 7::bigint AS n, 'x' AS t, "
	    "'\\x00ff'::bytea AS b, NULL::text AS z");
	if (ok(s != NULL && kp_db_step(s) == KP_DB_ROW, "a row of four kinds")) {
		size_t len;
		const unsigned char *p = kp_db_col_blob(s, 2, &len);

		is_int(s->ops->ncols(s), 4, "  four columns");
		is_str(s->ops->col_name(s, 2), "b", "  named");
		ok(s->ops->col_kind(s, 0) == KP_DB_INT &&
		    s->ops->col_kind(s, 1) == KP_DB_TEXT &&
		    s->ops->col_kind(s, 2) == KP_DB_BLOB &&
		    s->ops->col_kind(s, 3) == KP_DB_NULL,
		    "  an integer, text, bytes and NULL");
		ok(len == 2 && p[0] == 0 && p[1] == 0xff, "  the bytes as bytes");
	}
	kp_db_finalize(s);
	b->ops->close(b);
	return done_testing();
}
