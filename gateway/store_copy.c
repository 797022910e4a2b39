/*
 * store_copy — one store copied into another, whatever their engines:
 * how a gateway grows from its embedded SQLite file to a PostgreSQL
 * database several nodes share (ketenpoort store copy).  Every table the
 * gateway's state lives in, row by row with its ids, read in one snapshot
 * of the source and written in one transaction on the target, so that a
 * copy is whole or absent.  The audit chain's rows keep their seq, time
 * and hash, so the chain verifies on the copy and checkpoints signed
 * before still match.  Leases are a running node's and are not copied.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* In an order that keeps every reference to a row already there. */
static const char *const tables[] = {
	"message", "replay", "audit", "record", "stream_in", "stream_applied",
	"stream_out", "outbox", "outbox_skipped", "sync_check", "checkpoint",
	"checkpoint_sent", "witnessed", "consent_dirty", "subscription",
	"notification", "dossier_ref", "record_ref", "audit_verification", NULL,
};

const char *const *
kp_store_copy_tables(void)
{
	return tables;
}

static int64_t
count_rows(struct kp_db *db, const char *table)
{
	struct kp_stmt *stmt;
	char sql[96];
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if ((stmt = kp_db_prepare(db, sql)) == NULL)
		return -1;
	if (kp_db_step(stmt) == KP_DB_ROW)
		n = kp_db_col_int(stmt, 0);
	kp_db_finalize(stmt);
	return n;
}

/* INSERT INTO table (the columns of the row at hand) VALUES (?, ...). */
static struct kp_stmt *
insert_for(struct kp_db *to, const char *table, struct kp_stmt *row)
{
	struct kp_stmt *stmt;
	size_t cap = 256, len;
	char *sql;
	int n = row->ops->ncols(row);

	for (int i = 0; i < n; i++)
		cap += strlen(row->ops->col_name(row, i)) + 8;
	if ((sql = malloc(cap)) == NULL)
		return NULL;
	len = (size_t)snprintf(sql, cap, "INSERT INTO %s (", table);
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(sql + len, cap - len, "%s%s", i ? ", " :
		    "", row->ops->col_name(row, i));
	len += (size_t)snprintf(sql + len, cap - len, ") VALUES (");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(sql + len, cap - len, "%s?", i ? ", " :
		    "");
	snprintf(sql + len, cap - len, ")");
	stmt = kp_db_prepare(to, sql);
	free(sql);
	return stmt;
}

static int
copy_table(struct kp_store *from, struct kp_store *to, const char *table,
    int64_t *rows, struct kp_err *err)
{
	struct kp_stmt *sel, *ins = NULL;
	char sql[96];
	int rc, ret = KP_OK;

	*rows = 0;
	snprintf(sql, sizeof(sql), "SELECT * FROM %s", table);
	if ((sel = kp_db_prepare(from->reader, sql)) == NULL)
		return kp_fail(err, KP_ERR_STORE, "%s: cannot read %s: %s",
		    from->path, table, kp_db_errmsg(from->reader));
	while ((rc = kp_db_step(sel)) == KP_DB_ROW) {
		int n = sel->ops->ncols(sel);

		if (ins == NULL && (ins = insert_for(to->db, table, sel)) == NULL) {
			ret = kp_fail(err, KP_ERR_STORE, "%s: cannot write %s: %s",
			    to->path, table, kp_db_errmsg(to->db));
			break;
		}
		for (int i = 0; i < n; i++) {
			size_t len;
			const void *p;

			switch (sel->ops->col_kind(sel, i)) {
			case KP_DB_NULL:
				kp_db_bind_null(ins, i + 1);
				break;
			case KP_DB_INT:
				kp_db_bind_int(ins, i + 1, kp_db_col_int(sel, i));
				break;
			case KP_DB_BLOB:
				p = kp_db_col_blob(sel, i, &len);
				kp_db_bind_blob(ins, i + 1, p != NULL ? p : "", len);
				break;
			default:
				kp_db_bind_text(ins, i + 1, kp_db_col_text(sel, i));
			}
		}
		rc = kp_db_step(ins);
		kp_db_reset(ins);
		if (rc != KP_DB_DONE) {
			ret = kp_fail(err, KP_ERR_STORE, "%s: cannot copy row %"
			    PRId64 " of %s: %s", to->path, *rows + 1, table,
			    kp_db_errmsg(to->db));
			break;
		}
		(*rows)++;
	}
	if (ret == KP_OK && rc != KP_DB_DONE)
		ret = kp_fail(err, KP_ERR_STORE, "%s: cannot read %s: %s",
		    from->path, table, kp_db_errmsg(from->reader));
	kp_db_finalize(ins);
	kp_db_finalize(sel);
	return ret;
}

