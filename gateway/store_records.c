/*
 * store_records — records (PROTOCOL.md 4.2): applied by bronversie with
 * tombstones, retractions of a delivered copy, a consent change marked
 * for reconsideration; and the archived messages and records read back.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "kd.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

/* A citizen's consents changed: their disclosures are to be reconsidered. */
static int
consent_mark(struct kp_store *st, const char *bsn, struct kp_err *err)
{
	static const char sql[] = "INSERT INTO consent_dirty (bsn, mark, at) "
	    "VALUES (?1, (SELECT coalesce(max(mark), 0) + 1 FROM consent_dirty), "
	    "?2) ON CONFLICT (bsn) DO UPDATE SET mark = excluded.mark, "
	    "at = excluded.at";
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

/*
 * PROTOCOL.md 4.2: apply n if its bronversie is higher than the version
 * held; a V leaves a tombstone with its version.  The same version with the
 * same content is a duplicate; anything else not higher is stale.
 */
int
store_record_apply(struct kp_store *st, const struct kp_notice *n,
    const char *from_oin, int64_t message_rowid, enum record_outcome *out,
    uint64_t *held_version, struct kp_err *err)
{
	static const char get_sql[] = "SELECT bronversie, deleted, fields_sha256 "
	    "FROM record WHERE entiteittype = ? AND bron = ? AND identificatie = ?";
	static const char put_sql[] = "INSERT INTO record (entiteittype, bron, "
	    "identificatie, bronversie, bsn, deleted, fields, fields_sha256, "
	    "received_from, message, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT (entiteittype, bron, identificatie) DO UPDATE SET "
	    "bronversie = excluded.bronversie, bsn = excluded.bsn, "
	    "deleted = excluded.deleted, fields = excluded.fields, "
	    "fields_sha256 = excluded.fields_sha256, "
	    "received_from = excluded.received_from, message = excluded.message, "
	    "updated_at = excluded.updated_at";
	int is_delete = n->mutatiesoort == 'V';
	struct kp_stmt *stmt;
	char now[32];
	int rc;

	*held_version = 0;
	if ((stmt = store_stmt_get(st, st->db, STMT_RECORD_GET, get_sql)) == NULL)
		return store_fail(st, err, "cannot prepare record read");
	kp_db_bind_text(stmt, 1, n->entiteittype);
	kp_db_bind_text(stmt, 2, n->bron);
	kp_db_bind_text(stmt, 3, n->identificatie);
	rc = kp_db_step(stmt);
	if (rc == KP_DB_ROW) {
		uint64_t held = (uint64_t)kp_db_col_int(stmt, 0);
		int deleted = (int)kp_db_col_int(stmt, 1);
		const char *sha = kp_db_col_text(stmt, 2);

		*held_version = held;
		if (n->bronversie <= held) {
			*out = n->bronversie == held && deleted == is_delete &&
			    sha != NULL && strcmp(sha, n->fields_sha256) == 0 ?
			    RECORD_SAME : RECORD_STALE;
			kp_db_reset(stmt);
			return KP_OK;
		}
	}
	kp_db_reset(stmt);
	if (rc != KP_DB_ROW && rc != KP_DB_DONE)
		return store_fail(st, err, "cannot read record");
	if ((stmt = store_stmt_get(st, st->db, STMT_RECORD_PUT, put_sql)) == NULL)
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
	if (message_rowid > 0)
		kp_db_bind_int(stmt, 10, message_rowid);
	else
		kp_db_bind_null(stmt, 10);	/* our own: no message */
	kp_db_bind_text(stmt, 11, now);
	rc = kp_db_step(stmt);
	kp_db_reset(stmt);
	if (rc != KP_DB_DONE)
		return store_fail(st, err, "cannot write record");
	*out = RECORD_APPLIED;
	if (strcmp(n->entiteittype, "TST") == 0)
		return consent_mark(st, n->bsn, err);
	return KP_OK;
}

/*
 * PROTOCOL.md 5: a retraction (V reden=intrekking) removes the copy that
 * from_oin delivered to us and leaves no tombstone, so that a later
 * disclosure is applied again.  Only the partner that delivered the copy
 * may retract it (KP022 in *verdict_msg otherwise); a copy we do not hold
 * is already retracted (RECORD_SAME).
 */
int
store_record_retract(struct kp_store *st, const struct kp_notice *n,
    const char *from_oin, enum record_outcome *out, char *why, size_t whylen,
    struct kp_err *err)
{
	struct kp_stmt *stmt;
	char *from = NULL;
	int rc;

	*out = RECORD_SAME;
	why[0] = '\0';
	if ((stmt = kp_db_prepare(st->db, "SELECT received_from FROM record WHERE "
	    "entiteittype = ? AND bron = ? AND identificatie = ? AND deleted = 0")) == NULL)
		return store_fail(st, err, "cannot prepare record read");
	kp_db_bind_text(stmt, 1, n->entiteittype);
	kp_db_bind_text(stmt, 2, n->bron);
	kp_db_bind_text(stmt, 3, n->identificatie);
	if ((rc = kp_db_step(stmt)) == KP_DB_ROW) {
		const char *f = kp_db_col_text(stmt, 0);

		from = strdup(f != NULL ? f : "");
	}
	kp_db_finalize(stmt);
	if (rc != KP_DB_ROW && rc != KP_DB_DONE)
		return store_fail(st, err, "cannot read record");
	if (rc == KP_DB_DONE)
		return KP_OK;
	if (from == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	if (strcmp(from, from_oin) != 0) {
		snprintf(why, whylen, "%s %s of %s was delivered to us by %s, "
		    "not by you: only that partner may retract it",
		    n->entiteittype, n->identificatie, n->bron,
		    from[0] ? from : "nobody (it is ours)");
		free(from);
		*out = RECORD_STALE;
		return KP_OK;
	}
	free(from);
	if ((stmt = kp_db_prepare(st->db, "DELETE FROM record WHERE "
	    "entiteittype = ? AND bron = ? AND identificatie = ?")) == NULL)
		return store_fail(st, err, "cannot prepare record removal");
	kp_db_bind_text(stmt, 1, n->entiteittype);
	kp_db_bind_text(stmt, 2, n->bron);
	kp_db_bind_text(stmt, 3, n->identificatie);
	rc = kp_db_step(stmt);
	kp_db_finalize(stmt);
	if (rc != KP_DB_DONE)
		return store_fail(st, err, "cannot remove the retracted record");
	*out = RECORD_APPLIED;
	if (strcmp(n->entiteittype, "TST") == 0)
		return consent_mark(st, n->bsn, err);
	return KP_OK;
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
	    "WHERE ?1 IS NULL OR direction = ?1 ORDER BY id";
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
	    "FROM record WHERE bsn = ?1 AND (?2 IS NULL OR entiteittype = ?2) "
	    "ORDER BY entiteittype, bron, identificatie";
	struct param p[] = { { bsn, 0, 0 },
	    { entiteittype, 0, entiteittype == NULL } };
	struct each_record e = { fn, arg };

	return store_read_each(st, sql, "records", p, 2, record_row, &e, err);
}
