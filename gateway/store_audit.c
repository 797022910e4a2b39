/*
 * store_audit — the store's audit room: the hash chain (PROTOCOL.md 6;
 * auditlog.h makes the canonical form and the hash), entries written
 * inside the caller's transaction, the chain made for a store of an older
 * schema, the entries read back for verify, query and inzage, and our
 * signed checkpoints and those partners sent us to witness.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "auditlog.h"
#include "checkpoint.h"
#include "log.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

/* The newest entry of the chain: its seq and hash (0 and "" when none). */
static int
audit_head(struct kp_store *st, int64_t *seq, char hash[65],
    struct kp_err *err)
{
	static const char sql[] = "SELECT seq, hash FROM audit "
	    "ORDER BY seq DESC LIMIT 1";
	sqlite3_stmt *stmt;
	int rc;

	*seq = 0;
	hash[0] = '\0';
	if ((stmt = store_stmt_get(st, st->db, STMT_AUDIT_HEAD, sql)) == NULL)
		return store_fail(st, err, "cannot prepare audit head");
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(stmt, 1);

		*seq = sqlite3_column_int64(stmt, 0);
		snprintf(hash, 65, "%s", h != NULL ? h : "");
	}
	store_stmt_done(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? KP_OK :
	    store_fail(st, err, "cannot read audit head");
}

/*
 * Append a to the chain, inside the caller's transaction: the next seq,
 * the citizen as a pseudonym, hash over the previous entry's hash.
 */
int
store_audit_locked(struct kp_store *st, const struct kp_audit *a, struct kp_err *err)
{
	static const char sql[] = "INSERT INTO audit (seq, at, direction, "
	    "partner_oin, message_id, berichtcode, entiteittype, subject, record, "
	    "velden, basis, doel, outcome, code, bytes_sha256, message, detail, "
	    "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct kp_audit_entry e = {
		.direction = a->direction, .partner_oin = a->partner_oin,
		.message_id = a->message_id, .berichtcode = a->berichtcode,
		.entiteittype = a->entiteittype, .record = a->record,
		.velden = a->velden, .basis = a->basis, .doel = a->doel, .outcome = a->outcome,
		.code = a->code, .bytes_sha256 = a->bytes_sha256,
		.message = a->message, .detail = a->detail,
	};
	char now[32], prev[65], hash[65], subject[65];
	sqlite3_stmt *stmt;
	int rc, ret;

	if (a->bsn != NULL && a->bsn[0] != '\0') {
		/* Never the BSN itself: without the key there is no entry. */
		if (!st->have_audit_key)
			return kp_fail(err, KP_ERR_STORE, "%s: no audit key loaded; "
			    "cannot write an audit entry about a citizen", st->path);
		kp_audit_pseudonym(st->audit_key, a->bsn, subject);
		e.subject = subject;
	}
	if ((ret = audit_head(st, &e.seq, prev, err)) != KP_OK)
		return ret;
	e.seq++;
	kp_time_iso(kp_now_ms(), now);
	e.at = now;
	if (kp_audit_hash(st->hasher, prev, &e, hash) != 0)
		return kp_fail(err, KP_ERR_STORE, "%s: audit entry %lld follows a "
		    "damaged entry (run ketenpoort audit verify)", st->path,
		    (long long)e.seq);
	if ((stmt = store_stmt_get(st, st->db, STMT_AUDIT, sql)) == NULL)
		return store_fail(st, err, "cannot prepare audit");
	sqlite3_bind_int64(stmt, 1, e.seq);
	store_bind_text(stmt, 2, e.at);
	store_bind_text(stmt, 3, e.direction);
	store_bind_text(stmt, 4, e.partner_oin);
	store_bind_text(stmt, 5, e.message_id);
	store_bind_text(stmt, 6, e.berichtcode);
	store_bind_text(stmt, 7, e.entiteittype);
	store_bind_text(stmt, 8, e.subject);
	store_bind_text(stmt, 9, e.record);
	store_bind_text(stmt, 10, e.velden);
	store_bind_text(stmt, 11, e.basis);
	store_bind_text(stmt, 12, e.doel);
	store_bind_text(stmt, 13, e.outcome);
	store_bind_text(stmt, 14, e.code);
	store_bind_text(stmt, 15, e.bytes_sha256);
	if (e.message > 0)
		sqlite3_bind_int64(stmt, 16, e.message);
	else
		sqlite3_bind_null(stmt, 16);
	store_bind_text(stmt, 17, e.detail);
	store_bind_text(stmt, 18, hash);
	rc = sqlite3_step(stmt);
	store_stmt_done(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "cannot write audit row");
	return KP_OK;
}

