/*
 * Records and incoming streams through the whole pipeline (PROTOCOL.md 4.1
 * and 4.2): volgnummer per (partner, partitie), gaps answered with KP030
 * and verwachtVolgnummer, records applied by bronversie with tombstones,
 * stale versions KP023, ownership and relaying KP022.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "dossier.h"
#include "fixture.h"
#include "gateway.h"
#include "inbound.h"
#include "store.h"
#include "tap.h"
#include "xmlsafe.h"

#include <sqlite3.h>

static struct fixture fx;
static int refno;

/* A notice from the partner; root is zakLk01 or prsLk01. */
static xmlDocPtr
notice(const char *root, char soort, unsigned partitie, unsigned volg,
    const char *bron, const char *ident, unsigned version, const char *extra)
{
	char text[4096];
	const char *et = strcmp(root, "zakLk01") == 0 ? "ZAK" : "PRS";
	const char *el = strcmp(root, "zakLk01") == 0 ? "zaak" : "persoon";
	const char *fields = soort == 'V' ? "" : strcmp(root, "zakLk01") == 0 ?
	    "<kd:zaaktype>Bijstand</kd:zaaktype><kd:status>ontvangen</kd:status>"
	    "<kd:startdatum>2026-11-20</kd:startdatum>" :
	    "<kd:geslachtsnaam>Jansen</kd:geslachtsnaam>";
	struct kp_err err;

	snprintf(text, sizeof(text),
	    "<kd:%s xmlns:kd='urn:ketenpoort:ketendossier:1'><kd:stuurgegevens>"
	    "<kd:berichtcode>Lk01</kd:berichtcode><kd:zender><kd:organisatie>"
	    OIN_PARTNER "</kd:organisatie><kd:applicatie>app</kd:applicatie>"
	    "</kd:zender><kd:ontvanger><kd:organisatie>" OIN_SELF
	    "</kd:organisatie><kd:applicatie>app</kd:applicatie></kd:ontvanger>"
	    "<kd:referentienummer>rec-%d</kd:referentienummer>"
	    "<kd:tijdstipBericht>20261122120000</kd:tijdstipBericht>"
	    "<kd:entiteittype>%s</kd:entiteittype></kd:stuurgegevens>"
	    "<kd:parameters><kd:mutatiesoort>%c</kd:mutatiesoort>"
	    "<kd:partitie>%u</kd:partitie><kd:volgnummer>%u</kd:volgnummer>"
	    "</kd:parameters><kd:object><kd:%s><kd:bron>%s</kd:bron>"
	    "<kd:identificatie>%s</kd:identificatie><kd:bronversie>%u"
	    "</kd:bronversie><kd:bsn>111222333</kd:bsn>%s%s</kd:%s></kd:object>"
	    "</kd:%s>", root, ++refno, et, soort, partitie, volg, el, bron,
	    ident, version, fields, extra != NULL ? extra : "", el, root);
	return kp_xml_parse(text, strlen(text), &err);
}

/* Send doc as the partner; the answer's code ("Bv03" or "KPnnn"). */
static const char *
send_doc(xmlDocPtr doc, char *answer_copy, size_t copylen)
{
	static char code[16];
	struct kp_composed req;
	struct kp_request kreq = { OIN_PARTNER, "text/xml", NULL, NULL, 0 };
	struct kp_response resp;
	struct kp_err err;
	const char *p;

	if (doc == NULL || kp_request_build(fx.partner, fx.self_at_partner,
	    xmlDocGetRootElement(doc), &req, &err) != KP_OK)
		return "forge-failed";
	kreq.body = req.bytes;
	kreq.len = req.len;
	kp_inbound_handle(fx.self, &kreq, &resp);
	if (resp.fault == KP_F_NONE)
		snprintf(code, sizeof(code), "%s", resp.http_status == 200 &&
		    resp.body != NULL && strstr(resp.body, ">Bv03<") != NULL ?
		    "Bv03" : "?");
	else
		snprintf(code, sizeof(code), "%s", kp_fault_code(resp.fault));
	if (answer_copy != NULL)
		snprintf(answer_copy, copylen, "%s", resp.body != NULL ?
		    resp.body : "");
	kp_response_clear(&resp);
	kp_composed_clear(&req);
	xmlFreeDoc(doc);
	(void)p;
	return code;
}

