/*
 * store_outbox — the store's outbox room: the outgoing streams' numbers,
 * the newest row queued for a partner of a record and a new row on the
 * next number (inside the writer's transaction; which rows a change makes
 * is fanout.c's decision), and what the delivery worker and the operator
 * do with them (store.h: kp_store_outbox_*).  A parked row's stream waits; retry
 * and skip keep every stream gap-free.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "auditlog.h"
#include "kd.h"
#include "store.h"
#include "store_int.h"
#include "store_txn.h"
#include "util.h"

/* Take the next volgnummer of our stream to partner on partitie. */
static int
stream_out_take(struct kp_store *st, const char *partner, uint32_t partitie,
    uint64_t *volgnummer, struct kp_err *err)
{
	static const char get_sql[] = "SELECT next_volgnummer FROM stream_out "
	    "WHERE partner_oin = ? AND partitie = ?";
	static const char set_sql[] = "INSERT INTO stream_out (partner_oin, "
	    "partitie, next_volgnummer) VALUES (?, ?, ?) ON CONFLICT "
	    "(partner_oin, partitie) DO UPDATE SET "
	    "next_volgnummer = excluded.next_volgnummer";
	struct kp_stmt *stmt;
	int rc;

	if ((stmt = store_stmt_get(st, st->db, STMT_OUT_NEXT, get_sql)) == NULL)
		return store_fail(st, err, "cannot prepare stream read");
	kp_db_bind_text(stmt, 1, partner);
	kp_db_bind_int(stmt, 2, partitie);
	*volgnummer = 1;
	if ((rc = kp_db_step(stmt)) == KP_DB_ROW)
		*volgnummer = (uint64_t)kp_db_col_int(stmt, 0);
	kp_db_reset(stmt);
	if (rc != KP_DB_ROW && rc != KP_DB_DONE)
		return store_fail(st, err, "cannot read stream");
	if ((stmt = store_stmt_get(st, st->db, STMT_OUT_SET, set_sql)) == NULL)
		return store_fail(st, err, "cannot prepare stream update");
	kp_db_bind_text(stmt, 1, partner);
	kp_db_bind_int(stmt, 2, partitie);
	kp_db_bind_int(stmt, 3, (int64_t)(*volgnummer + 1));
	rc = kp_db_step(stmt);
	kp_db_reset(stmt);
	return rc == KP_DB_DONE ? KP_OK : store_fail(st, err, "cannot advance stream");
}

int
kp_txn_outbox_newest(struct kp_txn *txn, const char *partner,
    const struct kp_notice *n, char *soort, uint64_t *bronversie,
    struct kp_err *err)
{
	static const char sql[] = "SELECT mutatiesoort, bronversie FROM outbox "
	    "WHERE partner_oin = ? AND bsn = ? AND entiteittype = ? AND bron = ? "
	    "AND identificatie = ? ORDER BY id DESC LIMIT 1";
	struct kp_store *st = txn->st;
	struct kp_stmt *stmt;
	int rc;

	*soort = '\0';
	*bronversie = 0;
	if ((stmt = store_stmt_get(st, st->db, STMT_OUTBOX_LAST, sql)) == NULL)
		return store_fail(st, err, "cannot prepare outbox read");
	kp_db_bind_text(stmt, 1, partner);
	kp_db_bind_text(stmt, 2, n->bsn);
	kp_db_bind_text(stmt, 3, n->entiteittype);
	kp_db_bind_text(stmt, 4, n->bron);
	kp_db_bind_text(stmt, 5, n->identificatie);
	if ((rc = kp_db_step(stmt)) == KP_DB_ROW) {
		const char *t = kp_db_col_text(stmt, 0);

		*soort = t != NULL && t[0] != '\0' ? t[0] : '?';
		*bronversie = (uint64_t)kp_db_col_int(stmt, 1);
	}
	kp_db_reset(stmt);
	return rc == KP_DB_ROW || rc == KP_DB_DONE ? KP_OK :
	    store_fail(st, err, "cannot read outbox");
}