/*
 * Entries written before the chain existed (schema 5 and older) get their
 * hashes once, in order, when the store is opened.
 */
int
store_chain_unchained(struct kp_store *st, struct kp_err *err)
{
	static const char sql[] = "SELECT seq, at, direction, partner_oin, "
	    "message_id, berichtcode, entiteittype, subject, record, velden, "
	    "basis, doel, outcome, code, bytes_sha256, message, detail FROM audit "
	    "WHERE seq > ? ORDER BY seq";
	sqlite3_stmt *stmt = NULL, *upd = NULL;
	char prev[65] = "", hash[65];
	int64_t from = 0;
	int rc, ret = KP_OK;

	if (sqlite3_prepare_v2(st->db, "SELECT coalesce(max(seq), 0) FROM audit "
	    "WHERE hash IS NULL", -1, &stmt, NULL) != SQLITE_OK)
		return store_fail(st, err, "cannot read audit");
	rc = sqlite3_step(stmt);
	from = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_finalize(stmt);
	if (from == 0)
		return KP_OK;
	if (store_exec(st, "BEGIN IMMEDIATE", err) != KP_OK)
		return KP_ERR_STORE;
	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "UPDATE audit SET hash = ? WHERE seq = ?",
	    -1, &upd, NULL) != SQLITE_OK) {
		ret = store_fail(st, err, "cannot chain the audit entries");
		goto out;
	}
	sqlite3_bind_int64(stmt, 1, 0);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct kp_audit_entry e = {
			.seq = sqlite3_column_int64(stmt, 0),
			.at = COL_TEXT(stmt, 1), .direction = COL_TEXT(stmt, 2),
			.partner_oin = COL_TEXT(stmt, 3),
			.message_id = COL_TEXT(stmt, 4),
			.berichtcode = COL_TEXT(stmt, 5),
			.entiteittype = COL_TEXT(stmt, 6),
			.subject = COL_TEXT(stmt, 7), .record = COL_TEXT(stmt, 8),
			.velden = COL_TEXT(stmt, 9),
			.basis = COL_TEXT(stmt, 10), .doel = COL_TEXT(stmt, 11),
			.outcome = COL_TEXT(stmt, 12), .code = COL_TEXT(stmt, 13),
			.bytes_sha256 = COL_TEXT(stmt, 14),
			.message = sqlite3_column_int64(stmt, 15),
			.detail = COL_TEXT(stmt, 16),
		};

		if (kp_audit_hash(st->hasher, prev, &e, hash) != 0) {
			ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
			goto out;
		}
		sqlite3_bind_text(upd, 1, hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(upd, 2, e.seq);
		if (sqlite3_step(upd) != SQLITE_DONE) {
			ret = store_fail(st, err, "cannot chain the audit entries");
			goto out;
		}
		sqlite3_reset(upd);
		memcpy(prev, hash, sizeof(prev));
	}
	if (rc != SQLITE_DONE)
		ret = store_fail(st, err, "cannot chain the audit entries");
out:
	sqlite3_finalize(stmt);
	sqlite3_finalize(upd);
	if (ret == KP_OK && store_exec(st, "COMMIT", err) == KP_OK)
		return KP_OK;
	store_exec(st, "ROLLBACK", NULL);
	return KP_ERR_STORE;
}

void
kp_store_set_audit_key(struct kp_store *st,
    const unsigned char key[KP_AUDIT_KEY_LEN])
{
	memcpy(st->audit_key, key, KP_AUDIT_KEY_LEN);
	st->have_audit_key = 1;
}

static int
audit_row(sqlite3_stmt *stmt, void *arg)
{
	struct each *e = arg;
	int (*fn)(void *, const struct kp_audit_entry *) =
	    (int (*)(void *, const struct kp_audit_entry *))e->fn;
	struct kp_audit_entry a = {
		.seq = sqlite3_column_int64(stmt, 0),
		.at = COL_TEXT(stmt, 1), .direction = COL_TEXT(stmt, 2),
		.partner_oin = COL_TEXT(stmt, 3), .message_id = COL_TEXT(stmt, 4),
		.berichtcode = COL_TEXT(stmt, 5),
		.entiteittype = COL_TEXT(stmt, 6), .subject = COL_TEXT(stmt, 7),
		.record = COL_TEXT(stmt, 8), .velden = COL_TEXT(stmt, 9),
		.basis = COL_TEXT(stmt, 10), .doel = COL_TEXT(stmt, 11),
		.outcome = COL_TEXT(stmt, 12), .code = COL_TEXT(stmt, 13),
		.bytes_sha256 = COL_TEXT(stmt, 14),
		.message = sqlite3_column_int64(stmt, 15),
		.detail = COL_TEXT(stmt, 16), .hash = COL_TEXT(stmt, 17),
	};

	return fn(e->arg, &a);
}

