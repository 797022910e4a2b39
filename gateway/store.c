/*
 * store — the store's core (store.h): opening a store through its engine
 * (db.h) and migrating it, the statement cache, transactions, the replay
 * check, messages archived, and the group-commit writer, which runs each
 * job's apply() in a savepoint of one transaction per batch, with one
 * fsync, and knows none of the rules they follow (apply.h).
 */
#include "autoconf.h"

#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "auditlog.h"
#include "kd.h"
#include "log.h"
#include "store.h"
#include "store_int.h"
#include "store_txn.h"
#include "util.h"

int
store_fail(struct kp_store *st, struct kp_err *err, const char *what)
{
	return kp_fail(err, KP_ERR_STORE, "%s: %s: %s", st->path, what,
	    kp_db_errmsg(st->db));
}

int
store_exec(struct kp_store *st, const char *sql, struct kp_err *err)
{
	return kp_db_exec(st->db, sql, err);
}

int
store_begin(struct kp_store *st, struct kp_err *err)
{
	return st->ops->begin(st->db, err);
}

static int
count_migrations(const struct kp_db_ops *ops)
{
	int n = 0;

	while (ops->migrations[n] != NULL)
		n++;
	return n;
}

/* Every engine has the same versions; the embedded one counts them. */
int
kp_store_latest_version(void)
{
	return count_migrations(&kp_db_sqlite);
}

/*
 * Each step in its own transaction, the version read inside it: nodes
 * starting at once on one database server migrate it once, one after
 * the other (the engine's begin serialises writers).
 */
static int
migrate(struct kp_store *st, struct kp_err *err)
{
	int latest = count_migrations(st->ops);

	for (;;) {
		int v;

		if (store_begin(st, err) != KP_OK)
			return KP_ERR_STORE;
		if ((v = st->ops->version(st->db)) < 0) {
			store_fail(st, err, "cannot read schema version");
			store_exec(st, "ROLLBACK", NULL);
			return KP_ERR_STORE;
		}
		if (v > latest) {
			store_exec(st, "ROLLBACK", NULL);
			return kp_fail(err, KP_ERR_STORE,
			    "%s: store has schema version %d, this program knows "
			    "up to %d; use a newer ketenpoort", st->path, v, latest);
		}
		if (v == latest)
			return store_exec(st, "COMMIT", err);
		if (store_exec(st, st->ops->migrations[v], err) != KP_OK ||
		    st->ops->set_version(st->db, v + 1, err) != KP_OK) {
			store_exec(st, "ROLLBACK", NULL);
			return KP_ERR_STORE;
		}
		if (store_exec(st, "COMMIT", err) != KP_OK)
			return KP_ERR_STORE;
	}
}

struct kp_store *
kp_store_open(const char *path, struct kp_err *err)
{
	return kp_store_open_mode(path, 0, err);
}

struct kp_store *
kp_store_open_mode(const char *path, int readonly, struct kp_err *err)
{
	struct kp_store *st;

	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = kp_db_display(path)) == NULL ||
	    (st->where = strdup(path)) == NULL) {
		if (st != NULL)
			free(st->path);
		free(st);
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&st->lock, NULL);
	if ((st->hasher = kp_audit_hasher_new()) == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		pthread_mutex_destroy(&st->lock);
		free(st->path);
		free(st->where);
		free(st);
		return NULL;
	}
	{
		/* a listing's callback may run another read on this thread */
		pthread_mutexattr_t attr;

		pthread_mutexattr_init(&attr);
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
		pthread_mutex_init(&st->read_lock, &attr);
		pthread_mutexattr_destroy(&attr);
	}
	pthread_mutex_init(&st->queue_lock, NULL);
	pthread_cond_init(&st->queue_cond, NULL);
	pthread_mutex_init(&st->leader_lock, NULL);
	pthread_mutex_init(&st->pseudo_lock, NULL);
	st->ops = kp_db_engine(path);
	if (st->ops->open(path, readonly ? KP_DB_READ : KP_DB_WRITE, &st->db,
	    err) != KP_OK)
		goto fail;
	if (readonly) {
		/* An auditor's look (maybe at a copy): no migration, no writes. */
		int v = st->ops->version(st->db), latest =
		    count_migrations(st->ops);

		if (v != latest) {
			kp_fail(err, KP_ERR_STORE, "%s: %s (schema version %d; this "
			    "program reads version %d)", path, v <= 0 ?
			    "not a ketenpoort store" : "a store of another "
			    "ketenpoort version", v, latest);
			goto fail;
		}
	}
	if (!readonly && (migrate(st, err) != KP_OK ||
	    store_chain_unchained(st, err) != KP_OK))
		goto fail;
	if (st->ops->open(path, KP_DB_READ, &st->reader, err) != KP_OK)
		goto fail;
	return st;
