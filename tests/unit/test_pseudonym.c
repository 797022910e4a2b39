/*
 * The store's pseudonyms asked of the key process: the last answers are
 * kept (store_audit.c) so that the writer need not ask for each entry, but
 * an answer given is always the key process's for that very BSN, a failed
 * question is asked again, an entry the writer writes after a worker
 * warmed its citizen's pseudonym asks nothing more, and the answers kept
 * go with the asker they came from.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "apply.h"
#include "fixture.h"
#include "gateway.h"
#include "store.h"
#include "tap.h"

static struct fixture fx;
static int asked, fail_next;

/* A stand-in for the key process's HMAC: 64 characters that name bsn. */
static void
expected(const char *bsn, char out[65])
{
	snprintf(out, 65, "%-32s%032lx", bsn, (unsigned long)strlen(bsn) * 7919);
	for (char *c = out; *c != '\0'; c++)
		if (*c == ' ')
			*c = '.';
}

static int
ask(void *arg, const char *bsn, char out[65])
{
	(void)arg;
	asked++;
	if (fail_next) {
		fail_next = 0;
		return -1;
	}
	expected(bsn, out);
	return 0;
}

/* Another asker (a key process started again with another key, say). */
static int
ask_other(void *arg, const char *bsn, char out[65])
{
	(void)arg;
	asked++;
	expected(bsn, out);
	out[0] = '#';
	return 0;
}

static char *
last_subject(void)
{
	static char subject[80];
	char path[400];
	sqlite3 *db;
	sqlite3_stmt *stmt;

	subject[0] = '\0';
	snprintf(path, sizeof(path), "%s/self.db", fx.dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT subject FROM audit ORDER BY seq DESC "
	    "LIMIT 1", -1, &stmt, NULL) == SQLITE_OK) {
		if (sqlite3_step(stmt) == SQLITE_ROW &&
		    sqlite3_column_text(stmt, 0) != NULL)
			snprintf(subject, sizeof(subject), "%s",
			    (const char *)sqlite3_column_text(stmt, 0));
		sqlite3_finalize(stmt);
	}
	sqlite3_close(db);
	return subject;
}

int
main(void)
{
	struct kp_store *st;
	struct kp_err err;
	char out[65], want[65], bsn[16];
	int before, wrong = 0;

	if (fixture_setup(&fx) != 0) {
		ok(0, "fixture");
		return done_testing();
	}
	st = fx.self->store;
	kp_store_set_pseudonym(st, ask, NULL);

	expected("111222333", want);
	ok(kp_store_pseudonym(st, "111222333", out, &err) == KP_OK &&
	    strcmp(out, want) == 0 && asked == 1,
	    "the first question goes to the key process");
	memset(out, 0, sizeof(out));
	ok(kp_store_pseudonym(st, "111222333", out, &err) == KP_OK &&
	    strcmp(out, want) == 0 && asked == 1,
	    "the same BSN again: its answer, nothing asked");
	expected("123456782", want);
	ok(kp_store_pseudonym(st, "123456782", out, &err) == KP_OK &&
	    strcmp(out, want) == 0 && asked == 2,
	    "another BSN is asked, and has its own");

	fail_next = 1;
	ok(kp_store_pseudonym(st, "100000009", out, &err) != KP_OK &&
	    strstr(err.msg, "gives no pseudonym") != NULL && asked == 3,
	    "the key process fails: an error (%s)", err.msg);
	expected("100000009", want);
	ok(kp_store_pseudonym(st, "100000009", out, &err) == KP_OK &&
	    strcmp(out, want) == 0 && asked == 4,
	    "  and the next question asks again: a failure is not kept");

	/* the writer after a worker warmed the citizen */
	kp_store_pseudonym_warm(st, "987654321");
	is_int(asked, 5, "warming asks once");
	before = asked;
	{
		struct kp_audit a = { .direction = "in", .partner_oin =
		    OIN_PARTNER, .message_id = "urn:uuid:x", .outcome =
		    "accepted", .bsn = "987654321" };

		ok(kp_apply_audit(st, &a, &err) == KP_OK, "an entry about "
		    "that citizen is written");
	}
	expected("987654321", want);
	is_int(asked - before, 0, "  without asking the key process again");
	ok(strcmp(last_subject(), want) == 0, "  and it names the key "
	    "process's pseudonym (%s)", last_subject());
	kp_store_pseudonym_warm(st, NULL);
	kp_store_pseudonym_warm(st, "");
	is_int(asked - before, 0, "warming without a citizen asks nothing");

	/* more citizens than it keeps: never a wrong answer */
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 3000; i++) {
			snprintf(bsn, sizeof(bsn), "9%08d", i);
			expected(bsn, want);
			if (kp_store_pseudonym(st, bsn, out, &err) != KP_OK ||
			    strcmp(out, want) != 0)
				wrong++;
		}
	is_int(wrong, 0, "3,000 citizens asked twice: every answer the "
	    "citizen's own");
	ok(asked - before < 6000 && asked - before > 3000,
	    "  some kept, some asked again (%d questions)", asked - before);

	/* a new asker: what the old one answered is not kept */
	kp_store_pseudonym(st, "111222333", out, &err);
	kp_store_set_pseudonym(st, ask_other, NULL);
	before = asked;
	expected("111222333", want);
	want[0] = '#';
	ok(kp_store_pseudonym(st, "111222333", out, &err) == KP_OK &&
	    strcmp(out, want) == 0 && asked == before + 1,
	    "another asker set: a citizen kept is asked again, of it");

	fixture_teardown(&fx);
	return done_testing();
}