/*
 * The chain's head on the source's snapshot connection (the store's own
 * kp_store_audit_head reads its writer connection, which sees later
 * writes).
 */
static int
head_of(struct kp_db *db, int64_t *seq, char hash[65])
{
	struct kp_stmt *stmt;
	int rc;

	*seq = 0;
	hash[0] = '\0';
	if ((stmt = kp_db_prepare(db, "SELECT seq, hash FROM audit ORDER BY "
	    "seq DESC LIMIT 1")) == NULL)
		return KP_ERR_STORE;
	if ((rc = kp_db_step(stmt)) == KP_DB_ROW) {
		*seq = kp_db_col_int(stmt, 0);
		snprintf(hash, 65, "%s", kp_db_col_null(stmt, 1) ? "" :
		    kp_db_col_text(stmt, 1));
	}
	kp_db_finalize(stmt);
	return rc == KP_DB_ROW || rc == KP_DB_DONE ? KP_OK : KP_ERR_STORE;
}

int
kp_store_copy(struct kp_store *from, struct kp_store *to,
    struct kp_copy_report *rep, struct kp_err *err)
{
	int ret = KP_OK, n;

	memset(rep, 0, sizeof(*rep));
	for (n = 0; tables[n] != NULL; n++) {
		int64_t there;

		pthread_mutex_lock(&to->lock);
		there = count_rows(to->db, tables[n]);
		pthread_mutex_unlock(&to->lock);
		if (there != 0)
			return kp_fail(err, KP_ERR_STORE, "%s is not empty (%s has "
			    "%" PRId64 " rows): a store is copied only into a new "
			    "database, never over another gateway's state",
			    to->path, tables[n], there);
	}
	pthread_mutex_lock(&from->read_lock);
	pthread_mutex_lock(&to->lock);
	if ((ret = from->ops->exec(from->reader, from->ops->snapshot,
	    err)) != KP_OK)
		goto out;
	if ((ret = store_begin(to, err)) != KP_OK)
		goto end_read;
	for (n = 0; tables[n] != NULL && ret == KP_OK; n++)
		ret = copy_table(from, to, tables[n], &rep->rows[n], err);
	/* the head as of the snapshot: a running gateway writes on */
	if (ret == KP_OK && head_of(from->reader, &rep->head_seq,
	    rep->head_hash) != KP_OK)
		ret = kp_fail(err, KP_ERR_STORE, "%s: cannot read the audit "
		    "chain's head: %s", from->path, kp_db_errmsg(from->reader));
	if (ret == KP_OK && to->ops->reseed != NULL)
		ret = to->ops->reseed(to->db, err);
	if (ret == KP_OK)
		ret = store_exec(to, "COMMIT", err);
	else
		store_exec(to, "ROLLBACK", NULL);
end_read:
	from->ops->exec(from->reader, "COMMIT", NULL);
out:
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->read_lock);
	if (ret != KP_OK)
		return ret;
	/* what landed is what was read */
	for (n = 0; tables[n] != NULL; n++) {
		int64_t there;

		pthread_mutex_lock(&to->lock);
		there = count_rows(to->db, tables[n]);
		pthread_mutex_unlock(&to->lock);
		if (there != rep->rows[n])
			return kp_fail(err, KP_ERR_STORE, "%s: %s has %" PRId64
			    " rows after the copy of %" PRId64, to->path,
			    tables[n], there, rep->rows[n]);
		rep->total += rep->rows[n];
	}
	rep->ntables = (size_t)n;
	{
		int64_t seq;
		char hash[65];
		int rc;

		struct kp_err herr;

		rc = kp_store_audit_head(to, &seq, hash, &herr);
		if (rc != KP_OK || seq != rep->head_seq ||
		    strcmp(hash, rep->head_hash) != 0)
			return kp_fail(err, KP_ERR_STORE, "%s: the audit chain's "
			    "head differs: entry %" PRId64 " %s in the original, "
			    "%" PRId64 " %s on the copy", to->path, rep->head_seq,
			    rep->head_hash, seq, hash);
	}
	return KP_OK;
}
