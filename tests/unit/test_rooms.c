/*
 * The store's rooms, each against a real SQLite file, through the
 * interfaces the rest of the gateway uses: the records room (held,
 * written, tombstoned, removed; a consent change marks its citizen), the
 * outbox room with the fan-out rule over it (what each decision queues in
 * each mode, the heads the delivery worker sees, retry and park), the audit room (filters, where a
 * chain check resumes) and the consent marks.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "apply.h"
#include "fanout.h"
#include "fixture.h"
#include "kd.h"
#include "store.h"
#include "store_txn.h"
#include "tap.h"
#include "util.h"

#define US	"00000001001000000000"
#define GGD	"00000002002000000000"
#define KCC	"00000003003000000000"

/* A job that runs fn(txn, arg) in the writer's transaction. */
struct in_txn {
	struct kp_store_job	 job;
	int			(*fn)(struct kp_txn *, void *, struct kp_err *);
	void			*arg;
};

static int
run_in_txn(struct kp_txn *txn, struct kp_store_job *job, struct kp_err *err)
{
	struct in_txn *t = (struct in_txn *)job;

	return t->fn(txn, t->arg, err);
}

static int
txn(struct kp_store *st, int (*fn)(struct kp_txn *, void *, struct kp_err *),
    void *arg)
{
	struct in_txn t = { .fn = fn, .arg = arg };

	t.job.apply = run_in_txn;
	kp_store_submit_wait(st, &t.job);
	return t.job.status;
}

static void
notice(struct kp_notice *n, char soort, const char *type, const char *id,
    uint64_t versie, const char *bsn, const char *fields)
{
	memset(n, 0, sizeof(*n));
	n->mutatiesoort = soort;
	snprintf(n->entiteittype, sizeof(n->entiteittype), "%s", type);
	snprintf(n->bron, sizeof(n->bron), US);
	snprintf(n->identificatie, sizeof(n->identificatie), "%s", id);
	snprintf(n->bsn, sizeof(n->bsn), "%s", bsn);
	n->bronversie = versie;
	n->fields = (char *)fields;
	kp_sha256_hex(fields, strlen(fields), n->fields_sha256);
}

/* The records room. */
struct rec {
	const struct kp_notice	*n;
	const char		*from;
	struct kp_held		 held;
	int			 op;	/* 0 get, 1 put, 2 remove, 3 mark */
};

static int
rec_op(struct kp_txn *t, void *arg, struct kp_err *err)
{
	struct rec *r = arg;

	switch (r->op) {
	case 1:
		return kp_txn_record_put(t, r->n, r->from, 0, err);
	case 2:
		return kp_txn_record_remove(t, r->n, err);
	case 3:
		return kp_txn_consent_mark(t, r->n->bsn, err);
	default:
		return kp_txn_record_get(t, r->n->entiteittype, r->n->bron,
		    r->n->identificatie, &r->held, err);
	}
}

static struct kp_held
held(struct kp_store *st, const struct kp_notice *n)
{
	struct rec r = { .n = n, .op = 0 };

	txn(st, rec_op, &r);
	return r.held;
}

static int
put(struct kp_store *st, const struct kp_notice *n, const char *from, int op)
{
	struct rec r = { .n = n, .from = from, .op = op };

	return txn(st, rec_op, &r);
}

/* The outbox room. */
struct enq {
	const struct kp_notice	*n;
	struct kp_fanout	 f;
	enum kp_fanout_mode	 mode;
	size_t			 queued;
};

static int
enq_op(struct kp_txn *t, void *arg, struct kp_err *err)
{
	struct enq *e = arg;

	return kp_fanout_queue(t, e->n, &e->f, 1, e->mode, "test", &e->queued,
	    err);
}

static size_t
enqueue(struct kp_store *st, const struct kp_notice *n, const char *partner,
    enum kp_fan_kind kind, enum kp_fanout_mode mode)
{
	struct enq e = { .n = n, .mode = mode };

	e.f.partner_oin = partner;
	e.f.kind = kind;
	e.f.fields = n->fields;
	snprintf(e.f.velden, sizeof(e.f.velden), "zaaktype");
	snprintf(e.f.basis, sizeof(e.f.basis), "wet: Testwet art. 1");
	snprintf(e.f.doel, sizeof(e.f.doel), "ketentest");
	snprintf(e.f.reason, sizeof(e.f.reason), "no basis any more");
	if (txn(st, enq_op, &e) != KP_OK)
		return (size_t)-1;
	return e.queued;
}

struct heads {
	char	 text[512];
	int64_t	 first_id;
	struct kp_outbox_row first;
};

