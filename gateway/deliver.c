#include "autoconf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "apply.h"
#include "client.h"
#include "compose.h"
#include "config.h"
#include "deliver.h"
#include "gateway.h"
#include "kd.h"
#include "log.h"
#include "profile.h"
#include "store.h"
#include "tls.h"
#include "util.h"

#define ANSWER_MAX	(4 * 1024 * 1024)
#define BACKOFF_MIN_MS	500
#define BACKOFF_MAX_MS	60000

struct transfer {
	struct kp_deliver		*d;
	CURL				*h;
	struct curl_slist		*headers;
	const struct kp_profile		*partner;
	struct kp_outbox_row		 row;
	struct kp_composed		 req;
	char				 root[16];
	struct kp_buf			 answer;
	char				 errbuf[CURL_ERROR_SIZE];
	struct kp_client_tls		 tls;
};

/*
 * An acknowledged notice on its way into the store (through the group
 * commit, sharing its fsync with whatever else waits); its stream stays
 * busy until it has landed, so the row is not sent again meanwhile.
 */
struct landing {
	struct kp_write			 w;
	struct kp_deliver		*d;
	struct kp_outbox_row		 row;
	struct kp_outbound_record	 rec;
	struct kp_composed		 req;
	char				*answer;
	char				 root[16];
	struct landing			*next;
};

/*
 * A claim this node holds on an outgoing stream (several nodes on one
 * store): a row of the store's stream_lease, cached so that it is
 * renewed only when a send could outlast it.
 */
struct lease {
	char		 partner_oin[24];
	uint32_t	 partitie;
	int64_t		 until_ms;
	int		 mine;		/* 0: another node's until then */
};

#define LEASES_MAX	1024

struct kp_deliver {
	struct kp_gateway	*gw;
	char			 node[64];	/* this node, for its leases */
	struct lease		*leases;
	size_t			 nleases;
	int			 repoll;	/* a stream was claimed: read again */
	pthread_t		 thread;
	atomic_int		 stopping;
	CURLM			*multi;
	struct transfer		*inflight[KP_DELIVER_INFLIGHT];
	int			 ninflight;
	pthread_mutex_t		 landing_lock;
	pthread_cond_t		 landing_cond;
	struct landing		*landing;	/* submitted, not yet durable */
	struct landing		*landed;	/* durable (or failed): to free */
};

static void
transfer_free(struct transfer *t)
{
	if (t == NULL)
		return;
	if (t->h != NULL)
		curl_easy_cleanup(t->h);
	curl_slist_free_all(t->headers);
	kp_composed_clear(&t->req);
	free(t->row.fields);
	kp_buf_clear(&t->answer);
	free(t);
}

static int
same_stream(const struct kp_outbox_row *a, const struct kp_outbox_row *b)
{
	return a->partitie == b->partitie &&
	    strcmp(a->partner_oin, b->partner_oin) == 0;
}

static int
stream_busy(struct kp_deliver *d, const struct kp_outbox_row *row)
{
	int busy = 0;

	for (int i = 0; i < d->ninflight; i++)
		if (same_stream(&d->inflight[i]->row, row))
			return 1;
	/*
	 * Landed but not reaped counts too: this poll's snapshot of the
	 * outbox may be older than the commit that marked it delivered.
	 */
	pthread_mutex_lock(&d->landing_lock);
	for (struct landing *l = d->landing; l != NULL && !busy; l = l->next)
		busy = same_stream(&l->row, row);
	for (struct landing *l = d->landed; l != NULL && !busy; l = l->next)
		busy = same_stream(&l->row, row);
	pthread_mutex_unlock(&d->landing_lock);
	return busy;
}

static void
landing_free(struct landing *l)
{
	free(l->row.fields);
	kp_composed_clear(&l->req);
	free(l->answer);
	free(l);
}

