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

#include "auditlog.h"
#include "checkpoint.h"
#include "log.h"
#include "store.h"
#include "store_int.h"
#include "store_txn.h"
#include "util.h"

/* The newest entry of the chain: its seq and hash (0 and "" when none). */
static int
audit_head(struct kp_store *st, int64_t *seq, char hash[65],
    struct kp_err *err)
{
	static const char sql[] = "SELECT seq, hash FROM audit "
	    "ORDER BY seq DESC LIMIT 1";
	struct kp_stmt *stmt;
	int rc;

	*seq = 0;
	hash[0] = '\0';
	if ((stmt = store_stmt_get(st, st->db, STMT_AUDIT_HEAD, sql)) == NULL)
		return store_fail(st, err, "cannot prepare audit head");
	if ((rc = kp_db_step(stmt)) == KP_DB_ROW) {
		const char *h = kp_db_col_text(stmt, 1);

		*seq = kp_db_col_int(stmt, 0);
		snprintf(hash, 65, "%s", h != NULL ? h : "");
	}
	kp_db_reset(stmt);
	return rc == KP_DB_ROW || rc == KP_DB_DONE ? KP_OK :
	    store_fail(st, err, "cannot read audit head");
}

/*
 * Append a to the chain, inside the caller's transaction: the next seq,
 * the citizen as a pseudonym, hash over the previous entry's hash.
 */
int
kp_txn_audit(struct kp_txn *txn, const struct kp_audit *a, struct kp_err *err)
{
	return store_audit_locked(txn->st, a, err);
}

/*
 * The key process's recent answers, by BSN: a direct-mapped table of
 * PSEUDO_SLOTS.  The writer writes a notice's audit rows in its one
 * thread; asking the key process there for each citizen would make every
 * batch wait, one question after another, behind the signatures the
 * workers ask for.  The workers ask first (kp_store_pseudonym_warm, while
 * they check the message, all at once) and the writer finds the answer
 * here.  The table holds nothing the network process could not ask for
 * again, and only of citizens whose BSN it has seen in the messages.
 */
#define PSEUDO_SLOTS	1024

struct pseudo_slot {
	char	bsn[16];
	char	pseudonym[65];
};

static struct pseudo_slot *
pseudo_slot(struct kp_store *st, const char *bsn)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (const char *c = bsn; *c != '\0'; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	return &st->pseudo_cache[h % PSEUDO_SLOTS];
}

static int
pseudo_cached(struct kp_store *st, const char *bsn, char out[65])
{
	struct pseudo_slot *slot;
	int hit = 0;

	if (strlen(bsn) >= sizeof(slot->bsn))
		return 0;
	pthread_mutex_lock(&st->pseudo_lock);
	if (st->pseudo_cache != NULL) {
		slot = pseudo_slot(st, bsn);
		if ((hit = strcmp(slot->bsn, bsn) == 0))
			memcpy(out, slot->pseudonym, 65);
	}
	pthread_mutex_unlock(&st->pseudo_lock);
	return hit;
}

static void
pseudo_keep(struct kp_store *st, const char *bsn, const char pseudonym[65])
{
	struct pseudo_slot *slot;

	if (strlen(bsn) >= sizeof(slot->bsn))
		return;
	pthread_mutex_lock(&st->pseudo_lock);
	if (st->pseudo_cache == NULL)
		st->pseudo_cache = calloc(PSEUDO_SLOTS, sizeof(*slot));
	if (st->pseudo_cache != NULL) {
		slot = pseudo_slot(st, bsn);
		snprintf(slot->bsn, sizeof(slot->bsn), "%s", bsn);
		memcpy(slot->pseudonym, pseudonym, 65);
	}
	pthread_mutex_unlock(&st->pseudo_lock);
}

void
kp_store_pseudonym_warm(struct kp_store *st, const char *bsn)
{
	char out[65];
	struct kp_err err;

	if (st->pseudonym != NULL && bsn != NULL && bsn[0] != '\0')
		(void)kp_store_pseudonym(st, bsn, out, &err);
}

