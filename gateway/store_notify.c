/*
 * store_notify — subscriptions, notifications and references
 * (store_notify.h).
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "store_notify.h"
#include "store_txn.h"
#include "util.h"

/* One text column of the first row into out (len), "" when none. */
struct one_text {
	char	*out;
	size_t	 len;
};

static int
one_text_row(struct kp_stmt *stmt, void *arg)
{
	struct one_text *o = arg;
	const char *t = kp_db_col_text(stmt, 0);

	snprintf(o->out, o->len, "%s", t != NULL ? t : "");
	return 1;
}

/*
 * The reference in table for the key (one text, or three), made when
 * there is none; on the writer's connection, inside its transaction.
 */
static int
ref_get_or_make(struct kp_store *st, enum stmt_slot slot, const char *get_sql,
    const char *put_sql, const char *const *key, int nkey,
    char ref[KP_REF_LEN], struct kp_err *err)
{
	struct kp_stmt *stmt;
	char uuid[40];
	int rc;

	if ((stmt = store_stmt_get(st, st->db, slot, get_sql)) == NULL)
		return store_fail(st, err, "cannot prepare reference read");
	for (int i = 0; i < nkey; i++)
		kp_db_bind_text(stmt, i + 1, key[i]);
	ref[0] = '\0';
	if ((rc = kp_db_step(stmt)) == KP_DB_ROW) {
		const char *t = kp_db_col_text(stmt, 0);

		snprintf(ref, KP_REF_LEN, "%s", t != NULL ? t : "");
	}
	kp_db_reset(stmt);
	if (rc != KP_DB_ROW && rc != KP_DB_DONE)
		return store_fail(st, err, "cannot read reference");
	if (ref[0] != '\0')
		return KP_OK;
	kp_new_uuid(uuid);
	if ((stmt = kp_db_prepare(st->db, put_sql)) == NULL)
		return store_fail(st, err, "cannot prepare reference insert");
	for (int i = 0; i < nkey; i++)
		kp_db_bind_text(stmt, i + 1, key[i]);
	kp_db_bind_text(stmt, nkey + 1, uuid);
	rc = kp_db_step(stmt);
	kp_db_finalize(stmt);
	if (rc != KP_DB_DONE)
		return store_fail(st, err, "cannot write reference");
	snprintf(ref, KP_REF_LEN, "%.36s", uuid);
	return KP_OK;
}

int
kp_txn_dossier_ref(struct kp_txn *txn, const char *bsn, char ref[KP_REF_LEN],
    struct kp_err *err)
{
	const char *key[] = { bsn };

	return ref_get_or_make(txn->st, STMT_DOSSIER_REF,
	    "SELECT ref FROM dossier_ref WHERE bsn = ?",
	    "INSERT INTO dossier_ref (bsn, ref) VALUES (?, ?)", key, 1, ref,
	    err);
}

int
kp_txn_record_ref(struct kp_txn *txn, const char *entiteittype,
    const char *bron, const char *identificatie, char ref[KP_REF_LEN],
    struct kp_err *err)
{
	const char *key[] = { entiteittype, bron, identificatie };

	return ref_get_or_make(txn->st, STMT_RECORD_REF,
	    "SELECT ref FROM record_ref WHERE entiteittype = ? AND bron = ? "
	    "AND identificatie = ?",
	    "INSERT INTO record_ref (entiteittype, bron, identificatie, ref) "
	    "VALUES (?, ?, ?, ?)", key, 3, ref, err);
}

int
kp_txn_subscriptions_version(struct kp_txn *txn, int64_t *version,
    struct kp_err *err)
{
	static const char sql[] = "SELECT count(*), coalesce(max(id), 0) "
	    "FROM subscription";
	struct kp_store *st = txn->st;
	struct kp_stmt *stmt;
	int rc;

