/*
 * test_notifyq — notifications made in the transaction of the change they
 * tell of (notifyq.h) and the store's room for them (store_notify.h),
 * against a real SQLite file: which changes make which notifications for
 * which subscriptions, the references (stable, opaque, no BSN anywhere),
 * a change whose notification cannot be written is undone with it, and
 * the delivery queue's rules (heads per citizen, settle, park holds back,
 * retry, delete and prune drop what waits).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "kd.h"
#include "notifyq.h"
#include "records.h"
#include "store.h"
#include "store_notify.h"
#include "store_txn.h"
#include "tap.h"
#include "util.h"

#define PARTNER	"00000001001000000000"
#define SELF	"00000002002000000000"
#define BASE	"https://zaak.test:8444/api/v1"

/* One record change inside the writer's transaction. */
struct step {
	struct kp_store_job	 job;
	const struct kp_notice	*n;
	const char		*from;		/* NULL: ours */
	int			 retract;
	enum kp_record_outcome	 rec;
};

static int
run_step(struct kp_txn *txn, struct kp_store_job *job, struct kp_err *err)
{
	struct step *s = (struct step *)job;
	uint64_t held;
	char why[200];

	if (s->retract)
		return kp_record_retract(txn, s->n, s->from, &s->rec, why,
		    sizeof(why), err);
	return kp_record_apply(txn, s->n, s->from, 0, &s->rec, &held, err);
}

static int
change(struct kp_store *st, const struct kp_notice *n, const char *from,
    int retract)
{
	struct step s = { .n = n, .from = from, .retract = retract };

	s.job.apply = run_step;
	kp_store_submit_wait(st, &s.job);
	return s.job.status;
}

static void
notice(struct kp_notice *n, const char *type, char soort, const char *id,
    uint64_t versie, const char *bsn, const char *fields)
{
	memset(n, 0, sizeof(*n));
	n->mutatiesoort = soort;
	snprintf(n->entiteittype, sizeof(n->entiteittype), "%s", type);
	snprintf(n->bron, sizeof(n->bron), PARTNER);
	snprintf(n->identificatie, sizeof(n->identificatie), "%s", id);
	snprintf(n->bsn, sizeof(n->bsn), "%s", bsn);
	n->bronversie = versie;
	n->fields = (char *)fields;
	kp_sha256_hex(fields, strlen(fields), n->fields_sha256);
}

/* The notifications waiting, in id order: "sub kanaal actie herkomst". */
struct seen {
	char	 lines[64][160];
	char	 bodies[64][1200];
	int64_t	 ids[64];
	int	 n;
};

static int
seen_row(void *arg, const struct kp_notify_row *r)
{
	struct seen *s = arg;
	json_t *m = json_loads(r->body, 0, NULL);

	if (s->n == 64 || m == NULL) {
		json_decref(m);
		return 1;
	}
	snprintf(s->lines[s->n], sizeof(s->lines[0]), "%lld %s %s %s",
	    (long long)r->subscription,
	    json_string_value(json_object_get(m, "kanaal")),
	    json_string_value(json_object_get(m, "actie")),
	    json_string_value(json_object_get(json_object_get(m, "kenmerken"),
	    "herkomst")));
	snprintf(s->bodies[s->n], sizeof(s->bodies[0]), "%s", r->body);
	s->ids[s->n++] = r->id;
	json_decref(m);
	return 0;
}

/* Every head waiting for subscription id, due now. */
static struct seen
heads(struct kp_store *st, int64_t id)
{
	struct seen s = { .n = 0 };
	struct kp_err err;

	if (kp_store_notify_heads(st, id, kp_now_ms(), 64, seen_row, &s,
	    &err) != KP_OK)
		s.n = -1;
	return s;
}

static int64_t
count_sql(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;
	int64_t n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return n;
}