int
kp_store_pseudonym(struct kp_store *st, const char *bsn, char out[65],
    struct kp_err *err)
{
	if (st->pseudonym != NULL) {
		if (pseudo_cached(st, bsn, out))
			return KP_OK;
		if (st->pseudonym(st->pseudonym_arg, bsn, out) != 0)
			return kp_fail(err, KP_ERR_STORE, "%s: the key process "
			    "gives no pseudonym", st->path);
		out[64] = '\0';
		pseudo_keep(st, bsn, out);
	} else if (!st->have_audit_key)
		return kp_fail(err, KP_ERR_CONFIG, "%s: no audit key loaded",
		    st->path);
	else
		kp_audit_pseudonym(st->audit_key, bsn, out);
	return KP_OK;
}

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
	struct kp_stmt *stmt;
	int rc, ret;

	if (a->bsn != NULL && a->bsn[0] != '\0') {
		/* Never the BSN itself: without the key there is no entry. */
		struct kp_err perr;

		/* perr: kp_fail must not read the message it writes */
		if (kp_store_pseudonym(st, a->bsn, subject, &perr) != KP_OK)
			return kp_fail(err, KP_ERR_STORE, "%s; no audit entry "
			    "about a citizen can be written until then", perr.msg);
		e.subject = subject;
	} else if (a->subject != NULL)
		e.subject = a->subject;
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
	kp_db_bind_int(stmt, 1, e.seq);
	kp_db_bind_text(stmt, 2, e.at);
	kp_db_bind_text(stmt, 3, e.direction);
	kp_db_bind_text(stmt, 4, e.partner_oin);
	kp_db_bind_text(stmt, 5, e.message_id);
	kp_db_bind_text(stmt, 6, e.berichtcode);
	kp_db_bind_text(stmt, 7, e.entiteittype);
	kp_db_bind_text(stmt, 8, e.subject);
	kp_db_bind_text(stmt, 9, e.record);
	kp_db_bind_text(stmt, 10, e.velden);
	kp_db_bind_text(stmt, 11, e.basis);
	kp_db_bind_text(stmt, 12, e.doel);
	kp_db_bind_text(stmt, 13, e.outcome);
	kp_db_bind_text(stmt, 14, e.code);
	kp_db_bind_text(stmt, 15, e.bytes_sha256);
	if (e.message > 0)
		kp_db_bind_int(stmt, 16, e.message);
	else
		kp_db_bind_null(stmt, 16);
	kp_db_bind_text(stmt, 17, e.detail);
	kp_db_bind_text(stmt, 18, hash);
	rc = kp_db_step(stmt);
	kp_db_reset(stmt);
	if (rc != KP_DB_DONE)
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
	struct kp_stmt *stmt = NULL, *upd = NULL;
	char prev[65] = "", hash[65];
	int64_t from = 0;
	int rc, ret = KP_OK;

	if ((stmt = kp_db_prepare(st->db, "SELECT coalesce(max(seq), 0) FROM "
	    "audit WHERE hash IS NULL")) == NULL)
		return store_fail(st, err, "cannot read audit");
	rc = kp_db_step(stmt);
	from = rc == KP_DB_ROW ? kp_db_col_int(stmt, 0) : 0;
	kp_db_finalize(stmt);
	if (from == 0)
		return KP_OK;
	if (store_begin(st, err) != KP_OK)
		return KP_ERR_STORE;
	if ((stmt = kp_db_prepare(st->db, sql)) == NULL ||
	    (upd = kp_db_prepare(st->db, "UPDATE audit SET hash = ? WHERE seq = ?")) == NULL) {
		ret = store_fail(st, err, "cannot chain the audit entries");
		goto out;
	}
	kp_db_bind_int(stmt, 1, 0);
	while ((rc = kp_db_step(stmt)) == KP_DB_ROW) {
		struct kp_audit_entry e = {
			.seq = kp_db_col_int(stmt, 0),
			.at = kp_db_col_text(stmt, 1), .direction = kp_db_col_text(stmt, 2),
			.partner_oin = kp_db_col_text(stmt, 3),
			.message_id = kp_db_col_text(stmt, 4),
			.berichtcode = kp_db_col_text(stmt, 5),
			.entiteittype = kp_db_col_text(stmt, 6),
			.subject = kp_db_col_text(stmt, 7), .record = kp_db_col_text(stmt, 8),
			.velden = kp_db_col_text(stmt, 9),
			.basis = kp_db_col_text(stmt, 10), .doel = kp_db_col_text(stmt, 11),
			.outcome = kp_db_col_text(stmt, 12), .code = kp_db_col_text(stmt, 13),
			.bytes_sha256 = kp_db_col_text(stmt, 14),
			.message = kp_db_col_int(stmt, 15),
			.detail = kp_db_col_text(stmt, 16),
		};

		if (kp_audit_hash(st->hasher, prev, &e, hash) != 0) {
			ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
			goto out;
		}
		kp_db_bind_text(upd, 1, hash);
		kp_db_bind_int(upd, 2, e.seq);
		if (kp_db_step(upd) != KP_DB_DONE) {
			ret = store_fail(st, err, "cannot chain the audit entries");
			goto out;
		}
		kp_db_reset(upd);
		memcpy(prev, hash, sizeof(prev));
	}
	if (rc != KP_DB_DONE)
		ret = store_fail(st, err, "cannot chain the audit entries");
