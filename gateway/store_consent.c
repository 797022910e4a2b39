/*
 * store_consent — the citizens whose consents changed (TST records
 * stored, or all of them marked by the daily pass), for the consent
 * schedule to reconsider their disclosures; a mark is undone only if it
 * was not marked again meanwhile.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "store.h"
#include "store_int.h"
#include "util.h"

/* The caller's callback for dirty_row, typed. */
struct each_dirty {
	int	(*fn)(void *, const char *, int64_t);
	void	*arg;
};

static int
dirty_row(struct kp_stmt *stmt, void *arg)
{
	struct each_dirty *e = arg;

	return e->fn(e->arg, kp_db_col_text(stmt, 0), kp_db_col_int(stmt, 1));
}

int
kp_store_consent_dirty(struct kp_store *st, int64_t max,
    int (*fn)(void *arg, const char *bsn, int64_t mark), void *arg,
    struct kp_err *err)
{
	static const char sql[] = "SELECT bsn, mark FROM consent_dirty "
	    "ORDER BY mark LIMIT ?";
	struct param p[] = { { NULL, max > 0 ? max : INT64_MAX, 0 } };
	struct each_dirty e = { fn, arg };

	return store_read_each(st, sql, "the consents to reconsider", p, 1, dirty_row,
	    &e, err);
}

int
kp_store_consent_done(struct kp_store *st, const char *bsn, int64_t mark,
    struct kp_err *err)
{
	int ret;

	pthread_mutex_lock(&st->lock);
	ret = store_exec_bound(st, "DELETE FROM consent_dirty WHERE bsn = ?1 AND "
	    "mark = ?2", bsn, mark, 0, err);
	pthread_mutex_unlock(&st->lock);
	return ret;
}

int
kp_store_consent_mark_all(struct kp_store *st, struct kp_err *err)
{
	char now[32];
	int ret;

	kp_time_iso(kp_now_ms(), now);
	pthread_mutex_lock(&st->lock);
	ret = store_exec_bound(st, "INSERT INTO consent_dirty (bsn, mark, at) "
	    "SELECT bsn, (SELECT coalesce(max(mark), 0) FROM consent_dirty) + "
	    "row_number() OVER (ORDER BY bsn), CAST(?1 AS TEXT) FROM "
	    "(SELECT DISTINCT bsn FROM record WHERE entiteittype = 'TST') AS t "
	    "WHERE true ON CONFLICT (bsn) DO NOTHING", now, 0, 0, err);
	pthread_mutex_unlock(&st->lock);
	return ret;
}