	*version = 0;
	if ((stmt = store_stmt_get(st, st->db, STMT_SUB_VERSION, sql)) == NULL)
		return store_fail(st, err, "cannot prepare subscription count");
	if ((rc = kp_db_step(stmt)) == KP_DB_ROW &&
	    kp_db_col_int(stmt, 0) > 0)
		/* ids are never reused: an addition raises the highest,
		 * a removal lowers the count; no pair comes back */
		*version = (kp_db_col_int(stmt, 0) << 40) ^ kp_db_col_int(stmt, 1);
	kp_db_reset(stmt);
	return rc == KP_DB_ROW ? KP_OK :
	    store_fail(st, err, "cannot count subscriptions");
}

struct each_sub_txn {
	int	(*fn)(void *, int64_t, const char *);
	void	*arg;
};

static int
sub_txn_row(struct kp_stmt *stmt, void *arg)
{
	struct each_sub_txn *e = arg;

	return e->fn(e->arg, kp_db_col_int(stmt, 0), kp_db_col_text(stmt, 1));
}

int
kp_txn_subscriptions_each(struct kp_txn *txn,
    int (*fn)(void *arg, int64_t id, const char *abonnement), void *arg,
    struct kp_err *err)
{
	struct each_sub_txn e = { fn, arg };

	return store_read_rows(txn->st->db, txn->st->path, "SELECT id, "
	    "abonnement FROM subscription ORDER BY id", "cannot read "
	    "subscriptions", NULL, 0, sub_txn_row, &e, err);
}

int
kp_txn_notification_put(struct kp_txn *txn, int64_t subscription,
    const char *dossier, const char *kanaal, const char *body,
    struct kp_err *err)
{
	static const char sql[] = "INSERT INTO notification (uuid, "
	    "subscription, dossier, kanaal, body, created_ms) "
	    "VALUES (?, ?, ?, ?, ?, ?)";
	struct kp_store *st = txn->st;
	struct kp_stmt *stmt;
	char uuid[40];
	int rc;

	kp_new_uuid(uuid);
	if ((stmt = store_stmt_get(st, st->db, STMT_NOTIFY_PUT, sql)) == NULL)
		return store_fail(st, err, "cannot prepare notification insert");
	kp_db_bind_text(stmt, 1, uuid);
	kp_db_bind_int(stmt, 2, subscription);
	kp_db_bind_text(stmt, 3, dossier);
	kp_db_bind_text(stmt, 4, kanaal);
	kp_db_bind_text(stmt, 5, body);
	kp_db_bind_int(stmt, 6, kp_now_ms());
	rc = kp_db_step(stmt);
	kp_db_reset(stmt);
	return rc == KP_DB_DONE ? KP_OK :
	    store_fail(st, err, "cannot write notification");
}

/* Run sql on the writer's connection with params; under st->lock. */
static int
write_bound(struct kp_store *st, const char *sql, const struct param *p,
    int np, const char *what, struct kp_err *err)
{
	struct kp_stmt *stmt;
	int rc;

	if ((stmt = kp_db_prepare(st->db, sql)) == NULL)
		return store_fail(st, err, what);
	store_bind(stmt, p, np);
	rc = kp_db_step(stmt);
	kp_db_finalize(stmt);
	return rc == KP_DB_DONE ? KP_OK : store_fail(st, err, what);
}

static int
id_row(struct kp_stmt *stmt, void *arg)
{
	*(int64_t *)arg = kp_db_col_int(stmt, 0);
	return 1;
}

/* A subscription's row id by uuid or name (col), 0 when none; locked. */
static int
sub_id(struct kp_store *st, const char *col, const char *value, int64_t *id,
    struct kp_err *err)
{
	char sql[80];

	*id = 0;
	snprintf(sql, sizeof(sql), "SELECT id FROM subscription WHERE %s = ?",
	    col);
	return store_read_rows(st->db, st->path, sql, "cannot read "
	    "subscription", &(struct param){ .text = value }, 1, id_row, id,
	    err);
}

