/*
 * store_wal: while the group-commit writer runs, the WAL is checkpointed
 * by a thread and connection of their own (PASSIVE), not in the writer's
 * commits: the writer's connection does not checkpoint, the WAL is
 * nevertheless checkpointed soon after writes stop, another process sees
 * every commit (a second connection in this process must not drop the
 * writer's locks, or that process deletes the WAL in use when it closes),
 * and when the writer stops its connection checkpoints by itself again.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>

#include "apply.h"
#include "db.h"
#include "fixture.h"
#include "gateway.h"
#include "store.h"
#include "store_int.h"
#include "tap.h"

static struct fixture fx;

/* PRAGMA name on the store's writer connection, as an integer. */
static int64_t
writer_pragma(struct kp_store *st, const char *sql)
{
	struct kp_stmt *stmt = kp_db_prepare(st->db, sql);
	int64_t v = -1;

	if (stmt != NULL && kp_db_step(stmt) == KP_DB_ROW)
		v = kp_db_col_int(stmt, 0);
	kp_db_finalize(stmt);
	return v;
}

/*
 * Frames in the WAL (mxFrame) and how many of them are in the database
 * file (nBackfill), read from the wal-index (-shm) as SQLite's file format
 * documents it (walformat.html: the header's mxFrame at byte 16, the
 * checkpoint information's nBackfill at byte 96, native byte order).
 */
static int
wal_frames(int *log, int *done)
{
	char path[400];
	uint32_t v[2];
	FILE *fp;
	int ok = 0;

	snprintf(path, sizeof(path), "%s/self.db-shm", fx.dir);
	if ((fp = fopen(path, "rb")) == NULL)
		return -1;
	if (fseek(fp, 16, SEEK_SET) == 0 && fread(&v[0], 4, 1, fp) == 1 &&
	    fseek(fp, 96, SEEK_SET) == 0 && fread(&v[1], 4, 1, fp) == 1)
		ok = 1;
	fclose(fp);
	*log = (int)v[0];
	*done = (int)v[1];
	return ok ? 0 : -1;
}

/* Audit rows as another process sees them (the sqlite3 shell); -1: error. */
static long
rows_seen_outside(void)
{
	char cmd[512];
	long n = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sqlite3 -batch -noheader -cmd '.timeout "
	    "10000' '%s/self.db' 'SELECT count(*) FROM audit' 2>/dev/null",
	    fx.dir);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	if (fscanf(p, "%ld", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

static int
write_entries(struct kp_store *st, int n)
{
	char detail[1800];
	struct kp_err err;

	memset(detail, 'x', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	for (int i = 0; i < n; i++) {
		struct kp_audit a = { .direction = "local", .partner_oin =
		    OIN_SELF, .outcome = "stored", .detail = detail };

		if (kp_apply_audit(st, &a, &err) != KP_OK)
			return -1;
	}
	return 0;
}

int
main(void)
{
	struct kp_store *st;
	struct kp_err err;
	int64_t before;
	int log = -1, done = -1;

	if (fixture_setup(&fx) != 0) {
		ok(0, "fixture");
		return done_testing();
	}
	st = fx.self->store;
	before = writer_pragma(st, "PRAGMA wal_autocheckpoint");
	is_int((int)before, 1000, "without a writer running the connection "
	    "checkpoints by itself (every 1,000 pages)");
	ok(kp_store_writer_start(st, &err) == KP_OK, "the writer starts");
	is_int((int)writer_pragma(st, "PRAGMA wal_autocheckpoint"), 0,
	    "  and leaves checkpoints to the checkpoints' thread");
	ok(write_entries(st, 3000) == 0, "3,000 commits of 2 KB entries");
	sleep(2);
	if (wal_frames(&log, &done) != 0)
		log = done = -1;
	ok(log > 0 && done == log,
	    "a pause after them the WAL is in the database: %d of its %d "
	    "frames", done, log);
	{
		long a = rows_seen_outside(), b = -1;

		if (write_entries(st, 10) == 0)
			b = rows_seen_outside();
		ok(a >= 3000 && b == a + 10, "another process sees every "
		    "commit, also after it closed the store once (%ld, then "
		    "%ld)", a, b);
	}
	kp_store_writer_stop(st);
	is_int((int)writer_pragma(st, "PRAGMA wal_autocheckpoint"), 1000,
	    "the writer stopped: its connection checkpoints by itself again");
	ok(write_entries(st, 10) == 0, "  and it still writes (without the "
	    "writer thread)");
	fixture_teardown(&fx);
	return done_testing();
}