fail:
	kp_store_close(st);
	return NULL;
}

void
kp_store_close(struct kp_store *st)
{
	if (st == NULL)
		return;
	kp_store_writer_stop(st);
	for (int i = 0; i < STMT_MAX; i++)
		kp_db_finalize(st->stmts[i]);
	if (st->reader != NULL)
		st->ops->close(st->reader);
	if (st->leader != NULL)
		st->ops->close(st->leader);
	if (st->db != NULL)
		st->ops->close(st->db);
	pthread_mutex_destroy(&st->leader_lock);
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->read_lock);
	pthread_mutex_destroy(&st->pseudo_lock);
	free(st->pseudo_cache);
	pthread_mutex_destroy(&st->queue_lock);
	pthread_cond_destroy(&st->queue_cond);
	OPENSSL_cleanse(st->audit_key, sizeof(st->audit_key));
	kp_audit_hasher_free(st->hasher);
	free(st->path);
	free(st->where);
	free(st);
}

int
kp_store_limit(struct kp_store *st, int64_t max_mb, struct kp_err *err)
{
	int ret;

	if (max_mb <= 0)
		return KP_OK;
	pthread_mutex_lock(&st->lock);
	ret = st->ops->limit(st->db, max_mb, err);
	pthread_mutex_unlock(&st->lock);
	return ret;
}

int
kp_store_shared(const struct kp_store *st)
{
	return st->ops->shared;
}

static int
leading(struct kp_store *st, const char *job)
{
	for (int i = 0; i < st->nleading; i++)
		if (strcmp(st->leading[i], job) == 0)
			return i;
	return -1;
}

int
kp_store_leader(struct kp_store *st, const char *job)
{
	struct kp_err err;
	int was, now;

	if (st->ops->leader == NULL)
		return 1;
	pthread_mutex_lock(&st->leader_lock);
	if (st->leader == NULL && st->ops->open(st->where, KP_DB_READ,
	    &st->leader, &err) != KP_OK)
		log_warnx("%s; the %s job waits for it", err.msg, job);
	was = leading(st, job) >= 0;
	now = st->leader != NULL && st->ops->leader(st->leader, job);
	if (now && !was && st->nleading < 8) {
		snprintf(st->leading[st->nleading++], sizeof(st->leading[0]),
		    "%s", job);
		log_info("this node runs the %s job now (of the nodes on %s)",
		    job, st->path);
	} else if (!now && was) {
		int i = leading(st, job);

		memmove(st->leading[i], st->leading[i + 1],
		    (size_t)(st->nleading - i - 1) * sizeof(st->leading[0]));
		st->nleading--;
		log_info("this node no longer runs the %s job (its connection "
		    "to %s went); another node takes it", job, st->path);
	}
	pthread_mutex_unlock(&st->leader_lock);
	return now;
}

const char *
kp_store_path(const struct kp_store *st)
{
	return st->path;
}

int
kp_store_version(struct kp_store *st)
{
	int v;

	pthread_mutex_lock(&st->lock);
	v = st->ops->version(st->db);
	pthread_mutex_unlock(&st->lock);
	return v;
}

/*
 * The statement of slot on db, prepared on first use; the caller holds the
 * connection's lock and calls done_stmt() after stepping.
 */
struct kp_stmt *
store_stmt_get(struct kp_store *st, struct kp_db *db, enum stmt_slot slot,
    const char *sql)
{
	if (st->stmts[slot] == NULL)
		st->stmts[slot] = db->ops->prepare(db, sql, 1);
	return st->stmts[slot];
}