int
kp_txn_outbox_put(struct kp_txn *txn, const struct kp_outbox_new *r,
    uint64_t *volgnummer, struct kp_err *err)
{
	static const char put_sql[] = "INSERT INTO outbox (partner_oin, partitie, "
	    "volgnummer, mutatiesoort, entiteittype, bron, identificatie, "
	    "bronversie, bsn, fields, created_at, reden, basis, doel) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	const struct kp_notice *n = r->notice;
	char now[32], soort[2] = { r->mutatiesoort, '\0' };
	struct kp_store *st = txn->st;
	struct kp_stmt *stmt;
	int ret;

	kp_time_iso(kp_now_ms(), now);
	if ((ret = stream_out_take(st, r->partner_oin, r->partitie, volgnummer,
	    err)) != KP_OK)
		return ret;
	if ((stmt = store_stmt_get(st, st->db, STMT_OUTBOX_PUT, put_sql)) == NULL)
		return store_fail(st, err, "cannot prepare outbox insert");
	kp_db_bind_text(stmt, 1, r->partner_oin);
	kp_db_bind_int(stmt, 2, r->partitie);
	kp_db_bind_int(stmt, 3, (int64_t)*volgnummer);
	kp_db_bind_text(stmt, 4, soort);
	kp_db_bind_text(stmt, 5, n->entiteittype);
	kp_db_bind_text(stmt, 6, n->bron);
	kp_db_bind_text(stmt, 7, n->identificatie);
	kp_db_bind_int(stmt, 8, (int64_t)n->bronversie);
	kp_db_bind_text(stmt, 9, n->bsn);
	kp_db_bind_text(stmt, 10, r->mutatiesoort == 'V' ? "" : r->fields);
	kp_db_bind_text(stmt, 11, now);
	kp_db_bind_text(stmt, 12, r->intrekking ? "intrekking" : NULL);
	kp_db_bind_text(stmt, 13, r->mutatiesoort == 'V' ? NULL : r->basis);
	kp_db_bind_text(stmt, 14, r->mutatiesoort == 'V' ? NULL : r->doel);
	ret = kp_db_step(stmt) == KP_DB_DONE ? KP_OK :
	    store_fail(st, err, "cannot write outbox row");
	kp_db_reset(stmt);
	return ret;
}

/* The caller's callback for head_row, typed. */
struct each_head {
	int	(*fn)(void *, const struct kp_outbox_row *);
	void	*arg;
};

static int
head_row(struct kp_stmt *stmt, void *arg)
{
	struct each_head *e = arg;
	struct kp_outbox_row row;
	const char *t = kp_db_col_text(stmt, 4);

	memset(&row, 0, sizeof(row));
	row.id = kp_db_col_int(stmt, 0);
	snprintf(row.partner_oin, sizeof(row.partner_oin), "%s", kp_db_col_text(stmt, 1));
	row.partitie = (uint32_t)kp_db_col_int(stmt, 2);
	row.volgnummer = (uint64_t)kp_db_col_int(stmt, 3);
	row.mutatiesoort = t != NULL ? t[0] : 'T';
	snprintf(row.entiteittype, sizeof(row.entiteittype), "%s",
	    kp_db_col_text(stmt, 5));
	snprintf(row.bron, sizeof(row.bron), "%s", kp_db_col_text(stmt, 6));
	snprintf(row.identificatie, sizeof(row.identificatie), "%s",
	    kp_db_col_text(stmt, 7));
	row.bronversie = (uint64_t)kp_db_col_int(stmt, 8);
	snprintf(row.bsn, sizeof(row.bsn), "%s", kp_db_col_text(stmt, 9));
	row.fields = (char *)kp_db_col_text(stmt, 10);
	row.attempts = (int)kp_db_col_int(stmt, 11);
	row.intrekking = kp_db_col_text(stmt, 12) != NULL &&
	    strcmp(kp_db_col_text(stmt, 12), "intrekking") == 0;
	snprintf(row.basis, sizeof(row.basis), "%s",
	    kp_db_col_text(stmt, 13) != NULL ? kp_db_col_text(stmt, 13) : "");
	snprintf(row.doel, sizeof(row.doel), "%s",
	    kp_db_col_text(stmt, 14) != NULL ? kp_db_col_text(stmt, 14) : "");
	return e->fn(e->arg, &row);
}