/* In the store writer's thread: the delivery is durable (or failed). */
static void
landed(struct kp_store_job *job, void *arg)
{
	struct landing *l = arg, **pp;
	struct kp_deliver *d = l->d;

	(void)job;
	pthread_mutex_lock(&d->landing_lock);
	for (pp = &d->landing; *pp != NULL; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	l->next = d->landed;
	d->landed = l;
	pthread_cond_broadcast(&d->landing_cond);
	pthread_mutex_unlock(&d->landing_lock);
	curl_multi_wakeup(d->multi);
}

/*
 * Free what has landed; a failed one will be sent again (it is still
 * pending).  Returns how many: their streams may send their next rows.
 */
static int
reap_landed(struct kp_deliver *d)
{
	struct landing *l, *next;
	int n = 0;

	pthread_mutex_lock(&d->landing_lock);
	l = d->landed;
	d->landed = NULL;
	pthread_mutex_unlock(&d->landing_lock);
	for (; l != NULL; l = next) {
		next = l->next;
		if (l->w.job.status != KP_OK)
			log_warnx("to %s stream %u #%llu: delivered but not "
			    "recorded (the store failed); it will be sent again",
			    l->row.partner_oin, l->row.partitie,
			    (unsigned long long)l->row.volgnummer);
		landing_free(l);
		n++;
	}
	return n;
}

/* Hand an acknowledged transfer to the store; t gives up what it owns. */
static void
land(struct kp_deliver *d, struct transfer *t)
{
	struct landing *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		/* still pending: the resend is acknowledged as already applied */
		log_warnx("to %s stream %u #%llu: delivered but not recorded "
		    "(out of memory); it will be sent again", t->partner->oin,
		    t->row.partitie, (unsigned long long)t->row.volgnummer);
		return;
	}
	l->d = d;
	l->row = t->row;
	t->row.fields = NULL;
	l->req = t->req;
	memset(&t->req, 0, sizeof(t->req));
	l->answer = kp_buf_steal(&t->answer, &l->rec.response_len);
	snprintf(l->root, sizeof(l->root), "%s", t->root);
	l->rec.partner_oin = t->partner->oin;
	l->rec.message_id = l->req.message_id;
	l->rec.berichtcode = "Lk01";
	l->rec.entiteittype = l->row.entiteittype;
	l->rec.root = l->root;
	l->rec.bytes = l->req.bytes;
	l->rec.len = l->req.len;
	l->rec.response = l->answer;
	l->rec.outcome = "delivered";
	l->w.kind = KP_WRITE_DELIVERED;
	l->w.delivery.row = &l->row;
	l->w.delivery.record = &l->rec;
	l->w.job.done = landed;
	l->w.job.arg = l;
	pthread_mutex_lock(&d->landing_lock);
	l->next = d->landing;
	d->landing = l;
	pthread_mutex_unlock(&d->landing_lock);
	kp_store_pseudonym_warm(d->gw->store, l->row.bsn);
	kp_apply_submit(d->gw->store, &l->w);
}

int64_t
kp_deliver_backoff_ms(int attempts, unsigned int random16)
{
	int64_t ms = BACKOFF_MIN_MS;

	for (int i = 0; i < attempts && ms < BACKOFF_MAX_MS; i++)
		ms *= 2;
	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	return ms * 3 / 4 + (int64_t)((random16 & 0xffff) % (ms / 2 + 1));
}

static int64_t
next_attempt(int attempts)
{
	unsigned char r[2] = { 0, 0 };

	RAND_bytes(r, sizeof(r));
	return kp_now_ms() + kp_deliver_backoff_ms(attempts,
	    (unsigned int)(r[0] << 8 | r[1]));
}

static struct lease *
lease_find(struct kp_deliver *d, const struct kp_outbox_row *row)
{
	for (size_t i = 0; i < d->nleases; i++)
		if (d->leases[i].partitie == row->partitie &&
		    strcmp(d->leases[i].partner_oin, row->partner_oin) == 0)
			return &d->leases[i];
	return NULL;
}

static void
lease_drop(struct kp_deliver *d, struct lease *l)
{
	*l = d->leases[--d->nleases];
}

/*
 * May this node send the head of row's stream now?  With several nodes on
 * one store, only while it holds the stream's lease with a send's length
 * (send_timeout) and a second to spare, so that a send always ends before
 * another node may take the stream over; claimed or renewed for
 * lease_timeout when less is left.  A stream just claimed is sent on at
 * the next poll, from a reading of the outbox made after the claim.
 */
