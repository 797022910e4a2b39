#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "admin.h"
#include "store_notify.h"
#include "keylink.h"
#include "config.h"
#include "gateway.h"
#include "guard.h"
#include "log.h"
#include "metrics.h"
#include "profile.h"
#include "http.h"
#include "status.h"
#include "store.h"
#include "tls.h"
#include "wss.h"

/* Connections to the admin listener at once (monitoring, an operator). */
#define ADMIN_MAX_CONN	32

struct kp_admin {
	struct kp_gateway	*gw;
	struct evhttp		*http;
	struct kp_guard		*guard;
};

static void
day(time_t t, char out[16])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

/* One certificate's line; returns 1 when it fails the check. */
static int
check_cert(FILE *out, const char *what, time_t not_after, time_t now,
    const char *todo)
{
	char when[16];
	long days = (long)((not_after - now) / 86400);

	day(not_after, when);
	if (not_after <= now) {
		if (out != NULL)
			fprintf(out, "FAIL %s: expired on %s; %s\n", what, when, todo);
		return 1;
	}
	if (out != NULL)
		fprintf(out, "ok   %s: valid until %s (%ld days)%s\n", what, when,
		    days, days < KP_CERT_WARN_DAYS ? "; renew it soon" : "");
	return 0;
}

/*
 * A link whose notices the partner refused with KP031 stands still until a
 * human has looked: another sender used our numbers, or a store was
 * restored from an old backup.  1 when it does.
 */
static int
link_conflicts(FILE *out, const struct kp_link *l)
{
	if (l->conflicts == 0)
		return 0;
	if (out != NULL)
		fprintf(out, "FAIL link to %s: %lld notice%s refused with "
		    "KP031 (the partner applied another notice under that "
		    "volgnummer); nothing of %s was applied and the stream "
		    "waits: see ketenpoort queue list --state parked --partner "
		    "%s, then queue retry ID renumbers it from the number the "
		    "partner expects\n", l->partner_oin, (long long)l->conflicts,
		    l->conflicts == 1 ? "" : "s", l->conflicts == 1 ? "it" :
		    "them", l->partner_oin);
	return 1;
}

/*
 * The notifications to the organisation's own systems: parked ones want a
 * person, but partners are not held up by them, so the gateway stays
 * ready (a WARN line).  1 only when the store cannot say.
 */
static int
notifications(struct kp_gateway *gw, FILE *out)
{
	int64_t pending, parked, oldest;
	struct kp_err err;

	if (kp_store_notify_counts(gw->store, &pending, &parked, &oldest,
	    &err) != KP_OK) {
		if (out != NULL)
			fprintf(out, "FAIL notifications: %s\n", err.msg);
		return 1;
	}
	if (out == NULL)
		return 0;
	if (parked > 0)
		fprintf(out, "WARN notifications: %lld parked (a subscriber did "
		    "not take them for notify_park_after; their citizens' later "
		    "ones wait): see ketenpoort queue notifications, then queue "
		    "notify-retry; %lld waiting\n", (long long)parked,
		    (long long)pending);
	else
		fprintf(out, "ok   notifications: %lld waiting%s\n",
		    (long long)pending, pending > 0 ? "" : ", none parked");
	return 0;
}

int
kp_health(struct kp_gateway *gw, FILE *out)
{
	const struct kp_config *cfg = gw->cfg;
	time_t now = time(NULL);
	char why[512];
	struct kp_err err;
	int bad = 0;

	if (gw->store == NULL) {
		bad++;
		if (out != NULL)
			fprintf(out, "FAIL store: not open\n");
	} else if (kp_store_health(gw->store, why, sizeof(why)) != 0) {
		bad++;
		if (out != NULL)
			fprintf(out, "FAIL store: %s; nothing can be acknowledged "
			    "until it takes writes again\n", why);
	} else if (out != NULL) {
		fprintf(out, "ok   store: %s\n", why);
	}
	if (gw->keys != NULL) {
		if (!kp_keylink_alive(gw->keys, why, sizeof(why))) {
			bad++;
			if (out != NULL)
				fprintf(out, "FAIL key: %s\n", why);
		} else if (out != NULL) {
			fprintf(out, "ok   key: the key process answers (%s; "
			    "started again %u times)\n", cfg->key,
			    kp_keylink_restarts(gw->keys));
		}
	} else if (kp_key_file_check(cfg->key, &err) != KP_OK) {
		bad++;
		if (out != NULL)
			fprintf(out, "FAIL key: %s\n", err.msg);
	} else if (out != NULL) {
		fprintf(out, "ok   key: %s\n", cfg->key);
	}
	bad += check_cert(out, "our certificate", kp_cert_not_after(
	    gw->signer->cert), now, "partners refuse us: install a renewed one "
	    "and restart");
	if (gw->store != NULL) {
		struct kp_links links;

		if (kp_status_links(gw, 0, &links, &err) != KP_OK) {
			bad++;
			if (out != NULL)
				fprintf(out, "FAIL links: %s\n", err.msg);
		} else {
			for (size_t i = 0; i < links.n; i++)
				bad += link_conflicts(out, &links.v[i]);
			kp_status_links_clear(&links);
		}
	}
	if (gw->store != NULL && gw->notifier != NULL)
		bad += notifications(gw, out);
	const struct kp_profiles *ps = gw->profiles;	/* one generation */

	for (size_t i = 0; i < ps->n; i++) {
		const struct kp_profile *p = &ps->v[i];
		time_t t = kp_metrics_peer_not_after(p->oin);
		char what[160];

		snprintf(what, sizeof(what), "partner %s (%s) certificate",
		    p->stem, p->oin);
		if (t == 0) {
			if (out != NULL)
				fprintf(out, "ok   %s: not seen since start\n", what);
			continue;
		}
		bad += check_cert(out, what, t, now, "we refuse its messages "
		    "and it refuses ours until it installs a renewed one");
	}
	return bad;
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct kp_admin *a = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	struct kp_err err;
	int bad;

	kp_guard_request(a->guard, req, 0);
	if (kp_http_framing_refused(req))
		return;
	if (path == NULL || (strcmp(path, "/healthz") != 0 &&
	    strcmp(path, "/metrics") != 0)) {
		kp_http_reply_text(req, 404, "Not Found",
		    "GET /healthz or GET /metrics\n");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
		    "GET");
		kp_http_reply_text(req, 405, "Method Not Allowed", "use GET\n");
		return;
	}
	if ((mem = open_memstream(&text, &len)) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		int ret = kp_metrics_write(a->gw, mem, &err);

		fclose(mem);
		if (ret != KP_OK) {
			log_warnx("metrics: %s", err.msg);
			kp_http_reply_text(req, 500, "Internal Server Error",
			    "%s\n", err.msg);
		} else {
			kp_http_reply(req, 200, "OK", "text/plain; version=0.0.4; "
			    "charset=utf-8", text, len);
		}
		free(text);
		return;
	}
	{
		char *checks = NULL;
		size_t clen = 0;
		FILE *cm = open_memstream(&checks, &clen);

		bad = cm != NULL ? kp_health(a->gw, cm) : 1;
		if (cm != NULL)
			fclose(cm);
		if (bad == 0)
			fprintf(mem, "ready\n");
		else
			fprintf(mem, "not ready: %d check%s failed\n", bad,
			    bad == 1 ? "" : "s");
		if (checks != NULL)
			fputs(checks, mem);
		free(checks);
	}
	fclose(mem);
	kp_http_reply(req, bad == 0 ? 200 : 503, bad == 0 ? "OK" : "Service Unavailable",
	    "text/plain; charset=utf-8", text, len);
	free(text);
}