int
kp_store_outbox_heads(struct kp_store *st, int64_t now_ms, int max,
    int (*fn)(void *arg, const struct kp_outbox_row *row), void *arg,
    struct kp_err *err)
{
	/*
	 * Stream by stream (CROSS JOIN fixes that order): its head is its
	 * lowest pending row when that is below its lowest parked one, each
	 * found with one index seek; so a poll costs the number of streams,
	 * not the size of the backlog.
	 */
	static const char sql[] = "SELECT o.id, o.partner_oin, o.partitie, "
	    "o.volgnummer, o.mutatiesoort, o.entiteittype, o.bron, "
	    "o.identificatie, o.bronversie, o.bsn, o.fields, o.attempts, "
	    "o.reden, o.basis, o.doel "
	    "FROM stream_out s CROSS JOIN outbox o "
	    "ON o.partner_oin = s.partner_oin AND o.partitie = s.partitie "
	    "AND o.volgnummer = (SELECT min(x.volgnummer) FROM outbox x WHERE "
	    "  x.state = 'pending' AND x.partner_oin = s.partner_oin AND "
	    "  x.partitie = s.partitie) "
	    "AND o.volgnummer < coalesce((SELECT min(x.volgnummer) FROM outbox x "
	    "  WHERE x.state = 'parked' AND x.partner_oin = s.partner_oin AND "
	    "  x.partitie = s.partitie), 9223372036854775807) "
	    "WHERE o.state = 'pending' AND o.next_attempt_ms <= ?1 "
	    "ORDER BY o.id LIMIT ?2";
	struct param p[] = { { NULL, now_ms, 0 }, { NULL, max, 0 } };
	struct each_head e = { fn, arg };

	return store_read_each(st, sql, "the outbox", p, 2, head_row, &e, err);
}


/* The rows of an acknowledged outbox row; inside the caller's savepoint. */
int
kp_txn_outbox_delivered(struct kp_txn *txn, const struct kp_delivery *d,
    struct kp_err *err)
{
	struct kp_store *st = txn->st;
	const struct kp_outbox_row *row = d->row;
	const struct kp_outbound_record *r = d->record;
	char sha[KP_SHA256_HEX_LEN + 1], now[32], record[160], velden[400];
	struct kp_audit a = {
		.direction = "out", .partner_oin = r->partner_oin,
		.message_id = r->message_id, .berichtcode = r->berichtcode,
		.entiteittype = r->entiteittype, .outcome = "delivered",
		.bytes_sha256 = sha, .bsn = row->bsn, .record = record,
		.basis = row->basis[0] ? row->basis : NULL,
		.doel = row->doel[0] ? row->doel : NULL,
		.detail = row->intrekking ? "intrekking" : NULL,
	};
	int64_t message_rowid;
	int ret;

	kp_audit_record(record, sizeof(record), row->entiteittype, row->bron,
	    row->identificatie, row->bronversie);
	if (row->mutatiesoort != 'V') {
		kp_field_names(row->fields, velden, sizeof(velden));
		a.velden = velden;
	}
	kp_sha256_hex(r->bytes, r->len, sha);
	kp_time_iso(kp_now_ms(), now);
	if ((ret = store_insert_outbound(st, r, "delivered", sha, &message_rowid,
	    err)) != KP_OK)
		return ret;
	if ((ret = store_exec_bound(st, "UPDATE outbox SET state = 'delivered', "
	    "delivered_at = ?1, last_error = NULL WHERE id = ?2", now, row->id,
	    0, err)) != KP_OK)
		return ret;
	a.message = message_rowid;
	return store_audit_locked(st, &a, err);
}

