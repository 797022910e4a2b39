/*
 * notifyd — the notification delivery worker (notifyd.h).
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "config.h"
#include "deliver.h"
#include "gateway.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "notifyd.h"
#include "store.h"
#include "store_notify.h"
#include "util.h"

/* One POST in flight. */
struct transfer {
	CURL			*h;
	struct curl_slist	*headers;
	int64_t			 id, subscription, created_ms;
	int			 attempts;
	char			*body;
	char			 errbuf[CURL_ERROR_SIZE];
};

/* What the worker remembers of a subscription between polls. */
struct sub_state {
	int64_t	 id;
	int	 inflight;
	int	 failing;	/* logged as failing; said again on recovery */
};

struct kp_notifyd {
	struct kp_gateway	*gw;
	CURLM			*multi;
	pthread_t		 thread;
	atomic_int		 stopping;
	struct transfer		*inflight[KP_NOTIFY_INFLIGHT];
	int			 ninflight;
	struct sub_state	 subs[KP_NOTIFY_MAX_SUBS];
	size_t			 nsubs;
	int64_t			 ids[KP_NOTIFY_MAX_SUBS];	/* refresh_subs */
	struct kp_notify_outcome done[KP_NOTIFY_INFLIGHT];
	size_t			 ndone;
	int			 leading;
};

static void
transfer_free(struct transfer *t)
{
	if (t == NULL)
		return;
	if (t->h != NULL)
		curl_easy_cleanup(t->h);
	curl_slist_free_all(t->headers);
	free(t->body);
	free(t);
}

/* The answer's body is not kept: a subscriber says nothing we need. */
static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static struct sub_state *
sub_state(struct kp_notifyd *d, int64_t id)
{
	for (size_t i = 0; i < d->nsubs; i++)
		if (d->subs[i].id == id)
			return &d->subs[i];
	return NULL;
}

static int
is_inflight(struct kp_notifyd *d, int64_t id)
{
	for (int i = 0; i < d->ninflight; i++)
		if (d->inflight[i]->id == id)
			return 1;
	return 0;
}