static int
lease_ok(struct kp_deliver *d, const struct kp_outbox_row *row)
{
	struct kp_gateway *gw = d->gw;
	int64_t now = kp_now_ms(), need = (gw->cfg->send_timeout + 1) * 1000;
	int64_t other;
	struct lease *l;
	char from[64];
	struct kp_err err;
	int held, had;

	if (!kp_store_shared(gw->store))
		return 1;
	if ((l = lease_find(d, row)) != NULL) {
		if (l->mine && l->until_ms - now >= need)
			return 1;
		if (!l->mine && now <= l->until_ms)
			return 0;	/* another node's: not before it lapses */
	}
	had = l != NULL && l->mine;
	if (kp_store_lease(gw->store, row->partner_oin, row->partitie, d->node,
	    now, now + gw->cfg->lease_timeout * 1000, &held, &other, from,
	    sizeof(from), &err) != KP_OK) {
		log_warnx("to %s stream %u: cannot claim it: %s; not sending",
		    row->partner_oin, row->partitie, err.msg);
		if (l != NULL)
			lease_drop(d, l);
		return 0;
	}
	if (l == NULL && d->nleases < LEASES_MAX) {
		l = &d->leases[d->nleases++];
		snprintf(l->partner_oin, sizeof(l->partner_oin), "%s",
		    row->partner_oin);
		l->partitie = row->partitie;
	}
	if (!held) {
		if (had)
			log_info("to %s stream %u: another node sends on it now",
			    row->partner_oin, row->partitie);
		if (l != NULL) {
			l->mine = 0;
			l->until_ms = other;
		}
		return 0;
	}
	if (l != NULL) {
		l->mine = 1;
		l->until_ms = now + gw->cfg->lease_timeout * 1000;
	}
	if (had)
		return 1;
	if (from[0] != '\0')
		log_info("to %s stream %u: taken over from node %s, whose claim "
		    "lapsed; continuing where it stopped", row->partner_oin,
		    row->partitie, from);
	/* newly ours: send from a reading of the outbox made after this */
	d->repoll = 1;
	return 0;
}

