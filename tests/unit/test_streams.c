/*
 * streams (and the records rule it leans on): the rules of an incoming
 * stream, run the way the gateway runs them — inside the store writer's
 * transaction, through the handle it gives a job — against a real SQLite
 * file: the next number, a gap (KP030), a resend (acknowledged, nothing
 * applied), another notice under a used number (KP031), partities apart,
 * and numbers applied before identities were kept (judged by the record).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fixture.h"
#include "kd.h"
#include "records.h"
#include "store.h"
#include "store_txn.h"
#include "streams.h"
#include "tap.h"
#include "util.h"

#define PARTNER	"00000001001000000000"

/* One step inside the writer's transaction: what it decides. */
struct step {
	struct kp_store_job	 job;
	const struct kp_notice	*n;
	int			 apply;		/* also: kp_stream_applied */
	int			 record;	/* first: kp_record_apply */
	struct kp_stream_check	 c;
	enum kp_record_outcome	 rec;
	int			 ret;
};

static int
run_step(struct kp_txn *txn, struct kp_store_job *job, struct kp_err *err)
{
	struct step *s = (struct step *)job;
	uint64_t held;

	if (s->record && (s->ret = kp_record_apply(txn, s->n, PARTNER, 0,
	    &s->rec, &held, err)) != KP_OK)
		return s->ret;
	if ((s->ret = kp_stream_check(txn, PARTNER, s->n, &s->c, err)) != KP_OK)
		return s->ret;
	if (s->apply && s->c.place == KP_STREAM_NEXT)
		s->ret = kp_stream_applied(txn, PARTNER, s->n, &s->c, err);
	return s->ret;
}

static struct step
step(struct kp_store *st, const struct kp_notice *n, int apply, int record)
{
	struct step s = { .n = n, .apply = apply, .record = record };

	s.job.apply = run_step;
	kp_store_submit_wait(st, &s.job);
	if (s.job.status != KP_OK)
		s.ret = s.job.status;
	return s;
}

static void
notice(struct kp_notice *n, uint32_t partitie, uint64_t volg, const char *id,
    uint64_t versie)
{
	memset(n, 0, sizeof(*n));
	n->mutatiesoort = 'T';
	snprintf(n->entiteittype, sizeof(n->entiteittype), "ZAK");
	snprintf(n->bron, sizeof(n->bron), PARTNER);
	snprintf(n->identificatie, sizeof(n->identificatie), "%s", id);
	snprintf(n->bsn, sizeof(n->bsn), "111222333");
	n->bronversie = versie;
	n->partitie = partitie;
	n->volgnummer = volg;
	n->fields = (char *)"zaaktype=Bijstand\n";
	kp_sha256_hex(n->fields, strlen(n->fields), n->fields_sha256);
}