static int
run_sql(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static int
id_of(void *arg, const struct kp_subscription_row *s)
{
	*(int64_t *)arg = s->id;
	return 1;
}

static int64_t
sub_id_of(struct kp_store *st, const char *uuid)
{
	int64_t id = 0;
	struct kp_err err;

	kp_store_subscription_each(st, uuid, id_of, &id, &err);
	return id;
}

int
main(void)
{
	static const unsigned char key[32] = { 7 };
	static const char all[] = "{\"callbackUrl\":\"http://127.0.0.1:1/all\","
	    "\"auth\":\"Bearer a\",\"kanalen\":[{\"naam\":\"zaken\"},"
	    "{\"naam\":\"personen\"},{\"naam\":\"klantcontacten\"},"
	    "{\"naam\":\"toestemmingen\"}]}";
	static const char ours[] = "{\"callbackUrl\":\"http://127.0.0.1:1/o\","
	    "\"auth\":\"Bearer b\",\"kanalen\":[{\"naam\":\"zaken\","
	    "\"filters\":{\"herkomst\":\"lokaal\"}}]}";
	static const char bijstand[] = "{\"callbackUrl\":\"http://127.0.0.1:1/"
	    "b\",\"auth\":\"Bearer c\",\"kanalen\":[{\"naam\":\"zaken\","
	    "\"filters\":{\"zaaktype\":\"Bijstand\",\"bron\":\"" PARTNER
	    "\"}}]}";
	char dir[] = "/tmp/kpnotifyq.XXXXXX", path[300], cmd[320];
	char u_all[KP_REF_LEN], u_ours[KP_REF_LEN], u_bij[KP_REF_LEN];
	char u_again[KP_REF_LEN], bsn[16], ref[KP_REF_LEN];
	struct kp_notice z1, z1w, z1v, z2, k1, t1, p1;
	struct kp_notifier *nf;
	struct kp_store *st;
	struct kp_record_key rk;
	struct kp_err err;
	int64_t a, o, b, pending, parked, oldest, n, dropped;
	struct seen s;
	int found;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/s.db", dir);
	if (!ok((st = kp_store_open(path, &err)) != NULL, "store opens"))
		return done_testing();
	kp_store_set_audit_key(st, key);
	nf = kp_notifier_new(BASE "/", SELF, &err);
	ok(nf != NULL, "a notifier");
	kp_notifier_attach(nf, st);

	notice(&z1, "ZAK", 'T', "Z1", 1, "111222333",
	    "zaaktype=Bijstand\nvertrouwelijkheidaanduiding=vertrouwelijk\n");
	is_int(change(st, &z1, PARTNER, 0), KP_OK, "a change, nobody subscribed");
	is_int(count_sql(path, "SELECT count(*) FROM notification"), 0, "  no notification");
	is_int(count_sql(path, "SELECT count(*) FROM dossier_ref"), 0,
	    "  and no reference made for nothing");

	is_int(kp_store_subscription_put(st, NULL, all, u_all, &err), KP_OK,
	    "subscription: every channel");
	is_int(kp_store_subscription_put(st, NULL, ours, u_ours, &err), KP_OK,
	    "subscription: zaken made here");
	is_int(kp_store_subscription_put(st, "bijstand", bijstand, u_bij, &err),
	    KP_OK, "subscription (configured): zaken of type Bijstand from "
	    "the partner");
	ok(strlen(u_all) == 36 && strcmp(u_all, u_ours) != 0, "  uuids");
	a = sub_id_of(st, u_all);
	o = sub_id_of(st, u_ours);
	b = sub_id_of(st, u_bij);
	ok(a > 0 && o > 0 && b > 0, "  each found by uuid");

	/* a partner's new case: all and bijstand, not ours (lokaal only) */
	notice(&z2, "ZAK", 'T', "Z2", 1, "111222333",
	    "zaaktype=Bijstand\n");
	is_int(change(st, &z2, PARTNER, 0), KP_OK, "a partner's new case");
	s = heads(st, a);
	is_int(s.n, 1, "  one for every-channel");
	is_str(s.lines[0], "1 zaken create partner", "  zaken, create, partner");
	ok(strstr(s.bodies[0], "111222333") == NULL && strstr(s.bodies[0],
	    "\"Z2\"") == NULL, "  neither BSN nor identificatie in it");
	ok(strstr(s.bodies[0], "\"resourceUrl\":\"" BASE "/zaken/") != NULL,
	    "  resourceUrl on the read API, no double slash");
	ok(strstr(s.bodies[0], "\"zaaktype\":\"Bijstand\"") != NULL,
	    "  kenmerk zaaktype");
	is_int(heads(st, b).n, 1, "  one for bijstand (its filters hold)");
	is_int(heads(st, o).n, 0, "  none for ours (herkomst partner)");

	/* ours: a local change of the same case, then its version again */
	notice(&z1w, "ZAK", 'W', "Z1", 2, "111222333", "zaaktype=Parkeren\n");
	is_int(change(st, &z1w, NULL, 0), KP_OK, "a local change");
	is_int(count_sql(path, "SELECT count(*) FROM notification WHERE "
	    "subscription = 1"), 2, "  every-channel has two waiting");
	s = heads(st, a);
	is_int(s.n, 1, "  of one citizen: only the older is a head");
	is_int(heads(st, o).n, 1, "  ours gets it (lokaal)");
	is_str(heads(st, o).lines[0], "2 zaken update lokaal",
	    "  update, lokaal");
	is_int(count_sql(path, "SELECT count(*) FROM notification WHERE "
	    "subscription = 3"), 1, "  bijstand does not (zaaktype Parkeren)");
	is_int(change(st, &z1w, NULL, 0), KP_OK, "the same version again");
	is_int(count_sql(path, "SELECT count(*) FROM notification"), 4,
	    "  a duplicate makes none");

	/* a deletion; then a V of a record never held */
	notice(&z1v, "ZAK", 'V', "Z1", 3, "111222333", "");
	is_int(change(st, &z1v, NULL, 0), KP_OK, "a deletion");
	is_int(count_sql(path, "SELECT count(*) FROM notification WHERE "
	    "body LIKE '%\"actie\":\"destroy\"%'"), 2,
	    "  destroy for every-channel and ours");
	notice(&p1, "ZAK", 'V', "NEVER", 1, "999888777", "");
	is_int(change(st, &p1, PARTNER, 0), KP_OK,
	    "a V of a record never held");
	is_int(count_sql(path, "SELECT count(*) FROM notification"), 6, "  makes none");

	/* a contact and a consent, another citizen */
	notice(&k1, "KCT", 'T', "K1", 1, "222333444", "kanaal=telefoon\n");
	is_int(change(st, &k1, PARTNER, 0), KP_OK, "a contact from a partner");
	notice(&t1, "TST", 'T', "T1", 1, "222333444", "status=verleend\n");
	is_int(change(st, &t1, PARTNER, 0), KP_OK, "a consent");
	s = heads(st, a);
	is_int(s.n, 2, "  every-channel: two citizens, two heads");
	is_str(s.lines[1], "1 klantcontacten create partner",
	    "  the contact first for the second citizen");
	ok(strstr(s.bodies[1], "\"kanaal\":\"telefoon\"") != NULL,
	    "  kenmerk kanaal");

	/* a retraction of the contact's copy */
	is_int(change(st, &k1, PARTNER, 1), KP_OK, "the contact retracted");
	is_int(count_sql(path, "SELECT count(*) FROM notification WHERE "
	    "body LIKE '%\"herkomst\":\"intrekking\"%' AND body LIKE "
	    "'%\"actie\":\"destroy\"%'"), 1, "  destroy, herkomst intrekking");
	is_int(count_sql(path, "SELECT count(*) FROM record_ref"), 4,
	    "  the contact keeps its reference (Z1, Z2, K1, T1 named)");

	/* references: stable, and they resolve */
	is_int(count_sql(path, "SELECT count(DISTINCT ref) FROM notification "
	    "JOIN dossier_ref ON dossier_ref.ref = notification.dossier"), 2,
	    "two dossier references, one per citizen");
	is_int(count_sql(path, "SELECT count(DISTINCT substr(body, "
	    "instr(body, '/zaken/') + 7, 36)) FROM notification WHERE kanaal = "
	    "'zaken' AND body LIKE '%/zaken/%' AND body NOT LIKE '%Z2%' AND "
	    "dossier IN (SELECT ref FROM dossier_ref)"), 2,
	    "the zaken notifications name two records (Z2, Z1)");
	is_int(kp_store_ref_of_dossier(st, "222333444", ref, &err), KP_OK,
	    "dossier reference of a citizen");
	is_int(kp_store_dossier_by_ref(st, ref, bsn, &err), KP_OK,
	    "  resolves");
	is_str(bsn, "222333444", "  to that citizen");
	is_int(kp_store_dossier_by_ref(st, "00000000-0000-4000-8000-"
	    "000000000000", bsn, &err), KP_OK, "an unknown dossier reference");
	is_str(bsn, "", "  names nobody");
	s = heads(st, a);
	{
		const char *u = strstr(s.bodies[1], "/klantcontacten/");
		char r[KP_REF_LEN];

		snprintf(r, sizeof(r), "%.36s", u != NULL ? u + 16 : "");
		is_int(kp_store_record_by_ref(st, r, &rk, &err), KP_OK,
		    "a record reference from a resourceUrl");
		ok(rk.found && strcmp(rk.entiteittype, "KCT") == 0 &&
		    strcmp(rk.identificatie, "K1") == 0 &&
		    strcmp(rk.bron, PARTNER) == 0, "  names KCT K1 of the partner");
	}

	/* a change whose notification cannot be written is undone */
	n = count_sql(path, "SELECT count(*) FROM record");
	ok(run_sql(path, "CREATE TRIGGER no_more BEFORE INSERT ON "
	    "notification BEGIN SELECT RAISE(ABORT, 'full'); END") == 0,
	    "(notifications made unwritable)");
	notice(&z2, "ZAK", 'W', "Z2", 2, "111222333", "zaaktype=Bijstand\n");
	ok(change(st, &z2, PARTNER, 0) != KP_OK, "a change then fails");
	is_int(count_sql(path, "SELECT count(*) FROM record WHERE "
	    "identificatie = 'Z2' AND bronversie = 2"), 0,
	    "  its record is not changed");
	is_int(count_sql(path, "SELECT count(*) FROM record"), n,
	    "  nor any other");
	ok(run_sql(path, "DROP TRIGGER no_more") == 0, "(writable again)");
	is_int(change(st, &z2, PARTNER, 0), KP_OK, "  resent, it is applied");

	/* delivery: settle, backoff, park holds back, retry */
	s = heads(st, a);
	{
		struct kp_notify_outcome v[2] = {
			{ .id = s.ids[0], .delivered = 1 },
			{ .id = s.ids[1], .next_ms = kp_now_ms() + 60000,
			  .why = "callback answered HTTP 500" },
		};

		is_int(kp_store_notify_settle(st, v, 2, &err), KP_OK,
		    "settle: one delivered, one to retry in a minute");
	}
	s = heads(st, a);
	is_int(s.n, 1, "  the next of the first citizen is a head now; the "
	    "second citizen's waits");
	is_str(s.lines[0], "1 zaken update lokaal", "  in order: the update");
	{
		struct kp_notify_outcome v = { .id = s.ids[0], .park = 1,
		    .why = "parked after 3 days" };

		is_int(kp_store_notify_settle(st, &v, 1, &err), KP_OK,
		    "park the head");
	}
	is_int(heads(st, a).n, 0, "  a parked head holds its citizen's back");
	is_int(kp_store_notify_counts(st, &pending, &parked, &oldest, &err),
	    KP_OK, "counts");
	is_int(parked, 1, "  one parked");
	is_int(pending, count_sql(path, "SELECT count(*) FROM notification") -
	    1, "  the rest pending");
	is_int(kp_store_notify_retry(st, u_all, &n, &err), KP_OK,
	    "retry every-channel's parked");
	is_int(n, 1, "  one");
	is_str(heads(st, a).lines[0], "1 zaken update lokaal",
	    "  pending again, at the head");

	/* a configured subscription replaced keeps its uuid and queue */
	n = count_sql(path, "SELECT count(*) FROM notification WHERE "
	    "subscription = 3");
	is_int(kp_store_subscription_put(st, "bijstand", bijstand, u_again,
	    &err), KP_OK, "the configured subscription again");
	is_str(u_again, u_bij, "  the same uuid");
	ok(sub_id_of(st, u_bij) != b, "  a new row (caches read it again)");
	is_int(count_sql(path, "SELECT count(*) FROM notification WHERE "
	    "subscription = (SELECT id FROM subscription WHERE name = "
	    "'bijstand')"), n, "  what waited, waits for it still");

	/* removal */
	is_int(kp_store_subscription_delete(st, u_ours, &found, &dropped, &err),
	    KP_OK, "delete a subscription");
	ok(found && dropped == 2, "  found, two notifications dropped");
	is_int(kp_store_subscription_delete(st, u_ours, &found, &dropped, &err),
	    KP_OK, "delete it again");
	is_int(found, 0, "  not found");
	is_int(kp_store_subscription_prune(st, NULL, 0, NULL, NULL, &err), KP_OK,
	    "prune: no configured subscription is wanted");
	is_int(count_sql(path, "SELECT count(*) FROM subscription"), 1,
	    "  the client's one stays");
	notice(&z2, "ZAK", 'W', "Z2", 3, "111222333", "zaaktype=Bijstand\n");
	n = count_sql(path, "SELECT count(*) FROM notification");
	is_int(change(st, &z2, PARTNER, 0), KP_OK, "a change after");
	is_int(count_sql(path, "SELECT count(*) FROM notification"), n + 1,
	    "  one notification: the cache followed the removals");

	/* the newest removed, another added: the cache must not mistake it */
	is_int(kp_store_subscription_put(st, NULL, ours, u_ours, &err), KP_OK,
	    "add ours again");
	is_int(kp_store_subscription_delete(st, u_ours, &found, &dropped, &err),
	    KP_OK, "  remove it before any change");
	is_int(kp_store_subscription_put(st, NULL, ours, u_ours, &err), KP_OK,
	    "  and add it once more");
	notice(&z1, "ZAK", 'T', "Z7", 1, "333444555", "zaaktype=Bijstand\n");
	is_int(change(st, &z1, NULL, 0), KP_OK, "a local change");
	is_int(count_sql(path, "SELECT count(*) FROM notification WHERE "
	    "subscription = (SELECT max(id) FROM subscription)"), 1,
	    "  the last one added gets it");

	kp_notifier_free(nf, st);
	kp_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
	return done_testing();
}
