/*
 * audit: the hash chain and its checkpoints (PROTOCOL.md 6).  A log of 26
 * entries with a signed checkpoint at entry 20 is copied and damaged in
 * each way an insider could: a byte changed, an entry deleted, two
 * swapped, one inserted, the tail truncated after the checkpoint, the
 * history rewritten with every hash recomputed, the checkpoint itself
 * removed or forged, and each hashed column of one entry changed alone.
 * audit verify must fail on each, naming the first bad entry and what is
 * wrong; the untouched log verifies.  (Its hash is pinned independently
 * of this code by tests/integration/auditchain.sh.)
 *
 * Then the same log grown to 45,026 entries, which audit verify checks in
 * four ranges (in parallel where there are processors): damage at and
 * around the ranges' borders, a stored hash that is no hash, and a
 * checkpoint far into the log must each be found exactly once.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "apply.h"
#include "audit.h"
#include "auditlog.h"
#include "checkpoint.h"
#include "fixture.h"
#include "gateway.h"
#include "store.h"
#include "tap.h"

static struct fixture fx;
static char pristine[300], witness[300], big[300];
static const char *source = pristine;	/* what make_case copies */
static char *report;			/* verify()'s report lines */

/* Copy the source store to a case file and run sql on it. */
static void
make_case(const char *name, const char *sql, char *path, size_t pathlen)
{
	sqlite3 *src, *dst;
	sqlite3_backup *b;

	snprintf(path, pathlen, "%s/%s.db", fx.dir, name);
	sqlite3_open(source, &src);
	sqlite3_open(path, &dst);
	b = sqlite3_backup_init(dst, "main", src, "main");
	sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (sql != NULL && sqlite3_exec(dst, sql, NULL, NULL, NULL) != SQLITE_OK)
		printf("# %s: %s\n", name, sqlite3_errmsg(dst));
	sqlite3_close(src);
	sqlite3_close(dst);
}

/* kp_audit_verify on the store at path, as an auditor would. */
static struct kp_audit_check
verify(const char *path, const char *witness_file)
{
	struct kp_store *own = fx.self->store;
	struct kp_audit_check c;
	struct kp_err err;
	size_t len;
	FILE *out;

	memset(&c, 0, sizeof(c));
	free(report);
	report = NULL;
	out = open_memstream(&report, &len);
	fx.self->store = kp_store_open_mode(path, 1, &err);
	if (fx.self->store == NULL ||
	    kp_audit_verify(fx.self, witness_file, out, NULL, &c,
	    &err) != KP_OK) {
		printf("# verify %s: %s\n", path, err.msg);
		c.bad = -1;
	}
	fclose(out);
	kp_store_close(fx.self->store);
	fx.self->store = own;
	return c;
}

/* An insider who has the code: recompute every hash from the start. */
static int
collect(void *arg, const struct kp_audit_entry *e)
{
	sqlite3 *db = arg;
	static char prev[65];
	char hash[65], *sql;

	if (e->seq == 1)
		prev[0] = '\0';
	kp_audit_hash(NULL, prev, e, hash);
	sql = sqlite3_mprintf("UPDATE audit SET hash = %Q WHERE seq = %lld",
	    hash, (long long)e->seq);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_free(sql);
	memcpy(prev, hash, sizeof(prev));
	return 0;
}

static void
rehash(const char *path)
{
	struct kp_store *st;
	struct kp_err err;
	sqlite3 *db;

	st = kp_store_open_mode(path, 1, &err);
	sqlite3_open(path, &db);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	kp_store_each_audit(st, NULL, collect, db, &err);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	kp_store_close(st);
}

static int
write_witness(void *arg, const struct kp_checkpoint *c)
{
	fprintf(arg, "%lld\t%s\t%s\t%s\t%s\n", (long long)c->seq, c->hash, c->at,
	    c->signature, c->cert);
	return 0;
}

#define has(c, text) (strstr((c).first, (text)) != NULL)

