#include "autoconf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>

#include "config.h"
#include "gateway.h"
#include "metrics.h"
#include "store_notify.h"
#include "profile.h"
#include "status.h"
#include "store.h"
#include "tls.h"
#include "util.h"
#include "wss.h"

/* The protocol's message types; anything else is "unknown". */
static const char *const types[] = {
	"Lk01", "Lv01", "La01", "Di01", "Bv03", "Fo03", "unknown",
};
#define NTYPES	(sizeof(types) / sizeof(types[0]))

enum { IN_ACCEPTED, IN_DUPLICATE, IN_REJECTED, IN_REFUSED, NIN };
static const char *const in_outcomes[NIN] = {
	"accepted", "duplicate", "rejected", "refused",
};
enum { OUT_DELIVERED, OUT_FAULT, OUT_FAILED, NOUT };
static const char *const out_outcomes[NOUT] = {
	"delivered", "fault", "failed",
};

/* Latency buckets (upper bounds, seconds); the last bucket is +Inf. */
static const double bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define NBOUNDS	(sizeof(bounds) / sizeof(bounds[0]))

struct histogram {
	atomic_uint_fast64_t	 bucket[NBOUNDS + 1];	/* not cumulative */
	atomic_uint_fast64_t	 sum_us;
};

#define MAX_PEERS	256

struct peer {
	char	oin[24];
	time_t	not_after;
};

static atomic_uint_fast64_t in_count[NTYPES][NIN];
static atomic_uint_fast64_t out_count[NTYPES][NOUT];
static atomic_uint_fast64_t rejections[KP_F_MAX];
static atomic_uint_fast64_t handshake_failures[2];
static atomic_uint_fast64_t shed;
static atomic_uint_fast64_t notifications[KP_NOTIFY_MAX];
static atomic_uint_fast64_t conn_closed[KP_LISTENER_MAX][KP_CLOSE_MAX];

static const char *const listener_names[KP_LISTENER_MAX] = {
	"partner", "admin", "local", "read", "audit",
};
static const char *const close_reason_names[KP_CLOSE_MAX] = {
	"handshake_timeout", "header_timeout", "body_too_slow",
	"address_cap", "unauthenticated_evicted", "idle_evicted",
};

void
kp_metrics_shed(void)
{
	atomic_fetch_add(&shed, 1);
}

void
kp_metrics_notification(enum kp_notify_outcome_kind k)
{
	if ((unsigned)k < KP_NOTIFY_MAX)
		atomic_fetch_add(&notifications[k], 1);
}

const char *
kp_listener_name(enum kp_listener l)
{
	return (unsigned)l < KP_LISTENER_MAX ? listener_names[l] : "?";
}

const char *
kp_close_reason_name(enum kp_close_reason r)
{
	return (unsigned)r < KP_CLOSE_MAX ? close_reason_names[r] : "?";
}

void
kp_metrics_conn_closed(enum kp_listener l, enum kp_close_reason r)
{
	if ((unsigned)l < KP_LISTENER_MAX && (unsigned)r < KP_CLOSE_MAX)
		atomic_fetch_add(&conn_closed[l][r], 1);
}
static struct histogram latency[2];

static pthread_mutex_t peer_lock = PTHREAD_MUTEX_INITIALIZER;
static struct peer peers[MAX_PEERS];
static size_t npeers;

static size_t
type_index(const char *code)
{
	for (size_t i = 0; code != NULL && i < NTYPES - 1; i++)
		if (strcmp(code, types[i]) == 0)
			return i;
	return NTYPES - 1;
}

void
kp_metrics_in(const char *berichtcode, int accepted, int duplicate,
    kp_fault fault, int http_status)
{
	int o = duplicate ? IN_DUPLICATE : fault != KP_F_NONE ? IN_REJECTED :
	    accepted && http_status == 200 ? IN_ACCEPTED : IN_REFUSED;

	atomic_fetch_add(&in_count[type_index(berichtcode)][o], 1);
	if (fault > KP_F_NONE && fault < KP_F_MAX)
		atomic_fetch_add(&rejections[fault], 1);
}

