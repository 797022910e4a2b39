/*
 * apply — what each write does inside the writer's transaction (apply.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "auditlog.h"
#include "fanout.h"
#include "records.h"
#include "store_txn.h"
#include "streams.h"

/* A race lost to another job, or another body under a used id. */
static int
commit_race(struct kp_txn *txn, struct kp_write *job, struct kp_audit *a,
    struct kp_err *err)
{
	const struct kp_inbound_commit *c = &job->commit;
	char detail[160];

	if (job->race == KP_REPLAY_SAME) {
		a->outcome = "duplicate";
		return kp_txn_audit(txn, a, err);
	}
	snprintf(detail, sizeof(detail), "wsa:MessageID or referentienummer "
	    "%.40s was used before with another body",
	    c->referentienummer != NULL ? c->referentienummer : "");
	a->outcome = "rejected";
	a->code = "KP013";
	a->detail = detail;
	return kp_txn_audit(txn, a, err);
}

/*
 * A notice at its stream's next number: its record (or the retraction of
 * the copy), the stream moved on, and the partners it goes on to.
 * KP_ERR_PROTOCOL with job->verdict when its record refuses it.
 */
static int
commit_notice(struct kp_txn *txn, struct kp_write *job,
    const struct kp_stream_check *sc, int64_t message, struct kp_err *err)
{
	const struct kp_inbound_commit *c = &job->commit;
	const struct kp_notice *n = c->notice;
	enum kp_record_outcome rec = KP_RECORD_APPLIED;
	uint64_t held;
	int ret;

	if (n->intrekking) {
		if ((ret = kp_record_retract(txn, n, c->partner_oin, &rec,
		    job->verdict_msg, sizeof(job->verdict_msg), err)) != KP_OK)
			return ret;
		if (rec == KP_RECORD_STALE) {
			job->verdict = KP_F_022;
			return KP_ERR_PROTOCOL;
		}
	} else {
		if ((ret = kp_record_apply(txn, n, c->partner_oin, message, &rec,
		    &held, err)) != KP_OK)
			return ret;
		if (rec == KP_RECORD_STALE) {
			job->verdict = KP_F_023;
			snprintf(job->verdict_msg, sizeof(job->verdict_msg),
			    "%s %s of %s: bronversie %llu is not higher than the "
			    "%llu held", n->entiteittype, n->identificatie,
			    n->bron, (unsigned long long)n->bronversie,
			    (unsigned long long)held);
			/* the writer's savepoint rollback undoes the message */
			return KP_ERR_PROTOCOL;
		}
	}
	if ((ret = kp_stream_applied(txn, c->partner_oin, n, sc, err)) != KP_OK)
		return ret;
	/* Applied here: it goes on to the partners entitled to it. */
	if (rec == KP_RECORD_APPLIED)
		return kp_fanout_queue(txn, n, c->fanout, c->nfanout,
		    KP_FANOUT_CHANGE, "relayed", &job->queued, err);
	return KP_OK;
}

/* An accepted message; inside the writer's savepoint. */
static int
apply_commit(struct kp_txn *txn, struct kp_store_job *sj, struct kp_err *err)
{
	struct kp_write *job = (struct kp_write *)sj;
	const struct kp_inbound_commit *c = &job->commit;
	struct kp_audit a = {
		.direction = "in", .partner_oin = c->partner_oin,
		.message_id = c->message_id, .berichtcode = c->berichtcode,
		.entiteittype = c->entiteittype, .outcome = "accepted",
		.bytes_sha256 = c->bytes_sha256,
		.bsn = c->notice != NULL ? c->notice->bsn : c->bsn,
		.doel = c->doel,
	};
	struct kp_stream_check sc = { .place = KP_STREAM_NEXT };
	char record[160];
	int64_t message;
	int ret;

	job->verdict = KP_F_NONE;
	job->queued = 0;
	if ((ret = kp_txn_replay(txn, c->partner_oin, c->message_id,
	    c->referentienummer, c->body_digest, &job->race, &job->prior,
	    &job->prior_len, err)) != KP_OK)
		return ret;
	if (job->race != KP_REPLAY_NEW)
		return commit_race(txn, job, &a, err);
	if (c->notice != NULL) {
		kp_audit_record(record, sizeof(record), c->notice->entiteittype,
		    c->notice->bron, c->notice->identificatie,
		    c->notice->bronversie);
		a.record = record;
		if ((ret = kp_stream_check(txn, c->partner_oin, c->notice, &sc,
		    err)) != KP_OK)
			return ret;
	}
	if (sc.fault != KP_F_NONE) {
		/* refused: only its audit row */
		job->verdict = sc.fault;
		job->expected = sc.expected;
		snprintf(job->verdict_msg, sizeof(job->verdict_msg), "%s",
		    sc.msg);
		a.outcome = "rejected";
		a.code = kp_fault_code(job->verdict);
		a.detail = job->verdict_msg;
		return kp_txn_audit(txn, &a, err);
	}
	if (sc.place == KP_STREAM_RESEND) {
		a.outcome = "duplicate";
		a.detail = sc.msg;
	}
	if ((ret = kp_txn_message_put(txn, &(struct kp_message_new){ .direction =
	    "in", .partner_oin = c->partner_oin, .message_id = c->message_id,
	    .referentienummer = c->referentienummer, .berichtcode =
	    c->berichtcode, .entiteittype = c->entiteittype, .root = c->root,
	    .bytes = c->bytes, .len = c->len, .bytes_sha256 = c->bytes_sha256,
	    .response = c->response, .response_len = c->response_len,
	    .outcome = "accepted" }, &message, err)) != KP_OK)
		return ret;
	a.message = message;
	if (c->checkpoint != NULL && (ret = kp_txn_witness(txn, c->checkpoint,
	    message, err)) != KP_OK)
		return ret;
	if (c->notice != NULL && sc.place == KP_STREAM_NEXT) {
		if (c->notice->intrekking)
			a.outcome = "retraction applied";
		if ((ret = commit_notice(txn, job, &sc, message, err)) != KP_OK)
			return ret;
	}
	if ((ret = kp_txn_replay_put(txn, c->partner_oin, c->message_id,
	    c->referentienummer, c->body_digest, message, err)) != KP_OK ||
	    (ret = kp_txn_audit(txn, &a, err)) != KP_OK)
		return ret;
	/* a context answer: each record disclosed or withheld, after it */
	for (size_t i = 0; i < c->ndecisions; i++) {
		struct kp_audit d = c->decisions[i];

		d.message = message;
		d.message_id = c->message_id;
		if ((ret = kp_txn_audit(txn, &d, err)) != KP_OK)
			return ret;
	}
	return KP_OK;
}