static int
replay_locked(struct kp_store *st, struct kp_db *db, const char *partner_oin,
    const char *message_id, const char *referentienummer,
    const char *body_digest, enum kp_replay *result, char **response,
    size_t *response_len, struct kp_err *err)
{
	static const char sql[] = "SELECT r.body_digest, m.response "
	    "FROM replay r JOIN message m ON m.id = r.message "
	    "WHERE r.partner_oin = ?1 AND (r.message_id = ?2 OR "
	    "(CAST(?3 AS TEXT) IS NOT NULL AND r.referentienummer = ?3)) "
	    "ORDER BY r.message_id = ?2 DESC LIMIT 1";
	struct kp_stmt *stmt;
	int rc;

	*result = KP_REPLAY_NEW;
	if (response != NULL)
		*response = NULL;
	if (response_len != NULL)
		*response_len = 0;
	if ((stmt = store_stmt_get(st, db, db == st->reader ? STMT_REPLAY_READER :
	    STMT_REPLAY_WRITER, sql)) == NULL)
		return kp_fail(err, KP_ERR_STORE, "%s: cannot prepare replay "
		    "check: %s", st->path, kp_db_errmsg(db));
	kp_db_bind_text(stmt, 1, partner_oin);
	kp_db_bind_text(stmt, 2, message_id);
	kp_db_bind_text(stmt, 3, referentienummer);
	rc = kp_db_step(stmt);
	if (rc == KP_DB_ROW) {
		const char *digest = kp_db_col_text(stmt, 0);

		if (digest != NULL && strcmp(digest, body_digest) == 0) {
			size_t n;
			const void *blob = kp_db_col_blob(stmt, 1, &n);

			*result = KP_REPLAY_SAME;
			if (response != NULL &&
			    (*response = malloc((size_t)n + 1)) != NULL) {
				memcpy(*response, blob, (size_t)n);
				(*response)[n] = '\0';
				*response_len = (size_t)n;
			}
		} else {
			*result = KP_REPLAY_CONFLICT;
		}
	} else if (rc != KP_DB_DONE) {
		kp_db_reset(stmt);
		return kp_fail(err, KP_ERR_STORE, "%s: replay check failed: %s",
		    st->path, kp_db_errmsg(db));
	}
	kp_db_reset(stmt);
	return KP_OK;
}

int
kp_store_replay_check(struct kp_store *st, const char *partner_oin,
    const char *message_id, const char *referentienummer,
    const char *body_digest, enum kp_replay *result, char **response,
    size_t *response_len, struct kp_err *err)
{
	int ret;

	pthread_mutex_lock(&st->read_lock);
	ret = replay_locked(st, st->reader, partner_oin, message_id,
	    referentienummer, body_digest, result, response, response_len, err);
	pthread_mutex_unlock(&st->read_lock);
	return ret;
}

static int
insert_message(struct kp_store *st, const struct kp_message_new *m,
    int64_t *id, struct kp_err *err)
{
	static const char sql[] = "INSERT INTO message (direction, partner_oin, "
	    "message_id, referentienummer, berichtcode, entiteittype, root, at, "
	    "bytes_sha256, bytes, response, outcome) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
	struct kp_stmt *stmt;
	char now[32];
	int rc;

	kp_time_iso(kp_now_ms(), now);
	if ((stmt = store_stmt_get(st, st->db, STMT_MESSAGE, sql)) == NULL)
		return store_fail(st, err, "cannot prepare message insert");
	kp_db_bind_text(stmt, 1, m->direction);
	kp_db_bind_text(stmt, 2, m->partner_oin);
	kp_db_bind_text(stmt, 3, m->message_id);
	kp_db_bind_text(stmt, 4, m->referentienummer);
	kp_db_bind_text(stmt, 5, m->berichtcode);
	kp_db_bind_text(stmt, 6, m->entiteittype);
	kp_db_bind_text(stmt, 7, m->root);
	kp_db_bind_text(stmt, 8, now);
	kp_db_bind_text(stmt, 9, m->bytes_sha256);
	kp_db_bind_blob(stmt, 10, m->bytes, m->len);
	kp_db_bind_blob(stmt, 11, m->response, m->response_len);
	kp_db_bind_text(stmt, 12, m->outcome);
	if ((rc = kp_db_step(stmt)) == KP_DB_ROW)
		*id = kp_db_col_int(stmt, 0);
	kp_db_reset(stmt);
	if (rc != KP_DB_ROW)
		return store_fail(st, err, "cannot store message");
	return KP_OK;
}