#define AUDIT_COLUMNS "seq, at, direction, partner_oin, message_id, " \
	"berichtcode, entiteittype, subject, record, velden, basis, doel, " \
	"outcome, code, bytes_sha256, message, detail, hash"

int
kp_store_each_audit(struct kp_store *st, const char *where,
    const char *const *params, int nparams,
    int (*fn)(void *arg, const struct kp_audit_entry *e), void *arg,
    struct kp_err *err)
{
	struct param p[16];
	struct each e = { (void (*)(void))fn, arg };
	char *sql;
	int ret;

	if (nparams > 16)
		return kp_fail(err, KP_ERR_USAGE, "too many audit filters");
	for (int i = 0; i < nparams; i++) {
		p[i].text = params[i];
		p[i].integer = 0;
		p[i].is_null = params[i] == NULL;
	}
	if (asprintf(&sql, "SELECT " AUDIT_COLUMNS " FROM audit %s%s ORDER BY "
	    "seq", where != NULL ? "WHERE " : "", where != NULL ? where : "") == -1)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	ret = store_read_each(st, sql, "the audit log", p, nparams, audit_row, &e, err);
	free(sql);
	return ret;
}

int
kp_store_each_audit_range(struct kp_store *st, int64_t first, int64_t last,
    int (*fn)(void *arg, const struct kp_audit_entry *e), void *arg,
    struct kp_err *err)
{
	static const char sql[] = "SELECT " AUDIT_COLUMNS " FROM audit WHERE "
	    "seq BETWEEN ?1 AND ?2 ORDER BY seq";
	struct param p[2] = { { .integer = first }, { .integer = last } };
	struct each e = { (void (*)(void))fn, arg };
	sqlite3 *db;
	int ret;

	/* This thread's alone: no shared lock, no per-call mutex. */
	if (sqlite3_open_v2(st->path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		ret = kp_fail(err, KP_ERR_STORE, "%s: cannot open for reading: "
		    "%s", st->path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return ret;
	}
	sqlite3_busy_timeout(db, 10000);
	ret = store_read_rows(db, st->path, sql, "the audit log", p, 2, audit_row, &e,
	    err);
	sqlite3_close(db);
	return ret;
}

static int
bounds_row(sqlite3_stmt *stmt, void *arg)
{
	int64_t *b = arg;

	b[0] = sqlite3_column_int64(stmt, 0);
	b[1] = sqlite3_column_int64(stmt, 1);
	return 1;
}

int
kp_store_audit_bounds(struct kp_store *st, int64_t *first, int64_t *last,
    struct kp_err *err)
{
	int64_t b[2] = { 0, 0 };
	int ret;

	/*
	 * Both ends of the rowid, each its own subquery: no scan (count(*),
	 * or min and max in one select, would read every page).
	 */
	ret = store_read_each(st, "SELECT coalesce((SELECT min(seq) FROM audit), 0), "
	    "coalesce((SELECT max(seq) FROM audit), 0)", "the audit log", NULL,
	    0, bounds_row, b, err);
	*first = b[0];
	*last = b[1];
	return ret;
}

int
kp_store_audit_head(struct kp_store *st, int64_t *seq, char hash[65],
    struct kp_err *err)
{
	int ret;

	pthread_mutex_lock(&st->lock);
	ret = audit_head(st, seq, hash, err);
	pthread_mutex_unlock(&st->lock);
	return ret;
}

int
kp_store_checkpoint_add(struct kp_store *st, const struct kp_checkpoint *c,
    struct kp_err *err)
{
	static const char sql[] = "INSERT INTO checkpoint (seq, hash, at, "
	    "signature, cert) VALUES (?, ?, ?, ?, ?)";
	struct kp_audit a = { .direction = "local", .outcome = "checkpoint" };
	char detail[200];
	sqlite3_stmt *stmt = NULL;
	int ret;

	snprintf(detail, sizeof(detail), "signed the chain head: entry %lld, "
	    "hash %s", (long long)c->seq, c->hash);
	a.detail = detail;
	pthread_mutex_lock(&st->lock);
	if ((ret = store_exec(st, "BEGIN IMMEDIATE", err)) != KP_OK)
		goto out;
	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		ret = store_fail(st, err, "cannot prepare checkpoint");
		goto fail;
	}
	sqlite3_bind_int64(stmt, 1, c->seq);
	store_bind_text(stmt, 2, c->hash);
	store_bind_text(stmt, 3, c->at);
	store_bind_text(stmt, 4, c->signature);
	store_bind_text(stmt, 5, c->cert);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		ret = store_fail(st, err, "cannot store checkpoint");
		goto fail;
	}
	if ((ret = store_audit_locked(st, &a, err)) != KP_OK ||
	    (ret = store_exec(st, "COMMIT", err)) != KP_OK)
		goto fail;
	goto out;
fail:
	store_exec(st, "ROLLBACK", NULL);
out:
	sqlite3_finalize(stmt);
	pthread_mutex_unlock(&st->lock);
	return ret;
}