void
kp_metrics_out(const char *berichtcode, int delivered, kp_fault fault)
{
	int o = !delivered ? OUT_FAILED : fault != KP_F_NONE ? OUT_FAULT :
	    OUT_DELIVERED;

	atomic_fetch_add(&out_count[type_index(berichtcode)][o], 1);
}

void
kp_metrics_handshake_failed(enum kp_metric_dir dir)
{
	atomic_fetch_add(&handshake_failures[dir], 1);
}

void
kp_metrics_latency(enum kp_metric_dir dir, double seconds)
{
	size_t b = 0;

	while (b < NBOUNDS && seconds > bounds[b])
		b++;
	atomic_fetch_add(&latency[dir].bucket[b], 1);
	atomic_fetch_add(&latency[dir].sum_us,
	    (uint_fast64_t)(seconds > 0 ? seconds * 1e6 : 0));
}

time_t
kp_cert_not_after(const X509 *cert)
{
	struct tm tm;

	if (cert == NULL || ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1)
		return 0;
	return timegm(&tm);
}

void
kp_metrics_peer_cert(X509 *cert)
{
	char oin[21];
	time_t not_after = kp_cert_not_after(cert);
	size_t i;

	if (not_after == 0 || kp_cert_oin(cert, oin) != 0)
		return;
	pthread_mutex_lock(&peer_lock);
	for (i = 0; i < npeers; i++)
		if (strcmp(peers[i].oin, oin) == 0)
			break;
	if (i == npeers && npeers < MAX_PEERS)
		snprintf(peers[npeers++].oin, sizeof(peers[0].oin), "%s", oin);
	/* The newest counts: a renewal is not undone by an old copy in use. */
	if (i < npeers && not_after > peers[i].not_after)
		peers[i].not_after = not_after;
	pthread_mutex_unlock(&peer_lock);
}

time_t
kp_metrics_peer_not_after(const char *oin)
{
	time_t t = 0;

	pthread_mutex_lock(&peer_lock);
	for (size_t i = 0; i < npeers; i++)
		if (strcmp(peers[i].oin, oin) == 0)
			t = peers[i].not_after;
	pthread_mutex_unlock(&peer_lock);
	return t;
}

static void
histogram(FILE *out, const char *name, const char *help,
    struct histogram *h)
{
	uint_fast64_t cum = 0;

	fprintf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t b = 0; b <= NBOUNDS; b++) {
		cum += atomic_load(&h->bucket[b]);
		if (b < NBOUNDS)
			fprintf(out, "%s_bucket{le=\"%g\"} %ju\n", name, bounds[b],
			    (uintmax_t)cum);
		else
			fprintf(out, "%s_bucket{le=\"+Inf\"} %ju\n", name,
			    (uintmax_t)cum);
	}
	fprintf(out, "%s_sum %.6f\n%s_count %ju\n", name,
	    (double)atomic_load(&h->sum_us) / 1e6, name, (uintmax_t)cum);
}

/* A counter by type and outcome: counts[type * noutcomes + outcome]. */
static void
messages(FILE *out, const char *name, const char *how,
    atomic_uint_fast64_t *counts, const char *const *outcomes,
    size_t noutcomes)
{
	fprintf(out, "# HELP %s messages %s partners, by type and outcome\n"
	    "# TYPE %s counter\n", name, how, name);
	for (size_t t = 0; t < NTYPES; t++)
		for (size_t i = 0; i < noutcomes; i++)
			fprintf(out, "%s{type=\"%s\",outcome=\"%s\"} %ju\n", name,
			    types[t], outcomes[i],
			    (uintmax_t)atomic_load(&counts[t * noutcomes + i]));
}

