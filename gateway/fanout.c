/*
 * fanout — a record's disclosure decisions made into outbox rows
 * (fanout.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "auditlog.h"
#include "fanout.h"
#include "kd.h"
#include "store.h"
#include "store_txn.h"

/*
 * What partner holds of n's record from us: a copy when the newest row
 * we queued for it (delivered or not) is anything but a V; *version is
 * that row's bronversie.
 */
static int
partner_holds(struct kp_txn *txn, const char *partner,
    const struct kp_notice *n, int *holds, uint64_t *version,
    struct kp_err *err)
{
	char soort;
	int ret;

	if ((ret = kp_txn_outbox_newest(txn, partner, n, &soort, version,
	    err)) != KP_OK)
		return ret;
	*holds = soort != '\0' && soort != 'V';
	return KP_OK;
}

int
kp_fanout_queue(struct kp_txn *txn, const struct kp_notice *n,
    const struct kp_fanout *fanout, size_t nfanout, enum kp_fanout_mode mode,
    const char *why, size_t *queued, struct kp_err *err)
{
	char record[160];
	uint64_t held_version, volg;
	int ret, holds;

	kp_audit_record(record, sizeof(record), n->entiteittype, n->bron,
	    n->identificatie, n->bronversie);
	for (size_t i = 0; i < nfanout; i++) {
		const struct kp_fanout *f = &fanout[i];
		struct kp_audit q = {
			.direction = "out", .partner_oin = f->partner_oin,
			.entiteittype = n->entiteittype, .bsn = n->bsn,
			.record = record, .outcome = "queued",
		};
		struct kp_outbox_new row = { .notice = n,
		    .partner_oin = f->partner_oin, .partitie = f->partitie,
		    .mutatiesoort = n->mutatiesoort, .fields = f->fields,
		    .basis = f->basis, .doel = f->doel };
		char qdetail[400];

		/* What the partner holds matters, but for a plain disclosure. */
		holds = 0;
		if ((f->kind != KP_FAN_DISCLOSE || mode == KP_FANOUT_RECONCILE) &&
		    (ret = partner_holds(txn, f->partner_oin, n, &holds,
		    &held_version, err)) != KP_OK)
			return ret;
		switch (f->kind) {
		case KP_FAN_DISCLOSE:
			if (mode == KP_FANOUT_RECONCILE && holds &&
			    held_version >= n->bronversie)
				continue;
			q.velden = f->velden;
			q.basis = f->basis;
			q.doel = f->doel;
			break;
		case KP_FAN_DELETE:
			if (!holds && mode != KP_FANOUT_FORCE)
				continue;
			row.mutatiesoort = 'V';
			break;
		case KP_FAN_RETRACT:
		case KP_FAN_WITHHOLD:
			if (holds) {
				row.intrekking = 1;
				row.mutatiesoort = 'V';
				q.outcome = "retracted";
				q.basis = f->reason;
				break;
			}
			if (f->kind == KP_FAN_WITHHOLD &&
			    mode == KP_FANOUT_CHANGE) {
				/* the decision not to disclose, on the record */
				q.outcome = "withheld";
				q.code = "KP021";
				q.doel = NULL;
				snprintf(qdetail, sizeof(qdetail), "%s: %s", why,
				    f->reason);
				q.detail = qdetail;
				if ((ret = kp_txn_audit(txn, &q, err)) != KP_OK)
					return ret;
			}
			continue;
		}
		if ((ret = kp_txn_outbox_put(txn, &row, &volg, err)) != KP_OK)
			return ret;
		snprintf(qdetail, sizeof(qdetail), "%s: %c%s %s of %s bronversie "
		    "%llu on partitie %u volgnummer %llu", why, row.mutatiesoort,
		    row.intrekking ? " intrekking" : "", n->identificatie, n->bron,
		    (unsigned long long)n->bronversie, f->partitie,
		    (unsigned long long)volg);
		q.detail = qdetail;
		if ((ret = kp_txn_audit(txn, &q, err)) != KP_OK)
			return ret;
		(*queued)++;
	}
	return KP_OK;
}

/* A requeue as a write of its own. */
struct requeue {
	struct kp_store_job	 job;
	const struct kp_notice	*n;
	const struct kp_fanout	*fanout;
	size_t			 nfanout;
	enum kp_fanout_mode	 mode;
	const char		*why;
	int64_t			 mark;		/* 0: not checked */
	int			 stale;
	size_t			 queued;
};

static int
apply_requeue(struct kp_txn *txn, struct kp_store_job *job,
    struct kp_err *err)
{
	struct requeue *r = (struct requeue *)job;
	int64_t now;
	int ret;

	r->queued = 0;
	/*
	 * Decided on the citizen's consents as they were when the citizen
	 * was read: if one changed since (its mark moved on), the decision
	 * may be stale (a disclosure on a consent just withdrawn); the next
	 * pass decides again, on the consents as they are then.
	 */
	if (r->mark > 0) {
		if ((ret = kp_txn_consent_mark_of(txn, r->n->bsn, &now,
		    err)) != KP_OK)
			return ret;
		if (now != r->mark) {
			r->stale = 1;
			return KP_OK;
		}
	}
	return kp_fanout_queue(txn, r->n, r->fanout, r->nfanout, r->mode,
	    r->why, &r->queued, err);
}

int
kp_fanout_requeue(struct kp_store *st, const struct kp_notice *n,
    const struct kp_fanout *fanout, size_t nfanout, int reconcile,
    int64_t mark, const char *why, size_t *queued, int *stale,
    struct kp_err *err)
{
	struct requeue r = { .n = n, .fanout = fanout, .nfanout = nfanout,
	    .mode = reconcile ? KP_FANOUT_RECONCILE : KP_FANOUT_FORCE,
	    .why = why, .mark = mark };

	r.job.apply = apply_requeue;
	kp_store_submit_wait(st, &r.job);
	*queued = r.job.status == KP_OK ? r.queued : 0;
	if (stale != NULL)
		*stale = r.stale;
	if (r.job.status != KP_OK)
		return kp_fail(err, KP_ERR_STORE, "%s: cannot queue the records "
		    "again; nothing of it was kept", kp_store_path(st));
	return KP_OK;
}
