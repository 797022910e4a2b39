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

/* Keep the identity of the notice applied under its volgnummer. */
int
store_stream_applied_put(struct kp_store *st, const char *partner,
    const struct kp_notice *n, struct kp_err *err)
{
	static const char sql[] = "INSERT INTO stream_applied (partner_oin, "
	    "partitie, volgnummer, entiteittype, bron, identificatie, bronversie, "
	    "mutatiesoort) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	char soort[2] = { n->mutatiesoort, '\0' };
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
	struct kp_stmt *stmt;
	int rc;

	*same = 0;
	why[0] = '\0';
	if (n->volgnummer < kept_from) {
		int64_t held = -1;

		if ((stmt = kp_db_prepare(st->db, "SELECT bronversie FROM record "
		    "WHERE entiteittype = ? AND bron = ? AND identificatie = ?")) == NULL)
			return store_fail(st, err, "cannot prepare record read");
		kp_db_bind_text(stmt, 1, n->entiteittype);
		kp_db_bind_text(stmt, 2, n->bron);
		kp_db_bind_text(stmt, 3, n->identificatie);
		if ((rc = kp_db_step(stmt)) == KP_DB_ROW)
			held = kp_db_col_int(stmt, 0);
		kp_db_finalize(stmt);
		if (rc != KP_DB_ROW && rc != KP_DB_DONE)
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
	kp_db_bind_text(stmt, 1, partner);
	kp_db_bind_int(stmt, 2, n->partitie);
	kp_db_bind_int(stmt, 3, (int64_t)n->volgnummer);
	if ((rc = kp_db_step(stmt)) == KP_DB_ROW) {
		const char *et = kp_db_col_text(stmt, 0);
		const char *bron = kp_db_col_text(stmt, 1);
		const char *id = kp_db_col_text(stmt, 2);
		uint64_t versie = (uint64_t)kp_db_col_int(stmt, 3);
		const char *soort = kp_db_col_text(stmt, 4);

		*same = strcmp(et, n->entiteittype) == 0 &&
		    strcmp(bron, n->bron) == 0 &&
		    strcmp(id, n->identificatie) == 0 &&
		    versie == n->bronversie && soort[0] == n->mutatiesoort;
		if (!*same)
			snprintf(why, whylen, "%s %s %s of %s bronversie %llu",
			    soort, et, id, bron, (unsigned long long)versie);
	} else if (rc == KP_DB_DONE) {
		snprintf(why, whylen, "a notice whose identity is not kept");
	}
	kp_db_reset(stmt);
	if (rc != KP_DB_ROW && rc != KP_DB_DONE)
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
