/*
 * store_streams — the incoming streams (PROTOCOL.md 4.1): the number
 * expected next from each sender on each partitie, and the identity of
 * the notice applied under each number, so that a notice behind the
 * stream is acknowledged only when it is that notice (else KP031).
 * Called inside the inbound apply's transaction.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "kd.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

/*
 * The stream position expected next from partner on partitie (1: new) and
 * the first volgnummer whose notice's identity is kept (see migration 7).
 */
int
store_stream_expected(struct kp_store *st, const char *partner, uint32_t partitie,
    uint64_t *expected, uint64_t *kept_from, struct kp_err *err)
{
	static const char sql[] = "SELECT next_expected, kept_from FROM stream_in "
	    "WHERE partner_oin = ? AND partitie = ?";
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = store_stmt_get(st, st->db, STMT_STREAM_GET, sql)) == NULL)
		return store_fail(st, err, "cannot prepare stream read");
	store_bind_text(stmt, 1, partner);
	sqlite3_bind_int64(stmt, 2, partitie);
	*expected = 1;
	*kept_from = 1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*expected = (uint64_t)sqlite3_column_int64(stmt, 0);
		*kept_from = (uint64_t)sqlite3_column_int64(stmt, 1);
	}
	store_stmt_done(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, "cannot read stream");
	return KP_OK;
}

/* Keep the identity of the notice applied under its volgnummer. */
int
store_stream_applied_put(struct kp_store *st, const char *partner,
    const struct kp_notice *n, struct kp_err *err)
{
	static const char sql[] = "INSERT INTO stream_applied (partner_oin, "
	    "partitie, volgnummer, entiteittype, bron, identificatie, bronversie, "
	    "mutatiesoort) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	char soort[2] = { n->mutatiesoort, '\0' };
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = store_stmt_get(st, st->db, STMT_APPLIED_PUT, sql)) == NULL)
		return store_fail(st, err, "cannot prepare stream identity write");
	store_bind_text(stmt, 1, partner);
	sqlite3_bind_int64(stmt, 2, n->partitie);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)n->volgnummer);
	store_bind_text(stmt, 4, n->entiteittype);
	store_bind_text(stmt, 5, n->bron);
	store_bind_text(stmt, 6, n->identificatie);
	sqlite3_bind_int64(stmt, 7, (sqlite3_int64)n->bronversie);
	store_bind_text(stmt, 8, soort);
	rc = sqlite3_step(stmt);
	store_stmt_done(stmt);
	return rc == SQLITE_DONE ? KP_OK :
	    store_fail(st, err, "cannot keep the stream identity");
}

/*
 * PROTOCOL.md 4.1: n is behind the stream.  *same = 1 when it is the
 * notice applied under its volgnummer (a resend); otherwise why says what
 * was applied there.  For a number applied before identities were kept
 * (below kept_from) a resend is recognised by its record: held at this
 * bronversie or later (a retraction: no copy held any more).
 */
int
store_stream_behind(struct kp_store *st, const char *partner,
    const struct kp_notice *n, uint64_t kept_from, int *same, char *why,
    size_t whylen, struct kp_err *err)
{
	static const char sql[] = "SELECT entiteittype, bron, identificatie, "
	    "bronversie, mutatiesoort FROM stream_applied WHERE partner_oin = ? "
	    "AND partitie = ? AND volgnummer = ?";
	sqlite3_stmt *stmt;
	int rc;

	*same = 0;
	why[0] = '\0';
	if (n->volgnummer < kept_from) {
		int64_t held = -1;

		if (sqlite3_prepare_v2(st->db, "SELECT bronversie FROM record "
		    "WHERE entiteittype = ? AND bron = ? AND identificatie = ?",
		    -1, &stmt, NULL) != SQLITE_OK)
			return store_fail(st, err, "cannot prepare record read");
		store_bind_text(stmt, 1, n->entiteittype);
		store_bind_text(stmt, 2, n->bron);
		store_bind_text(stmt, 3, n->identificatie);
		if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
			held = sqlite3_column_int64(stmt, 0);
		sqlite3_finalize(stmt);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return store_fail(st, err, "cannot read record");
		*same = n->intrekking ? held < 0 :
		    held >= (int64_t)n->bronversie;
		if (!*same)
			snprintf(why, whylen, "a notice applied before this "
			    "gateway kept stream identities, and %s %s of %s is "
			    "not held at bronversie %llu", n->entiteittype,
			    n->identificatie, n->bron,
			    (unsigned long long)n->bronversie);
		return KP_OK;
	}
	if ((stmt = store_stmt_get(st, st->db, STMT_APPLIED_GET, sql)) == NULL)
		return store_fail(st, err, "cannot prepare stream identity read");
	store_bind_text(stmt, 1, partner);
	sqlite3_bind_int64(stmt, 2, n->partitie);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)n->volgnummer);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *et = (const char *)sqlite3_column_text(stmt, 0);
		const char *bron = (const char *)sqlite3_column_text(stmt, 1);
		const char *id = (const char *)sqlite3_column_text(stmt, 2);
		uint64_t versie = (uint64_t)sqlite3_column_int64(stmt, 3);
		const char *soort = (const char *)sqlite3_column_text(stmt, 4);

		*same = strcmp(et, n->entiteittype) == 0 &&
		    strcmp(bron, n->bron) == 0 &&
		    strcmp(id, n->identificatie) == 0 &&
		    versie == n->bronversie && soort[0] == n->mutatiesoort;
		if (!*same)
			snprintf(why, whylen, "%s %s %s of %s bronversie %llu",
			    soort, et, id, bron, (unsigned long long)versie);
	} else if (rc == SQLITE_DONE) {
		snprintf(why, whylen, "a notice whose identity is not kept");
	}
	store_stmt_done(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, "cannot read stream identity");
	return KP_OK;
}

int
store_stream_advance(struct kp_store *st, const char *partner, uint32_t partitie,
    uint64_t next, struct kp_err *err)
{
	static const char sql[] = "INSERT INTO stream_in (partner_oin, partitie, "
	    "next_expected) VALUES (?, ?, ?) ON CONFLICT (partner_oin, partitie) "
	    "DO UPDATE SET next_expected = excluded.next_expected";
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = store_stmt_get(st, st->db, STMT_STREAM_SET, sql)) == NULL)
		return store_fail(st, err, "cannot prepare stream update");
	store_bind_text(stmt, 1, partner);
	sqlite3_bind_int64(stmt, 2, partitie);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)next);
	rc = sqlite3_step(stmt);
	store_stmt_done(stmt);
	return rc == SQLITE_DONE ? KP_OK : store_fail(st, err, "cannot advance stream");
}