int
store_insert_outbound(struct kp_store *st, const struct kp_outbound_record *r,
    const char *outcome, const char *sha, int64_t *id, struct kp_err *err)
{
	struct kp_message_new m = { .direction = "out",
	    .partner_oin = r->partner_oin, .message_id = r->message_id,
	    .referentienummer = r->referentienummer,
	    .berichtcode = r->berichtcode, .entiteittype = r->entiteittype,
	    .root = r->root, .bytes = r->bytes, .len = r->len,
	    .bytes_sha256 = sha, .response = r->response,
	    .response_len = r->response_len, .outcome = outcome };

	return insert_message(st, &m, id, err);
}

int
kp_txn_replay(struct kp_txn *txn, const char *partner_oin,
    const char *message_id, const char *referentienummer,
    const char *body_digest, enum kp_replay *result, char **prior,
    size_t *prior_len, struct kp_err *err)
{
	return replay_locked(txn->st, txn->st->db, partner_oin, message_id,
	    referentienummer, body_digest, result, prior, prior_len, err);
}

int
kp_txn_replay_put(struct kp_txn *txn, const char *partner_oin,
    const char *message_id, const char *referentienummer,
    const char *body_digest, int64_t message, struct kp_err *err)
{
	static const char sql[] = "INSERT INTO replay (partner_oin, "
	    "message_id, referentienummer, body_digest, message, at) "
	    "VALUES (?, ?, ?, ?, ?, ?)";
	struct kp_store *st = txn->st;
	struct kp_stmt *stmt;
	char now[32];
	int ret;

	kp_time_iso(kp_now_ms(), now);
	if ((stmt = store_stmt_get(st, st->db, STMT_REPLAY_INSERT, sql)) == NULL)
		return store_fail(st, err, "cannot prepare replay insert");
	kp_db_bind_text(stmt, 1, partner_oin);
	kp_db_bind_text(stmt, 2, message_id);
	kp_db_bind_text(stmt, 3, referentienummer);
	kp_db_bind_text(stmt, 4, body_digest);
	kp_db_bind_int(stmt, 5, message);
	kp_db_bind_text(stmt, 6, now);
	ret = kp_db_step(stmt) == KP_DB_DONE ? KP_OK :
	    store_fail(st, err, "cannot write replay row");
	kp_db_reset(stmt);
	return ret;
}

int
kp_txn_message_put(struct kp_txn *txn, const struct kp_message_new *m,
    int64_t *id, struct kp_err *err)
{
	return insert_message(txn->st, m, id, err);
}

int
kp_txn_witness(struct kp_txn *txn, const struct kp_checkpoint *c,
    int64_t message, struct kp_err *err)
{
	static const char sql[] = "INSERT INTO witnessed (partner_oin, seq, "
	    "hash, at, signature, cert, message, received_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
	struct kp_store *st = txn->st;
	struct kp_stmt *stmt;
	char now[32];
	int rc;

	if ((stmt = kp_db_prepare(st->db, sql)) == NULL)
		return store_fail(st, err, "cannot prepare witnessed checkpoint");
	kp_time_iso(kp_now_ms(), now);
	kp_db_bind_text(stmt, 1, c->partner_oin);
	kp_db_bind_int(stmt, 2, c->seq);
	kp_db_bind_text(stmt, 3, c->hash);
	kp_db_bind_text(stmt, 4, c->at);
	kp_db_bind_text(stmt, 5, c->signature);
	kp_db_bind_text(stmt, 6, c->cert);
	kp_db_bind_int(stmt, 7, message);
	kp_db_bind_text(stmt, 8, now);
	rc = kp_db_step(stmt);
	kp_db_finalize(stmt);
	return rc == KP_DB_DONE ? KP_OK :
	    store_fail(st, err, "cannot keep the witnessed checkpoint");
}

/*
 * Apply jobs in one transaction, each in its own savepoint so that one
 * failure does not undo the others; then call each done().  If the commit
 * itself fails, every job failed: nothing of them is durable.
 */