int
kp_store_subscription_put(struct kp_store *st, const char *name,
    const char *abonnement, char uuid[KP_REF_LEN], struct kp_err *err)
{
	char now[32], fresh[40];
	int64_t old = 0, id = 0;
	int ret;

	kp_time_iso(kp_now_ms(), now);
	kp_new_uuid(fresh);
	pthread_mutex_lock(&st->lock);
	if ((ret = store_begin(st, err)) != KP_OK)
		goto out;
	uuid[0] = '\0';
	if (name != NULL && (ret = sub_id(st, "name", name, &old, err)) != KP_OK)
		goto fail;
	if (old != 0) {
		/* its uuid and what waits stay; a new id tells the caches */
		if ((ret = store_read_rows(st->db, st->path, "SELECT uuid FROM "
		    "subscription WHERE id = ?", "cannot read subscription",
		    &(struct param){ .integer = old }, 1, one_text_row,
		    &(struct one_text){ uuid, KP_REF_LEN }, err)) != KP_OK ||
		    (ret = write_bound(st, "DELETE FROM subscription WHERE id = ?",
		    &(struct param){ .integer = old }, 1, "cannot replace "
		    "subscription", err)) != KP_OK)
			goto fail;
	} else
		snprintf(uuid, KP_REF_LEN, "%.36s", fresh);
	if ((ret = write_bound(st, "INSERT INTO subscription (uuid, name, "
	    "abonnement, created_at) VALUES (?, ?, ?, ?)", (struct param[]){
	    { .text = uuid }, { .text = name, .is_null = name == NULL },
	    { .text = abonnement }, { .text = now } }, 4, "cannot write "
	    "subscription", err)) != KP_OK ||
	    (ret = sub_id(st, "uuid", uuid, &id, err)) != KP_OK)
		goto fail;
	if (old != 0 && (ret = write_bound(st, "UPDATE notification SET "
	    "subscription = ? WHERE subscription = ?", (struct param[]){
	    { .integer = id }, { .integer = old } }, 2, "cannot move "
	    "notifications", err)) != KP_OK)
		goto fail;
	if ((ret = store_exec(st, "COMMIT", err)) == KP_OK)
		goto out;
fail:
	store_exec(st, "ROLLBACK", NULL);
out:
	pthread_mutex_unlock(&st->lock);
	return ret;
}

/* Remove subscription id and its notifications; locked, in a transaction. */
static int
sub_remove(struct kp_store *st, int64_t id, int64_t *dropped,
    struct kp_err *err)
{
	int ret;

	*dropped = 0;
	if ((ret = store_read_rows(st->db, st->path, "SELECT count(*) FROM "
	    "notification WHERE subscription = ?", "cannot count "
	    "notifications", &(struct param){ .integer = id }, 1, id_row,
	    dropped, err)) != KP_OK ||
	    (ret = write_bound(st, "DELETE FROM notification WHERE "
	    "subscription = ?", &(struct param){ .integer = id }, 1,
	    "cannot delete notifications", err)) != KP_OK)
		return ret;
	return write_bound(st, "DELETE FROM subscription WHERE id = ?",
	    &(struct param){ .integer = id }, 1, "cannot delete "
	    "subscription", err);
}

int
kp_store_subscription_delete(struct kp_store *st, const char *uuid,
    int *found, int64_t *dropped, struct kp_err *err)
{
	int64_t id = 0;
	int ret;

	*found = 0;
	*dropped = 0;
	pthread_mutex_lock(&st->lock);
	if ((ret = store_begin(st, err)) != KP_OK)
		goto out;
	if ((ret = sub_id(st, "uuid", uuid, &id, err)) != KP_OK ||
	    (id != 0 && (ret = sub_remove(st, id, dropped, err)) != KP_OK) ||
	    (ret = store_exec(st, "COMMIT", err)) != KP_OK)
		store_exec(st, "ROLLBACK", NULL);
	else
		*found = id != 0;
out:
	pthread_mutex_unlock(&st->lock);
	return ret;
}

/* The configured subscriptions, copied out before any is removed. */
struct named {
	struct { int64_t id; char name[128]; } *v;
	size_t	n;
	int	failed;
};