out:
	kp_db_finalize(stmt);
	kp_db_finalize(upd);
	if (ret == KP_OK && store_exec(st, "COMMIT", err) == KP_OK)
		return KP_OK;
	store_exec(st, "ROLLBACK", NULL);
	return KP_ERR_STORE;
}

void
kp_store_set_pseudonym(struct kp_store *st,
    int (*fn)(void *arg, const char *bsn, char out[65]), void *arg)
{
	pthread_mutex_lock(&st->pseudo_lock);
	st->pseudonym = fn;
	st->pseudonym_arg = arg;
	/* the answers kept were another asker's */
	free(st->pseudo_cache);
	st->pseudo_cache = NULL;
	pthread_mutex_unlock(&st->pseudo_lock);
}

void
kp_store_set_audit_key(struct kp_store *st,
    const unsigned char key[KP_AUDIT_KEY_LEN])
{
	memcpy(st->audit_key, key, KP_AUDIT_KEY_LEN);
	st->have_audit_key = 1;
}

/* The caller's callback for audit_row, typed. */
struct each_audit {
	int	(*fn)(void *, const struct kp_audit_entry *);
	void	*arg;
};

static int
audit_row(struct kp_stmt *stmt, void *arg)
{
	struct each_audit *e = arg;
	struct kp_audit_entry a = {
		.seq = kp_db_col_int(stmt, 0),
		.at = kp_db_col_text(stmt, 1), .direction = kp_db_col_text(stmt, 2),
		.partner_oin = kp_db_col_text(stmt, 3), .message_id = kp_db_col_text(stmt, 4),
		.berichtcode = kp_db_col_text(stmt, 5),
		.entiteittype = kp_db_col_text(stmt, 6), .subject = kp_db_col_text(stmt, 7),
		.record = kp_db_col_text(stmt, 8), .velden = kp_db_col_text(stmt, 9),
		.basis = kp_db_col_text(stmt, 10), .doel = kp_db_col_text(stmt, 11),
		.outcome = kp_db_col_text(stmt, 12), .code = kp_db_col_text(stmt, 13),
		.bytes_sha256 = kp_db_col_text(stmt, 14),
		.message = kp_db_col_int(stmt, 15),
		.detail = kp_db_col_text(stmt, 16), .hash = kp_db_col_text(stmt, 17),
	};

	return e->fn(e->arg, &a);
}

#define AUDIT_COLUMNS "seq, at, direction, partner_oin, message_id, " \
	"berichtcode, entiteittype, subject, record, velden, basis, doel, " \
	"outcome, code, bytes_sha256, message, detail, hash"