static void
apply_batch(struct kp_store *st, struct kp_store_job *jobs)
{
	struct kp_store_job *job, *next;
	struct kp_txn txn = { st };
	struct kp_err err;
	int batch_ok;

	pthread_mutex_lock(&st->lock);
	batch_ok = store_begin(st, &err) == KP_OK;
	for (job = jobs; job != NULL; job = job->next) {
		job->status = KP_ERR_STORE;
		if (!batch_ok || store_exec(st, "SAVEPOINT job", &err) != KP_OK)
			continue;
		job->status = job->apply != NULL ? job->apply(&txn, job, &err) :
		    kp_fail(&err, KP_ERR_STORE, "%s: a write that says not what "
		    "it does", st->path);
		if (job->status != KP_OK) {
			if (job->status == KP_ERR_STORE)
				log_warnx("%s; not acknowledged", err.msg);
			if (job->undone != NULL)
				job->undone(job);
			store_exec(st, "ROLLBACK TO SAVEPOINT job", NULL);
		}
		store_exec(st, "RELEASE SAVEPOINT job", NULL);
		if (job->status == KP_ERR_PROTOCOL)
			job->status = job->refused != NULL ?
			    job->refused(&txn, job, &err) : KP_OK;
	}
	if (batch_ok && store_exec(st, "COMMIT", &err) != KP_OK) {
		store_exec(st, "ROLLBACK", NULL);
		batch_ok = 0;
	}
	if (!batch_ok)
		log_warnx("%s: a batch of writes failed (%s); none of them is "
		    "acknowledged", st->path, err.msg);
	pthread_mutex_unlock(&st->lock);
	if (batch_ok)
		store_wal_committed(st);
	pthread_mutex_lock(&st->queue_lock);
	if (batch_ok) {
		st->write_error[0] = '\0';
	} else {
		snprintf(st->write_error, sizeof(st->write_error), "%s", err.msg);
		st->write_error_ms = kp_now_ms();
	}
	pthread_mutex_unlock(&st->queue_lock);
	for (job = jobs; job != NULL; job = next) {
		next = job->next;
		if (!batch_ok) {
			/* nothing of it is durable */
			if (job->status == KP_OK && job->undone != NULL)
				job->undone(job);
			job->status = KP_ERR_STORE;
		}
		job->next = NULL;
		if (job->done != NULL)
			job->done(job, job->arg);
	}
}

static void *
writer_main(void *arg)
{
	struct kp_store *st = arg;
	struct kp_store_job *batch;

	for (;;) {
		pthread_mutex_lock(&st->queue_lock);
		while (st->queue_head == NULL && !st->writer_stopping)
			pthread_cond_wait(&st->queue_cond, &st->queue_lock);
		batch = st->queue_head;
		st->queue_head = st->queue_tail = NULL;
		st->queued = 0;
		pthread_mutex_unlock(&st->queue_lock);
		if (batch == NULL)
			break;		/* stopping, and nothing left */
		apply_batch(st, batch);
	}
	return NULL;
}

int
kp_store_writer_start(struct kp_store *st, struct kp_err *err)
{
	struct kp_err werr;

	if (st->writer_running)
		return KP_OK;
	/* before the writer: it reads wal_ticker after each commit */
	pthread_mutex_lock(&st->lock);
	if (store_wal_start(st, &werr) != KP_OK)
		log_warnx("%s; the writer checkpoints by itself", werr.msg);
	pthread_mutex_unlock(&st->lock);
	st->writer_stopping = 0;
	if (pthread_create(&st->writer, NULL, writer_main, st) != 0) {
		pthread_mutex_lock(&st->lock);
		store_wal_stop(st);
		pthread_mutex_unlock(&st->lock);
		return kp_fail(err, KP_ERR_SYS, "cannot start the store writer");
	}
	st->writer_running = 1;
	return KP_OK;
}

void
kp_store_writer_stop(struct kp_store *st)
{
	if (!st->writer_running)
		return;
	pthread_mutex_lock(&st->queue_lock);
	st->writer_stopping = 1;
	pthread_cond_signal(&st->queue_cond);
	pthread_mutex_unlock(&st->queue_lock);
	pthread_join(st->writer, NULL);
	st->writer_running = 0;
	pthread_mutex_lock(&st->lock);
	store_wal_stop(st);
	pthread_mutex_unlock(&st->lock);
}