/* Rows of the stream_in and stream_applied tables, read straight. */
static char *
raw(const char *path, const char *sql)
{
	static char out[256];
	sqlite3_stmt *s;
	sqlite3 *db;

	out[0] = '\0';
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return out;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		while (sqlite3_step(s) == SQLITE_ROW)
			snprintf(out + strlen(out), sizeof(out) - strlen(out),
			    "%s%s", out[0] ? "," : "",
			    (const char *)sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return out;
}

int
main(void)
{
	static const unsigned char key[32] = { 7 };
	char dir[] = "/tmp/kpstreams.XXXXXX", path[300], cmd[320];
	struct kp_notice n1, n1b, n2, n3, p1, old2, old3;
	struct kp_store *st;
	struct kp_err err;
	struct step s;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/s.db", dir);
	if (!ok((st = kp_store_open(path, &err)) != NULL, "store opens"))
		return done_testing();
	kp_store_set_audit_key(st, key);
	notice(&n1, 0, 1, "Z1", 1);
	notice(&n1b, 0, 1, "Z9", 1);		/* another notice under #1 */
	notice(&n2, 0, 2, "Z2", 1);
	notice(&n3, 0, 3, "Z3", 1);
	notice(&p1, 1, 1, "P1", 1);

	s = step(st, &n3, 0, 0);
	is_int(s.ret, KP_OK, "a new stream, #3 first");
	is_int(s.c.place, KP_STREAM_GAP, "  is a gap");
	is_int(s.c.fault, KP_F_030, "  KP030");
	is_int((long long)s.c.expected, 1, "  expecting #1");
	is_str(s.c.msg, "volgnummer 3 on partitie 0, expected 1: resend from "
	    "there", "  saying where to resend from");
	is_str(raw(path, "SELECT count(*) FROM stream_in"), "0",
	    "  the stream did not move");

	s = step(st, &n1, 1, 0);
	is_int(s.c.place, KP_STREAM_NEXT, "#1 on a new stream: the next");
	is_int(s.c.fault, KP_F_NONE, "  no fault");
	is_str(raw(path, "SELECT next_expected FROM stream_in WHERE partitie = 0"),
	    "2", "  applied: #2 is expected now");
	is_str(raw(path, "SELECT volgnummer || ' ' || identificatie FROM "
	    "stream_applied"), "1 Z1", "  and #1's notice is kept");

	s = step(st, &n1, 1, 0);
	is_int(s.c.place, KP_STREAM_RESEND, "#1 again, the same notice: a resend");
	is_int(s.c.fault, KP_F_NONE, "  acknowledged, no fault");
	is_str(s.c.msg, "volgnummer 1 on partitie 0 was applied before: a "
	    "resend, nothing applied", "  with the audit's note");
	is_str(raw(path, "SELECT next_expected FROM stream_in WHERE partitie = 0"),
	    "2", "  the stream did not move");

	s = step(st, &n1b, 1, 0);
	is_int(s.c.place, KP_STREAM_TAKEN, "another notice under #1: taken");
	is_int(s.c.fault, KP_F_031, "  KP031");
	is_int((long long)s.c.expected, 2, "  expecting #2");
	is_str(s.c.msg, "volgnummer 1 on partitie 0 was used by another notice "
	    "(T ZAK Z1 of " PARTNER " bronversie 1); nothing applied; expected 2",
	    "  naming the notice applied there");
	is_str(raw(path, "SELECT group_concat(identificatie) FROM "
	    "stream_applied"), "Z1", "  nothing of it kept");

	n1.bronversie = 2;
	s = step(st, &n1, 1, 0);
	is_int(s.c.fault, KP_F_031, "#1's record at another bronversie: KP031 too");
	n1.bronversie = 1;
	n1.mutatiesoort = 'V';
	s = step(st, &n1, 1, 0);
	is_int(s.c.fault, KP_F_031, "#1's record as a V: KP031 too");
	n1.mutatiesoort = 'T';

	s = step(st, &p1, 1, 0);
	is_int(s.c.place, KP_STREAM_NEXT, "partitie 1 has a stream of its own");
	is_str(raw(path, "SELECT partitie || ':' || next_expected FROM stream_in "
	    "ORDER BY partitie"), "0:2,1:2", "  both streams at #2");
	s = step(st, &n2, 1, 0);
	is_int(s.c.place, KP_STREAM_NEXT, "#2 on partitie 0: the next");

	/*
	 * A stream from before identities were kept: numbers below
	 * kept_from are judged by the record held.
	 */
	snprintf(cmd, sizeof(cmd), "UPDATE stream_in SET next_expected = 10, "
	    "kept_from = 10 WHERE partitie = 1");
	raw(path, cmd);
	notice(&old2, 1, 2, "OLD", 3);
	s = step(st, &old2, 0, 1);
	is_int(s.rec, KP_RECORD_APPLIED, "(its record held at bronversie 3)");
	notice(&old3, 1, 3, "OLD", 2);
	s = step(st, &old3, 0, 0);
	is_int(s.c.place, KP_STREAM_RESEND, "an old number whose record is held "
	    "at that version or later: a resend");
	notice(&old3, 1, 3, "OLD", 4);
	s = step(st, &old3, 0, 0);
	is_int(s.c.fault, KP_F_031, "an old number whose record is held at an "
	    "older version: KP031");
	{
		/* the refusal's text as the Fo03 carries it: 199 bytes at most */
		char want[sizeof(s.c.msg)];

		snprintf(want, sizeof(want), "volgnummer 3 on partitie 1 was "
		    "used by another notice (%.100s); nothing applied; expected "
		    "10", "a notice applied before this gateway kept stream "
		    "identities, and ZAK OLD of " PARTNER " is not held at "
		    "bronversie 4");
		is_str(s.c.msg, want, "  saying why");
	}
	notice(&old3, 1, 4, "GONE", 1);
	old3.mutatiesoort = 'V';
	old3.intrekking = 1;
	s = step(st, &old3, 0, 0);
	is_int(s.c.place, KP_STREAM_RESEND, "an old retraction of a copy no "
	    "longer held: a resend");
	old3.identificatie[0] = '\0';
	snprintf(old3.identificatie, sizeof(old3.identificatie), "OLD");
	s = step(st, &old3, 0, 0);
	is_int(s.c.fault, KP_F_031, "an old retraction of a copy still held: "
	    "KP031");

	kp_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
	return done_testing();
}