struct kp_admin *
kp_admin_start(struct kp_gateway *gw, struct event_base *base,
    struct kp_err *err)
{
	struct kp_admin *a;
	int fd;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	a->gw = gw;
	if ((fd = kp_open_listener(gw->cfg->admin_listen, err)) < 0) {
		free(a);
		return NULL;
	}
	if ((a->http = evhttp_new(base)) == NULL ||
	    (a->guard = kp_http_plain_guard(a->http, base, KP_LISTENER_ADMIN,
	    ADMIN_MAX_CONN, gw->cfg)) == NULL ||
	    evhttp_accept_socket_with_handle(a->http, fd) == NULL) {
		kp_fail(err, KP_ERR_SYS, "admin_listen %s: cannot listen",
		    gw->cfg->admin_listen);
		close(fd);
		kp_admin_stop(a);
		return NULL;
	}
	evhttp_set_timeout(a->http, 10);
	evhttp_set_max_body_size(a->http, 0);
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(a->http, handle, a);
	log_info("admin listener on %s (GET /healthz, /metrics)",
	    gw->cfg->admin_listen);
	return a;
}

void
kp_admin_stop(struct kp_admin *a)
{
	if (a == NULL)
		return;
	if (a->http != NULL)
		evhttp_free(a->http);
	kp_guard_free(a->guard);
	free(a);
}

/* Last warning per certificate, so that each is warned about once a day. */
#define WARNED_MAX	256
static struct { char oin[24]; time_t at; int own; } warned[WARNED_MAX];
static size_t nwarned;
static pthread_mutex_t warned_lock = PTHREAD_MUTEX_INITIALIZER;

static int
warn_due(const char *oin, int own, time_t now)
{
	size_t i;
	int due = 1;

	pthread_mutex_lock(&warned_lock);
	for (i = 0; i < nwarned; i++)
		if (warned[i].own == own && strcmp(warned[i].oin, oin) == 0)
			break;
	if (i < nwarned && now - warned[i].at < 86400)
		due = 0;
	else if (i < nwarned || nwarned < WARNED_MAX) {
		if (i == nwarned)
			nwarned++;
		snprintf(warned[i].oin, sizeof(warned[i].oin), "%s", oin);
		warned[i].own = own;
		warned[i].at = now;
	}
	pthread_mutex_unlock(&warned_lock);
	return due;
}

void
kp_cert_watch(void *arg)
{
	struct kp_gateway *gw = arg;
	time_t now = time(NULL), t;
	char when[16];

	t = kp_cert_not_after(gw->signer->cert);
	if (t - now < KP_CERT_WARN_DAYS * 86400 && warn_due(gw->cfg->oin, 1,
	    now)) {
		day(t, when);
		log_warnx("our certificate %s expires on %s (%ld days): install "
		    "a renewed one before then, or partners refuse us",
		    gw->cfg->cert, when, (long)((t - now) / 86400));
	}
	const struct kp_profiles *ps = gw->profiles;	/* one generation */

	for (size_t i = 0; i < ps->n; i++) {
		const struct kp_profile *p = &ps->v[i];

		if ((t = kp_metrics_peer_not_after(p->oin)) == 0 ||
		    t - now >= KP_CERT_WARN_DAYS * 86400 ||
		    !warn_due(p->oin, 0, now))
			continue;
		day(t, when);
		if (t <= now)
			log_warnx("partner %s (%s): its certificate expired on %s; "
			    "exchanges with it fail until it installs a renewed "
			    "one", p->stem, p->oin, when);
		else
			log_warnx("partner %s (%s): its certificate expires on %s "
			    "(%ld days); ask it to renew", p->stem, p->oin, when,
			    (long)((t - now) / 86400));
	}
}
