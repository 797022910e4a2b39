/*
 * store_sync — the store's view of each link for synchronisation
 * (PROTOCOL.md 4.3): the streams' numbers in and out and the backlog per
 * partner, the digest lines of what we disclosed and what we hold, and
 * the record of each digest comparison.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "store.h"
#include "store_int.h"
#include "util.h"

/* The caller's callback for link_row, typed. */
struct each_link {
	int	(*fn)(void *, const struct kp_link_status *);
	void	*arg;
};

static int
link_row(struct kp_stmt *stmt, void *arg)
{
	struct each_link *e = arg;
	struct kp_link_status ls = {
		.partner_oin = kp_db_col_text(stmt, 0),
		.streams_out = kp_db_col_int(stmt, 1),
		.next_out_total = kp_db_col_int(stmt, 2),
		.pending = kp_db_col_int(stmt, 3),
		.parked = kp_db_col_int(stmt, 4),
		.delivered = kp_db_col_int(stmt, 5),
		.oldest_undelivered = kp_db_col_text(stmt, 6),
		.streams_in = kp_db_col_int(stmt, 7),
		.next_in_total = kp_db_col_int(stmt, 8),
		.checked_at = kp_db_col_text(stmt, 9),
		.checked_citizens = kp_db_col_int(stmt, 10),
		.checked_differ = kp_db_col_int(stmt, 11),
		.checked_in_flight = kp_db_col_int(stmt, 12),
		.check_error = kp_db_col_text(stmt, 13),
		.conflicts = kp_db_col_int(stmt, 14),
	};

	return e->fn(e->arg, &ls);
}

int
kp_store_link_status(struct kp_store *st,
    int (*fn)(void *arg, const struct kp_link_status *s), void *arg,
    struct kp_err *err)
{
	static const char sql[] =
	    "WITH partners AS (SELECT partner_oin FROM stream_out UNION "
	    "  SELECT partner_oin FROM stream_in UNION "
	    "  SELECT partner_oin FROM sync_check) "
	    "SELECT p.partner_oin, "
	    " (SELECT count(*) FROM stream_out o WHERE o.partner_oin = p.partner_oin), "
	    " (SELECT coalesce(sum(next_volgnummer - 1), 0) FROM stream_out o "
	    "   WHERE o.partner_oin = p.partner_oin), "
	    " (SELECT count(*) FROM outbox x WHERE x.partner_oin = p.partner_oin "
	    "   AND x.state = 'pending'), "
	    " (SELECT count(*) FROM outbox x WHERE x.partner_oin = p.partner_oin "
	    "   AND x.state = 'parked'), "
	    " (SELECT count(*) FROM outbox x WHERE x.partner_oin = p.partner_oin "
	    "   AND x.state = 'delivered'), "
	    " (SELECT coalesce(min(created_at), '') FROM outbox x WHERE "
	    "   x.partner_oin = p.partner_oin AND x.state != 'delivered'), "
	    " (SELECT count(*) FROM stream_in i WHERE i.partner_oin = p.partner_oin), "
	    " (SELECT coalesce(sum(next_expected - 1), 0) FROM stream_in i "
	    "   WHERE i.partner_oin = p.partner_oin), "
	    " coalesce(c.at, ''), coalesce(c.citizens, 0), coalesce(c.differ, 0), "
	    " coalesce(c.in_flight, 0), coalesce(c.error, ''), "
	    " (SELECT count(*) FROM outbox x WHERE x.partner_oin = p.partner_oin "
	    "   AND x.state = 'parked' AND x.code = 'KP031') "
	    "FROM partners p LEFT JOIN sync_check c ON c.id = (SELECT max(id) "
	    "  FROM sync_check s WHERE s.partner_oin = p.partner_oin) "
	    "ORDER BY p.partner_oin";
	struct each_link e = { fn, arg };

	return store_read_each(st, sql, "streams", NULL, 0, link_row, &e, err);
}

/* The caller's callback for stream_row, typed. */
struct each_stream {
	int	(*fn)(void *, int64_t, int64_t, int64_t);
	void	*arg;
};

static int
stream_row(struct kp_stmt *stmt, void *arg)
{
	struct each_stream *e = arg;

	return e->fn(e->arg, kp_db_col_int(stmt, 0),
	    kp_db_col_int(stmt, 1), kp_db_col_int(stmt, 2));
}

int
kp_store_each_stream(struct kp_store *st, const char *partner_oin,
    int (*fn)(void *arg, int64_t partitie, int64_t next_out, int64_t next_in),
    void *arg, struct kp_err *err)
{
	static const char sql[] = "WITH p AS (SELECT partitie FROM stream_out "
	    "WHERE partner_oin = ?1 UNION SELECT partitie FROM stream_in "
	    "WHERE partner_oin = ?1) SELECT p.partitie, "
	    "coalesce((SELECT next_volgnummer FROM stream_out o WHERE "
	    "o.partner_oin = ?1 AND o.partitie = p.partitie), 0), "
	    "coalesce((SELECT next_expected FROM stream_in i WHERE "
	    "i.partner_oin = ?1 AND i.partitie = p.partitie), 0) "
	    "FROM p ORDER BY p.partitie";
	struct param p[] = { { partner_oin, 0, 0 } };
	struct each_stream e = { fn, arg };

	return store_read_each(st, sql, "streams", p, 1, stream_row, &e, err);
}