/* Start one POST for a head; 0 to go on, 1 when no more fit. */
static int
start_one(void *arg, const struct kp_notify_row *row)
{
	struct kp_notifyd *d = arg;
	struct sub_state *ss = sub_state(d, row->subscription);
	const struct kp_config *cfg = d->gw->cfg;
	struct kp_subscription *s;
	struct transfer *t;
	struct kp_err err;
	char *auth = NULL, *key = NULL;

	if (ss == NULL || ss->inflight >= KP_NOTIFY_PER_SUB ||
	    d->ninflight >= KP_NOTIFY_INFLIGHT)
		return 1;
	if (is_inflight(d, row->id))
		return 0;
	if ((s = kp_subscription_parse(row->abonnement, strlen(row->abonnement),
	    &err)) == NULL) {
		/* it was checked when stored: only another program's rows */
		log_warnx("subscription %lld cannot be read (%s); its "
		    "notifications wait", (long long)row->subscription, err.msg);
		return 1;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->body = strdup(row->body)) == NULL ||
	    (t->h = curl_easy_init()) == NULL ||
	    asprintf(&auth, "Authorization: %s", kp_subscription_auth(s)) == -1 ||
	    asprintf(&key, "Idempotency-Key: %s", row->uuid) == -1) {
		auth = key = NULL;
		goto fail;
	}
	t->id = row->id;
	t->subscription = row->subscription;
	t->created_ms = row->created_ms;
	t->attempts = row->attempts;
	if ((t->headers = curl_slist_append(NULL, "Content-Type: "
	    "application/json")) == NULL ||
	    curl_slist_append(t->headers, auth) == NULL ||
	    curl_slist_append(t->headers, key) == NULL ||
	    curl_slist_append(t->headers, "Expect:") == NULL)
		goto fail;
	curl_easy_setopt(t->h, CURLOPT_URL, kp_subscription_callback(s));
	curl_easy_setopt(t->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(t->h, CURLOPT_POSTFIELDS, t->body);
	curl_easy_setopt(t->h, CURLOPT_POSTFIELDSIZE, (long)strlen(t->body));
	curl_easy_setopt(t->h, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(t->h, CURLOPT_TIMEOUT_MS,
	    (long)cfg->notify_timeout * 1000);
	curl_easy_setopt(t->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(t->h, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(t->h, CURLOPT_PRIVATE, t);
	curl_easy_setopt(t->h, CURLOPT_USERAGENT, "ketenpoort/" PACKAGE_VERSION);
	curl_multi_add_handle(d->multi, t->h);
	d->inflight[d->ninflight++] = t;
	ss->inflight++;
	/* the header lines hold the secret until curl copied them */
	free(auth);
	free(key);
	kp_subscription_free(s);
	return 0;
fail:
	free(auth);
	free(key);
	transfer_free(t);
	kp_subscription_free(s);
	return 1;
}

static int64_t
backoff(int attempts)
{
	unsigned char r[2] = { 0, 0 };

	RAND_bytes(r, sizeof(r));
	return kp_deliver_backoff_ms(attempts, (unsigned int)(r[0] << 8 | r[1]));
}

/* A POST ended: what becomes of its notification. */
static void
finish_one(struct kp_notifyd *d, struct transfer *t, CURLcode rc)
{
	struct kp_notify_outcome *o = &d->done[d->ndone++];
	struct sub_state *ss = sub_state(d, t->subscription);
	int64_t now = kp_now_ms();
	long status = 0;

	memset(o, 0, sizeof(*o));
	o->id = t->id;
	curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && status >= 200 && status < 300) {
		o->delivered = 1;
		kp_metrics_notification(KP_NOTIFY_DELIVERED);
		if (ss != NULL && ss->failing) {
			ss->failing = 0;
			log_info("subscription %lld takes notifications again",
			    (long long)t->subscription);
		}
		return;
	}
	if (rc != CURLE_OK)
		snprintf(o->why, sizeof(o->why), "%.190s", t->errbuf[0] ?
		    t->errbuf : curl_easy_strerror(rc));
	else
		snprintf(o->why, sizeof(o->why), "the callback answered HTTP "
		    "%ld", status);
	o->next_ms = now + backoff(t->attempts);
	o->park = now - t->created_ms >= d->gw->cfg->notify_park_after * 1000;
	kp_metrics_notification(o->park ? KP_NOTIFY_PARKED : KP_NOTIFY_FAILED);
	if (o->park)
		log_warnx("subscription %lld: a notification parked after %lld "
		    "s untaken (%s); its citizen's later ones wait: ketenpoort "
		    "queue notify-retry", (long long)t->subscription,
		    (long long)((now - t->created_ms) / 1000), o->why);
	else if (ss != NULL && !ss->failing) {
		ss->failing = 1;
		log_warnx("subscription %lld: %s; notifications wait and are "
		    "tried again", (long long)t->subscription, o->why);
	}
}

/* The subscriptions as they are now, keeping what is known of each. */
static void
refresh_subs(struct kp_notifyd *d)
{
	int64_t *ids = d->ids;
	struct sub_state next[KP_NOTIFY_MAX_SUBS];
	static int64_t warned_ms;
	size_t n = 0;
	struct kp_err err;

	if (kp_store_subscription_ids(d->gw->store, ids, KP_NOTIFY_MAX_SUBS, &n,
	    &err) != KP_OK) {
		if (kp_now_ms() - warned_ms >= 10000) {
			log_warnx("%s; notifications wait for it", err.msg);
			warned_ms = kp_now_ms();
		}
		return;
	}
	if (n == KP_NOTIFY_MAX_SUBS && kp_now_ms() - warned_ms >= 3600000) {
		log_warnx("more than %d subscriptions: those after the first %d "
		    "get nothing until some are removed", KP_NOTIFY_MAX_SUBS,
		    KP_NOTIFY_MAX_SUBS);
		warned_ms = kp_now_ms();
	}
	for (size_t i = 0; i < n; i++) {
		struct sub_state *old = sub_state(d, ids[i]);

		next[i] = old != NULL ? *old : (struct sub_state){ .id = ids[i] };
	}
	/* a removed one's transfers still count against nobody */
	memcpy(d->subs, next, n * sizeof(next[0]));
	d->nsubs = n;
}

static void
poll_heads(struct kp_notifyd *d)
{
	int64_t now = kp_now_ms();
	struct kp_err err;

	refresh_subs(d);
	for (size_t i = 0; i < d->nsubs && d->ninflight < KP_NOTIFY_INFLIGHT;
	    i++) {
		struct sub_state *ss = &d->subs[i];

		if (ss->inflight >= KP_NOTIFY_PER_SUB)
			continue;
		/* the ones in flight are heads still: ask past them */
		if (kp_store_notify_heads(d->gw->store, ss->id, now,
		    KP_NOTIFY_PER_SUB + ss->inflight, start_one, d, &err) !=
		    KP_OK) {
			log_warnx("%s; notifications wait for it", err.msg);
			return;
		}
	}
}

static void
settle(struct kp_notifyd *d)
{
	struct kp_err err;

	if (d->ndone == 0)
		return;
	/* not settled: they are sent again, which the uuid makes harmless */
	if (kp_store_notify_settle(d->gw->store, d->done, d->ndone, &err) !=
	    KP_OK)
		log_warnx("%s; %zu notifications may be delivered again",
		    err.msg, d->ndone);
	d->ndone = 0;
}

static void *
notifyd_main(void *arg)
{
	struct kp_notifyd *d = arg;
	int64_t last_poll = 0;

	while (!atomic_load(&d->stopping)) {
		CURLMsg *msg;
		int running, left;

		if (kp_now_ms() - last_poll >= KP_NOTIFY_POLL_MS &&
		    d->ninflight < KP_NOTIFY_INFLIGHT) {
			last_poll = kp_now_ms();
			/* one node of those sharing the store delivers */
			if ((d->leading = kp_store_leader(d->gw->store,
			    "notify")))
				poll_heads(d);
		}
		curl_multi_perform(d->multi, &running);
		while ((msg = curl_multi_info_read(d->multi, &left)) != NULL) {
			struct transfer *t;
			struct sub_state *ss;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
			curl_multi_remove_handle(d->multi, t->h);
			finish_one(d, t, msg->data.result);
			if ((ss = sub_state(d, t->subscription)) != NULL &&
			    ss->inflight > 0)
				ss->inflight--;
			for (int i = 0; i < d->ninflight; i++)
				if (d->inflight[i] == t) {
					d->inflight[i] = d->inflight[--d->ninflight];
					break;
				}
			transfer_free(t);
		}
		if (d->ndone > 0) {
			settle(d);
			last_poll = 0;	/* a citizen's next may be ready */
		}
		curl_multi_poll(d->multi, NULL, 0, KP_NOTIFY_POLL_MS, NULL);
	}
	for (int i = 0; i < d->ninflight; i++) {
		curl_multi_remove_handle(d->multi, d->inflight[i]->h);
		transfer_free(d->inflight[i]);
	}
	d->ninflight = 0;
	return NULL;
}

struct kp_notifyd *
kp_notifyd_start(struct kp_gateway *gw, struct kp_err *err)
{
	struct kp_notifyd *d = calloc(1, sizeof(*d));

	if (d == NULL || (d->multi = curl_multi_init()) == NULL) {
		free(d);
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	d->gw = gw;
	curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS,
	    (long)KP_NOTIFY_INFLIGHT);
	if (pthread_create(&d->thread, NULL, notifyd_main, d) != 0) {
		curl_multi_cleanup(d->multi);
		free(d);
		kp_fail(err, KP_ERR_SYS, "cannot start the notification worker");
		return NULL;
	}
	return d;
}

void
kp_notifyd_stop(struct kp_notifyd *d)
{
	if (d == NULL)
		return;
	atomic_store(&d->stopping, 1);
	curl_multi_wakeup(d->multi);
	pthread_join(d->thread, NULL);
	settle(d);
	curl_multi_cleanup(d->multi);
	free(d);
}