/* One line of one of the outbox gauges (pass) for link l. */
static void
outbox_line(FILE *out, int pass, int64_t now_ms, const struct kp_link *l)
{
	int64_t created;

	switch (pass) {
	case 0:
		fprintf(out, "ketenpoort_outbox_backlog{partner=\"%s\"} %lld\n",
		    l->partner_oin, (long long)(l->pending + l->parked));
		break;
	case 1:
		fprintf(out, "ketenpoort_outbox_parked{partner=\"%s\"} %lld\n",
		    l->partner_oin, (long long)l->parked);
		break;
	case 3:
		fprintf(out, "ketenpoort_outbox_stream_conflicts{partner=\"%s\"} "
		    "%lld\n", l->partner_oin, (long long)l->conflicts);
		break;
	default:
		fprintf(out, "ketenpoort_outbox_oldest_age_seconds{partner="
		    "\"%s\"} %.3f\n", l->partner_oin,
		    l->oldest_undelivered[0] != '\0' &&
		    kp_time_parse_iso(l->oldest_undelivered, &created) == 0 &&
		    created <= now_ms ? (double)(now_ms - created) / 1000 : 0.0);
		break;
	}
}

static void
expiry_line(FILE *out, const char *role, const char *oin, time_t not_after,
    time_t now)
{
	fprintf(out, "ketenpoort_certificate_expiry_days{role=\"%s\",oin=\"%s\"} "
	    "%.4f\n", role, oin, (double)(not_after - now) / 86400);
}

/* The notifications to the organisation's own systems (notifyd.h). */
static int
notifications_write(struct kp_gateway *gw, FILE *out, int64_t now_ms,
    struct kp_err *err)
{
	static const char *const names[KP_NOTIFY_MAX] = {
		"delivered", "failed", "parked",
	};
	int64_t pending = 0, parked = 0, oldest = 0;

	fprintf(out, "# HELP ketenpoort_notifications_total attempts to "
	    "deliver a notification to a subscriber, by outcome (failed: tried "
	    "again later)\n# TYPE ketenpoort_notifications_total counter\n");
	for (int k = 0; k < KP_NOTIFY_MAX; k++)
		fprintf(out, "ketenpoort_notifications_total{outcome=\"%s\"} "
		    "%ju\n", names[k], (uintmax_t)atomic_load(&notifications[k]));
	if (gw->store != NULL && kp_store_notify_counts(gw->store, &pending,
	    &parked, &oldest, err) != KP_OK)
		return KP_ERR_STORE;
	fprintf(out, "# HELP ketenpoort_notifications_waiting notifications "
	    "not yet taken by their subscriber, by state\n"
	    "# TYPE ketenpoort_notifications_waiting gauge\n"
	    "ketenpoort_notifications_waiting{state=\"pending\"} %lld\n"
	    "ketenpoort_notifications_waiting{state=\"parked\"} %lld\n"
	    "# HELP ketenpoort_notifications_oldest_seconds age of the oldest "
	    "notification waiting (0: none)\n"
	    "# TYPE ketenpoort_notifications_oldest_seconds gauge\n"
	    "ketenpoort_notifications_oldest_seconds %lld\n",
	    (long long)pending, (long long)parked,
	    (long long)(oldest > 0 ? (now_ms - oldest) / 1000 : 0));
	return KP_OK;
}

