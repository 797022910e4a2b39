/*
 * notifyq — notifications made with the change they tell of (notifyq.h).
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kd.h"
#include "log.h"
#include "notify.h"
#include "notifyq.h"
#include "store.h"
#include "store_notify.h"
#include "store_txn.h"
#include "util.h"

struct cached {
	int64_t			 id;
	struct kp_subscription	*s;
};

struct kp_notifier {
	pthread_mutex_t	 lock;		/* the cache */
	char		*base_url;
	char		 our_oin[24];
	int64_t		 version;	/* of the subscriptions cached */
	struct cached	*subs;
	size_t		 nsubs;
};

struct kp_notifier *
kp_notifier_new(const char *base_url, const char *our_oin, struct kp_err *err)
{
	struct kp_notifier *n = calloc(1, sizeof(*n));

	if (n == NULL || (n->base_url = strdup(base_url)) == NULL) {
		free(n);
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	/* a trailing slash would make "//" in every URL */
	for (size_t len = strlen(n->base_url); len > 0 &&
	    n->base_url[len - 1] == '/'; len--)
		n->base_url[len - 1] = '\0';
	snprintf(n->our_oin, sizeof(n->our_oin), "%s", our_oin);
	pthread_mutex_init(&n->lock, NULL);
	return n;
}

static void
cache_clear(struct kp_notifier *n)
{
	for (size_t i = 0; i < n->nsubs; i++)
		kp_subscription_free(n->subs[i].s);
	free(n->subs);
	n->subs = NULL;
	n->nsubs = 0;
	n->version = 0;
}

/* One subscription read into the cache. */
static int
cache_add(void *arg, int64_t id, const char *abonnement)
{
	struct kp_notifier *n = arg;
	struct kp_subscription *s;
	struct cached *v;
	struct kp_err err;

	if ((s = kp_subscription_parse(abonnement, strlen(abonnement), &err)) ==
	    NULL) {
		/* stored only after the same check: a program older or newer */
		log_warnx("subscription %lld cannot be read (%s); it gets no "
		    "notifications", (long long)id, err.msg);
		return 0;
	}
	if ((v = realloc(n->subs, (n->nsubs + 1) * sizeof(*v))) == NULL) {
		kp_subscription_free(s);
		return 1;
	}
	n->subs = v;
	n->subs[n->nsubs].id = id;
	n->subs[n->nsubs++].s = s;
	return 0;
}

/* The cache as the store has it now; locked. */
static int
cache_fresh(struct kp_notifier *n, struct kp_txn *txn, int64_t version,
    struct kp_err *err)
{
	int ret;

	if (version == n->version)
		return KP_OK;
	cache_clear(n);
	if ((ret = kp_txn_subscriptions_each(txn, cache_add, n, err)) != KP_OK)
		return ret;
	n->version = version;
	return KP_OK;
}

static int
hook(void *arg, struct kp_txn *txn, const struct kp_record_change *c,
    struct kp_err *err)
{
	struct kp_notifier *n = arg;
	const struct kp_notice *no = c->notice;
	char dossier[KP_REF_LEN], record[KP_REF_LEN], *body = NULL;
	const char *kanaal = kp_notify_channel(no->entiteittype);
	int64_t version;
	int ret;

	if (kanaal == NULL)
		return KP_OK;	/* a kind of record no channel carries */
	if ((ret = kp_txn_subscriptions_version(txn, &version, err)) != KP_OK)
		return ret;
	if (version == 0)
		return KP_OK;	/* nobody subscribes */
	pthread_mutex_lock(&n->lock);
	if ((ret = cache_fresh(n, txn, version, err)) != KP_OK ||
	    (ret = kp_txn_dossier_ref(txn, no->bsn, dossier, err)) != KP_OK ||
	    (ret = kp_txn_record_ref(txn, no->entiteittype, no->bron,
	    no->identificatie, record, err)) != KP_OK)
		goto out;
	if ((body = kp_notify_message(&(struct kp_change){
	    .entiteittype = no->entiteittype, .mutatiesoort = c->actie,
	    .herkomst = c->retracted ? KP_HERKOMST_INTREKKING :
	    c->from_oin != NULL ? KP_HERKOMST_PARTNER : KP_HERKOMST_LOKAAL,
	    .bron = no->bron,
	    .partij = c->from_oin != NULL ? c->from_oin : n->our_oin,
	    .fields = c->actie == 'V' ? NULL : no->fields,
	    .record_ref = record, .dossier_ref = dossier, .at_ms = kp_now_ms(),
	    .base_url = n->base_url }, err)) == NULL) {
		ret = KP_ERR_STORE;
		goto out;
	}
	for (size_t i = 0; i < n->nsubs; i++) {
		if (!kp_subscription_matches(n->subs[i].s, body))
			continue;
		if ((ret = kp_txn_notification_put(txn, n->subs[i].id, dossier,
		    kanaal, body, err)) != KP_OK)
			goto out;
	}
out:
	pthread_mutex_unlock(&n->lock);
	free(body);
	return ret;
}

void
kp_notifier_attach(struct kp_notifier *n, struct kp_store *st)
{
	kp_store_set_change_hook(st, hook, n);
}

void
kp_notifier_free(struct kp_notifier *n, struct kp_store *st)
{
	if (n == NULL)
		return;
	if (st != NULL)
		kp_store_set_change_hook(st, NULL, NULL);
	cache_clear(n);
	pthread_mutex_destroy(&n->lock);
	free(n->base_url);
	free(n);
}
