/*
 * upgrade: a store made by an earlier ketenpoort opens, migrates and reads
 * back without loss.  tests/data/store-v7-gemeente.sql.gz is the dump of
 * the municipality's store after `ketenpoort demo`, made by the program
 * as it stood before the store was redesigned (schema version 7, commit
 * dc54daa).  What the file holds is read twice: straight from SQLite here,
 * and through the store; both must agree, row for row, byte for byte, and
 * the audit chain must still verify entry by entry.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "apply.h"
#include "auditlog.h"
#include "fixture.h"
#include "store.h"
#include "tap.h"
#include "util.h"

static const char *const tables[] = { "message", "replay", "audit",
    "record", "stream_in", "outbox", "stream_out", "outbox_skipped",
    "sync_check" };
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* The dump, decompressed: malloc'd text, NULL on failure. */
static char *
read_dump(const char *path)
{
	char cmd[600], *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", path);
	if ((p = popen(cmd, "r")) == NULL)
		return NULL;
	do {
		if (len + 65536 + 1 > cap) {
			char *nb = realloc(buf, cap = (cap + 65536) * 2);

			if (nb == NULL) {
				free(buf);
				pclose(p);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, 65536, p);
		len += n;
	} while (n > 0);
	buf[len] = '\0';
	if (pclose(p) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int64_t
raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* SHA-256 over "id:bytes\n" of every message, in id order. */
struct digest {
	char	*text;
	size_t	 len;
	int	 failed;
};

static void
digest_add(struct digest *d, int64_t id, const void *p, size_t n)
{
	char head[32];
	int hl = snprintf(head, sizeof(head), "%lld:", (long long)id);
	char *nb = realloc(d->text, d->len + (size_t)hl + n + 1);

	if (nb == NULL) {
		d->failed = 1;
		return;
	}
	d->text = nb;
	memcpy(d->text + d->len, head, (size_t)hl);
	memcpy(d->text + d->len + hl, p, n);
	d->len += (size_t)hl + n;
	d->text[d->len++] = '\n';
}

static void
raw_messages(sqlite3 *db, char out[KP_SHA256_HEX_LEN + 1])
{
	struct digest d = { 0 };
	sqlite3_stmt *s;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT id, bytes FROM message ORDER BY id",
	    -1, &s, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(s) == SQLITE_ROW)
		digest_add(&d, sqlite3_column_int64(s, 0),
		    sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1));
	sqlite3_finalize(s);
	if (!d.failed)
		kp_sha256_hex(d.text, d.len, out);
	free(d.text);
}

static int
store_message(void *arg, const struct kp_stored_message *m)
{
	digest_add(arg, m->id, m->bytes, m->len);
	return 0;
}

/* Records as "type|bron|id|versie|deleted|fields\n", of every citizen. */
static int
record_line(void *arg, const struct kp_stored_record *r)
{
	struct digest *d = arg;
	char *line;

	if (asprintf(&line, "%s|%s|%s|%lld|%d|%s", r->entiteittype, r->bron,
	    r->identificatie, (long long)r->bronversie, r->deleted,
	    r->fields != NULL ? r->fields : "") == -1) {
		d->failed = 1;
		return 1;
	}
	digest_add(d, 0, line, strlen(line));
	free(line);
	return 0;
}

/* The chain, entry by entry: each stored hash is the hash of its entry. */
struct chain {
	char	 prev[65];
	int64_t	 n, bad;
};

static int
chain_entry(void *arg, const struct kp_audit_entry *e)
{
	struct chain *c = arg;
	char h[65];

	if (kp_audit_hash(NULL, c->prev, e, h) != 0 || e->hash == NULL ||
	    strcmp(h, e->hash) != 0)
		c->bad++;
	memcpy(c->prev, e->hash != NULL ? e->hash : "", 65);
	c->n++;
	return 0;
}

static int
count_row(void *arg, const struct kp_queue_row *r)
{
	(void)r;
	(*(int64_t *)arg)++;
	return 0;
}

int
main(void)
{
	char dir[] = "/tmp/kpupgrade.XXXXXX", path[300], sql[128];
	char want_msg[KP_SHA256_HEX_LEN + 1], got_msg[KP_SHA256_HEX_LEN + 1];
	char want_rec[KP_SHA256_HEX_LEN + 1], got_rec[KP_SHA256_HEX_LEN + 1];
	int64_t raw[NTABLES], raw_hashes, outbox_rows = 0;
	struct digest dm = { 0 }, dr = { 0 };
	struct chain chain = { "", 0, 0 };
	struct kp_store *st;
	struct kp_err err;
	sqlite3_stmt *s;
	sqlite3 *db;
	char *dump;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/store.db", dir);
	dump = read_dump(fixture_src("tests/data/store-v7-gemeente.sql.gz"));
	if (!ok(dump != NULL, "the dump of a version 7 store decompresses"))
		return done_testing();
	if (!ok(sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_exec(db, dump, NULL, NULL, NULL) == SQLITE_OK,
	    "it loads into a new file"))
		return done_testing();
	free(dump);
	is_int(raw_int(db, "PRAGMA user_version"), 7, "at schema version 7");

	/* What the file holds, read without the store. */
	for (size_t i = 0; i < NTABLES; i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		raw[i] = raw_int(db, sql);
	}
	ok(raw[0] > 0 && raw[2] > 0 && raw[3] > 0 && raw[5] > 0,
	    "the dump has messages, audit entries, records and outbox rows");
	raw_messages(db, want_msg);
	raw_hashes = raw_int(db, "SELECT count(*) FROM audit WHERE "
	    "length(hash) = 64");
	{
		struct digest d = { 0 };

		if (sqlite3_prepare_v2(db, "SELECT entiteittype, bron, "
		    "identificatie, bronversie, deleted, fields FROM record "
		    "ORDER BY bsn, entiteittype, bron, identificatie", -1, &s,
		    NULL) == SQLITE_OK) {
			while (sqlite3_step(s) == SQLITE_ROW) {
				char *line;

				if (asprintf(&line, "%s|%s|%s|%lld|%d|%s",
				    sqlite3_column_text(s, 0),
				    sqlite3_column_text(s, 1),
				    sqlite3_column_text(s, 2),
				    (long long)sqlite3_column_int64(s, 3),
				    sqlite3_column_int(s, 4),
				    sqlite3_column_text(s, 5)) == -1)
					break;
				digest_add(&d, 0, line, strlen(line));
				free(line);
			}
			sqlite3_finalize(s);
		}
		kp_sha256_hex(d.text, d.len, want_rec);
		free(d.text);
	}

	/* The same through the store, after it opened and migrated. */
	st = kp_store_open(path, &err);
	if (!ok(st != NULL, "the store opens it and migrates") ) {
		diag("%s", err.msg);
		sqlite3_close(db);
		return done_testing();
	}
	is_int(kp_store_version(st), kp_store_latest_version(),
	    "now at the latest schema version");
	for (size_t i = 0; i < NTABLES; i++)
		is_int(fixture_count(st, tables[i]), raw[i],
		    "table %s: every row kept", tables[i]);
	is_int(kp_store_each_message(st, NULL, store_message, &dm, &err), KP_OK,
	    "the messages read back");
	kp_sha256_hex(dm.text, dm.len, got_msg);
	is_str(got_msg, want_msg, "every message's signed bytes, unchanged");
	if (sqlite3_prepare_v2(db, "SELECT DISTINCT bsn FROM record ORDER BY bsn",
	    -1, &s, NULL) == SQLITE_OK) {
		while (sqlite3_step(s) == SQLITE_ROW)
			kp_store_each_record(st, (const char *)sqlite3_column_text(s,
			    0), NULL, record_line, &dr, &err);
		sqlite3_finalize(s);
	}
	kp_sha256_hex(dr.text, dr.len, got_rec);
	is_str(got_rec, want_rec, "every record, its version and fields");
	is_int(kp_store_each_audit(st, NULL, chain_entry, &chain, &err), KP_OK,
	    "the audit log reads back");
	is_int(chain.n, raw[2], "every audit entry");
	is_int(chain.n, raw_hashes, "each with its chain hash");
	is_int(chain.bad, 0, "and the chain verifies entry by entry");
	is_int(kp_store_outbox_list(st, NULL, NULL, 0, count_row, &outbox_rows,
	    &err), KP_OK, "the outbox lists");
	is_int(outbox_rows, raw[5], "with every row");

	/* It takes writes again, and the chain goes on from its head. */
	{
		static const unsigned char key[32] = { 1 };
		struct kp_audit a = { .direction = "local", .outcome = "stored",
		    .detail = "after the upgrade" };

		kp_store_set_audit_key(st, key);
		is_int(kp_apply_audit(st, &a, &err), KP_OK, "a new entry is written");
		chain.n = chain.bad = 0;
		chain.prev[0] = '\0';
		kp_store_each_audit(st, NULL, chain_entry, &chain, &err);
		is_int(chain.n, raw[2] + 1, "after the old ones");
		is_int(chain.bad, 0, "chained to the old head");
	}
	kp_store_close(st);
	sqlite3_close(db);
	free(dm.text);
	free(dr.text);
	snprintf(sql, sizeof(sql), "rm -rf '%s'", dir);
	if (system(sql) != 0)
		diag("cannot remove %s", dir);
	return done_testing();
}