int
kp_metrics_write(struct kp_gateway *gw, FILE *out, struct kp_err *err)
{
	static const char *const outbox_help[4][2] = {
		{ "ketenpoort_outbox_backlog",
		  "outbox rows not yet delivered (pending and parked)" },
		{ "ketenpoort_outbox_parked",
		  "outbox rows parked after a permanent refusal (queue retry|skip)" },
		{ "ketenpoort_outbox_oldest_age_seconds",
		  "age of the oldest undelivered outbox row; 0 when none" },
		{ "ketenpoort_outbox_stream_conflicts",
		  "outbox rows parked because the partner had applied another "
		  "notice under their volgnummer (KP031; queue retry renumbers)" },
	};
	struct kp_links links = { 0 };
	int64_t now_ms = kp_now_ms();
	const struct kp_profiles *ps;
	time_t now = time(NULL);

	messages(out, "ketenpoort_messages_in_total", "received from",
	    &in_count[0][0], in_outcomes, NIN);
	messages(out, "ketenpoort_messages_out_total", "sent to",
	    &out_count[0][0], out_outcomes, NOUT);
	fprintf(out, "# HELP ketenpoort_rejections_total inbound messages "
	    "answered with a Fo03, by code\n"
	    "# TYPE ketenpoort_rejections_total counter\n");
	for (int f = KP_F_NONE + 1; f < KP_F_MAX; f++)
		fprintf(out, "ketenpoort_rejections_total{code=\"%s\"} %ju\n",
		    kp_fault_code((kp_fault)f),
		    (uintmax_t)atomic_load(&rejections[f]));
	fprintf(out, "# HELP ketenpoort_tls_handshake_failures_total TLS "
	    "handshakes that failed, as server (in) and as client (out)\n"
	    "# TYPE ketenpoort_tls_handshake_failures_total counter\n"
	    "ketenpoort_tls_handshake_failures_total{direction=\"in\"} %ju\n"
	    "ketenpoort_tls_handshake_failures_total{direction=\"out\"} %ju\n",
	    (uintmax_t)atomic_load(&handshake_failures[KP_METRIC_IN]),
	    (uintmax_t)atomic_load(&handshake_failures[KP_METRIC_OUT]));
	fprintf(out, "# HELP ketenpoort_requests_shed_total partner requests "
	    "answered 503 because max_pending_writes writes waited for the "
	    "store\n# TYPE ketenpoort_requests_shed_total counter\n"
	    "ketenpoort_requests_shed_total %ju\n", (uintmax_t)atomic_load(&shed));
	fprintf(out, "# HELP ketenpoort_connections_closed_total connections "
	    "the gateway closed to protect its slots, by listener and reason\n"
	    "# TYPE ketenpoort_connections_closed_total counter\n");
	for (int l = 0; l < KP_LISTENER_MAX; l++)
		for (int r = 0; r < KP_CLOSE_MAX; r++)
			fprintf(out, "ketenpoort_connections_closed_total{listener="
			    "\"%s\",reason=\"%s\"} %ju\n", listener_names[l],
			    close_reason_names[r],
			    (uintmax_t)atomic_load(&conn_closed[l][r]));
	histogram(out, "ketenpoort_request_duration_seconds", "time from a "
	    "partner's request to our answer", &latency[KP_METRIC_IN]);
	histogram(out, "ketenpoort_exchange_duration_seconds", "time of one "
	    "exchange with a partner (connect, send, verified answer)",
	    &latency[KP_METRIC_OUT]);
	/* the outbox gauges: one reading of the links, four passes over it */
	if (gw->store != NULL && kp_status_links(gw, 0, &links, err) != KP_OK)
		return KP_ERR_STORE;
	for (int pass = 0; pass < 4; pass++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n",
		    outbox_help[pass][0], outbox_help[pass][1],
		    outbox_help[pass][0]);
		for (size_t i = 0; i < links.n; i++)
			outbox_line(out, pass, now_ms, &links.v[i]);
	}
	kp_status_links_clear(&links);
	if (notifications_write(gw, out, now_ms, err) != KP_OK)
		return KP_ERR_STORE;
	fprintf(out, "# HELP ketenpoort_certificate_expiry_days days until a "
	    "certificate expires (negative: expired): ours, and the newest each "
	    "partner presented\n"
	    "# TYPE ketenpoort_certificate_expiry_days gauge\n");
	expiry_line(out, "own", gw->cfg->oin, kp_cert_not_after(gw->signer->cert),
	    now);
	ps = gw->profiles;	/* one generation, if a reload swaps it */
	for (size_t i = 0; i < ps->n; i++) {
		time_t t = kp_metrics_peer_not_after(ps->v[i].oin);

		if (t != 0)
			expiry_line(out, "partner", ps->v[i].oin, t, now);
	}
	return KP_OK;
}