/*
 * A local change: the record, one outbox row per entitled partner with the
 * projection it may see, and the audit rows, in the writer's savepoint.
 */
static int
apply_local(struct kp_txn *txn, struct kp_store_job *sj, struct kp_err *err)
{
	struct kp_write *job = (struct kp_write *)sj;
	const struct kp_local_change *lc = &job->local;
	const struct kp_notice *n = lc->notice;
	char record[160];
	struct kp_audit a = {
		.direction = "local", .partner_oin = lc->our_oin,
		.entiteittype = n->entiteittype, .outcome = "stored",
		.bsn = n->bsn, .record = record,
	};
	enum kp_record_outcome rec = KP_RECORD_APPLIED;
	char detail[200], soort[2] = { n->mutatiesoort, '\0' };
	uint64_t held;
	int ret;

	job->verdict = KP_F_NONE;
	job->queued = 0;
	kp_audit_record(record, sizeof(record), n->entiteittype, n->bron,
	    n->identificatie, n->bronversie);
	if ((ret = kp_record_apply(txn, n, NULL, 0, &rec, &held, err)) != KP_OK)
		return ret;
	if (rec == KP_RECORD_STALE) {
		job->verdict = KP_F_023;
		snprintf(job->verdict_msg, sizeof(job->verdict_msg), "%s %s: "
		    "bronversie %llu is not higher than the %llu held; raise it",
		    n->entiteittype, n->identificatie,
		    (unsigned long long)n->bronversie, (unsigned long long)held);
		return KP_ERR_PROTOCOL;
	}
	if (rec == KP_RECORD_SAME) {
		a.outcome = "duplicate";
		snprintf(detail, sizeof(detail), "%s %s bronversie %llu: already "
		    "held, nothing sent", n->entiteittype, n->identificatie,
		    (unsigned long long)n->bronversie);
		a.detail = detail;
		return kp_txn_audit(txn, &a, err);
	}
	if ((ret = kp_fanout_queue(txn, n, lc->fanout, lc->nfanout,
	    KP_FANOUT_CHANGE, "local change", &job->queued, err)) != KP_OK)
		return ret;
	snprintf(detail, sizeof(detail), "%s %s %s bronversie %llu; queued for "
	    "%zu partners", soort, n->entiteittype, n->identificatie,
	    (unsigned long long)n->bronversie, lc->nfanout);
	a.detail = detail;
	return kp_txn_audit(txn, &a, err);
}

/* A notice or change refused in its savepoint: only its audit row stays. */
static int
refused(struct kp_txn *txn, struct kp_store_job *sj, struct kp_err *err)
{
	struct kp_write *job = (struct kp_write *)sj;
	const struct kp_inbound_commit *c = &job->commit;
	struct kp_audit a = {
		.direction = "in", .partner_oin = c->partner_oin,
		.message_id = c->message_id, .berichtcode = c->berichtcode,
		.entiteittype = c->entiteittype, .outcome = "rejected",
		.code = kp_fault_code(job->verdict), .bytes_sha256 = c->bytes_sha256,
		.detail = job->verdict_msg,
		.bsn = c->notice != NULL ? c->notice->bsn : NULL,
	};

	if (job->kind == KP_WRITE_LOCAL) {
		a.direction = "local";
		a.partner_oin = job->local.our_oin;
		a.entiteittype = job->local.notice->entiteittype;
		a.bytes_sha256 = NULL;
		a.bsn = job->local.notice->bsn;
	}
	return kp_txn_audit(txn, &a, err);
}