int
main(void)
{
	struct kp_audit a = { .direction = "in", .partner_oin = OIN_PARTNER,
	    .berichtcode = "Lk01", .entiteittype = "ZAK", .outcome = "accepted",
	    .bsn = "111222333", .detail = "ZAK Z1 of 00000001001000000000" };
	struct kp_audit_check c;
	char path[300], sql[600], first_at[40] = "";
	struct kp_err err;
	sqlite3 *db;
	FILE *f;
	int made = 0;

	if (fixture_setup(&fx) != 0)
		return done_testing();
	for (int i = 0; i < 20; i++)
		kp_apply_audit(fx.self->store, &a, &err);
	ok(kp_checkpoint_make(fx.self, &made, &err) == KP_OK && made,
	    "a checkpoint of entry 20 is signed");
	kp_checkpoint_make(fx.self, &made, &err);
	ok(!made, "the head (entry 21, the checkpoint's own entry) moved, but "
	    "not a second time without news");
	for (int i = 0; i < 5; i++)
		kp_apply_audit(fx.self->store, &a, &err);
	snprintf(pristine, sizeof(pristine), "%s/pristine.db", fx.dir);
	{
		sqlite3 *src;
		sqlite3_backup *b;

		sqlite3_open(pristine, &db);
		sqlite3_open(kp_store_path(fx.self->store), &src);
		b = sqlite3_backup_init(db, "main", src, "main");
		sqlite3_backup_step(b, -1);
		sqlite3_backup_finish(b);
		sqlite3_close(src);
		sqlite3_close(db);
	}
	snprintf(witness, sizeof(witness), "%s/witness.txt", fx.dir);
	f = fopen(witness, "w");
	kp_store_each_checkpoint(fx.self->store, NULL, write_witness, f, &err);
	fclose(f);

	c = verify(pristine, witness);
	is_int(c.bad, 0, "the untouched log verifies");
	is_int(c.entries, 26, "all 26 entries read");
	is_int(c.checkpoints, 1, "with our checkpoint");
	is_int(c.witnessed, 1, "and the witnessed copy of it");

	make_case("byte", "UPDATE audit SET detail = 'ZAK Z1 of 0000000100100000000X' "
	    "WHERE seq = 5", path, sizeof(path));
	c = verify(path, NULL);
	is_int(c.first_bad, 5, "a changed byte: entry 5 is named");
	ok(has(c, "entry 5 (") && has(c, "its hash does not match its content"),
	    "  as changed after it was written: %s", c.first);
	is_int(c.bad, 1, "  and nothing else is blamed");

	/* Every column the chain hashes, changed alone (issue 13.6). */
	{
		static const char *const changes[][2] = {
			{ "at", "at = at || '0'" },
			{ "direction", "direction = CASE direction WHEN 'in' "
			  "THEN 'out' ELSE 'in' END" },
			{ "partner", "partner_oin = coalesce(partner_oin, '') || '9'" },
			{ "messageid", "message_id = coalesce(message_id, '') || 'x'" },
			{ "berichtcode", "berichtcode = coalesce(berichtcode, '') || 'x'" },
			{ "entiteittype", "entiteittype = coalesce(entiteittype, '') || 'x'" },
			{ "subject", "subject = coalesce(subject, '') || 'x'" },
			{ "record", "record = coalesce(record, '') || 'x'" },
			{ "velden", "velden = coalesce(velden, '') || 'x'" },
			{ "basis", "basis = coalesce(basis, '') || 'x'" },
			{ "doel", "doel = coalesce(doel, '') || 'x'" },
			{ "outcome", "outcome = outcome || 'x'" },
			{ "code", "code = coalesce(code, '') || 'x'" },
			{ "sha256", "bytes_sha256 = coalesce(bytes_sha256, '') || 'x'" },
			{ "message", "message = coalesce(message, 0) + 1" },
			{ "detail", "detail = coalesce(detail, '') || 'x'" },
		};

		for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
			char change[256], name[64];

			snprintf(change, sizeof(change), "UPDATE audit SET %s WHERE seq = 5",
			    changes[i][1]);
			snprintf(name, sizeof(name), "column-%s", changes[i][0]);
			make_case(name, change, path, sizeof(path));
			c = verify(path, NULL);
			ok(c.first_bad == 5 && c.bad == 1 &&
			    has(c, "its hash does not match its content"),
			    "column %s of entry 5 changed: entry 5 named, nothing "
			    "else (%s)", changes[i][0], c.first);
		}
		make_case("column-seq", "UPDATE audit SET seq = 27 WHERE seq = 26",
		    path, sizeof(path));
		c = verify(path, NULL);
		ok(c.first_bad == 27 && c.bad >= 1, "column seq of the last entry "
		    "changed: named (%s)", c.first);
	}

	make_case("delete", "DELETE FROM audit WHERE seq = 7", path, sizeof(path));
	c = verify(path, NULL);
	is_int(c.first_bad, 8, "a deleted entry: the place is named");
	ok(has(c, "entry 8 follows entry 6: 1 entry removed"), "  %s", c.first);

	make_case("swap", "UPDATE audit SET seq = -3 WHERE seq = 3; "
	    "UPDATE audit SET seq = 3 WHERE seq = 4; "
	    "UPDATE audit SET seq = 4 WHERE seq = -3; "
	    "UPDATE audit SET at = '2026-01-01T00:00:00.000Z' WHERE seq = 3",
	    path, sizeof(path));
	c = verify(path, NULL);
	is_int(c.first_bad, 3, "two entries swapped: the first of them is named");
	ok(has(c, "its hash does not match"), "  %s", c.first);

	make_case("insert", "UPDATE audit SET seq = seq + 1000 WHERE seq >= 10; "
	    "UPDATE audit SET seq = seq - 999 WHERE seq >= 1010; "
	    "INSERT INTO audit (seq, at, direction, outcome, hash) SELECT 10, at, "
	    "'out', 'delivered', hash FROM audit WHERE seq = 9", path, sizeof(path));
	c = verify(path, NULL);
	is_int(c.first_bad, 10, "an inserted entry: its place is named");
	ok(has(c, "entry 10 (") && has(c, "its hash does not match"), "  %s",
	    c.first);

	make_case("truncate", "DELETE FROM audit WHERE seq > 15", path,
	    sizeof(path));
	c = verify(path, NULL);
	is_int(c.first_bad, 20, "the tail truncated after a checkpoint: caught");
	ok(has(c, "checkpoint 1 of ") && has(c, "vouches for entry 20, but the "
	    "log ends before it: entries were removed"), "  %s", c.first);

	make_case("rewrite", "UPDATE audit SET detail = 'nothing to see' WHERE "
	    "seq = 2", path, sizeof(path));
	rehash(path);
	c = verify(path, NULL);
	is_int(c.first_bad, 20, "history rewritten and every hash recomputed: "
	    "the checkpoint catches it");
	ok(has(c, "entry 20 is not what checkpoint 1 of ") &&
	    has(c, "signed: the log was rewritten after that checkpoint"),
	    "  %s", c.first);
	is_int(c.bad, 1, "  and the chain itself looks whole (as it would)");

	make_case("erase", "UPDATE audit SET detail = 'nothing to see' WHERE "
	    "seq = 2; DELETE FROM checkpoint; DELETE FROM audit WHERE seq > 15",
	    path, sizeof(path));
	rehash(path);
	c = verify(path, NULL);
	is_int(c.bad, 0, "our own checkpoints erased too: our log alone cannot "
	    "tell (so they go to partners)");
	c = verify(path, witness);
	is_int(c.first_bad, 20, "but the partner's witnessed checkpoint can");
	ok(has(c, "witness line 1 of ") && has(c, "vouches for entry 20"),
	    "  %s", c.first);

	make_case("forged", "UPDATE checkpoint SET hash = (SELECT hash FROM audit "
	    "WHERE seq = 19), seq = 19", path, sizeof(path));
	c = verify(path, NULL);
	is_int(c.first_bad, 19, "a checkpoint moved to another entry: caught");
	ok(has(c, "checkpoint 1 (entry 19, ") && has(c, "its signature does not "
	    "match entry 19"), "  %s", c.first);

	f = fopen(witness, "r");
	if (f != NULL && fgets(sql, sizeof(sql), f) != NULL)
		sscanf(sql, "%*s %*s %39s", first_at);
	if (f != NULL)
		fclose(f);
	ok(first_at[0] != '\0', "the witness line carries the checkpoint's time");

	/*
	 * The big log: entry 5 copied 45,000 times (each detail its own), the
	 * chain recomputed as the writer would have made it.  Four ranges:
	 * 1-11256, 11257-22513, 22514-33769, 33770-45026.
	 */
	source = pristine;
	make_case("big", "WITH RECURSIVE n(i) AS (SELECT 26 UNION ALL SELECT "
	    "i + 1 FROM n WHERE i < 45025) INSERT INTO audit (seq, at, direction, "
	    "partner_oin, berichtcode, entiteittype, subject, outcome, detail, "
	    "hash) SELECT i + 1, at, direction, partner_oin, berichtcode, "
	    "entiteittype, subject, outcome, detail || ' #' || i, '' FROM n, "
	    "(SELECT * FROM audit WHERE seq = 5)", big, sizeof(big));
	rehash(big);
	source = big;
	c = verify(big, witness);
	is_int(c.bad, 0, "the big log verifies");
	is_int(c.entries, 45026, "  all 45,026 entries read");
	is_int(c.ranges, 4, "  in four ranges");
	ok(c.threads >= 1 && c.threads <= 4, "  by %d thread(s)", c.threads);
	ok(report != NULL && report[0] == '\0', "  and nothing reported");

	make_case("big-border", "UPDATE audit SET outcome = 'refused' WHERE seq "
	    "= 22514", path, sizeof(path));
	c = verify(path, NULL);
	is_int(c.first_bad, 22514, "the first entry of a range changed: named");
	is_int(c.bad, 1, "  and only it (its successor holds against its "
	    "stored hash)");

	make_case("big-before", "UPDATE audit SET outcome = 'refused' WHERE seq "
	    "= 22513", path, sizeof(path));
	c = verify(path, NULL);
	is_int(c.first_bad, 22513, "the last entry of a range changed: named");
	is_int(c.bad, 1, "  once, though two ranges read around it");

	make_case("big-gap", "DELETE FROM audit WHERE seq IN (22513, 22514)",
	    path, sizeof(path));
	c = verify(path, NULL);
	is_int(c.first_bad, 22515, "two entries removed across a border");
	ok(has(c, "entry 22515 follows entry 22512: 2 entries removed"), "  %s",
	    c.first);
	is_int(c.bad, 2, "  reported once, with the hash that no longer links "
	    "to the entry before");
	ok(report != NULL && strstr(report, "entry 22515 (") != NULL,
	    "  (that one: %s)", report != NULL ? report : "");

	make_case("big-two", "UPDATE audit SET outcome = 'x' WHERE seq IN "
	    "(40000, 12)", path, sizeof(path));
	c = verify(path, NULL);
	is_int(c.bad, 2, "damage in the first and the last range: both found");
	is_int(c.first_bad, 12, "  the first one named first, whichever "
	    "thread finished first");
	ok(report != NULL && strstr(report, "entry 12 (") != NULL &&
	    strstr(report, "entry 40000 (") != NULL && strstr(report,
	    "entry 12 (") < strstr(report, "entry 40000 ("),
	    "  and reported in the log's order");

	make_case("big-nohash", "UPDATE audit SET hash = 'not a hash' WHERE seq "
	    "IN (30000, 33768, 33769)", path, sizeof(path));
	c = verify(path, NULL);
	is_int(c.bad, 3, "stored hashes that are no hashes: found, not an error");
	is_int(c.first_bad, 30000, "  entry 30000 named");
	ok(has(c, "its stored hash is not a SHA-256 hash"), "  %s", c.first);
	ok(report != NULL && strstr(report, "entry 33768 (") != NULL &&
	    strstr(report, "entry 33769 (") != NULL &&
	    strstr(report, "entry 33770") == NULL && strstr(report,
	    "entry 30001") == NULL, "  the entries after them (33770 starts a "
	    "range) are held against their recomputed hashes, not blamed");

	make_case("big-checkpoint", "UPDATE checkpoint SET seq = 30000", path,
	    sizeof(path));
	c = verify(path, NULL);
	is_int(c.bad, 2, "a checkpoint moved deep into the log");
	ok(report != NULL && strstr(report, "entry 30000 is not what checkpoint "
	    "1 of ") != NULL && strstr(report, "vouches for") == NULL,
	    "  is held against entry 30000 by the range that reads it");

	make_case("big-truncate", "DELETE FROM audit WHERE seq > 40000", path,
	    sizeof(path));
	c = verify(path, witness);
	is_int(c.bad, 0, "the big log truncated after every checkpoint: a "
	    "whole chain");
	is_int(c.entries, 40000, "  of 40,000 entries");
	free(report);
	fixture_teardown(&fx);
	return done_testing();
}
