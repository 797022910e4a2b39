/*
 * Digests (PROTOCOL.md 4.3), the answering side: dosLv01 functie=digest
 * through the whole inbound pipeline.  A citizen's digest is the formula's
 * value (checked against lines written out here by hand), answers come in
 * pages of KP_DIGEST_PAGE citizens with vervolgVanaf, only records the
 * asker delivered count, and questions the profile does not allow, or
 * other functions, are refused.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "compose.h"
#include "fixture.h"
#include "gateway.h"
#include "inbound.h"
#include "kd.h"
#include "sync.h"
#include "tap.h"
#include "util.h"
#include "xmlsafe.h"

static struct fixture fx;

/* Ask self a dosLv01 as the partner. */
static char *
ask(const char *functie, const char *bsn, const char *vanaf,
    kp_fault *fault)
{
	struct kp_kd_reply r = { OIN_PARTNER, "app", OIN_SELF, "app", NULL };
	struct kp_request kreq = { OIN_PARTNER, "text/xml", NULL, NULL, 0 };
	struct kp_composed req;
	struct kp_response resp;
	struct kp_err err;
	xmlDocPtr q;
	char *body = NULL;

	*fault = KP_F_050;
	if ((q = kp_kd_question(&r, functie, bsn, KP_DIGEST_DOEL, vanaf,
	    &err)) == NULL)
		return NULL;
	if (kp_request_build(fx.partner, fx.self_at_partner,
	    xmlDocGetRootElement(q), &req, &err) == KP_OK) {
		kreq.body = req.bytes;
		kreq.len = req.len;
		kp_inbound_handle(fx.self, &kreq, &resp);
		*fault = resp.fault;
		body = resp.body;
		resp.body = NULL;
		kp_response_clear(&resp);
		kp_composed_clear(&req);
	}
	xmlFreeDoc(q);
	return body;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; p != NULL && (p = strstr(p, needle)) != NULL;
	    p += strlen(needle))
		n++;
	return n;
}

/* The text of the first <kd:NAME> in hay, or "" (static). */
static const char *
text_of(const char *hay, const char *name)
{
	static char out[128];
	char open[64];
	const char *p, *e;

	snprintf(open, sizeof(open), "<kd:%s>", name);
	out[0] = '\0';
	if (hay == NULL || (p = strstr(hay, open)) == NULL)
		return out;
	p += strlen(open);
	if ((e = strchr(p, '<')) != NULL && (size_t)(e - p) < sizeof(out))
		snprintf(out, sizeof(out), "%.*s", (int)(e - p), p);
	return out;
}

int
main(void)
{
	char path[300], bsn_a[24] = "", nth[24] = "", sql[1024], expect[65];
	char lines[512];
	const char *sha1 =
	    "1111111111111111111111111111111111111111111111111111111111111111";
	const char *sha2 =
	    "2222222222222222222222222222222222222222222222222222222222222222";
	sqlite3 *db;
	kp_fault fault;
	char *answer;
	int citizens = 0, n;

	if (fixture_setup(&fx) != 0) {
		ok(0, "fixture");
		return done_testing();
	}
	/*
	 * Self's store: citizen A with two records the partner delivered and
	 * one the call centre did; then KP_DIGEST_PAGE + 700 more citizens
	 * with one record each from the partner.
	 */
	snprintf(path, sizeof(path), "%s/self.db", fx.dir);
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		ok(0, "open self's store");
		return done_testing();
	}
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (long v = 100000000; citizens < KP_DIGEST_PAGE + 701; v++) {
		char bsn[24];

		snprintf(bsn, sizeof(bsn), "%ld", v);
		if (!kp_bsn_valid(bsn))
			continue;
		citizens++;
		if (citizens == 1) {
			snprintf(bsn_a, sizeof(bsn_a), "%s", bsn);
			snprintf(sql, sizeof(sql), "INSERT INTO record VALUES "
			    "('ZAK', '%s', 'Z-b', 3, '%s', 0, 'x', '%s', '%s', "
			    "NULL, 'now'), ('PRS', '%s', 'P-a', 1, '%s', 1, '', "
			    "'%s', '%s', NULL, 'now'), ('KCT', '%s', 'K', 1, '%s', "
			    "0, 'y', '%s', '%s', NULL, 'now')", OIN_PARTNER, bsn,
			    sha1, OIN_PARTNER, OIN_PARTNER, bsn, sha2, OIN_PARTNER,
			    OIN_CALLCENTER, bsn, sha1, OIN_CALLCENTER);
		} else {
			snprintf(sql, sizeof(sql), "INSERT INTO record VALUES "
			    "('ZAK', '%s', 'Z%d', 1, '%s', 0, 'x', '%s', '%s', "
			    "NULL, 'now')", OIN_PARTNER, citizens, bsn, sha1,
			    OIN_PARTNER);
		}
		if (citizens == KP_DIGEST_PAGE)
			snprintf(nth, sizeof(nth), "%s", bsn);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			printf("# insert: %s\n", sqlite3_errmsg(db));
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);

	/* The formula, by hand: lines sorted bytewise, joined with \n. */
	snprintf(lines, sizeof(lines), "PRS|%s|P-a|1|%s\nZAK|%s|Z-b|3|%s",
	    OIN_PARTNER, sha2, OIN_PARTNER, sha1);
	kp_sha256_hex(lines, strlen(lines), expect);
	answer = ask("digest", bsn_a, NULL, &fault);
	is_int(fault, KP_F_NONE, "a digest question for one citizen is answered");
	ok(answer != NULL && strstr(answer, "dosLa01") != NULL &&
	    strstr(answer, "wsse11:SignatureConfirmation") != NULL,
	    "with a signed dosLa01");
	is_int(count(answer, "<kd:digest>"), 1, "one digest");
	is_str(text_of(answer, "waarde"), expect, "its value is PROTOCOL.md "
	    "4.3's formula over the two records the partner delivered");
	is_str(text_of(answer, "aantal"), "2", "aantal counts them (not the "
	    "call centre's record)");
	ok(answer != NULL && strstr(answer, "vervolgVanaf") == NULL,
	    "no next page");
	free(answer);

	answer = ask("digest", NULL, NULL, &fault);
	is_int(fault, KP_F_NONE, "all citizens: the first page");
	is_int(count(answer, "<kd:digest>"), KP_DIGEST_PAGE, "holds %d citizens",
	    KP_DIGEST_PAGE);
	is_str(text_of(answer, "vervolgVanaf"), nth, "vervolgVanaf is the "
	    "last BSN on the page");
	free(answer);
	answer = ask("digest", NULL, nth, &fault);
	is_int(fault, KP_F_NONE, "the next page (vanaf)");
	n = count(answer, "<kd:digest>");
	is_int(n, citizens - KP_DIGEST_PAGE, "holds the rest");
	ok(answer != NULL && strstr(answer, "vervolgVanaf") == NULL,
	    "and is the last");
	free(answer);

	answer = ask("context", bsn_a, NULL, &fault);
	is_int(fault, KP_F_020, "functie context, not in its <vragen>: KP020");
	ok(answer != NULL && strstr(answer, "may not ask dosLv01 functie "
	    "context") != NULL, "and the Fo03 says so");
	free(answer);

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM message WHERE "
	    "direction = 'in' AND berichtcode = 'Lv01' AND root = 'dosLv01'");
	{
		sqlite3_stmt *st;
		long long m = -1;

		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			m = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		is_int(m, 3, "each answered question is stored with its answer");
	}
	sqlite3_close(db);
	fixture_teardown(&fx);
	return done_testing();
}
