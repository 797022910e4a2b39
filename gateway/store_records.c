/*
 * store_records — the records room: a record as held, written, removed;
 * a citizen marked for reconsideration when their consents change; and
 * the archived messages and records read back.  Whether a record is
 * applied (bronversie order, tombstones, retraction) is records.c's
 * decision.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "kd.h"
#include "store.h"
#include "store_int.h"
#include "store_txn.h"
#include "util.h"

int
kp_txn_consent_mark(struct kp_txn *txn, const char *bsn, struct kp_err *err)
{
	static const char sql[] = "INSERT INTO consent_dirty (bsn, mark, at) "
	    "VALUES (?1, (SELECT coalesce(max(mark), 0) + 1 FROM consent_dirty), "
	    "?2) ON CONFLICT (bsn) DO UPDATE SET mark = excluded.mark, "
	    "at = excluded.at";
	struct kp_store *st = txn->st;
	struct kp_stmt *stmt;
	char now[32];
	int rc;

	kp_time_iso(kp_now_ms(), now);
	if ((stmt = store_stmt_get(st, st->db, STMT_CONSENT_MARK, sql)) == NULL)
		return store_fail(st, err, "cannot prepare consent mark");
	kp_db_bind_text(stmt, 1, bsn);
	kp_db_bind_text(stmt, 2, now);
	rc = kp_db_step(stmt);
	kp_db_reset(stmt);
	return rc == KP_DB_DONE ? KP_OK : store_fail(st, err, "cannot mark consent");
}

int
kp_txn_consent_mark_of(struct kp_txn *txn, const char *bsn, int64_t *mark,
    struct kp_err *err)
{
	struct kp_store *st = txn->st;
	struct kp_stmt *stmt;
	int rc;

	*mark = 0;
	if ((stmt = kp_db_prepare(st->db, "SELECT mark FROM consent_dirty "
	    "WHERE bsn = ?1")) == NULL)
		return store_fail(st, err, "cannot prepare consent mark");
	kp_db_bind_text(stmt, 1, bsn);
	if ((rc = kp_db_step(stmt)) == KP_DB_ROW)
		*mark = kp_db_col_int(stmt, 0);
	kp_db_finalize(stmt);
	return rc == KP_DB_ROW || rc == KP_DB_DONE ? KP_OK :
	    store_fail(st, err, "cannot read consent mark");
}

int
kp_txn_record_get(struct kp_txn *txn, const char *entiteittype,
    const char *bron, const char *identificatie, struct kp_held *held,
    struct kp_err *err)
{
	static const char sql[] = "SELECT bronversie, deleted, fields_sha256, "
	    "received_from FROM record WHERE entiteittype = ? AND bron = ? AND "
	    "identificatie = ?";
	struct kp_store *st = txn->st;
	struct kp_stmt *stmt;
	int rc;

	memset(held, 0, sizeof(*held));
	if ((stmt = store_stmt_get(st, st->db, STMT_RECORD_GET, sql)) == NULL)
		return store_fail(st, err, "cannot prepare record read");
	kp_db_bind_text(stmt, 1, entiteittype);
	kp_db_bind_text(stmt, 2, bron);
	kp_db_bind_text(stmt, 3, identificatie);
	if ((rc = kp_db_step(stmt)) == KP_DB_ROW) {
		const char *sha = kp_db_col_text(stmt, 2);
		const char *from = kp_db_col_text(stmt, 3);

		held->found = 1;
		held->bronversie = (uint64_t)kp_db_col_int(stmt, 0);
		held->deleted = kp_db_col_int(stmt, 1) != 0;
		snprintf(held->fields_sha256, sizeof(held->fields_sha256), "%s",
		    sha != NULL ? sha : "");
		held->ours = from == NULL;
		snprintf(held->received_from, sizeof(held->received_from), "%s",
		    from != NULL ? from : "");
	}
	kp_db_reset(stmt);
	if (rc != KP_DB_ROW && rc != KP_DB_DONE)
		return store_fail(st, err, "cannot read record");
	return KP_OK;
}

int
kp_txn_record_put(struct kp_txn *txn, const struct kp_notice *n,
    const char *from_oin, int64_t message, struct kp_err *err)
{
	static const char sql[] = "INSERT INTO record (entiteittype, bron, "
	    "identificatie, bronversie, bsn, deleted, fields, fields_sha256, "
	    "received_from, message, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT (entiteittype, bron, identificatie) DO UPDATE SET "
	    "bronversie = excluded.bronversie, bsn = excluded.bsn, "
	    "deleted = excluded.deleted, fields = excluded.fields, "
	    "fields_sha256 = excluded.fields_sha256, "
	    "received_from = excluded.received_from, message = excluded.message, "
	    "updated_at = excluded.updated_at";
	struct kp_store *st = txn->st;
	int is_delete = n->mutatiesoort == 'V';
	struct kp_stmt *stmt;
	char now[32];
	int rc;

	if ((stmt = store_stmt_get(st, st->db, STMT_RECORD_PUT, sql)) == NULL)
		return store_fail(st, err, "cannot prepare record write");
	kp_time_iso(kp_now_ms(), now);
	kp_db_bind_text(stmt, 1, n->entiteittype);
	kp_db_bind_text(stmt, 2, n->bron);
	kp_db_bind_text(stmt, 3, n->identificatie);
	kp_db_bind_int(stmt, 4, (int64_t)n->bronversie);
	kp_db_bind_text(stmt, 5, n->bsn);
	kp_db_bind_int(stmt, 6, is_delete);
	kp_db_bind_text(stmt, 7, is_delete ? "" : n->fields);
	kp_db_bind_text(stmt, 8, is_delete ? KP_SHA256_EMPTY : n->fields_sha256);
	kp_db_bind_text(stmt, 9, from_oin);
	if (message > 0)
		kp_db_bind_int(stmt, 10, message);
	else
		kp_db_bind_null(stmt, 10);	/* our own: no message */
	kp_db_bind_text(stmt, 11, now);
	rc = kp_db_step(stmt);
	kp_db_reset(stmt);
	return rc == KP_DB_DONE ? KP_OK : store_fail(st, err, "cannot write record");
}