size_t
kp_store_pending(struct kp_store *st)
{
	size_t n;

	pthread_mutex_lock(&st->queue_lock);
	n = st->queued;
	pthread_mutex_unlock(&st->queue_lock);
	return n;
}

/*
 * Can the writer write again?  A write transaction taken and ended on its
 * connection (connecting it again when it was lost); then the failure is
 * forgotten.
 */
static int
writer_recovered(struct kp_store *st)
{
	struct kp_err err;
	int ok;

	pthread_mutex_lock(&st->lock);
	ok = store_begin(st, &err) == KP_OK && store_exec(st, "COMMIT",
	    &err) == KP_OK;
	pthread_mutex_unlock(&st->lock);
	if (ok) {
		pthread_mutex_lock(&st->queue_lock);
		st->write_error[0] = '\0';
		pthread_mutex_unlock(&st->queue_lock);
	}
	return ok;
}

int
kp_store_health(struct kp_store *st, char *why, size_t len)
{
	struct statvfs vfs;
	char when[32], *probe;
	int bad = 0, fd = -1;

	/* a database server that does not answer: that first */
	if (st->ops->health != NULL) {
		pthread_mutex_lock(&st->read_lock);
		bad = st->ops->health(st->reader, why, len);
		pthread_mutex_unlock(&st->read_lock);
		if (bad)
			return -1;
	}
	pthread_mutex_lock(&st->queue_lock);
	if (st->write_error[0] != '\0') {
		kp_time_iso(st->write_error_ms, when);
		snprintf(why, len, "the last write failed at %s: %s", when,
		    st->write_error);
		bad = 1;
	}
	pthread_mutex_unlock(&st->queue_lock);
	if (bad && st->ops->health != NULL && writer_recovered(st)) {
		/*
		 * A server that answers again: an idle node must not stay
		 * unready until a write comes, for none comes to a node the
		 * load balancer has taken out.
		 */
		pthread_mutex_lock(&st->read_lock);
		st->ops->health(st->reader, why, len);
		pthread_mutex_unlock(&st->read_lock);
		bad = 0;
	}
	if (bad || st->ops->health != NULL)
		return bad ? -1 : 0;
	if (statvfs(st->path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) {
		snprintf(why, len, "%s is on a read-only file system", st->path);
		return -1;
	}
	/*
	 * A file system the kernel made read-only after an error may not say
	 * so in statvfs: create a file next to the store, as SQLite would.
	 */
	if (asprintf(&probe, "%s-healthz", st->path) == -1) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	if ((fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || write(fd, "", 1) != 1) {
		snprintf(why, len, "cannot write next to %s: %s", st->path,
		    strerror(errno));
		bad = 1;
	}
	if (fd != -1) {
		close(fd);
		unlink(probe);
	}
	free(probe);
	if (bad)
		return -1;
	if (st->ops->readonly(st->db)) {
		snprintf(why, len, "%s is open read-only (check its and its "
		    "directory's permissions)", st->path);
		return -1;
	}
	snprintf(why, len, "%s writable", st->path);
	return 0;
}

void
kp_store_submit(struct kp_store *st, struct kp_store_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&st->queue_lock);
	if (!st->writer_running || st->writer_stopping) {
		pthread_mutex_unlock(&st->queue_lock);
		apply_batch(st, job);
		return;
	}
	if (st->queue_tail != NULL)
		st->queue_tail->next = job;
	else
		st->queue_head = job;
	st->queue_tail = job;
	st->queued++;
	pthread_cond_signal(&st->queue_cond);
	pthread_mutex_unlock(&st->queue_lock);
}

static void
open_latch(struct kp_store_job *job, void *arg)
{
	(void)job;
	kp_latch_open(arg);
}

/* Submit and wait for it, whether a writer runs or not. */
void
kp_store_submit_wait(struct kp_store *st, struct kp_store_job *job)
{
	struct kp_latch latch;

	kp_latch_init(&latch);
	job->done = open_latch;
	job->arg = &latch;
	kp_store_submit(st, job);
	kp_latch_wait(&latch);
}

int
kp_txn_sent(struct kp_txn *txn, const struct kp_outbound_record *r,
    struct kp_err *err)
{
	char sha[KP_SHA256_HEX_LEN + 1];
	struct kp_audit a = {
		.direction = "out", .partner_oin = r->partner_oin,
		.message_id = r->message_id, .berichtcode = r->berichtcode,
		.entiteittype = r->entiteittype, .outcome = r->outcome,
		.code = r->code, .bytes_sha256 = sha, .detail = r->detail,
		.bsn = r->bsn, .doel = r->doel,
	};
	int ret;

	kp_sha256_hex(r->bytes, r->len, sha);
	if ((ret = store_insert_outbound(txn->st, r, r->outcome, sha,
	    &a.message, err)) != KP_OK)
		return ret;
	return store_audit_locked(txn->st, &a, err);
}

/* The query on db (the path names it in errors). */
int
store_read_rows(struct kp_db *db, const char *path, const char *sql, const char *what,
    const struct param *params, int nparams,
    int (*row)(struct kp_stmt *stmt, void *arg), void *arg, struct kp_err *err)
{
	struct kp_stmt *stmt;
	int rc, ret = KP_OK;

	if ((stmt = kp_db_prepare(db, sql)) == NULL)
		return kp_fail(err, KP_ERR_STORE, "%s: cannot read %s: %s",
		    path, what, kp_db_errmsg(db));
	store_bind(stmt, params, nparams);
	while ((rc = kp_db_step(stmt)) == KP_DB_ROW)
		if (row(stmt, arg) != 0)
			break;
	if (rc != KP_DB_ROW && rc != KP_DB_DONE)
		ret = kp_fail(err, KP_ERR_STORE, "%s: cannot read %s: %s",
		    path, what, kp_db_errmsg(db));
	kp_db_finalize(stmt);
	return ret;
}

int
store_read_each(struct kp_store *st, const char *sql, const char *what,
    const struct param *params, int nparams,
    int (*row)(struct kp_stmt *stmt, void *arg), void *arg, struct kp_err *err)
{
	int ret;

	pthread_mutex_lock(&st->read_lock);
	ret = store_read_rows(st->reader, st->path, sql, what, params, nparams, row,
	    arg, err);
	pthread_mutex_unlock(&st->read_lock);
	return ret;
}

/* Run one statement with ?1 text (may be NULL), ?2 and ?3 integers. */
int
store_exec_bound(struct kp_store *st, const char *sql, const char *t1,
    int64_t i2, int64_t i3, struct kp_err *err)
{
	struct kp_stmt *stmt;
	char what[64];
	size_t words = 0, n;
	int rc;

	/* what failed: the statement's first words, "UPDATE outbox" */
	for (n = 0; sql[n] != '\0' && n < 40; n++)
		if (sql[n] == ' ' && ++words == (strncmp(sql, "UPDATE", 6) == 0 ?
		    2 : 3))
			break;
	snprintf(what, sizeof(what), "cannot run %.*s", (int)n, sql);
	if ((stmt = kp_db_prepare(st->db, sql)) == NULL)
		return store_fail(st, err, what);
	kp_db_bind_text(stmt, 1, t1);
	kp_db_bind_int(stmt, 2, i2);
	kp_db_bind_int(stmt, 3, i3);
	rc = kp_db_step(stmt);
	kp_db_finalize(stmt);
	return rc == KP_DB_DONE ? KP_OK : store_fail(st, err, what);
}

/* One integer (?1 integer, ?2 text) from the writer connection, under lock. */
int64_t
store_query_int(struct kp_store *st, const char *sql, int64_t a, const char *b)
{
	struct kp_stmt *stmt;
	int64_t v = -1;

	if ((stmt = kp_db_prepare(st->db, sql)) == NULL)
		return -1;
	kp_db_bind_int(stmt, 1, a);
	kp_db_bind_text(stmt, 2, b);
	if (kp_db_step(stmt) == KP_DB_ROW && !kp_db_col_null(stmt, 0))
		v = kp_db_col_int(stmt, 0);
	kp_db_finalize(stmt);
	return v;
}

void
store_bind(struct kp_stmt *stmt, const struct param *p, int n)
{
	for (int i = 0; i < n; i++) {
		if (p[i].is_null)
			kp_db_bind_null(stmt, i + 1);
		else if (p[i].text != NULL)
			kp_db_bind_text(stmt, i + 1, p[i].text);
		else
			kp_db_bind_int(stmt, i + 1, p[i].integer);
	}
}
