/*
 * store_wal — the WAL's checkpoints, beside the group-commit writer
 * rather than inside its commits (issue 19).
 *
 * Left to itself SQLite checkpoints in the COMMIT that fills the WAL to
 * 1,000 pages, on the writer's thread: for tens of milliseconds no batch
 * is committed and no partner answered.  While the writer runs, its
 * connection leaves that to a connection of its own here, and a ticker
 * checkpoints PASSIVE (never waiting for the writer, nor it for us)
 * CHECKPOINT_MS after a commit woke it, and at least every second.
 * What it checkpoints is already durable in the WAL: a crash between two
 * checkpoints loses nothing, and the next open replays the WAL.
 */
#include "autoconf.h"

#include <time.h>

#include "db.h"
#include "log.h"
#include "store.h"
#include "store_int.h"
#include "ticker.h"

#define CHECKPOINT_MS	200

static void
wal_job(void *arg)
{
	struct kp_store *st = arg;
	struct timespec pause = { 0, CHECKPOINT_MS * 1000000L };
	struct kp_err err;

	/* the commits that follow the one that woke us go in this one too */
	nanosleep(&pause, NULL);
	if (st->ops->wal_checkpoint(st->wal_db, &err) != KP_OK) {
		if (st->wal_failed++ == 0)
			log_warnx("%s", err.msg);
	} else
		st->wal_failed = 0;
}

int
store_wal_start(struct kp_store *st, struct kp_err *err)
{
	if (st->ops->wal_handoff == NULL || st->wal_ticker != NULL)
		return KP_OK;
	if (st->ops->open(st->where, KP_DB_WRITE, &st->wal_db, err) != KP_OK)
		return KP_ERR_STORE;
	st->wal_failed = 0;
	if ((st->wal_ticker = kp_ticker_start("WAL checkpoints", 1000, wal_job,
	    st, err)) == NULL) {
		st->ops->close(st->wal_db);
		st->wal_db = NULL;
		return KP_ERR_SYS;
	}
	/* the writer's connection: its lock is held by the caller */
	if (st->ops->wal_handoff(st->db, st->wal_db, err) != KP_OK) {
		store_wal_stop(st);
		return KP_ERR_STORE;
	}
	return KP_OK;
}

void
store_wal_stop(struct kp_store *st)
{
	struct kp_err err;

	if (st->wal_ticker == NULL)
		return;
	kp_ticker_stop(st->wal_ticker);
	st->wal_ticker = NULL;
	/* the writer's connection checkpoints by itself again */
	if (st->ops->wal_handoff(st->db, NULL, &err) != KP_OK)
		log_warnx("%s", err.msg);
	st->ops->close(st->wal_db);
	st->wal_db = NULL;
}

void
store_wal_committed(struct kp_store *st)
{
	kp_ticker_wake(st->wal_ticker);		/* NULL-safe */
}