int
kp_txn_record_remove(struct kp_txn *txn, const struct kp_notice *n,
    struct kp_err *err)
{
	struct kp_store *st = txn->st;
	struct kp_stmt *stmt;
	int rc;

	if ((stmt = kp_db_prepare(st->db, "DELETE FROM record WHERE "
	    "entiteittype = ? AND bron = ? AND identificatie = ?")) == NULL)
		return store_fail(st, err, "cannot prepare record removal");
	kp_db_bind_text(stmt, 1, n->entiteittype);
	kp_db_bind_text(stmt, 2, n->bron);
	kp_db_bind_text(stmt, 3, n->identificatie);
	rc = kp_db_step(stmt);
	kp_db_finalize(stmt);
	return rc == KP_DB_DONE ? KP_OK :
	    store_fail(st, err, "cannot remove the retracted record");
}

/* The caller's callback for message_row, typed. */
struct each_message {
	int	(*fn)(void *, const struct kp_stored_message *);
	void	*arg;
};

static int
message_row(struct kp_stmt *stmt, void *arg)
{
	struct each_message *e = arg;
	struct kp_stored_message m = {
		.id = kp_db_col_int(stmt, 0),
		.direction = kp_db_col_text(stmt, 1),
		.partner_oin = kp_db_col_text(stmt, 2),
		.message_id = kp_db_col_text(stmt, 3),
		.at = kp_db_col_text(stmt, 4),
	};

	m.bytes = kp_db_col_blob(stmt, 5, &m.len);

	return e->fn(e->arg, &m);
}

int
kp_store_each_message(struct kp_store *st, const char *direction,
    int (*fn)(void *arg, const struct kp_stored_message *m), void *arg,
    struct kp_err *err)
{
	static const char sql[] = "SELECT id, direction, partner_oin, "
	    "message_id, at, bytes FROM message "
	    "WHERE CAST(?1 AS TEXT) IS NULL OR direction = ?1 ORDER BY id";
	struct param p[] = { { direction, 0, direction == NULL } };
	struct each_message e = { fn, arg };

	return store_read_each(st, sql, "messages", p, 1, message_row, &e, err);
}

int
kp_store_message(struct kp_store *st, int64_t id,
    int (*fn)(void *arg, const struct kp_stored_message *m), void *arg,
    struct kp_err *err)
{
	static const char sql[] = "SELECT id, direction, partner_oin, "
	    "message_id, at, bytes FROM message WHERE id = ?1";
	struct param p[] = { { NULL, id, 0 } };
	struct each_message e = { fn, arg };

	return store_read_each(st, sql, "the message", p, 1, message_row, &e, err);
}

/* The caller's callback for record_row, typed. */
struct each_record {
	int	(*fn)(void *, const struct kp_stored_record *);
	void	*arg;
};

static int
record_row(struct kp_stmt *stmt, void *arg)
{
	struct each_record *e = arg;
	struct kp_stored_record r = {
		.entiteittype = kp_db_col_text(stmt, 0),
		.bron = kp_db_col_text(stmt, 1),
		.identificatie = kp_db_col_text(stmt, 2),
		.bsn = kp_db_col_text(stmt, 3),
		.bronversie = kp_db_col_int(stmt, 4),
		.deleted = (int)kp_db_col_int(stmt, 5),
		.fields = kp_db_col_text(stmt, 6),
		.received_from = kp_db_col_text(stmt, 7),
		.updated_at = kp_db_col_text(stmt, 8),
	};

	return e->fn(e->arg, &r);
}

int
kp_store_each_record(struct kp_store *st, const char *bsn,
    const char *entiteittype,
    int (*fn)(void *arg, const struct kp_stored_record *r), void *arg,
    struct kp_err *err)
{
	static const char sql[] = "SELECT entiteittype, bron, identificatie, "
	    "bsn, bronversie, deleted, fields, received_from, updated_at "
	    "FROM record WHERE bsn = ?1 AND "
	    "(CAST(?2 AS TEXT) IS NULL OR entiteittype = ?2) "
	    "ORDER BY entiteittype, bron, identificatie";
	struct param p[] = { { bsn, 0, 0 },
	    { entiteittype, 0, entiteittype == NULL } };
	struct each_record e = { fn, arg };

	return store_read_each(st, sql, "records", p, 2, record_row, &e, err);
}