/* Sign the head row of a stream and put it on the wire. */
static int
start_one(void *arg, const struct kp_outbox_row *row)
{
	struct kp_deliver *d = arg;
	struct kp_gateway *gw = d->gw;
	const struct kp_profile *partner;
	struct kp_notice n;
	struct transfer *t;
	struct kp_err err;
	xmlDocPtr body;

	if (d->ninflight >= KP_DELIVER_INFLIGHT)
		return 1;
	if (stream_busy(d, row) || !lease_ok(d, row))
		return 0;
	if ((partner = kp_profiles_by_oin(gw->profiles, row->partner_oin)) == NULL) {
		kp_store_outbox_park(gw->store, row, NULL, 0, "no profile for this "
		    "partner any more", &err);
		return 0;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return 1;
	t->d = d;
	t->partner = partner;
	kp_buf_init(&t->answer, ANSWER_MAX);
	t->row = *row;
	t->row.fields = strdup(row->fields != NULL ? row->fields : "");
	memset(&n, 0, sizeof(n));
	n.mutatiesoort = row->mutatiesoort;
	n.intrekking = row->intrekking;
	n.partitie = row->partitie;
	n.volgnummer = row->volgnummer;
	snprintf(n.entiteittype, sizeof(n.entiteittype), "%s", row->entiteittype);
	snprintf(n.bron, sizeof(n.bron), "%s", row->bron);
	snprintf(n.identificatie, sizeof(n.identificatie), "%s",
	    row->identificatie);
	n.bronversie = row->bronversie;
	snprintf(n.bsn, sizeof(n.bsn), "%s", row->bsn);
	n.fields = t->row.fields;
	body = kp_kd_build_notice(gw->cfg->oin, gw->cfg->application,
	    partner->oin, &n, &err);
	if (body == NULL || kp_request_build(gw, partner,
	    xmlDocGetRootElement(body), &t->req, &err) != KP_OK) {
		log_warnx("outbox row %lld: cannot build the notice: %s",
		    (long long)row->id, err.msg);
		xmlFreeDoc(body);
		transfer_free(t);
		return 0;
	}
	snprintf(t->root, sizeof(t->root), "%s",
	    (const char *)xmlDocGetRootElement(body)->name);
	xmlFreeDoc(body);
	if ((t->h = curl_easy_init()) == NULL) {
		transfer_free(t);
		return 1;
	}
	kp_client_configure(t->h, gw, partner, &t->tls);
	if ((t->headers = kp_client_post(t->h, &t->req)) == NULL) {
		transfer_free(t);
		return 1;
	}
	curl_easy_setopt(t->h, CURLOPT_WRITEFUNCTION, kp_client_collect);
	curl_easy_setopt(t->h, CURLOPT_WRITEDATA, &t->answer);
	curl_easy_setopt(t->h, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(t->h, CURLOPT_PRIVATE, t);
	curl_multi_add_handle(d->multi, t->h);
	d->inflight[d->ninflight++] = t;
	return 0;
}

/* A transfer ended: decide what its row becomes. */
static void
finish_one(struct kp_deliver *d, struct transfer *t, CURLcode rc)
{
	struct kp_gateway *gw = d->gw;
	struct kp_outcome out = { 0 };
	struct kp_err err, serr;
	long status = 0;
	char why[400];

	curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || (status != 200 && status != 500)) {
		kp_client_account(t->h, rc, "Lk01", 0, KP_F_NONE);
		snprintf(why, sizeof(why), "%s%s", rc != CURLE_OK ?
		    (t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc)) :
		    status == 503 ? "HTTP 503: partner busy or stopping" :
		    "unexpected HTTP status", rc != CURLE_OK ?
		    kp_tls_alert_hint(t->errbuf) : "");
		log_info("to %s stream %u #%llu: %s; will retry",
		    t->partner->oin, t->row.partitie,
		    (unsigned long long)t->row.volgnummer, why);
		kp_store_outbox_retry(gw->store, t->row.id,
		    next_attempt(t->row.attempts), why, &serr);
		return;
	}
	if (kp_answer_verify(gw, t->partner, &t->req, t->answer.data,
	    t->answer.len, &out, &err) != KP_OK) {
		kp_client_account(t->h, rc, "Lk01", 0, KP_F_NONE);
		/* Not proof of delivery: try again, it may be a bad moment. */
		snprintf(why, sizeof(why), "answer does not verify: %.250s", err.msg);
		log_warnx("to %s: %s", t->partner->oin, why);
		kp_store_outbox_retry(gw->store, t->row.id,
		    next_attempt(t->row.attempts), why, &serr);
		kp_outcome_clear(&out);
		return;
	}
	kp_client_account(t->h, rc, "Lk01", 1, out.fault);
	if (out.fault == KP_F_NONE) {
		land(d, t);
	} else if (out.fault == KP_F_030 && out.verwacht > 0) {
		log_info("to %s stream %u: partner expects #%llu; resending from "
		    "there", t->partner->oin, t->row.partitie,
		    (unsigned long long)out.verwacht);
		kp_store_outbox_rewind(gw->store, t->partner->oin,
		    t->row.partitie, out.verwacht, &serr);
	} else if (kp_fault_herhaalbaar(out.fault)) {
		snprintf(why, sizeof(why), "%s %.250s", kp_fault_code(out.fault),
		    out.omschrijving);
		kp_store_outbox_retry(gw->store, t->row.id,
		    next_attempt(t->row.attempts), why, &serr);
	} else {
		snprintf(why, sizeof(why), "%.250s", out.omschrijving);
		log_warnx("to %s stream %u #%llu parked: %s %s", t->partner->oin,
		    t->row.partitie, (unsigned long long)t->row.volgnummer,
		    kp_fault_code(out.fault), why);
		kp_store_outbox_park(gw->store, &t->row, kp_fault_code(out.fault),
		    out.fault == KP_F_031 ? out.verwacht : 0, why, &serr);
	}
	kp_outcome_clear(&out);
}

