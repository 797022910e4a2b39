/*
 * store_auditview — what the auditor's overview reads from the store
 * (store.h, "the auditor's overview"): exchanges per partner per day,
 * refusals by code, the newest checkpoint and who witnessed it, and the
 * runs of audit verify with their results (schema version 10).
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "util.h"

struct each_count {
	int	(*fn)(void *, const struct kp_audit_count *);
	void	*arg;
	int	 by_code;
};

static int
count_row(struct kp_stmt *stmt, void *arg)
{
	struct each_count *e = arg;
	struct kp_audit_count c = { 0 };

	if (e->by_code) {
		c.code = kp_db_col_text(stmt, 0);
		c.n = kp_db_col_int(stmt, 1);
	} else {
		c.day = kp_db_col_text(stmt, 0);
		c.partner_oin = kp_db_col_text(stmt, 1);
		c.outcome = kp_db_col_text(stmt, 2);
		c.n = kp_db_col_int(stmt, 3);
	}
	return e->fn(e->arg, &c);
}

int
kp_store_audit_daily(struct kp_store *st, const char *since,
    int (*fn)(void *arg, const struct kp_audit_count *c), void *arg,
    struct kp_err *err)
{
	/* the first ten characters of an ISO time are its day (UTC) */
	static const char sql[] = "SELECT substr(at, 1, 10), partner_oin, "
	    "outcome, count(*) FROM audit WHERE at >= ?1 AND direction = 'in' "
	    "AND outcome IN ('accepted', 'refused', 'rejected') "
	    "AND partner_oin IS NOT NULL "
	    "GROUP BY substr(at, 1, 10), partner_oin, outcome "
	    "ORDER BY 1, 2, 3";
	struct param p[] = { { since, 0, 0 } };
	struct each_count e = { fn, arg, 0 };

	return store_read_each(st, sql, "the audit log", p, 1, count_row, &e,
	    err);
}

int
kp_store_audit_codes(struct kp_store *st, const char *since,
    int (*fn)(void *arg, const struct kp_audit_count *c), void *arg,
    struct kp_err *err)
{
	static const char sql[] = "SELECT code, count(*) FROM audit "
	    "WHERE at >= ?1 AND direction = 'in' AND "
	    "outcome IN ('refused', 'rejected') AND code IS NOT NULL "
	    "GROUP BY code ORDER BY code";
	struct param p[] = { { since, 0, 0 } };
	struct each_count e = { fn, arg, 1 };

	return store_read_each(st, sql, "the audit log", p, 1, count_row, &e,
	    err);
}

static int
last_checkpoint_row(struct kp_stmt *stmt, void *arg)
{
	struct kp_checkpoint_last *c = arg;
	const char *at = kp_db_col_text(stmt, 2);

	c->id = kp_db_col_int(stmt, 0);
	c->seq = kp_db_col_int(stmt, 1);
	snprintf(c->at, sizeof(c->at), "%s", at != NULL ? at : "");
	return 1;
}

static int
witness_row(struct kp_stmt *stmt, void *arg)
{
	struct kp_checkpoint_last *c = arg;
	const char *oin = kp_db_col_text(stmt, 0);

	if (c->nwitnesses < sizeof(c->witnesses) / sizeof(c->witnesses[0]))
		snprintf(c->witnesses[c->nwitnesses++], sizeof(c->witnesses[0]),
		    "%s", oin != NULL ? oin : "");
	return 0;
}

int
kp_store_checkpoint_last(struct kp_store *st, struct kp_checkpoint_last *c,
    struct kp_err *err)
{
	static const char last_sql[] = "SELECT id, seq, at FROM checkpoint "
	    "ORDER BY id DESC LIMIT 1";
	static const char sent_sql[] = "SELECT partner_oin FROM "
	    "checkpoint_sent WHERE checkpoint = ?1 ORDER BY partner_oin";
	struct param p[1];
	int ret;

	memset(c, 0, sizeof(*c));
	if ((ret = store_read_each(st, last_sql, "the checkpoints", NULL, 0,
	    last_checkpoint_row, c, err)) != KP_OK || c->id == 0)
		return ret;
	p[0] = (struct param){ .integer = c->id };
	return store_read_each(st, sent_sql, "the checkpoints", p, 1,
	    witness_row, c, err);
}

int
kp_store_verification_add(struct kp_store *st,
    const struct kp_verification *v, struct kp_err *err)
{
	struct kp_stmt *stmt;
	int rc;

	pthread_mutex_lock(&st->lock);
	if ((stmt = kp_db_prepare(st->db, "INSERT INTO audit_verification "
	    "(started_at, finished_at, started_by, entries, bad, first_bad, "
	    "first, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) == NULL) {
		rc = store_fail(st, err, "cannot prepare audit_verification");
		goto out;
	}
	kp_db_bind_text(stmt, 1, v->started_at);
	kp_db_bind_text(stmt, 2, v->finished_at);
	kp_db_bind_text(stmt, 3, v->started_by);
	kp_db_bind_int(stmt, 4, v->entries);
	kp_db_bind_int(stmt, 5, v->bad);
	kp_db_bind_int(stmt, 6, v->first_bad);
	kp_db_bind_text(stmt, 7, v->first);
	kp_db_bind_text(stmt, 8, v->error);
	rc = kp_db_step(stmt) == KP_DB_DONE ? KP_OK :
	    store_fail(st, err, "cannot record the verification");
	kp_db_finalize(stmt);
out:
	pthread_mutex_unlock(&st->lock);
	return rc;
}

struct each_verification {
	int	(*fn)(void *, const struct kp_verification *);
	void	*arg;
};

static int
verification_row(struct kp_stmt *stmt, void *arg)
{
	struct each_verification *e = arg;
	struct kp_verification v = {
		.id = kp_db_col_int(stmt, 0),
		.started_at = kp_db_col_text(stmt, 1),
		.finished_at = kp_db_col_text(stmt, 2),
		.started_by = kp_db_col_text(stmt, 3),
		.entries = kp_db_col_int(stmt, 4),
		.bad = kp_db_col_int(stmt, 5),
		.first_bad = kp_db_col_int(stmt, 6),
		.first = kp_db_col_text(stmt, 7),
		.error = kp_db_col_text(stmt, 8),
	};

	return e->fn(e->arg, &v);
}

int
kp_store_each_verification(struct kp_store *st, int64_t limit,
    int (*fn)(void *arg, const struct kp_verification *v), void *arg,
    struct kp_err *err)
{
	static const char sql[] = "SELECT id, started_at, finished_at, "
	    "started_by, entries, bad, first_bad, first, error FROM "
	    "audit_verification ORDER BY id DESC LIMIT ?1";
	struct param p[] = { { .integer = limit } };
	struct each_verification e = { fn, arg };

	return store_read_each(st, sql, "the verifications", p, 1,
	    verification_row, &e, err);
}