/* A delivery as a write of its own. */
struct delivered {
	struct kp_store_job	job;
	struct kp_delivery	d;
};

static int
apply_delivered(struct kp_txn *txn, struct kp_store_job *job,
    struct kp_err *err)
{
	return kp_txn_outbox_delivered(txn, &((struct delivered *)job)->d, err);
}

int
kp_store_outbox_delivered(struct kp_store *st, const struct kp_outbox_row *row,
    const struct kp_outbound_record *r, struct kp_err *err)
{
	struct delivered w = { .job = { .apply = apply_delivered },
	    .d = { row, r } };

	kp_store_submit_wait(st, &w.job);
	if (w.job.status != KP_OK)
		return kp_fail(err, KP_ERR_STORE, "%s: cannot mark outbox row "
		    "%lld delivered", st->path, (long long)row->id);
	return KP_OK;
}

/* The lease row's holder, as read in the claim's transaction. */
struct lease_row {
	char	node[64];
	int64_t	until_ms;
	int	found;
};

static int
lease_row(struct kp_stmt *stmt, void *arg)
{
	struct lease_row *l = arg;

	snprintf(l->node, sizeof(l->node), "%s", kp_db_col_text(stmt, 0));
	l->until_ms = kp_db_col_int(stmt, 1);
	l->found = 1;
	return 1;
}

int
kp_store_lease(struct kp_store *st, const char *partner_oin, uint32_t partitie,
    const char *node, int64_t now_ms, int64_t until_ms, int *held,
    int64_t *other_until, char *taken_from, size_t len, struct kp_err *err)
{
	const struct param key[] = {
		{ .text = partner_oin }, { .integer = partitie },
	};
	struct lease_row l = { .found = 0 };
	struct kp_stmt *stmt;
	int ret, rc;

	*held = 0;
	*other_until = 0;
	if (len > 0)
		taken_from[0] = '\0';
	pthread_mutex_lock(&st->lock);
	if ((ret = store_begin(st, err)) != KP_OK)
		goto out;
	if ((ret = store_read_rows(st->db, st->path, "SELECT node, until_ms "
	    "FROM stream_lease WHERE partner_oin = ? AND partitie = ?",
	    "stream lease", key, 2, lease_row, &l, err)) != KP_OK)
		goto fail;
	if (l.found && strcmp(l.node, node) != 0 && l.until_ms >= now_ms) {
		/* another node's, and it has not lapsed */
		*other_until = l.until_ms;
		ret = store_exec(st, "COMMIT", err);
		goto out;
	}
	if ((stmt = kp_db_prepare(st->db, "INSERT INTO stream_lease (partner_oin, "
	    "partitie, node, until_ms) VALUES (?, ?, ?, ?) ON CONFLICT "
	    "(partner_oin, partitie) DO UPDATE SET node = excluded.node, "
	    "until_ms = excluded.until_ms")) == NULL) {
		ret = store_fail(st, err, "cannot prepare the stream lease");
		goto fail;
	}
	kp_db_bind_text(stmt, 1, partner_oin);
	kp_db_bind_int(stmt, 2, partitie);
	kp_db_bind_text(stmt, 3, node);
	kp_db_bind_int(stmt, 4, until_ms);
	rc = kp_db_step(stmt);
	kp_db_finalize(stmt);
	if (rc != KP_DB_DONE) {
		ret = store_fail(st, err, "cannot write the stream lease");
		goto fail;
	}
	if ((ret = store_exec(st, "COMMIT", err)) != KP_OK)
		goto out;
	*held = 1;
	if (l.found && strcmp(l.node, node) != 0 && len > 0)
		snprintf(taken_from, len, "%s", l.node);
	goto out;
fail:
	store_exec(st, "ROLLBACK", NULL);
out:
	pthread_mutex_unlock(&st->lock);
	return ret;
}

int
kp_store_lease_release(struct kp_store *st, const char *node,
    struct kp_err *err)
{
	int ret;