static int
head_row(void *arg, const struct kp_outbox_row *r)
{
	struct heads *h = arg;

	if (h->first_id == 0) {
		h->first_id = r->id;
		h->first = *r;
		h->first.fields = NULL;
	}
	snprintf(h->text + strlen(h->text), sizeof(h->text) - strlen(h->text),
	    "%s%.4s:%c%s#%llu", h->text[0] ? " " : "", r->partner_oin + 7,
	    r->mutatiesoort, r->intrekking ? "i" : "",
	    (unsigned long long)r->volgnummer);
	return 0;
}

static char *
heads(struct kp_store *st, int64_t now_ms, struct heads *h)
{
	struct kp_err err;

	memset(h, 0, sizeof(*h));
	if (kp_store_outbox_heads(st, now_ms, 100, head_row, h, &err) != KP_OK)
		snprintf(h->text, sizeof(h->text), "error: %.400s", err.msg);
	return h->text;
}

/* The audit room. */
static int
count_entry(void *arg, const struct kp_audit_entry *e)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int
audited(struct kp_store *st, const struct kp_audit_where *w)
{
	struct kp_err err;
	int n = 0;

	if (kp_store_each_audit(st, w, count_entry, &n, &err) != KP_OK)
		return -1;
	return n;
}

static int
count_mark(void *arg, const char *bsn, int64_t mark)
{
	(void)bsn;
	(void)mark;
	(*(int *)arg)++;
	return 0;
}

struct link {
	char	text[300];
};

static int
link_row(void *arg, const struct kp_link_status *l)
{
	struct link *k = arg;

	snprintf(k->text + strlen(k->text), sizeof(k->text) - strlen(k->text),
	    "%s out %lld streams, %lld numbered, %lld pending, %lld parked, "
	    "%lld delivered, %lld KP031; in %lld", l->partner_oin,
	    (long long)l->streams_out, (long long)l->next_out_total,
	    (long long)l->pending, (long long)l->parked,
	    (long long)l->delivered, (long long)l->conflicts,
	    (long long)l->streams_in);
	return 0;
}

struct disclosed {
	char	text[300];
};

static int
disclosed_row(void *arg, const struct kp_digest_row *r)
{
	struct disclosed *d = arg;

	snprintf(d->text + strlen(d->text), sizeof(d->text) - strlen(d->text),
	    "%s %s v%lld %s fields %s", r->entiteittype, r->identificatie,
	    (long long)r->bronversie, r->undelivered ? "undelivered" :
	    "delivered", r->fields != NULL ? r->fields : "");
	return 0;
}

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	if (sqlite3_open(path, &db) == SQLITE_OK)
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
}