/* One integer from the self store. */
static long long
q(const char *sql)
{
	char path[300];
	sqlite3 *db;
	sqlite3_stmt *stmt;
	long long v = -1;

	snprintf(path, sizeof(path), "%s/self.db", fx.dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK) {
		if (sqlite3_step(stmt) == SQLITE_ROW)
			v = sqlite3_column_int64(stmt, 0);
		sqlite3_finalize(stmt);
	}
	sqlite3_close(db);
	return v;
}

/* Change the self store behind the gateway's back (an older store). */
static int
x(const char *sql)
{
	char path[300];
	sqlite3 *db;
	int rc;

	snprintf(path, sizeof(path), "%s/self.db", fx.dir);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

#define RECORD_VERSION(ident) \
	q("SELECT bronversie * 10 + deleted FROM record WHERE identificatie = '" \
	    ident "'")
#define NEXT(partitie) \
	q("SELECT next_expected FROM stream_in WHERE partner_oin = '" \
	    OIN_PARTNER "' AND partitie = " #partitie)

int
main(void)
{
	char answer[16384];
	long long messages;

	if (fixture_setup(&fx) != 0) {
		ok(0, "fixture");
		return done_testing();
	}

	is_str(send_doc(notice("zakLk01", 'T', 0, 1, OIN_PARTNER, "Z1", 1, NULL),
	    NULL, 0), "Bv03", "volgnummer 1: applied");
	is_int(RECORD_VERSION("Z1"), 10, "record Z1 at bronversie 1");
	is_int(NEXT(0), 2, "stream 0 expects 2 next");

	messages = q("SELECT count(*) FROM message");
	is_str(send_doc(notice("zakLk01", 'T', 0, 3, OIN_PARTNER, "Z2", 1, NULL),
	    answer, sizeof(answer)), "KP030", "volgnummer 3 while 2 is expected: KP030");
	ok(strstr(answer, "<kd:verwachtVolgnummer>2</kd:verwachtVolgnummer>") != NULL &&
	    strstr(answer, "<kd:herhaalbaar>true</kd:herhaalbaar>") != NULL,
	    "the Fault says verwachtVolgnummer 2, herhaalbaar");
	is_int(q("SELECT count(*) FROM message"), messages,
	    "the gap stored no message");
	is_int(RECORD_VERSION("Z2"), -1, "and applied no record");
	is_int(q("SELECT count(*) FROM audit WHERE code = 'KP030'"), 1,
	    "but audited the refusal");

	messages = q("SELECT count(*) FROM message");
	is_str(send_doc(notice("zakLk01", 'T', 0, 1, OIN_PARTNER, "Z1", 1, NULL),
	    NULL, 0), "Bv03", "volgnummer 1 again, the very notice applied "
	    "there (a resend under a new MessageID): Bv03");
	is_int(RECORD_VERSION("Z1"), 10, "and nothing applied: Z1 still at 1");
	is_int(q("SELECT count(*) FROM audit WHERE outcome = 'duplicate' AND "
	    "detail = 'volgnummer 1 on partitie 0 was applied before: a resend, "
	    "nothing applied'"), 1, "audited as a duplicate, saying why");
	is_int(q("SELECT count(*) FROM message"), messages + 1,
	    "the resend's signed bytes are kept");

	/* PROTOCOL.md 4.1: another notice under a used number is KP031. */
	messages = q("SELECT count(*) FROM message");
	is_str(send_doc(notice("zakLk01", 'W', 0, 1, OIN_PARTNER, "Z1", 5, NULL),
	    answer, sizeof(answer)), "KP031",
	    "volgnummer 1 again with another bronversie of Z1: KP031");
	ok(strstr(answer, "<kd:verwachtVolgnummer>2</kd:verwachtVolgnummer>") != NULL &&
	    strstr(answer, "<kd:herhaalbaar>false</kd:herhaalbaar>") != NULL,
	    "the Fault says verwachtVolgnummer 2, not repeatable");
	is_str(send_doc(notice("zakLk01", 'T', 0, 1, OIN_PARTNER, "Z9", 1, NULL),
	    answer, sizeof(answer)), "KP031",
	    "volgnummer 1 again with another record: KP031");
	ok(strstr(answer, "volgnummer 1 on partitie 0 was used by another notice "
	    "(T ZAK Z1 of " OIN_PARTNER " bronversie 1); nothing applied; "
	    "expected 2") != NULL, "the Fault names the notice applied there");
	is_int(RECORD_VERSION("Z1"), 10, "nothing applied: Z1 still at 1");
	is_int(RECORD_VERSION("Z9"), -1, "and Z9 not created");
	is_int(q("SELECT count(*) FROM message"), messages,
	    "the refused notices stored no message");
	is_int(q("SELECT count(*) FROM audit WHERE outcome = 'rejected' AND "
	    "code = 'KP031' AND detail LIKE 'volgnummer 1 on partitie 0 was used "
	    "by another notice (T ZAK Z1 %'"), 2, "both audited as KP031 with why");
	is_int(q("SELECT count(*) FROM audit WHERE code = 'KP031' AND record = "
	    "'ZAK|" OIN_PARTNER "|Z9|1'"), 1, "naming the refused record");
	is_int(NEXT(0), 2, "stream still expects 2");

	is_str(send_doc(notice("zakLk01", 'W', 0, 2, OIN_PARTNER, "Z1", 2, NULL),
	    NULL, 0), "Bv03", "W with bronversie 2: applied");
	is_int(RECORD_VERSION("Z1"), 20, "record Z1 at bronversie 2");
	is_str(send_doc(notice("zakLk01", 'W', 0, 3, OIN_PARTNER, "Z1", 2, NULL),
	    NULL, 0), "Bv03", "the same version and content again: a duplicate, Bv03");
	is_int(NEXT(0), 4, "and the stream moves on");
	is_str(send_doc(notice("zakLk01", 'W', 0, 4, OIN_PARTNER, "Z1", 2,
	    "<kd:einddatum>2026-12-01</kd:einddatum>"), answer, sizeof(answer)),
	    "KP023", "the same version with other content: KP023");
	is_str(send_doc(notice("zakLk01", 'W', 0, 4, OIN_PARTNER, "Z1", 1, NULL),
	    answer, sizeof(answer)), "KP023", "an older version: KP023");
	ok(strstr(answer, "not higher than the 2 held") != NULL,
	    "the Fault names the version held");
	is_int(RECORD_VERSION("Z1"), 20, "Z1 unchanged");
	is_int(NEXT(0), 4, "a refused notice does not move the stream");

	is_str(send_doc(notice("zakLk01", 'V', 0, 4, OIN_PARTNER, "Z1", 3, NULL),
	    NULL, 0), "Bv03", "V with bronversie 3: deleted");
	is_int(RECORD_VERSION("Z1"), 31, "a tombstone at bronversie 3");
	is_str(send_doc(notice("zakLk01", 'W', 0, 5, OIN_PARTNER, "Z1", 2, NULL),
	    NULL, 0), "KP023", "a late W cannot resurrect it: KP023");
	is_int(RECORD_VERSION("Z1"), 31, "still a tombstone");

	is_str(send_doc(notice("zakLk01", 'T', 1, 1, OIN_PARTNER, "Z3", 1, NULL),
	    NULL, 0), "Bv03", "partitie 1 is a stream of its own, starting at 1");
	is_int(NEXT(1), 2, "stream 1 expects 2");
	is_int(NEXT(0), 5, "stream 0 untouched");

	/*
	 * A store from before identities were kept (migration 7 sets
	 * kept_from to the next expected number): a resend below it is
	 * recognised by the record held, anything else is KP031.
	 */
	ok(x("DELETE FROM stream_applied WHERE partitie = 1; "
	    "UPDATE stream_in SET kept_from = 2 WHERE partitie = 1") == 0,
	    "stream 1 made as an older store left it");
	is_str(send_doc(notice("zakLk01", 'T', 1, 1, OIN_PARTNER, "Z3", 1, NULL),
	    NULL, 0), "Bv03", "older number: a resend of a record held at its "
	    "bronversie is acknowledged");
	is_str(send_doc(notice("zakLk01", 'T', 1, 1, OIN_PARTNER, "Z6", 1, NULL),
	    answer, sizeof(answer)), "KP031", "older number: a record not held "
	    "is KP031, not acknowledged");
	ok(strstr(answer, "before this gateway kept stream identities") != NULL,
	    "the Fault says why it cannot be a resend");
	is_int(RECORD_VERSION("Z6"), -1, "Z6 not applied");
	is_int(NEXT(1), 2, "stream 1 still expects 2");

	is_str(send_doc(notice("zakLk01", 'T', 0, 5, OIN_SELF, "Z4", 1, NULL),
	    NULL, 0), "KP022", "a record whose bron is our own OIN: KP022");
	is_str(send_doc(notice("zakLk01", 'T', 0, 5, OIN_CALLCENTER, "Z5", 1, NULL),
	    answer, sizeof(answer)), "KP022",
	    "another's zaak, and the profile does not let it relay zaken: KP022");
	is_str(send_doc(notice("prsLk01", 'T', 0, 5, OIN_CALLCENTER, "P1", 1, NULL),
	    NULL, 0), "Bv03", "another's persoon, which the profile lets it relay: Bv03");
	is_int(q("SELECT count(*) FROM record WHERE identificatie = 'P1' AND bron = '"
	    OIN_CALLCENTER "' AND received_from = '" OIN_PARTNER "'"), 1,
	    "the relayed record keeps its bron and notes who delivered it");
	is_int(q("SELECT count(*) FROM record"), 3, "three records held in all");

	/* The dossier as the gateway holds it, three ways. */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *mem;
		struct kp_err err;
		xmlDocPtr doc;

		mem = open_memstream(&buf, &len);
		is_int(kp_dossier_show(fx.self, "111222333", KP_DOSSIER_TEXT, mem,
		    &err), KP_OK, "dossier show (text)");
		fclose(mem);
		ok(strstr(buf, "ZAK Z1  bron " OIN_PARTNER "  bronversie 3  "
		    "(deleted)") != NULL && strstr(buf, "PRS P1  bron "
		    OIN_CALLCENTER) != NULL && strstr(buf, "geslachtsnaam") != NULL,
		    "text lists records, tombstones and fields");
		free(buf);
		mem = open_memstream(&buf, &len);
		kp_dossier_show(fx.self, "111222333", KP_DOSSIER_JSON, mem, &err);
		fclose(mem);
		ok(strstr(buf, "\"identificatie\": \"P1\"") != NULL &&
		    strstr(buf, "\"fields\": {\"geslachtsnaam\": \"Jansen\"}") != NULL &&
		    strstr(buf, "\"deleted\": true") != NULL,
		    "JSON carries identity, fields and the tombstone");
		free(buf);
		mem = open_memstream(&buf, &len);
		kp_dossier_show(fx.self, "111222333", KP_DOSSIER_XML, mem, &err);
		fclose(mem);
		doc = kp_xml_parse(buf, len, &err);
		ok(doc != NULL && strstr(buf, "<kd:zaaktype>Bijstand</kd:zaaktype>")
		    != NULL, "XML is well-formed and in kd terms");
		xmlFreeDoc(doc);
		free(buf);
		mem = open_memstream(&buf, &len);
		is_int(kp_dossier_show(fx.self, "123456789", KP_DOSSIER_TEXT, mem,
		    &err), KP_ERR_USAGE, "a BSN failing the elfproef is refused");
		fclose(mem);
		free(buf);
	}

	fixture_teardown(&fx);
	return done_testing();
}