	pthread_mutex_lock(&st->lock);
	ret = store_exec_bound(st, "DELETE FROM stream_lease WHERE node = ?1",
	    node, 0, 0, err);
	pthread_mutex_unlock(&st->lock);
	return ret;
}

int
kp_store_outbox_retry(struct kp_store *st, int64_t id, int64_t next_ms,
    const char *why, struct kp_err *err)
{
	int ret;

	pthread_mutex_lock(&st->lock);
	ret = store_exec_bound(st, "UPDATE outbox SET attempts = attempts + 1, "
	    "last_error = ?1, next_attempt_ms = ?3 WHERE id = ?2", why, id,
	    next_ms, err);
	pthread_mutex_unlock(&st->lock);
	return ret;
}

int
kp_store_outbox_park(struct kp_store *st, const struct kp_outbox_row *row,
    const char *code, uint64_t verwacht, const char *why, struct kp_err *err)
{
	struct kp_audit a = {
		.direction = "out", .partner_oin = row->partner_oin,
		.entiteittype = row->entiteittype, .outcome = "parked",
		.code = code, .detail = why,
	};
	int ret;

	pthread_mutex_lock(&st->lock);
	if ((ret = store_begin(st, err)) != KP_OK)
		goto out;
	if ((ret = store_exec_bound(st, "UPDATE outbox SET state = 'parked', "
	    "attempts = attempts + 1, last_error = ?1 WHERE id = ?2", why,
	    row->id, 0, err)) != KP_OK ||
	    (ret = store_exec_bound(st, "UPDATE outbox SET code = ?1, verwacht = "
	    "nullif(?3, 0) WHERE id = ?2", code, row->id, (int64_t)verwacht,
	    err)) != KP_OK ||
	    (ret = store_audit_locked(st, &a, err)) != KP_OK ||
	    (ret = store_exec(st, "COMMIT", err)) != KP_OK)
		store_exec(st, "ROLLBACK", NULL);
out:
	pthread_mutex_unlock(&st->lock);
	return ret;
}

int
kp_store_outbox_rewind(struct kp_store *st, const char *partner_oin,
    uint32_t partitie, uint64_t from, struct kp_err *err)
{
	int ret;

	pthread_mutex_lock(&st->lock);
	ret = store_exec_bound(st, "UPDATE outbox SET state = 'pending', "
	    "next_attempt_ms = 0 WHERE partner_oin = ?1 AND partitie = ?2 AND "
	    "volgnummer >= ?3 AND state != 'parked'", partner_oin, partitie,
	    (int64_t)from, err);
	pthread_mutex_unlock(&st->lock);
	return ret;
}

/* The caller's callback for queue_row, typed. */
struct each_queue {
	int	(*fn)(void *, const struct kp_queue_row *);
	void	*arg;
};

static int
queue_row(struct kp_stmt *stmt, void *arg)
{
	struct each_queue *e = arg;
	struct kp_queue_row r = {
		.id = kp_db_col_int(stmt, 0),
		.partner_oin = kp_db_col_text(stmt, 1),
		.partitie = kp_db_col_int(stmt, 2),
		.volgnummer = kp_db_col_int(stmt, 3),
		.mutatiesoort = kp_db_col_text(stmt, 4),
		.entiteittype = kp_db_col_text(stmt, 5),
		.bron = kp_db_col_text(stmt, 6),
		.identificatie = kp_db_col_text(stmt, 7),
		.bronversie = kp_db_col_int(stmt, 8),
		.state = kp_db_col_text(stmt, 9),
		.attempts = (int)kp_db_col_int(stmt, 10),
		.next_attempt_ms = kp_db_col_int(stmt, 11),
		.last_error = kp_db_col_text(stmt, 12),
		.created_at = kp_db_col_text(stmt, 13),
		.delivered_at = kp_db_col_text(stmt, 14),
		.fields = kp_db_col_text(stmt, 15),
	};

	return e->fn(e->arg, &r);
}