int
main(void)
{
	static const unsigned char key[32] = { 3 };
	char dir[] = "/tmp/kprooms.XXXXXX", path[300], cmd[320];
	struct kp_notice z, z2, zv, tst;
	struct kp_store *st;
	struct kp_held h;
	struct kp_err err;
	struct heads hd;
	int64_t now = kp_now_ms(), from;
	int marks = 0;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/s.db", dir);
	if (!ok((st = kp_store_open(path, &err)) != NULL, "store opens"))
		return done_testing();
	kp_store_set_audit_key(st, key);

	/* records */
	notice(&z, 'T', "ZAK", "Z1", 1, "111222333", "zaaktype=Bijstand\n");
	h = held(st, &z);
	is_int(h.found, 0, "records: nothing held at first");
	is_int(put(st, &z, NULL, 1), KP_OK, "our own record written");
	h = held(st, &z);
	ok(h.found && h.bronversie == 1 && !h.deleted && h.ours &&
	    strcmp(h.fields_sha256, z.fields_sha256) == 0,
	    "  held: version 1, ours, its fields' digest");
	notice(&z2, 'T', "ZAK", "Z1", 2, "111222333", "zaaktype=Schuldhulp\n");
	put(st, &z2, GGD, 1);
	h = held(st, &z);
	ok(h.bronversie == 2 && !h.ours && strcmp(h.received_from, GGD) == 0,
	    "  a partner's version replaces it, saying who delivered it");
	notice(&zv, 'V', "ZAK", "Z1", 3, "111222333", "");
	put(st, &zv, GGD, 1);
	h = held(st, &z);
	ok(h.found && h.deleted && h.bronversie == 3 &&
	    strcmp(h.fields_sha256, KP_SHA256_EMPTY) == 0,
	    "  a V leaves a tombstone with its version");
	put(st, &z, NULL, 2);
	is_int(held(st, &z).found, 0, "  removed: nothing held, no tombstone");
	is_int(fixture_count(st, "record"), 0, "  not a row left");
	notice(&tst, 'T', "TST", "TST-1", 1, "999999990", "status=verleend\n");
	put(st, &tst, NULL, 3);
	put(st, &tst, NULL, 3);
	kp_store_consent_dirty(st, 0, count_mark, &marks, &err);
	is_int(marks, 1, "consent marks: a citizen marked twice is one mark");

	/* outbox */
	is_int((long long)enqueue(st, &z, GGD, KP_FAN_DISCLOSE, KP_FANOUT_CHANGE), 1,
	    "outbox: a disclosure queues one row");
	is_int((long long)enqueue(st, &z2, GGD, KP_FAN_DISCLOSE, KP_FANOUT_CHANGE), 1,
	    "  the next version another");
	is_str(heads(st, now, &hd), "2002:T#1", "  the worker sees only the "
	    "stream's head, #1");
	is_int((long long)enqueue(st, &z, KCC, KP_FAN_DELETE, KP_FANOUT_CHANGE), 0,
	    "a deletion for a partner that holds no copy: nothing");
	is_int((long long)enqueue(st, &z, KCC, KP_FAN_WITHHOLD, KP_FANOUT_CHANGE), 0,
	    "withheld from a partner without a copy: no row");
	is_int(audited(st, &(struct kp_audit_where){ .partner_oin = KCC,
	    .outcome = "withheld" }), 1, "  but an audit entry, withheld");
	is_int((long long)enqueue(st, &z2, GGD, KP_FAN_DISCLOSE, KP_FANOUT_RECONCILE),
	    0, "reconciling what the partner holds already: nothing");
	is_int((long long)enqueue(st, &z2, GGD, KP_FAN_WITHHOLD, KP_FANOUT_RECONCILE),
	    1, "withheld from a partner holding a copy: a retraction");
	is_int((long long)enqueue(st, &z2, GGD, KP_FAN_DISCLOSE, KP_FANOUT_FORCE), 1,
	    "a repair queues it anyway");
	is_int(fixture_count(st, "outbox"), 4, "  four rows in all");
	heads(st, now, &hd);
	is_int(kp_store_outbox_retry(st, hd.first_id, now + 60000, "busy", &err),
	    KP_OK, "retry the head in a minute");
	is_str(heads(st, now, &hd), "", "  the stream waits meanwhile");
	is_str(heads(st, now + 61000, &hd), "2002:T#1", "  and goes on then");
	is_int(kp_store_outbox_park(st, &hd.first, "KP020", 0, "refused",
	    &err), KP_OK, "park the head");
	is_str(heads(st, now + 61000, &hd), "", "  a parked head stops its "
	    "stream");

	/* the links' status and the digest rows (the sync room) */
	{
		struct link ls = { 0 };
		struct disclosed dl = { 0 };

		kp_store_link_status(st, link_row, &ls, &err);
		is_str(ls.text, GGD " out 1 streams, 4 numbered, 3 pending, 1 "
		    "parked, 0 delivered, 0 KP031; in 0", "sync: the link's "
		    "status counts every row");
		kp_store_each_disclosed(st, GGD, "111222333", disclosed_row, &dl,
		    &err);
		is_str(dl.text, "ZAK Z1 v2 undelivered fields zaaktype=Schuldhulp\n",
		    "  the digest line of what we disclosed: the newest row");
	}

	/* audit */
	{
		struct kp_audit a = { .direction = "in", .partner_oin = GGD,
		    .berichtcode = "Lk01", .entiteittype = "ZAK",
		    .outcome = "accepted" };
		int all = audited(st, NULL);

		kp_apply_audit(st, &a, &err);
		a.outcome = "rejected";
		a.code = "KP023";
		kp_apply_audit(st, &a, &err);
		a.direction = "out";
		a.partner_oin = KCC;
		a.entiteittype = "KCT";
		kp_apply_audit(st, &a, &err);
		is_int(audited(st, NULL), all + 3, "audit: every entry");
		is_int(audited(st, &(struct kp_audit_where){ .partner_oin = GGD,
		    .direction = "in" }), 2, "  by partner and direction");
		is_int(audited(st, &(struct kp_audit_where){ .outcome =
		    "rejected" }), 2, "  by outcome");
		is_int(audited(st, &(struct kp_audit_where){ .kind = "KCT" }), 1,
		    "  by kind: the entity type");
		is_int(audited(st, &(struct kp_audit_where){ .kind = "Lk01",
		    .direction = "out" }), 1, "  or the berichtcode");
		is_int(audited(st, &(struct kp_audit_where){ .seq_from = 2,
		    .seq_before = 4 }), 2, "  by seq range");
		is_int(kp_store_audit_resume(st, all + 3, &from, &err), KP_OK,
		    "where a check from the last entry resumes");
		is_int(from, all + 2, "  at the entry before it");
		snprintf(cmd, sizeof(cmd), "UPDATE audit SET hash = 'x' WHERE "
		    "seq = %d", all + 2);
		raw_exec(path, cmd);
		kp_store_audit_resume(st, all + 3, &from, &err);
		is_int(from, all + 1, "  passing over an entry whose hash is "
		    "no hash");
	}

	kp_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
	return done_testing();
}