int
kp_store_each_audit(struct kp_store *st, const struct kp_audit_where *w,
    int (*fn)(void *arg, const struct kp_audit_entry *e), void *arg,
    struct kp_err *err)
{
	/* Each condition names its value ?N once or twice. */
	const struct {
		const char	*value;
		const char	*cond;
	} terms[] = {
		{ w != NULL ? w->subject : NULL, "subject = ?%d" },
		{ w != NULL ? w->message_id : NULL, "message_id = ?%d" },
		{ w != NULL ? w->partner_oin : NULL, "partner_oin = ?%d" },
		{ w != NULL ? w->direction : NULL, "direction = ?%d" },
		{ w != NULL ? w->outcome : NULL, "outcome = ?%d" },
		{ w != NULL ? w->kind : NULL,
		    "(berichtcode = ?%d OR entiteittype = ?%d)" },
		{ w != NULL ? w->at_from : NULL, "at >= ?%d" },
		{ w != NULL ? w->at_until : NULL, "at <= ?%d" },
	};
	struct param p[12];
	struct each_audit e = { fn, arg };
	char sql[1024], cond[64];
	size_t len;
	int n = 0;

	len = (size_t)snprintf(sql, sizeof(sql), "SELECT " AUDIT_COLUMNS
	    " FROM audit WHERE 1 = 1");
	for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
		if (terms[i].value == NULL)
			continue;
		p[n++] = (struct param){ .text = terms[i].value };
		snprintf(cond, sizeof(cond), terms[i].cond, n, n);
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, " AND %s",
		    cond);
	}
	if (w != NULL && w->seq_from > 0) {
		p[n++] = (struct param){ .integer = w->seq_from };
		len += (size_t)snprintf(sql + len, sizeof(sql) - len,
		    " AND seq >= ?%d", n);
	}
	if (w != NULL && w->seq_before > 0) {
		p[n++] = (struct param){ .integer = w->seq_before };
		len += (size_t)snprintf(sql + len, sizeof(sql) - len,
		    " AND seq < ?%d", n);
	}
	len += (size_t)snprintf(sql + len, sizeof(sql) - len, " ORDER BY seq%s",
	    w != NULL && w->newest_first ? " DESC" : "");
	if (w != NULL && w->limit > 0) {
		p[n++] = (struct param){ .integer = w->limit };
		snprintf(sql + len, sizeof(sql) - len, " LIMIT ?%d", n);
	}
	return store_read_each(st, sql, "the audit log", p, n, audit_row, &e,
	    err);
}

