/*
 * The outbound pipeline (outbound.h), as local changes take it (dossier
 * put, POST /dossier): the same input rules as partner bodies, the
 * owner rule, versions, and the outbox pattern: the record, one outbox row
 * per entitled partner with only the fields its profile lists, on the next
 * volgnummer of the citizen's partitie, and the audit rows, together.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "config.h"
#include "dossier.h"
#include "fixture.h"
#include "gateway.h"
#include "kd.h"
#include "outbound.h"
#include "tap.h"

static struct fixture fx;

static const char *
put(const char *soort, const char *el, const char *bron, const char *ident,
    int version, const char *bsn, const char *fields, size_t *queued)
{
	static char code[16];
	char text[4096];
	struct kp_put_result res;
	struct kp_err err;

	snprintf(text, sizeof(text), "<kd:lokaleWijziging xmlns:kd="
	    "'urn:ketenpoort:ketendossier:1'><kd:mutatiesoort>%s"
	    "</kd:mutatiesoort><kd:object><kd:%s><kd:bron>%s</kd:bron>"
	    "<kd:identificatie>%s</kd:identificatie><kd:bronversie>%d"
	    "</kd:bronversie><kd:bsn>%s</kd:bsn>%s</kd:%s></kd:object>"
	    "</kd:lokaleWijziging>", soort, el, bron, ident, version, bsn,
	    fields, el);
	if (kp_outbound_put(fx.self, text, strlen(text), &res, &err) != KP_OK)
		return "error";
	if (queued != NULL)
		*queued = res.queued;
	snprintf(code, sizeof(code), "%s", res.verdict == KP_F_NONE ? "stored" :
	    kp_fault_code(res.verdict));
	return code;
}

static char *
qs(const char *sql)
{
	static char out[1024];
	char path[300];
	sqlite3 *db;
	sqlite3_stmt *stmt;

	snprintf(out, sizeof(out), "(none)");
	snprintf(path, sizeof(path), "%s/self.db", fx.dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return out;
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK) {
		if (sqlite3_step(stmt) == SQLITE_ROW &&
		    sqlite3_column_text(stmt, 0) != NULL)
			snprintf(out, sizeof(out), "%s",
			    (const char *)sqlite3_column_text(stmt, 0));
		sqlite3_finalize(stmt);
	}
	sqlite3_close(db);
	return out;
}

#define ZAAK "<kd:zaaktype>Bijstand</kd:zaaktype><kd:toelichting>intern" \
	"</kd:toelichting><kd:status>%s</kd:status>" \
	"<kd:startdatum>2026-11-20</kd:startdatum>"

int
main(void)
{
	char fields[512], expect[256];
	size_t queued = 99;
	unsigned part;

	if (fixture_setup(&fx) != 0) {
		ok(0, "fixture");
		return done_testing();
	}
	part = kp_bsn_partition("111222333", 8);
	snprintf(fields, sizeof(fields), ZAAK, "ontvangen");
	is_str(put("T", "zaak", OIN_SELF, "L1", 1, "111222333", fields, &queued),
	    "stored", "a new zaak of ours is stored");
	is_int(queued, 1, "and queued for the one partner entitled to ZAK");
	is_str(qs("SELECT partner_oin || ' ' || partitie || ' ' || volgnummer || "
	    "' ' || mutatiesoort FROM outbox"),
	    (snprintf(expect, sizeof(expect), OIN_PARTNER " %u 1 T", part), expect),
	    "outbox row: that partner, the citizen's partitie, volgnummer 1");
	is_str(qs("SELECT replace(fields, char(10), '|') FROM outbox"),
	    "zaaktype=Bijstand|status=ontvangen|",
	    "it carries only the fields the profile lists (not toelichting, "
	    "not startdatum)");
	is_str(qs("SELECT count(*) FROM record WHERE identificatie = 'L1' AND "
	    "received_from IS NULL"), "1", "the record is held as our own");
	is_str(qs("SELECT group_concat(direction || ':' || outcome) FROM audit"),
	    "out:queued,local:stored",
	    "one audit row for the disclosure decision, one for the change");

	is_str(put("T", "zaak", OIN_SELF, "L1", 1, "111222333", fields, &queued),
	    "stored", "the same change again is taken");
	is_int(queued, 0, "but queues nothing");
	snprintf(fields, sizeof(fields), ZAAK, "in behandeling");
	is_str(put("W", "zaak", OIN_SELF, "L1", 2, "111222333", fields, &queued),
	    "stored", "W with bronversie 2");
	is_str(qs("SELECT max(volgnummer) || ' ' || count(*) FROM outbox"), "2 2",
	    "queued as volgnummer 2 of the same stream");
	is_str(put("W", "zaak", OIN_SELF, "L1", 1, "111222333", fields, NULL),
	    "KP023", "an older bronversie: KP023");
	is_str(put("V", "zaak", OIN_SELF, "L1", 3, "111222333", "", &queued),
	    "stored", "V with bronversie 3");
	is_str(qs("SELECT mutatiesoort || ' ' || bronversie || ' [' || fields || ']' "
	    "FROM outbox WHERE volgnummer = 3"), "V 3 []",
	    "the deletion is queued with identity only");

	snprintf(fields, sizeof(fields), ZAAK, "ontvangen");
	is_str(put("T", "zaak", OIN_PARTNER, "L2", 1, "111222333", fields, NULL),
	    "KP022", "a record whose bron is not us: KP022");
	is_str(put("T", "zaak", OIN_SELF, "L3", 1, "123456789", fields, NULL),
	    "KP040", "a BSN failing the elfproef: KP040");
	is_str(put("T", "zaak", OIN_SELF, "L4", 1, "111222333",
	    "<kd:zaaktype>x</kd:zaaktype>", NULL), "KP002",
	    "a T without its required fields: KP002");
	is_str(put("T", "persoon", OIN_SELF, "P9", 1, "111222333",
	    "<kd:geslachtsnaam>Jansen</kd:geslachtsnaam>", &queued), "stored",
	    "a persoon nobody may receive is stored");
	is_int(queued, 0, "and queued for nobody");
	{
		struct kp_put_result res;
		struct kp_err err;
		const char *doctype = "<!DOCTYPE x><kd:lokaleWijziging/>";

		kp_outbound_put(fx.self, doctype, strlen(doctype), &res, &err);
		is_int(res.verdict, KP_F_001, "a DOCTYPE in local input: KP001");
	}
	is_str(qs("SELECT count(*) FROM outbox"), "3",
	    "refusals queued nothing: three outbox rows in all");
	fixture_teardown(&fx);
	return done_testing();
}