static int
named_row(struct kp_stmt *stmt, void *arg)
{
	struct named *nm = arg;
	const char *name = kp_db_col_text(stmt, 1);
	void *v = realloc(nm->v, (nm->n + 1) * sizeof(*nm->v));

	if (v == NULL) {
		nm->failed = 1;
		return 1;
	}
	nm->v = v;
	nm->v[nm->n].id = kp_db_col_int(stmt, 0);
	snprintf(nm->v[nm->n].name, sizeof(nm->v[0].name), "%s",
	    name != NULL ? name : "");
	nm->n++;
	return 0;
}

int
kp_store_subscription_prune(struct kp_store *st, const char *const *names,
    size_t n, void (*fn)(void *arg, const char *name, int64_t dropped),
    void *arg, struct kp_err *err)
{
	struct named nm = { 0 };
	int ret;

	pthread_mutex_lock(&st->lock);
	if ((ret = store_begin(st, err)) != KP_OK)
		goto out;
	if ((ret = store_read_rows(st->db, st->path, "SELECT id, name FROM "
	    "subscription WHERE name IS NOT NULL ORDER BY id", "cannot read "
	    "subscriptions", NULL, 0, named_row, &nm, err)) != KP_OK)
		goto fail;
	if (nm.failed) {
		ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < nm.n; i++) {
		size_t k = 0;
		int64_t dropped;

		while (k < n && strcmp(names[k], nm.v[i].name) != 0)
			k++;
		if (k < n)
			continue;
		if ((ret = sub_remove(st, nm.v[i].id, &dropped, err)) != KP_OK)
			goto fail;
		if (fn != NULL)
			fn(arg, nm.v[i].name, dropped);
	}
	if ((ret = store_exec(st, "COMMIT", err)) == KP_OK)
		goto out;
fail:
	store_exec(st, "ROLLBACK", NULL);
out:
	pthread_mutex_unlock(&st->lock);
	free(nm.v);
	return ret;
}

struct each_sub {
	int	(*fn)(void *, const struct kp_subscription_row *);
	void	*arg;
};

static int
sub_row(struct kp_stmt *stmt, void *arg)
{
	struct each_sub *e = arg;
	struct kp_subscription_row s = {
		.id = kp_db_col_int(stmt, 0),
		.uuid = kp_db_col_text(stmt, 1),
		.name = kp_db_col_null(stmt, 2) ? NULL : kp_db_col_text(stmt, 2),
		.abonnement = kp_db_col_text(stmt, 3),
		.created_at = kp_db_col_text(stmt, 4),
		.pending = kp_db_col_int(stmt, 5),
		.parked = kp_db_col_int(stmt, 6),
		.oldest_ms = kp_db_col_int(stmt, 7),
		.last_error = kp_db_col_null(stmt, 8) ? NULL :
		    kp_db_col_text(stmt, 8),
	};

	return e->fn(e->arg, &s);
}

int
kp_store_subscription_each(struct kp_store *st, const char *uuid,
    int (*fn)(void *arg, const struct kp_subscription_row *s), void *arg,
    struct kp_err *err)
{
	struct each_sub e = { fn, arg };

	return store_read_each(st, "SELECT s.id, s.uuid, s.name, s.abonnement, "
	    "s.created_at, "
	    "(SELECT count(*) FROM notification n WHERE n.subscription = s.id "
	    "AND n.state = 'pending'), "
	    "(SELECT count(*) FROM notification n WHERE n.subscription = s.id "
	    "AND n.state = 'parked'), "
	    "(SELECT coalesce(min(created_ms), 0) FROM notification n WHERE "
	    "n.subscription = s.id), "
	    "(SELECT last_error FROM notification n WHERE n.subscription = s.id "
	    "AND n.last_error IS NOT NULL ORDER BY n.id LIMIT 1) "
	    "FROM subscription s WHERE CAST(?1 AS TEXT) IS NULL OR s.uuid = ?1 "
	    "ORDER BY s.id",
	    "cannot read subscriptions", &(struct param){ .text = uuid,
	    .is_null = uuid == NULL }, 1, sub_row, &e, err);
}