static int
apply_delivered(struct kp_txn *txn, struct kp_store_job *sj,
    struct kp_err *err)
{
	struct kp_write *job = (struct kp_write *)sj;
	return kp_txn_outbox_delivered(txn, &job->delivery, err);
}

static int
apply_audit(struct kp_txn *txn, struct kp_store_job *sj, struct kp_err *err)
{
	struct kp_write *job = (struct kp_write *)sj;
	return kp_txn_audit(txn, &job->audit, err);
}

static int
apply_sent(struct kp_txn *txn, struct kp_store_job *sj, struct kp_err *err)
{
	struct kp_write *job = (struct kp_write *)sj;
	return kp_txn_sent(txn, job->sent, err);
}

/* Its effects were undone: the answer kept from a race is no answer. */
static void
undone(struct kp_store_job *sj)
{
	struct kp_write *w = (struct kp_write *)sj;

	free(w->prior);
	w->prior = NULL;
	w->prior_len = 0;
}

/* What w does, from its kind; its results cleared. */
static void
prepare(struct kp_write *w)
{
	w->job.refused = refused;
	w->job.undone = undone;
	w->race = KP_REPLAY_NEW;
	w->prior = NULL;
	w->prior_len = 0;
	w->verdict = KP_F_NONE;
	w->queued = 0;
	switch (w->kind) {
	case KP_WRITE_COMMIT:
		w->job.apply = apply_commit;
		break;
	case KP_WRITE_LOCAL:
		w->job.apply = apply_local;
		break;
	case KP_WRITE_DELIVERED:
		w->job.apply = apply_delivered;
		break;
	case KP_WRITE_SENT:
		w->job.apply = apply_sent;
		break;
	default:
		w->job.apply = apply_audit;
		break;
	}
}

void
kp_apply_submit(struct kp_store *st, struct kp_write *w)
{
	prepare(w);
	kp_store_submit(st, &w->job);
}

/* Submit and wait for it, whether a writer runs or not. */
static void
submit_wait(struct kp_store *st, struct kp_write *w)
{
	prepare(w);
	kp_store_submit_wait(st, &w->job);
}

int
kp_apply_local(struct kp_store *st, const struct kp_local_change *lc,
    kp_fault *verdict, char *msg, size_t msglen, size_t *queued,
    struct kp_err *err)
{
	struct kp_write w = { .kind = KP_WRITE_LOCAL, .local = *lc };

	submit_wait(st, &w);
	*verdict = w.verdict;
	*queued = w.queued;
	snprintf(msg, msglen, "%s", w.verdict_msg);
	if (w.job.status != KP_OK) {
		char why[400];

		if (kp_store_health(st, why, sizeof(why)) == 0)
			snprintf(why, sizeof(why), "is the disk or store_max_mb "
			    "full?");
		return kp_fail(err, KP_ERR_STORE, "cannot store the change; "
		    "nothing of it was kept (%s)", why);
	}
	return KP_OK;
}

int
kp_apply_sent(struct kp_store *st, const struct kp_outbound_record *r,
    struct kp_err *err)
{
	struct kp_write w = { .kind = KP_WRITE_SENT, .sent = r };

	submit_wait(st, &w);
	if (w.job.status != KP_OK)
		return kp_fail(err, KP_ERR_STORE, "%s: cannot record message %s",
		    kp_store_path(st), r->message_id);
	return KP_OK;
}

int
kp_apply_audit(struct kp_store *st, const struct kp_audit *a,
    struct kp_err *err)
{
	struct kp_write w = { .kind = KP_WRITE_AUDIT, .audit = *a };

	submit_wait(st, &w);
	if (w.job.status != KP_OK)
		return kp_fail(err, KP_ERR_STORE, "%s: cannot write audit row",
		    kp_store_path(st));
	return KP_OK;
}

int
kp_apply_inbound(struct kp_store *st, const struct kp_inbound_commit *c,
    enum kp_replay *result, char **response, size_t *response_len,
    struct kp_err *err)
{
	struct kp_write w = { .kind = KP_WRITE_COMMIT, .commit = *c };

	submit_wait(st, &w);
	*result = w.race;
	*response = w.prior;
	*response_len = w.prior_len;
	if (w.job.status != KP_OK)
		return kp_fail(err, KP_ERR_STORE, "%s: cannot store message %s",
		    kp_store_path(st), c->message_id);
	return KP_OK;
}