int
kp_store_outbox_list(struct kp_store *st, const char *partner_oin,
    const char *state, int64_t id,
    int (*fn)(void *arg, const struct kp_queue_row *row), void *arg,
    struct kp_err *err)
{
	static const char sql[] = "SELECT id, partner_oin, partitie, volgnummer, "
	    "mutatiesoort, entiteittype, bron, identificatie, bronversie, state, "
	    "attempts, next_attempt_ms, coalesce(last_error, ''), created_at, "
	    "coalesce(delivered_at, ''), fields FROM outbox "
	    "WHERE (CAST(?1 AS TEXT) IS NULL OR partner_oin = ?1) AND "
	    "(CAST(?2 AS TEXT) IS NULL OR state = ?2) "
	    "AND (?3 = 0 OR id = ?3) ORDER BY partner_oin, partitie, volgnummer";
	struct param p[] = { { partner_oin, 0, partner_oin == NULL },
	    { state, 0, state == NULL }, { NULL, id, 0 } };
	struct each_queue e = { fn, arg };

	return store_read_each(st, sql, "the outbox", p, 3, queue_row, &e, err);
}


/*
 * Move the undelivered rows of a stream from volgnummer from on by shift
 * (and the stream's next number with them), in two steps so that no two
 * rows share a number in between.
 */
static int
renumber(struct kp_store *st, const char *partner, int64_t partitie,
    int64_t from, int64_t shift, struct kp_err *err)
{
	char sql[256];
	int ret;

	snprintf(sql, sizeof(sql), "UPDATE outbox SET volgnummer = "
	    "-(volgnummer + %lld) WHERE partner_oin = ?1 AND partitie = ?2 AND "
	    "volgnummer >= ?3 AND state != 'delivered'", (long long)shift);
	if ((ret = store_exec_bound(st, sql, partner, partitie, from, err)) != KP_OK ||
	    (ret = store_exec_bound(st, "UPDATE outbox SET volgnummer = -volgnummer "
	    "WHERE partner_oin = ?1 AND partitie = ?2 AND volgnummer < 0",
	    partner, partitie, 0, err)) != KP_OK)
		return ret;
	snprintf(sql, sizeof(sql), "UPDATE stream_out SET next_volgnummer = "
	    "next_volgnummer + %lld WHERE partner_oin = ?1 AND partitie = ?2",
	    (long long)shift);
	return store_exec_bound(st, sql, partner, partitie, 0, err);
}