static void *
deliver_main(void *arg)
{
	struct kp_deliver *d = arg;
	int64_t last_poll = 0, last_warned = 0;
	struct kp_err err;

	while (!atomic_load(&d->stopping)) {
		CURLMsg *msg;
		int running, left;

		if (reap_landed(d) > 0 || d->repoll)
			last_poll = 0;
		d->repoll = 0;
		if (kp_now_ms() - last_poll >= KP_DELIVER_POLL_MS &&
		    d->ninflight < KP_DELIVER_INFLIGHT) {
			last_poll = kp_now_ms();
			/* a store that went away: said every 10 s, not 10 times a second */
			if (kp_store_outbox_heads(d->gw->store, last_poll,
			    KP_DELIVER_INFLIGHT, start_one, d, &err) != KP_OK &&
			    last_poll - last_warned >= 10000) {
				log_warnx("%s; sending waits for it", err.msg);
				last_warned = last_poll;
			}
		}
		curl_multi_perform(d->multi, &running);
		while ((msg = curl_multi_info_read(d->multi, &left)) != NULL) {
			struct transfer *t;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
			curl_multi_remove_handle(d->multi, t->h);
			finish_one(d, t, msg->data.result);
			for (int i = 0; i < d->ninflight; i++)
				if (d->inflight[i] == t) {
					d->inflight[i] = d->inflight[--d->ninflight];
					break;
				}
			transfer_free(t);
			last_poll = 0;	/* a stream may have its next row ready */
		}
		curl_multi_poll(d->multi, NULL, 0, KP_DELIVER_POLL_MS / 2, NULL);
	}
	for (int i = 0; i < d->ninflight; i++) {
		curl_multi_remove_handle(d->multi, d->inflight[i]->h);
		transfer_free(d->inflight[i]);
	}
	d->ninflight = 0;
	return NULL;
}

struct kp_deliver *
kp_deliver_start(struct kp_gateway *gw, struct kp_err *err)
{
	struct kp_deliver *d = calloc(1, sizeof(*d));

	if (d == NULL || (d->multi = curl_multi_init()) == NULL) {
		free(d);
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	d->gw = gw;
	if (gw->cfg->node != NULL)
		snprintf(d->node, sizeof(d->node), "%s", gw->cfg->node);
	else if (gethostname(d->node, sizeof(d->node) - 1) != 0)
		snprintf(d->node, sizeof(d->node), "unnamed");
	if (kp_store_shared(gw->store) &&
	    (d->leases = calloc(LEASES_MAX, sizeof(*d->leases))) == NULL) {
		curl_multi_cleanup(d->multi);
		free(d);
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&d->landing_lock, NULL);
	pthread_cond_init(&d->landing_cond, NULL);
	curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS, (long)KP_DELIVER_INFLIGHT);
	if (pthread_create(&d->thread, NULL, deliver_main, d) != 0) {
		curl_multi_cleanup(d->multi);
		free(d->leases);
		free(d);
		kp_fail(err, KP_ERR_SYS, "cannot start the delivery worker");
		return NULL;
	}
	return d;
}

void
kp_deliver_stop(struct kp_deliver *d)
{
	if (d == NULL)
		return;
	atomic_store(&d->stopping, 1);
	curl_multi_wakeup(d->multi);
	pthread_join(d->thread, NULL);
	/* what was handed to the store lands before we go */
	pthread_mutex_lock(&d->landing_lock);
	while (d->landing != NULL)
		pthread_cond_wait(&d->landing_cond, &d->landing_lock);
	pthread_mutex_unlock(&d->landing_lock);
	reap_landed(d);
	/* what this node sent on, another continues at once */
	if (d->leases != NULL) {
		struct kp_err err;

		if (kp_store_lease_release(d->gw->store, d->node, &err) != KP_OK)
			log_warnx("%s; other nodes continue this node's streams "
			    "when its claims lapse", err.msg);
		free(d->leases);
	}
	curl_multi_cleanup(d->multi);
	pthread_mutex_destroy(&d->landing_lock);
	pthread_cond_destroy(&d->landing_cond);
	free(d);
}