struct ids {
	int64_t	*v;
	size_t	 max, n;
};

static int
ids_row(struct kp_stmt *stmt, void *arg)
{
	struct ids *ids = arg;

	ids->v[ids->n++] = kp_db_col_int(stmt, 0);
	return ids->n == ids->max;
}

int
kp_store_subscription_ids(struct kp_store *st, int64_t *v, size_t max,
    size_t *n, struct kp_err *err)
{
	struct ids ids = { v, max, 0 };
	int ret;

	ret = max == 0 ? KP_OK : store_read_each(st, "SELECT id FROM "
	    "subscription ORDER BY id", "cannot read subscriptions", NULL, 0,
	    ids_row, &ids, err);
	*n = ids.n;
	return ret;
}

struct each_head {
	int	(*fn)(void *, const struct kp_notify_row *);
	void	*arg;
};

static int
head_row(struct kp_stmt *stmt, void *arg)
{
	struct each_head *e = arg;
	struct kp_notify_row r = {
		.id = kp_db_col_int(stmt, 0),
		.uuid = kp_db_col_text(stmt, 1),
		.subscription = kp_db_col_int(stmt, 2),
		.body = kp_db_col_text(stmt, 3),
		.abonnement = kp_db_col_text(stmt, 4),
		.attempts = (int)kp_db_col_int(stmt, 5),
		.created_ms = kp_db_col_int(stmt, 6),
	};

	return e->fn(e->arg, &r);
}

int
kp_store_notify_heads(struct kp_store *st, int64_t subscription,
    int64_t now_ms, int max,
    int (*fn)(void *arg, const struct kp_notify_row *row), void *arg,
    struct kp_err *err)
{
	struct each_head e = { fn, arg };

	/* a head: nothing older waits for its subscription and citizen */
	return store_read_each(st, "SELECT n.id, n.uuid, n.subscription, "
	    "n.body, s.abonnement, n.attempts, n.created_ms "
	    "FROM notification n JOIN subscription s ON s.id = n.subscription "
	    "WHERE n.subscription = ?1 AND n.state = 'pending' "
	    "AND n.next_attempt_ms <= ?2 AND NOT EXISTS (SELECT 1 FROM "
	    "notification m WHERE m.subscription = n.subscription "
	    "AND m.dossier = n.dossier AND m.id < n.id) ORDER BY n.id LIMIT ?3",
	    "cannot read notifications", (struct param[]){
	    { .integer = subscription }, { .integer = now_ms },
	    { .integer = max } }, 3, head_row, &e, err);
}

int
kp_store_notify_settle(struct kp_store *st, const struct kp_notify_outcome *v,
    size_t n, struct kp_err *err)
{
	int ret;

	if (n == 0)
		return KP_OK;
	pthread_mutex_lock(&st->lock);
	if ((ret = store_begin(st, err)) != KP_OK)
		goto out;
	for (size_t i = 0; i < n && ret == KP_OK; i++) {
		if (v[i].delivered)
			ret = write_bound(st, "DELETE FROM notification WHERE "
			    "id = ?", &(struct param){ .integer = v[i].id }, 1,
			    "cannot delete notification", err);
		else
			ret = write_bound(st, "UPDATE notification SET attempts = "
			    "attempts + 1, last_error = ?, next_attempt_ms = ?, "
			    "state = ? WHERE id = ?", (struct param[]){
			    { .text = v[i].why }, { .integer = v[i].next_ms },
			    { .text = v[i].park ? "parked" : "pending" },
			    { .integer = v[i].id } }, 4, "cannot update "
			    "notification", err);
	}
	if (ret != KP_OK || (ret = store_exec(st, "COMMIT", err)) != KP_OK)
		store_exec(st, "ROLLBACK", NULL);
out:
	pthread_mutex_unlock(&st->lock);
	return ret;
}