int
kp_store_outbox_operate(struct kp_store *st, int64_t id, int skip,
    const char *operator_note, char *msg, size_t msglen, struct kp_err *err)
{
	struct kp_audit a = { .direction = "out", .outcome = skip ? "skipped" :
	    "retried", .detail = msg };
	char partner[24] = "", now[32];
	int64_t partitie, volg, head, verwacht;
	int code031;
	struct kp_stmt *stmt;
	int ret;

	kp_time_iso(kp_now_ms(), now);
	pthread_mutex_lock(&st->lock);
	if ((ret = store_begin(st, err)) != KP_OK)
		goto out;
	if ((stmt = kp_db_prepare(st->db, "SELECT partner_oin, partitie, "
	    "volgnummer, state, code, coalesce(verwacht, 0) FROM outbox "
	    "WHERE id = ?")) == NULL) {
		ret = store_fail(st, err, "cannot read the outbox");
		goto rollback;
	}
	kp_db_bind_int(stmt, 1, id);
	if (kp_db_step(stmt) != KP_DB_ROW) {
		kp_db_finalize(stmt);
		ret = kp_fail(err, KP_ERR_NOTFOUND, "no outbox row %lld; see "
		    "ketenpoort queue list", (long long)id);
		goto rollback;
	}
	snprintf(partner, sizeof(partner), "%s", kp_db_col_text(stmt, 0));
	partitie = kp_db_col_int(stmt, 1);
	volg = kp_db_col_int(stmt, 2);
	verwacht = kp_db_col_int(stmt, 5);
	code031 = strcmp(kp_db_col_text(stmt, 3), "parked")
	    == 0 && kp_db_col_text(stmt, 4) != NULL &&
	    strcmp(kp_db_col_text(stmt, 4), "KP031") == 0 &&
	    verwacht > volg;
	if (strcmp(kp_db_col_text(stmt, 3), "delivered") == 0) {
		kp_db_finalize(stmt);
		ret = kp_fail(err, KP_ERR_USAGE, "row %lld was delivered; nothing "
		    "to do", (long long)id);
		goto rollback;
	}
	kp_db_finalize(stmt);
	a.partner_oin = partner;
	if (skip || code031) {
		/* Only the head of a stream moves the numbers after it. */
		head = store_query_int(st, "SELECT min(volgnummer) FROM outbox WHERE "
		    "partner_oin = ?2 AND partitie = ?1 AND state != 'delivered'",
		    partitie, partner);
		if (head != volg) {
			ret = kp_fail(err, KP_ERR_USAGE, "row %lld is not the first "
			    "undelivered notice of its stream (#%lld is); %s that "
			    "one first", (long long)id, (long long)head,
			    skip ? "skip" : "retry");
			goto rollback;
		}
	}
	if (!skip) {
		if (code031) {
			/*
			 * The partner applied other notices under volg ..
			 * verwacht - 1 (another sender on our numbers, or a
			 * store restored from an old backup): ours follow.
			 */
			snprintf(msg, msglen, "row %lld (stream %lld #%lld to %s) "
			    "renumbered to #%lld, the number the partner expects "
			    "(it applied other notices under #%lld..#%lld); the "
			    "notices after it move up %lld; sent again now%s%s",
			    (long long)id, (long long)partitie, (long long)volg,
			    partner, (long long)verwacht, (long long)volg,
			    (long long)verwacht - 1, (long long)(verwacht - volg),
			    operator_note ? ": " : "",
			    operator_note ? operator_note : "");
			if ((ret = renumber(st, partner, partitie, volg,
			    verwacht - volg, err)) != KP_OK)
				goto rollback;
		} else {
			snprintf(msg, msglen, "row %lld (stream %lld #%lld to %s) "
			    "will be sent again now%s%s", (long long)id,
			    (long long)partitie, (long long)volg, partner,
			    operator_note ? ": " : "",
			    operator_note ? operator_note : "");
		}
		if ((ret = store_exec_bound(st, "UPDATE outbox SET state = 'pending', "
		    "attempts = 0, next_attempt_ms = 0, code = NULL, verwacht = "
		    "NULL WHERE id = ?2", NULL, id, 0, err)) != KP_OK)
			goto rollback;
	} else {
		snprintf(msg, msglen, "row %lld (stream %lld #%lld to %s) skipped; "
		    "the notices after it move up one number%s%s", (long long)id,
		    (long long)partitie, (long long)volg, partner,
		    operator_note ? ": " : "", operator_note ? operator_note : "");
		if ((ret = store_exec_bound(st, "INSERT INTO outbox_skipped SELECT id, "
		    "partner_oin, partitie, volgnummer, mutatiesoort, entiteittype, "
		    "bron, identificatie, bronversie, bsn, fields, attempts, "
		    "last_error, created_at, ?1 FROM outbox WHERE id = ?2", now, id,
		    0, err)) != KP_OK ||
		    (ret = store_exec_bound(st, "DELETE FROM outbox WHERE id = ?2", NULL,
		    id, 0, err)) != KP_OK ||
		    (ret = renumber(st, partner, partitie, volg + 1, -1,
		    err)) != KP_OK)
			goto rollback;
	}
	if ((ret = store_audit_locked(st, &a, err)) != KP_OK ||
	    (ret = store_exec(st, "COMMIT", err)) != KP_OK)
		goto rollback;
	goto out;
rollback:
	store_exec(st, "ROLLBACK", NULL);
out:
	pthread_mutex_unlock(&st->lock);
	return ret;
}