/* The hash as the chain stores it: 64 lowercase hex digits. */
static int
hash_wellformed(const char *h)
{
	size_t i;

	if (h == NULL)
		return 0;
	for (i = 0; h[i] != '\0'; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return 0;
	return i == 64;
}

static int
resume_row(struct kp_stmt *stmt, void *arg)
{
	int64_t *from = arg;

	if (!hash_wellformed(kp_db_col_text(stmt, 1)))
		return 0;
	*from = kp_db_col_int(stmt, 0);
	return 1;
}

int
kp_store_audit_resume(struct kp_store *st, int64_t first, int64_t *from,
    struct kp_err *err)
{
	static const char sql[] = "SELECT seq, hash FROM audit WHERE seq < ?1 "
	    "ORDER BY seq DESC";
	struct param p[] = { { .integer = first } };

	*from = 0;
	return store_read_each(st, sql, "the audit log", p, 1, resume_row, from,
	    err);
}

int
kp_store_each_audit_range(struct kp_store *st, int64_t first, int64_t last,
    int (*fn)(void *arg, const struct kp_audit_entry *e), void *arg,
    struct kp_err *err)
{
	static const char sql[] = "SELECT " AUDIT_COLUMNS " FROM audit WHERE "
	    "seq BETWEEN ?1 AND ?2 ORDER BY seq";
	struct param p[2] = { { .integer = first }, { .integer = last } };
	struct each_audit e = { fn, arg };
	struct kp_db *db;
	int ret;

	/* This thread's alone: no shared lock. */
	if ((ret = st->ops->open(st->where, KP_DB_READ, &db, err)) != KP_OK)
		return ret;
	ret = store_read_rows(db, st->path, sql, "the audit log", p, 2, audit_row, &e,
	    err);
	st->ops->close(db);
	return ret;
}

static int
bounds_row(struct kp_stmt *stmt, void *arg)
{
	int64_t *b = arg;

	b[0] = kp_db_col_int(stmt, 0);
	b[1] = kp_db_col_int(stmt, 1);
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
	struct kp_stmt *stmt = NULL;
	int ret;

	snprintf(detail, sizeof(detail), "signed the chain head: entry %lld, "
	    "hash %s", (long long)c->seq, c->hash);
	a.detail = detail;
	pthread_mutex_lock(&st->lock);
	if ((ret = store_begin(st, err)) != KP_OK)
		goto out;
	if ((stmt = kp_db_prepare(st->db, sql)) == NULL) {
		ret = store_fail(st, err, "cannot prepare checkpoint");
		goto fail;
	}
	kp_db_bind_int(stmt, 1, c->seq);
	kp_db_bind_text(stmt, 2, c->hash);
	kp_db_bind_text(stmt, 3, c->at);
	kp_db_bind_text(stmt, 4, c->signature);
	kp_db_bind_text(stmt, 5, c->cert);
	if (kp_db_step(stmt) != KP_DB_DONE) {
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
	kp_db_finalize(stmt);
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
	struct kp_stmt *stmt;
	char now[32];
	int ret;

	kp_time_iso(kp_now_ms(), now);
	pthread_mutex_lock(&st->lock);
	if ((stmt = kp_db_prepare(st->db, "INSERT INTO checkpoint_sent "
	    "(checkpoint, partner_oin, at) VALUES (?, ?, ?) ON CONFLICT DO "
	    "NOTHING")) == NULL) {
		ret = store_fail(st, err, "cannot prepare checkpoint_sent");
	} else {
		kp_db_bind_int(stmt, 1, id);
		kp_db_bind_text(stmt, 2, partner_oin);
		kp_db_bind_text(stmt, 3, now);
		ret = kp_db_step(stmt) == KP_DB_DONE ? KP_OK :
		    store_fail(st, err, "cannot mark the checkpoint sent");
		kp_db_finalize(stmt);
	}
	pthread_mutex_unlock(&st->lock);
	return ret;
}

/* The caller's callback for checkpoint_row, typed. */
struct each_checkpoint {
	int	(*fn)(void *, const struct kp_checkpoint *);
	void	*arg;
};

static int
checkpoint_row(struct kp_stmt *stmt, void *arg)
{
	struct each_checkpoint *e = arg;
	struct kp_checkpoint c = {
		.id = kp_db_col_int(stmt, 0),
		.seq = kp_db_col_int(stmt, 1),
		.hash = kp_db_col_text(stmt, 2), .at = kp_db_col_text(stmt, 3),
		.signature = kp_db_col_text(stmt, 4), .cert = kp_db_col_text(stmt, 5),
		.partner_oin = kp_db_col_text(stmt, 6),
	};

	return e->fn(e->arg, &c);
}

int
kp_store_newest_checkpoint(struct kp_store *st,
    int (*fn)(void *arg, const struct kp_checkpoint *c), void *arg,
    struct kp_err *err)
{
	static const char sql[] = "SELECT id, seq, hash, at, signature, cert, "
	    "NULL FROM checkpoint ORDER BY id DESC LIMIT 1";
	struct each_checkpoint e = { fn, arg };

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
	struct each_checkpoint e = { fn, arg };

	return store_read_each(st, witnessed_from != NULL ? witnessed_sql : own_sql,
	    "checkpoints", p, witnessed_from != NULL ? 1 : 0, checkpoint_row, &e,
	    err);
}