int
kp_store_notify_retry(struct kp_store *st, const char *uuid, int64_t *n,
    struct kp_err *err)
{
	static const char count_sql[] = "SELECT count(*) FROM notification "
	    "WHERE state = 'parked' AND (CAST(?1 AS TEXT) IS NULL OR "
	    "subscription = (SELECT id FROM subscription WHERE uuid = ?1))";
	int ret;

	*n = 0;
	pthread_mutex_lock(&st->lock);
	if ((ret = store_begin(st, err)) != KP_OK)
		goto out;
	if ((ret = store_read_rows(st->db, st->path, count_sql, "cannot count "
	    "notifications", &(struct param){ .text = uuid, .is_null = uuid ==
	    NULL }, 1, id_row, n, err)) != KP_OK ||
	    (ret = write_bound(st, "UPDATE notification SET state = 'pending', "
	    "attempts = 0, next_attempt_ms = 0 WHERE state = 'parked' AND "
	    "(CAST(?1 AS TEXT) IS NULL OR subscription = (SELECT id FROM "
	    "subscription WHERE uuid = ?1))", &(struct param){ .text = uuid,
	    .is_null = uuid == NULL }, 1, "cannot retry notifications",
	    err)) != KP_OK ||
	    (ret = store_exec(st, "COMMIT", err)) != KP_OK)
		store_exec(st, "ROLLBACK", NULL);
out:
	pthread_mutex_unlock(&st->lock);
	return ret;
}

struct counts {
	int64_t	*pending, *parked, *oldest;
};

static int
counts_row(struct kp_stmt *stmt, void *arg)
{
	struct counts *c = arg;

	*c->pending = kp_db_col_int(stmt, 0);
	*c->parked = kp_db_col_int(stmt, 1);
	*c->oldest = kp_db_col_int(stmt, 2);
	return 1;
}

int
kp_store_notify_counts(struct kp_store *st, int64_t *pending, int64_t *parked,
    int64_t *oldest_ms, struct kp_err *err)
{
	struct counts c = { pending, parked, oldest_ms };

	*pending = *parked = *oldest_ms = 0;
	return store_read_each(st, "SELECT "
	    "coalesce(sum(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0), "
	    "coalesce(sum(CASE WHEN state = 'parked' THEN 1 ELSE 0 END), 0), "
	    "coalesce(min(created_ms), 0) FROM notification",
	    "cannot count notifications", NULL, 0, counts_row, &c, err);
}

int
kp_store_dossier_by_ref(struct kp_store *st, const char *ref, char bsn[16],
    struct kp_err *err)
{
	bsn[0] = '\0';
	return store_read_each(st, "SELECT bsn FROM dossier_ref WHERE ref = ?",
	    "cannot read dossier reference", &(struct param){ .text = ref }, 1,
	    one_text_row, &(struct one_text){ bsn, 16 }, err);
}

int
kp_store_ref_of_dossier(struct kp_store *st, const char *bsn,
    char ref[KP_REF_LEN], struct kp_err *err)
{
	ref[0] = '\0';
	return store_read_each(st, "SELECT ref FROM dossier_ref WHERE bsn = ?",
	    "cannot read dossier reference", &(struct param){ .text = bsn }, 1,
	    one_text_row, &(struct one_text){ ref, KP_REF_LEN }, err);
}

static int
key_row(struct kp_stmt *stmt, void *arg)
{
	struct kp_record_key *k = arg;
	const char *t = kp_db_col_text(stmt, 0), *b = kp_db_col_text(stmt, 1),
	    *i = kp_db_col_text(stmt, 2);

	k->found = 1;
	k->held = !kp_db_col_null(stmt, 3);
	k->deleted = k->held && kp_db_col_int(stmt, 4) != 0;
	if (k->held)
		snprintf(k->bsn, sizeof(k->bsn), "%s", kp_db_col_text(stmt, 3));
	snprintf(k->entiteittype, sizeof(k->entiteittype), "%s", t ? t : "");
	snprintf(k->bron, sizeof(k->bron), "%s", b ? b : "");
	snprintf(k->identificatie, sizeof(k->identificatie), "%s", i ? i : "");
	return 1;
}

