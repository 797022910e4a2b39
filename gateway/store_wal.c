/*
 * store_wal — the WAL's checkpoints, beside the group-commit writer
 * rather than inside its commits (issue 19).
 *
 * Left to itself SQLite checkpoints in the COMMIT that fills the WAL to
 * 1,000 pages, on the writer's thread: for tens of milliseconds no batch
 * is committed and no partner answered.  While the writer runs, its
 * connection leaves that to a connection of its own here, and this thread
 * checkpoints PASSIVE (never waiting for the writer, nor it for us) at
 * most every CHECKPOINT_MS after a commit, and at least every second.
 * What it checkpoints is already durable in the WAL: a crash between two
 * checkpoints loses nothing, and the next open replays the WAL.
 */
#include "autoconf.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "store.h"
#include "store_int.h"

#define CHECKPOINT_MS	200

static void
deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *
wal_main(void *arg)
{
	struct kp_store *st = arg;
	struct timespec ts;
	struct kp_err err;
	int stopping = 0, failed = 0;

	while (!stopping) {
		/* a second, or until commits were made and a pause passed */
		pthread_mutex_lock(&st->wal_lock);
		deadline_in(&ts, 1000);
		while (!st->wal_stopping && st->wal_commits == 0 &&
		    pthread_cond_timedwait(&st->wal_cond, &st->wal_lock,
		    &ts) != ETIMEDOUT)
			;
		stopping = st->wal_stopping;
		pthread_mutex_unlock(&st->wal_lock);
		if (!stopping) {
			struct timespec pause = { 0, CHECKPOINT_MS * 1000000L };

			nanosleep(&pause, NULL);
		}
		pthread_mutex_lock(&st->wal_lock);
		st->wal_commits = 0;
		pthread_mutex_unlock(&st->wal_lock);
		if (st->ops->wal_checkpoint(st->wal_db, &err) != KP_OK) {
			if (!failed++)
				log_warnx("%s", err.msg);
		} else
			failed = 0;
	}
	return NULL;
}

int
store_wal_start(struct kp_store *st, struct kp_err *err)
{
	if (st->ops->wal_handoff == NULL || st->wal_running)
		return KP_OK;
	if (st->ops->open(st->where, KP_DB_WRITE, &st->wal_db, err) != KP_OK)
		return KP_ERR_STORE;
	pthread_mutex_init(&st->wal_lock, NULL);
	pthread_cond_init(&st->wal_cond, NULL);
	st->wal_stopping = 0;
	st->wal_commits = 0;
	if (pthread_create(&st->wal_thread, NULL, wal_main, st) != 0) {
		st->ops->close(st->wal_db);
		st->wal_db = NULL;
		return kp_fail(err, KP_ERR_SYS, "cannot start the checkpoints' "
		    "thread");
	}
	st->wal_running = 1;
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

	if (!st->wal_running)
		return;
	pthread_mutex_lock(&st->wal_lock);
	st->wal_stopping = 1;
	pthread_cond_signal(&st->wal_cond);
	pthread_mutex_unlock(&st->wal_lock);
	pthread_join(st->wal_thread, NULL);
	st->wal_running = 0;
	/* the writer's connection checkpoints by itself again */
	if (st->ops->wal_handoff(st->db, NULL, &err) != KP_OK)
		log_warnx("%s", err.msg);
	st->ops->close(st->wal_db);
	st->wal_db = NULL;
	pthread_mutex_destroy(&st->wal_lock);
	pthread_cond_destroy(&st->wal_cond);
}

void
store_wal_committed(struct kp_store *st)
{
	if (!st->wal_running)
		return;
	pthread_mutex_lock(&st->wal_lock);
	if (st->wal_commits++ == 0)
		pthread_cond_signal(&st->wal_cond);
	pthread_mutex_unlock(&st->wal_lock);
}