int
kp_store_checkpoint_was_sent(struct kp_store *st, int64_t id,
    const char *partner_oin, int *sent, struct kp_err *err)
{
	int64_t n;

	pthread_mutex_lock(&st->lock);
	n = store_query_int(st, "SELECT count(*) FROM checkpoint_sent WHERE "
	    "checkpoint = ?1 AND partner_oin = ?2", id, partner_oin);
	pthread_mutex_unlock(&st->lock);
	if (n < 0)
		return kp_fail(err, KP_ERR_STORE, "%s: cannot read "
		    "checkpoint_sent", st->path);
	*sent = n > 0;
	return KP_OK;
}

int
kp_store_checkpoint_mark_sent(struct kp_store *st, int64_t id,
    const char *partner_oin, struct kp_err *err)
{
	int ret;

	pthread_mutex_lock(&st->lock);
	ret = store_exec_bound(st, "INSERT INTO checkpoint_sent (checkpoint, "
	    "partner_oin, at) VALUES (?3, ?1, strftime('%Y-%m-%dT%H:%M:%fZ')) "
	    "ON CONFLICT DO NOTHING", partner_oin, 0, id, err);
	pthread_mutex_unlock(&st->lock);
	return ret;
}

static int
checkpoint_row(sqlite3_stmt *stmt, void *arg)
{
	struct each *e = arg;
	int (*fn)(void *, const struct kp_checkpoint *) =
	    (int (*)(void *, const struct kp_checkpoint *))e->fn;
	struct kp_checkpoint c = {
		.id = sqlite3_column_int64(stmt, 0),
		.seq = sqlite3_column_int64(stmt, 1),
		.hash = COL_TEXT(stmt, 2), .at = COL_TEXT(stmt, 3),
		.signature = COL_TEXT(stmt, 4), .cert = COL_TEXT(stmt, 5),
		.partner_oin = COL_TEXT(stmt, 6),
	};

	return fn(e->arg, &c);
}

int
kp_store_newest_checkpoint(struct kp_store *st,
    int (*fn)(void *arg, const struct kp_checkpoint *c), void *arg,
    struct kp_err *err)
{
	static const char sql[] = "SELECT id, seq, hash, at, signature, cert, "
	    "NULL FROM checkpoint ORDER BY id DESC LIMIT 1";
	struct each e = { (void (*)(void))fn, arg };

	return store_read_each(st, sql, "checkpoints", NULL, 0, checkpoint_row, &e,
	    err);
}

int
kp_store_each_checkpoint(struct kp_store *st, const char *witnessed_from,
    int (*fn)(void *arg, const struct kp_checkpoint *c), void *arg,
    struct kp_err *err)
{
	static const char own_sql[] = "SELECT id, seq, hash, at, signature, "
	    "cert, NULL FROM checkpoint ORDER BY id";
	static const char witnessed_sql[] = "SELECT id, seq, hash, at, "
	    "signature, cert, partner_oin FROM witnessed WHERE partner_oin = ? "
	    "ORDER BY seq";
	struct param p[] = { { witnessed_from, 0, 0 } };
	struct each e = { (void (*)(void))fn, arg };

	return store_read_each(st, witnessed_from != NULL ? witnessed_sql : own_sql,
	    "checkpoints", p, witnessed_from != NULL ? 1 : 0, checkpoint_row, &e,
	    err);
}