int
kp_store_record_by_ref(struct kp_store *st, const char *ref,
    struct kp_record_key *key, struct kp_err *err)
{
	memset(key, 0, sizeof(*key));
	return store_read_each(st, "SELECT f.entiteittype, f.bron, "
	    "f.identificatie, r.bsn, r.deleted FROM record_ref f LEFT JOIN "
	    "record r ON r.entiteittype = f.entiteittype AND r.bron = f.bron "
	    "AND r.identificatie = f.identificatie WHERE f.ref = ?",
	    "cannot read record reference",
	    &(struct param){ .text = ref }, 1, key_row, key, err);
}

/* A reference made outside the writer: its own transaction. */
static int
ref_now(struct kp_store *st, int (*make)(struct kp_txn *, const char *const *,
    char *, struct kp_err *), const char *const *key, char ref[KP_REF_LEN],
    struct kp_err *err)
{
	struct kp_txn txn = { st };
	int ret;

	pthread_mutex_lock(&st->lock);
	if ((ret = store_begin(st, err)) == KP_OK) {
		if ((ret = make(&txn, key, ref, err)) != KP_OK ||
		    (ret = store_exec(st, "COMMIT", err)) != KP_OK)
			store_exec(st, "ROLLBACK", NULL);
	}
	pthread_mutex_unlock(&st->lock);
	return ret;
}

static int
make_record_ref(struct kp_txn *txn, const char *const *key, char *ref,
    struct kp_err *err)
{
	return kp_txn_record_ref(txn, key[0], key[1], key[2], ref, err);
}

static int
make_dossier_ref(struct kp_txn *txn, const char *const *key, char *ref,
    struct kp_err *err)
{
	return kp_txn_dossier_ref(txn, key[0], ref, err);
}

int
kp_store_record_ref(struct kp_store *st, const char *entiteittype,
    const char *bron, const char *identificatie, char ref[KP_REF_LEN],
    struct kp_err *err)
{
	const char *key[] = { entiteittype, bron, identificatie };
	int ret;

	ref[0] = '\0';
	if ((ret = store_read_each(st, "SELECT ref FROM record_ref WHERE "
	    "entiteittype = ? AND bron = ? AND identificatie = ?", "cannot read "
	    "record reference", (struct param[]){ { .text = entiteittype },
	    { .text = bron }, { .text = identificatie } }, 3, one_text_row,
	    &(struct one_text){ ref, KP_REF_LEN }, err)) != KP_OK ||
	    ref[0] != '\0')
		return ret;
	return ref_now(st, make_record_ref, key, ref, err);
}

int
kp_store_dossier_ref(struct kp_store *st, const char *bsn,
    char ref[KP_REF_LEN], struct kp_err *err)
{
	const char *key[] = { bsn };
	int ret;

	if ((ret = kp_store_ref_of_dossier(st, bsn, ref, err)) != KP_OK ||
	    ref[0] != '\0')
		return ret;
	return ref_now(st, make_dossier_ref, key, ref, err);
}

void
kp_store_set_change_hook(struct kp_store *st, int (*fn)(void *arg,
    struct kp_txn *txn, const struct kp_record_change *c, struct kp_err *err),
    void *arg)
{
	pthread_mutex_lock(&st->lock);
	st->change_hook = fn;
	st->change_arg = arg;
	pthread_mutex_unlock(&st->lock);
}

int
kp_txn_changed(struct kp_txn *txn, const struct kp_record_change *c,
    struct kp_err *err)
{
	struct kp_store *st = txn->st;

	/* read under the writer's lock, which the transaction holds */
	return st->change_hook != NULL ?
	    st->change_hook(st->change_arg, txn, c, err) : KP_OK;
}
