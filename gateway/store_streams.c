/*
 * store_streams — the incoming streams room (PROTOCOL.md 4.1): the number
 * expected next from each sender on each partitie, and the identity of
 * the notice applied under each number.  What a number means (next,
 * resend, gap, taken) is streams.c's decision.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "kd.h"
#include "store_int.h"
#include "store_txn.h"

int
kp_txn_stream_position(struct kp_txn *txn, const char *partner,
    uint32_t partitie, uint64_t *expected, uint64_t *kept_from,
    struct kp_err *err)
{
	static const char sql[] = "SELECT next_expected, kept_from FROM stream_in "
	    "WHERE partner_oin = ? AND partitie = ?";
	struct kp_store *st = txn->st;
	struct kp_stmt *stmt;
	int rc;

	if ((stmt = store_stmt_get(st, st->db, STMT_STREAM_GET, sql)) == NULL)
		return store_fail(st, err, "cannot prepare stream read");
	kp_db_bind_text(stmt, 1, partner);
	kp_db_bind_int(stmt, 2, partitie);
	*expected = 1;
	*kept_from = 1;
	if ((rc = kp_db_step(stmt)) == KP_DB_ROW) {
		*expected = (uint64_t)kp_db_col_int(stmt, 0);
		*kept_from = (uint64_t)kp_db_col_int(stmt, 1);
	}
	kp_db_reset(stmt);
	if (rc != KP_DB_ROW && rc != KP_DB_DONE)
		return store_fail(st, err, "cannot read stream");
	return KP_OK;
}

int
kp_txn_stream_applied_put(struct kp_txn *txn, const char *partner,
    const struct kp_notice *n, struct kp_err *err)
{
	static const char sql[] = "INSERT INTO stream_applied (partner_oin, "
	    "partitie, volgnummer, entiteittype, bron, identificatie, bronversie, "
	    "mutatiesoort) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	char soort[2] = { n->mutatiesoort, '\0' };
	struct kp_store *st = txn->st;
	struct kp_stmt *stmt;
	int rc;

	if ((stmt = store_stmt_get(st, st->db, STMT_APPLIED_PUT, sql)) == NULL)
		return store_fail(st, err, "cannot prepare stream identity write");
	kp_db_bind_text(stmt, 1, partner);
	kp_db_bind_int(stmt, 2, n->partitie);
	kp_db_bind_int(stmt, 3, (int64_t)n->volgnummer);
	kp_db_bind_text(stmt, 4, n->entiteittype);
	kp_db_bind_text(stmt, 5, n->bron);
	kp_db_bind_text(stmt, 6, n->identificatie);
	kp_db_bind_int(stmt, 7, (int64_t)n->bronversie);
	kp_db_bind_text(stmt, 8, soort);
	rc = kp_db_step(stmt);
	kp_db_reset(stmt);
	return rc == KP_DB_DONE ? KP_OK :
	    store_fail(st, err, "cannot keep the stream identity");
}

int
kp_txn_stream_applied_get(struct kp_txn *txn, const char *partner,
    uint32_t partitie, uint64_t volgnummer, struct kp_applied *a,
    struct kp_err *err)
{
	static const char sql[] = "SELECT entiteittype, bron, identificatie, "
	    "bronversie, mutatiesoort FROM stream_applied WHERE partner_oin = ? "
	    "AND partitie = ? AND volgnummer = ?";
	struct kp_store *st = txn->st;
	struct kp_stmt *stmt;
	int rc;

	memset(a, 0, sizeof(*a));
	if ((stmt = store_stmt_get(st, st->db, STMT_APPLIED_GET, sql)) == NULL)
		return store_fail(st, err, "cannot prepare stream identity read");
	kp_db_bind_text(stmt, 1, partner);
	kp_db_bind_int(stmt, 2, partitie);
	kp_db_bind_int(stmt, 3, (int64_t)volgnummer);
	if ((rc = kp_db_step(stmt)) == KP_DB_ROW) {
		const char *soort = kp_db_col_text(stmt, 4);

		a->found = 1;
		snprintf(a->entiteittype, sizeof(a->entiteittype), "%s",
		    kp_db_col_text(stmt, 0));
		snprintf(a->bron, sizeof(a->bron), "%s", kp_db_col_text(stmt, 1));
		snprintf(a->identificatie, sizeof(a->identificatie), "%s",
		    kp_db_col_text(stmt, 2));
		a->bronversie = (uint64_t)kp_db_col_int(stmt, 3);
		a->mutatiesoort = soort != NULL ? soort[0] : '?';
	}
	kp_db_reset(stmt);
	if (rc != KP_DB_ROW && rc != KP_DB_DONE)
		return store_fail(st, err, "cannot read stream identity");
	return KP_OK;
}

int
kp_txn_stream_advance(struct kp_txn *txn, const char *partner,
    uint32_t partitie, uint64_t next, struct kp_err *err)
{
	static const char sql[] = "INSERT INTO stream_in (partner_oin, partitie, "
	    "next_expected) VALUES (?, ?, ?) ON CONFLICT (partner_oin, partitie) "
	    "DO UPDATE SET next_expected = excluded.next_expected";
	struct kp_store *st = txn->st;
	struct kp_stmt *stmt;
	int rc;

	if ((stmt = store_stmt_get(st, st->db, STMT_STREAM_SET, sql)) == NULL)
		return store_fail(st, err, "cannot prepare stream update");
	kp_db_bind_text(stmt, 1, partner);
	kp_db_bind_int(stmt, 2, partitie);
	kp_db_bind_int(stmt, 3, (int64_t)next);
	rc = kp_db_step(stmt);
	kp_db_reset(stmt);
	return rc == KP_DB_DONE ? KP_OK : store_fail(st, err, "cannot advance stream");
}