/* The caller's callback for digest_row, typed. */
struct each_digest {
	int	(*fn)(void *, const struct kp_digest_row *);
	void	*arg;
};

static int
digest_row(struct kp_stmt *stmt, void *arg)
{
	struct each_digest *e = arg;
	struct kp_digest_row r = {
		.bsn = kp_db_col_text(stmt, 0),
		.entiteittype = kp_db_col_text(stmt, 1),
		.bron = kp_db_col_text(stmt, 2),
		.identificatie = kp_db_col_text(stmt, 3),
		.bronversie = kp_db_col_int(stmt, 4),
		.fields_sha256 = kp_db_col_text(stmt, 5),
		.fields = kp_db_col_text(stmt, 6),
		.undelivered = (int)kp_db_col_int(stmt, 7),
	};

	return e->fn(e->arg, &r);
}

int
kp_store_each_held(struct kp_store *st, const char *partner_oin,
    const char *bsn, const char *after,
    int (*fn)(void *arg, const struct kp_digest_row *r), void *arg,
    struct kp_err *err)
{
	/* Two texts, so that each is one range seek on record_from. */
	static const char one_sql[] = "SELECT bsn, entiteittype, bron, "
	    "identificatie, bronversie, fields_sha256, NULL, 0 FROM record "
	    "WHERE received_from = ?1 AND bsn = ?2";
	static const char page_sql[] = "SELECT bsn, entiteittype, bron, "
	    "identificatie, bronversie, fields_sha256, NULL, 0 FROM record "
	    "WHERE received_from = ?1 AND bsn > ?2 ORDER BY bsn";
	struct param p[] = { { partner_oin, 0, 0 },
	    { bsn != NULL ? bsn : after != NULL ? after : "", 0, 0 } };
	struct each_digest e = { fn, arg };

	return store_read_each(st, bsn != NULL ? one_sql : page_sql, "records", p, 2,
	    digest_row, &e, err);
}

int
kp_store_each_disclosed(struct kp_store *st, const char *partner_oin,
    const char *bsn, int (*fn)(void *arg, const struct kp_digest_row *r),
    void *arg, struct kp_err *err)
{
	/*
	 * The newest row of a record; rows an operator skipped are gone.  A
	 * delivered retraction leaves nothing at the partner (no line); one
	 * still under way keeps its citizen in flight.
	 */
#define DISCLOSED_SQL(bsn_term) "SELECT o.bsn, o.entiteittype, o.bron, " \
	    "o.identificatie, o.bronversie, NULL, o.fields, " \
	    "o.state != 'delivered' FROM outbox o " \
	    "WHERE o.partner_oin = ?1 AND " bsn_term " AND " \
	    "(o.reden IS NULL OR o.state != 'delivered') AND " \
	    "o.id = (SELECT max(x.id) FROM outbox x WHERE " \
	    "x.partner_oin = o.partner_oin AND x.bsn = o.bsn AND " \
	    "x.entiteittype = o.entiteittype AND x.bron = o.bron AND " \
	    "x.identificatie = o.identificatie) ORDER BY o.bsn"
	static const char one_sql[] = DISCLOSED_SQL("o.bsn = ?2");
	static const char all_sql[] = DISCLOSED_SQL("o.bsn > ?2");
#undef DISCLOSED_SQL
	struct param p[] = { { partner_oin, 0, 0 },
	    { bsn != NULL ? bsn : "", 0, 0 } };
	struct each_digest e = { fn, arg };

	return store_read_each(st, bsn != NULL ? one_sql : all_sql, "the outbox", p, 2,
	    digest_row, &e, err);
}

int
kp_store_sync_checked(struct kp_store *st, const struct kp_sync_check *c,
    struct kp_err *err)
{
	struct kp_stmt *stmt;
	char now[32];
	int rc;

	kp_time_iso(kp_now_ms(), now);
	pthread_mutex_lock(&st->lock);
	if ((stmt = kp_db_prepare(st->db, "INSERT INTO sync_check (partner_oin, "
	    "at, citizens, differ, in_flight, error) VALUES (?, ?, ?, ?, ?, ?)"))
	    == NULL) {
		rc = store_fail(st, err, "cannot prepare sync check");
		goto out;
	}
	kp_db_bind_text(stmt, 1, c->partner_oin);
	kp_db_bind_text(stmt, 2, now);
	kp_db_bind_int(stmt, 3, c->citizens);
	kp_db_bind_int(stmt, 4, c->differ);
	kp_db_bind_int(stmt, 5, c->in_flight);
	kp_db_bind_text(stmt, 6, c->error);
	rc = kp_db_step(stmt) == KP_DB_DONE ? KP_OK :
	    store_fail(st, err, "cannot record sync check");
	kp_db_finalize(stmt);
out:
	pthread_mutex_unlock(&st->lock);
	return rc;
}
