#include "autoconf.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <openssl/ssl.h>

#include "admin.h"
#include "checkpoint.h"
#include "config.h"
#include "consent.h"
#include "deliver.h"
#include "sync.h"
#include "ticker.h"
#include "notifyd.h"
#include "readapi.h"
#include "auditweb.h"
#include "subsfile.h"
#include "local.h"
#include "gateway.h"
#include "guard.h"
#include "inbound.h"
#include "log.h"
#include "metrics.h"
#include "profile.h"
#include "http.h"
#include "server.h"
#include "store.h"
#include "tls.h"
#include "wss.h"

#define WUS_PATH	"/wus/v1"
#define SHUTDOWN_GRACE_MS 1000

struct worker {
	int			 index;
	pthread_t		 thread;
	struct event_base	*base;
	struct evhttp		*http;
	struct evconnlistener	*listener;
	struct kp_gateway	*gw;
	SSL_CTX *_Atomic	 ssl_ctx;	/* replaced by a renewal (on_hup) */
	struct kp_guard		*guard;		/* deadlines and caps (guard.h) */
	int			 nconn;		/* open connections (this thread) */
	int			 max_conn;	/* authenticated ones */
	int			 max_open;	/* all: then accept pauses */
	int			 paused;
	int			 stopping;	/* never accept again */
	unsigned long		 served;	/* requests answered */
	unsigned long		 accepted;	/* connections accepted */
};

struct pending;

/* One partner connection (the SSL object's ex_data). */
struct conn {
	struct worker	*w;
	struct bufferevent *bev;
	struct pending	*pending;	/* its requests waiting for the store */
};

/* A request whose answer waits for its durable write. */
struct pending {
	struct worker		*w;
	struct conn		*conn;	/* NULL once the connection is gone */
	struct evhttp_request	*req;
	struct kp_request	 kreq;
	char			 oin[24];
	struct kp_inbound_call	*call;
	struct timespec		 t0;	/* when the request was read */
	struct pending		*next;
};

static int conn_index = -1;

/* Runs when a connection's SSL object is freed: one connection fewer. */
static void
conn_gone(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	struct conn *c = ptr;
	struct worker *w;

	(void)ad; (void)idx; (void)argl; (void)argp;
	if (c == NULL)
		return;
	/* Begun but never finished: refused, or the peer gave up. */
	if (parent != NULL && !SSL_is_init_finished(parent) &&
	    !SSL_in_before(parent))
		kp_metrics_handshake_failed(KP_METRIC_IN);
	w = c->w;
	/* Answers still on their way go nowhere now. */
	for (struct pending *p = c->pending; p != NULL; p = p->next)
		p->conn = NULL;
	free(c);
	w->nconn--;
	if (w->paused && !w->stopping && w->nconn < w->max_open) {
		w->paused = 0;
		evconnlistener_enable(w->listener);
	}
}

/* evhttp frees the connection: answers still on their way go nowhere. */
static void
conn_closed(void *arg)
{
	struct conn *c = arg;

	for (struct pending *p = c->pending; p != NULL; p = p->next)
		p->conn = NULL;
	c->pending = NULL;
}

static struct bufferevent *
new_tls_bev(struct event_base *base, void *arg)
{
	struct worker *w = arg;
	SSL *ssl = SSL_new(w->ssl_ctx);
	struct conn *c = calloc(1, sizeof(*c));
	unsigned char sid_ctx[8 + sizeof(X509_STORE *)];
	X509_STORE *trust;

	if (ssl == NULL || c == NULL) {
		SSL_free(ssl);
		free(c);
		return NULL;
	}
	c->w = w;
	SSL_set_ex_data(ssl, conn_index, c);
	/*
	 * The trust store of the latest reload (CA and CRL read again), and
	 * a session id context of that very store (one atomic load for
	 * both): OpenSSL resumes a session, from its cache or a ticket, only
	 * in the context it was made in, so after a reload every partner
	 * does a full handshake against the new CA and CRL and a revoked
	 * one cannot come back by resumption.  Stores are kept until exit,
	 * so no two generations share an address.
	 */
	trust = w->gw->trust;
	memcpy(sid_ctx, "kptrust:", 8);
	memcpy(sid_ctx + 8, &trust, sizeof(trust));
	SSL_set1_verify_cert_store(ssl, trust);
	SSL_set_session_id_context(ssl, sid_ctx, 8 + sizeof(trust));
	w->accepted++;
	if (++w->nconn >= w->max_open && !w->paused) {
		/*
		 * Only when the guard's caps are all taken (it closes the
		 * surplus): leave further connections in the kernel's backlog
		 * rather than run out of descriptors.
		 */
		w->paused = 1;
		evconnlistener_disable(w->listener);
	}
	if ((c->bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;	/* SSL_free ran conn_gone */
	if (kp_guard_adopt(w->guard, c->bev, conn_closed, c) != 0) {
		bufferevent_free(c->bev);
		return NULL;
	}
	return c->bev;
}

/* The handshake is done: the peer's certificate chains and is not revoked. */
static void
tls_info(const SSL *ssl, int where, int ret)
{
	struct conn *c;

	(void)ret;
	if ((where & SSL_CB_HANDSHAKE_DONE) &&
	    (c = SSL_get_ex_data(ssl, conn_index)) != NULL && c->bev != NULL)
		kp_guard_authenticated(c->w->guard, c->bev);
}

static SSL *
request_ssl(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev;

	if (conn == NULL || (bev = evhttp_connection_get_bufferevent(conn)) == NULL)
		return NULL;
	return bufferevent_openssl_get_ssl(bev);
}

static int
peer_oin(SSL *ssl, char oin[24])
{
	X509 *cert;

	oin[0] = '\0';
	if (ssl == NULL || SSL_get_verify_result(ssl) != X509_V_OK ||
	    (cert = SSL_get0_peer_certificate(ssl)) == NULL)
		return -1;
	return kp_cert_oin(cert, oin);
}


static void
send_answer(struct evhttp_request *req, const struct kp_response *resp)
{
	struct evbuffer *out;

	if (resp->body == NULL) {
		/*
		 * Not even a signed fault: the key process is restarting (or
		 * memory ran out).  Nothing was stored; nothing goes out
		 * unsigned but this, which asks for the request again.
		 */
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "5");
		kp_http_reply_text(req, 503, "Service Unavailable",
		    "the gateway cannot sign an answer now; nothing was "
		    "stored: resend later\n");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    resp->content_type);
	if ((out = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evbuffer_add(out, resp->body, resp->len);
	evhttp_send_reply(req, resp->http_status, resp->http_status == 200 ?
	    "OK" : resp->http_status == 400 ? "Bad Request" :
	    "Internal Server Error", out);
	evbuffer_free(out);
}

/* In the worker's thread, once the request's write is durable. */
static void
answer(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;
	struct kp_response resp;

	struct timespec t1;

	(void)fd;
	(void)what;
	kp_inbound_finish(p->call, &resp);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kp_metrics_latency(KP_METRIC_IN, (double)(t1.tv_sec - p->t0.tv_sec) +
	    (double)(t1.tv_nsec - p->t0.tv_nsec) / 1e9);
	if (p->conn != NULL) {
		struct pending **pp;

		for (pp = &p->conn->pending; *pp != NULL; pp = &(*pp)->next)
			if (*pp == p) {
				*pp = p->next;
				break;
			}
		kp_guard_answered(p->w->guard, p->req);
		send_answer(p->req, &resp);	/* libevent frees the request */
	} else {
		evhttp_request_free(p->req);	/* ours: the connection is gone */
	}
	p->w->served++;
	kp_response_clear(&resp);
	free(p);
}

/* In the store writer's thread: hand the answer back to the worker. */
static void
stored(struct kp_inbound_call *call, void *arg)
{
	struct pending *p = arg;
	struct timeval now = { 0, 0 };

	(void)call;
	if (event_base_once(p->w->base, -1, EV_TIMEOUT, answer, p, &now) != 0)
		log_warnx("cannot schedule an answer; the sender will resend");
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct worker *w = arg;
	const char *uri = evhttp_request_get_uri(req);
	struct evkeyvalq *in_headers = evhttp_request_get_input_headers(req);
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	struct pending *p;
	SSL *ssl;
	size_t len;

	kp_guard_request(w->guard, req, 0);
	if (kp_http_framing_refused(req))
		return;
	if (uri == NULL || strncmp(uri, WUS_PATH, strlen(WUS_PATH)) != 0 ||
	    (uri[strlen(WUS_PATH)] != '\0' && uri[strlen(WUS_PATH)] != '?')) {
		kp_http_reply_text(req, 404, "Not Found",
		    "the endpoint is POST " WUS_PATH "\n");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
		    "POST");
		kp_http_reply_text(req, 405, "Method Not Allowed",
		    "use POST " WUS_PATH "\n");
		return;
	}
	if (w->stopping) {
		/* Draining: finish what is in flight, start nothing new. */
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "5");
		kp_http_reply_text(req, 503, "Service Unavailable",
		    "the gateway is shutting down; resend later\n");
		return;
	}
	if (kp_store_pending(w->gw->store) >
	    (size_t)w->gw->cfg->max_pending_writes) {
		log_info("shedding load: %zu writes wait for the store",
		    kp_store_pending(w->gw->store));
		kp_metrics_shed();
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
		kp_http_reply_text(req, 503, "Service Unavailable",
		    "the gateway is overloaded; resend after a second\n");
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	ssl = request_ssl(req);
	len = evbuffer_get_length(body);
	p->w = w;
	p->req = req;
	p->conn = ssl != NULL ? SSL_get_ex_data(ssl, conn_index) : NULL;
	p->kreq.peer_oin = peer_oin(ssl, p->oin) == 0 ? p->oin : NULL;
	p->kreq.content_type = evhttp_find_header(in_headers, "Content-Type");
	p->kreq.soapaction = evhttp_find_header(in_headers, "SOAPAction");
	p->kreq.body = len > 0 ? (const char *)evbuffer_pullup(body, -1) : "";
	p->kreq.len = len;
	/* The answer comes after the store's commit: keep the request. */
	evhttp_request_own(req);
	kp_guard_request(w->guard, req, 1);
	if (p->conn != NULL) {
		p->next = p->conn->pending;
		p->conn->pending = p;
	}
	if ((p->call = kp_inbound_start(w->gw, &p->kreq, stored, p)) == NULL) {
		if (p->conn != NULL)
			p->conn->pending = p->next;
		evhttp_send_error(req, 500, NULL);
		free(p);
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	return NULL;
}


struct stopper {
	struct worker	*workers;
	int		 n;
	struct event_base *base;
	struct kp_gateway *gw;
	SSL_CTX		*ctx;
	SSL_CTX		**old_ctx;	/* renewed away; freed at the end */
	size_t		 nold_ctx;
	struct kp_readapi *readapi;	/* renewed with the listener */
	struct kp_auditweb *auditweb;	/* likewise */
};

/* Runs in the worker's own thread: stop accepting, finish, leave. */
static void
worker_stop(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct timeval grace = { SHUTDOWN_GRACE_MS / 1000,
	    (SHUTDOWN_GRACE_MS % 1000) * 1000 };

	(void)fd;
	(void)what;
	w->stopping = 1;
	evconnlistener_disable(w->listener);
	event_base_loopexit(w->base, &grace);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct stopper *s = arg;

	(void)what;
	log_info("signal %d: no new connections; finishing requests in flight",
	    (int)sig);
	for (int i = 0; i < s->n; i++)
		event_base_once(s->workers[i].base, -1, EV_TIMEOUT, worker_stop,
		    &s->workers[i], NULL);
	event_base_loopexit(s->base, NULL);
}

/*
 * Started as root: become cfg->user now that the listeners are bound and
 * the keys read.  The local socket goes to that user's group.
 */
static int
drop_root(const struct kp_config *cfg, struct kp_err *err)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return KP_OK;
	if (cfg->user == NULL) {
		log_warnx("running as root: set user in %s to the account the "
		    "gateway should run as, and it drops root after binding",
		    cfg->path);
		return KP_OK;
	}
	if ((pw = getpwnam(cfg->user)) == NULL)
		return kp_fail(err, KP_ERR_CONFIG, "%s: user %s: no such account",
		    cfg->path, cfg->user);
	if (cfg->local_socket != NULL &&
	    chown(cfg->local_socket, pw->pw_uid, pw->pw_gid) == -1)
		return kp_fail(err, KP_ERR_SYS, "local_socket %s: chown: %s",
		    cfg->local_socket, strerror(errno));
	if (setgroups(0, NULL) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1)
		return kp_fail(err, KP_ERR_SYS, "cannot become user %s: %s",
		    cfg->user, strerror(errno));
	if (pw->pw_uid != 0 && (setuid(0) != -1 || geteuid() == 0))
		return kp_fail(err, KP_ERR_SYS, "still root after becoming %s",
		    cfg->user);
	log_info("running as %s (uid %ld)", cfg->user, (long)pw->pw_uid);
	return KP_OK;
}

/*
 * The renewed certificate and key for new handshakes; a handshake that
 * began with the old context finishes with it (the old ones are freed at
 * the end: a worker may have just read one).
 */
static void
renew_ctx(struct stopper *s)
{
	const struct kp_signer *signer = s->gw->signer;
	SSL_CTX *ctx, **v;
	struct kp_err err;

	if ((ctx = kp_tls_server_ctx(s->gw->cfg, signer->cert, signer->chain,
	    signer->tls_pkey, &err)) == NULL) {
		log_warnx("SIGHUP: the listener keeps its certificate: %s",
		    err.msg);
		return;
	}
	if ((v = reallocarray(s->old_ctx, s->nold_ctx + 1, sizeof(*v))) ==
	    NULL) {
		SSL_CTX_free(ctx);
		return;
	}
	SSL_CTX_set_info_callback(ctx, tls_info);
	s->old_ctx = v;
	s->old_ctx[s->nold_ctx++] = s->ctx;
	s->ctx = ctx;
	for (int i = 0; i < s->n; i++)
		s->workers[i].ssl_ctx = ctx;
}

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct stopper *s = arg;
	struct kp_err err;

	(void)sig;
	(void)what;
	log_info("SIGHUP: reading the configuration and profiles again");
	/*
	 * New sessions carry the new trust store's context (new_tls_bev):
	 * the cached ones of the old are of no use any more.
	 */
	if (kp_gateway_reload(s->gw, &err) == KP_OK)
		SSL_CTX_flush_sessions(s->ctx, 0);
	kp_auditweb_reload(s->auditweb);
	if (kp_gateway_renew(s->gw) == 1) {
		renew_ctx(s);
		kp_readapi_renew(s->readapi);
		kp_auditweb_renew(s->auditweb);
	}
}

int
kp_serve(struct kp_gateway *gw, struct kp_err *err)
{
	const struct kp_config *cfg = gw->cfg;
	struct worker *workers = NULL;
	struct stopper stopper = { 0 };
	struct event *sigterm = NULL, *sigint = NULL, *sighup = NULL;
	struct kp_deliver *deliver = NULL;
	struct kp_ticker *schedule = NULL, *consents = NULL, *checkpoints = NULL;
	struct kp_consent_schedule consent_schedule = {
		.gw = gw, .interval_ms = cfg->consent_check_interval * 1000,
	};
	struct kp_local *local = NULL;
	struct kp_admin *admin = NULL;
	struct kp_readapi *readapi = NULL;
	struct kp_auditweb *auditweb = NULL;
	struct kp_notifyd *notifyd = NULL;
	struct kp_ticker *certwatch = NULL;
	SSL_CTX *ctx = NULL;
	struct kp_guard_limits limits = {
		.listener = KP_LISTENER_PARTNER, .tls = 1,
		.handshake_ms = (int)cfg->handshake_timeout * 1000,
		.header_ms = (int)cfg->header_timeout * 1000,
		.min_body_rate = cfg->min_body_rate,
	};
	int nthreads, fd = -1, started = 0, ret = KP_OK;

	if (kp_cert_not_after(gw->signer->cert) <= time(NULL))
		return kp_fail(err, KP_ERR_CONFIG, "%s: our certificate has "
		    "expired; partners would refuse every exchange: install a "
		    "renewed one", cfg->cert);
	evthread_use_pthreads();
	signal(SIGPIPE, SIG_IGN);
	if (conn_index == -1)
		conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_gone);
	if ((ctx = kp_tls_server_ctx(cfg, gw->signer->cert, gw->signer->chain,
	    gw->signer->tls_pkey, err)) == NULL)
		return KP_ERR_TLS;
	SSL_CTX_set_info_callback(ctx, tls_info);
	if ((fd = kp_open_listener(cfg->listen, err)) < 0) {
		SSL_CTX_free(ctx);
		return KP_ERR_SYS;
	}
	nthreads = cfg->threads > 0 ? (int)cfg->threads :
	    (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (nthreads < 1)
		nthreads = 1;
	if ((workers = calloc((size_t)nthreads, sizeof(*workers))) == NULL) {
		ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < nthreads; i++) {
		struct worker *w = &workers[i];

		w->index = i;
		w->gw = gw;
		w->ssl_ctx = ctx;
		w->max_conn = (int)((cfg->max_connections + nthreads - 1) / nthreads);
		limits.max_conn = w->max_conn;
		limits.max_unauth = w->max_conn / 4 > 0 ? w->max_conn / 4 : 1;
		limits.max_unauth_per_address = (int)
		    ((cfg->max_unauthenticated_per_address + nthreads - 1) /
		    nthreads);
		/* a margin for connections closed but not yet freed */
		w->max_open = limits.max_conn + limits.max_unauth + 16;
		if ((w->base = event_base_new()) == NULL ||
		    (w->guard = kp_guard_new(w->base, &limits)) == NULL ||
		    (w->http = evhttp_new(w->base)) == NULL ||
		    (w->listener = evconnlistener_new(w->base, NULL, NULL,
		    LEV_OPT_REUSEABLE | LEV_OPT_THREADSAFE, -1, fd)) == NULL) {
			ret = kp_fail(err, KP_ERR_SYS, "cannot set up worker %d", i);
			goto out;
		}
		evhttp_set_bevcb(w->http, new_tls_bev, w);
		evhttp_set_gencb(w->http, handle, w);
		evhttp_set_max_body_size(w->http, (ev_ssize_t)cfg->max_body);
		/*
		 * Read and drop an oversized body before answering 413, so a
		 * sender that does not wait for 100-continue sees the answer
		 * rather than a reset connection.
		 */
		evhttp_set_flags(w->http, EVHTTP_SERVER_LINGERING_CLOSE);
		evhttp_set_max_headers_size(w->http, KP_HTTP_MAX_HEADERS);
		/* idle between requests; the guard's deadlines within one */
		evhttp_set_timeout(w->http, (int)cfg->idle_timeout);
		evhttp_set_allowed_methods(w->http, EVHTTP_REQ_POST |
		    EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
		    EVHTTP_REQ_DELETE);
		if (evhttp_bind_listener(w->http, w->listener) == NULL) {
			ret = kp_fail(err, KP_ERR_SYS, "cannot bind worker %d", i);
			goto out;
		}
	}
	if ((stopper.base = event_base_new()) == NULL) {
		ret = kp_fail(err, KP_ERR_SYS, "cannot create event base");
		goto out;
	}
	stopper.workers = workers;
	stopper.n = nthreads;
	if (cfg->local_socket != NULL &&
	    (local = kp_local_start(gw, stopper.base, err)) == NULL) {
		ret = KP_ERR_SYS;
		goto out;
	}
	if (cfg->admin_listen != NULL &&
	    (admin = kp_admin_start(gw, stopper.base, err)) == NULL) {
		ret = KP_ERR_SYS;
		goto out;
	}
	if (cfg->read_listen != NULL && (readapi = kp_readapi_start(gw,
	    stopper.base, err)) == NULL) {
		ret = err->status;
		goto out;
	}
	stopper.readapi = readapi;
	if (cfg->audit_listen != NULL && (auditweb = kp_auditweb_start(gw,
	    stopper.base, err)) == NULL) {
		ret = err->status;
		goto out;
	}
	stopper.auditweb = auditweb;
	if (drop_root(cfg, err) != KP_OK) {
		ret = err->status;
		goto out;
	}
	sigterm = evsignal_new(stopper.base, SIGTERM, on_signal, &stopper);
	sigint = evsignal_new(stopper.base, SIGINT, on_signal, &stopper);
	stopper.gw = gw;
	stopper.ctx = ctx;
	sighup = evsignal_new(stopper.base, SIGHUP, on_hup, &stopper);
	if (sigterm == NULL || sigint == NULL || sighup == NULL ||
	    evsignal_add(sigterm, NULL) || evsignal_add(sigint, NULL) ||
	    evsignal_add(sighup, NULL)) {
		ret = kp_fail(err, KP_ERR_SYS, "cannot handle signals");
		goto out;
	}
	if (kp_store_writer_start(gw->store, err) != KP_OK) {
		ret = KP_ERR_STORE;
		goto out;
	}
	if ((deliver = kp_deliver_start(gw, err)) == NULL) {
		ret = KP_ERR_SYS;
		goto out;
	}
	/* the organisation's own systems: configured subscriptions, delivery */
	if (gw->notifier != NULL && (kp_configured_subs_sync(gw->store,
	    cfg->subscriptions, err) != KP_OK ||
	    (notifyd = kp_notifyd_start(gw, err)) == NULL)) {
		ret = err->status;
		goto out;
	}
	if (cfg->sync_verify_interval > 0 && (schedule = kp_ticker_start(
	    "sync verify", cfg->sync_verify_interval * 1000, kp_sync_verify_all,
	    gw, err)) == NULL) {
		ret = KP_ERR_SYS;
		goto out;
	}
	if (cfg->checkpoint_interval > 0 && (checkpoints = kp_ticker_start(
	    "checkpoint", cfg->checkpoint_interval * 1000, kp_checkpoint_tick,
	    gw, err)) == NULL) {
		ret = KP_ERR_SYS;
		goto out;
	}
	/* Consent changes take effect within a second (consent.h). */
	if ((consents = kp_ticker_start("consent", 1000, kp_consent_tick,
	    &consent_schedule, err)) == NULL) {
		ret = KP_ERR_SYS;
		goto out;
	}
	kp_cert_watch(gw);
	if ((certwatch = kp_ticker_start("certificate watch", 3600 * 1000,
	    kp_cert_watch, gw, err)) == NULL) {
		ret = KP_ERR_SYS;
		goto out;
	}
	for (; started < nthreads; started++)
		if (pthread_create(&workers[started].thread, NULL, worker_main,
		    &workers[started]) != 0) {
			ret = kp_fail(err, KP_ERR_SYS, "cannot start worker thread");
			break;
		}
	if (ret == KP_OK) {
			log_info("ready: %s (OIN %s) listening on %s with %d workers, "
		    "%zu partner profiles", cfg->name, cfg->oin, cfg->listen,
		    nthreads, gw->profiles->n);
		event_base_dispatch(stopper.base);
	} else {
		for (int i = 0; i < started; i++)
			event_base_loopexit(workers[i].base, NULL);
	}
	{
		unsigned long served = 0, accepted = 0;

		for (int i = 0; i < started; i++) {
			pthread_join(workers[i].thread, NULL);
			accepted += workers[i].accepted;
		}
		/*
		 * Writes still queued are applied, and their answers handed to
		 * the workers' bases, which run once more to send them.
		 */
		kp_ticker_stop(schedule);
		schedule = NULL;
		kp_ticker_stop(consents);
		consents = NULL;
		kp_ticker_stop(checkpoints);
		checkpoints = NULL;
		kp_ticker_stop(certwatch);
		certwatch = NULL;
		kp_deliver_stop(deliver);
		deliver = NULL;
		kp_notifyd_stop(notifyd);
		notifyd = NULL;
		kp_store_writer_stop(gw->store);
		for (int i = 0; i < started; i++) {
			event_base_loop(workers[i].base, EVLOOP_NONBLOCK);
			event_base_loop(workers[i].base, EVLOOP_NONBLOCK);
			served += workers[i].served;
		}
		/* The last word: the chain's head, signed and witnessed. */
		kp_checkpoint_tick(gw);
		log_info("stopped: %lu requests answered on %lu connections",
		    served, accepted);
	}
out:
	kp_local_stop(local);
	kp_admin_stop(admin);
	kp_readapi_stop(readapi);
	kp_auditweb_stop(auditweb);
	kp_notifyd_stop(notifyd);
	kp_ticker_stop(certwatch);
	kp_ticker_stop(schedule);
	kp_ticker_stop(consents);
	kp_ticker_stop(checkpoints);
	kp_deliver_stop(deliver);
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	if (sighup != NULL)
		event_free(sighup);
	if (stopper.base != NULL)
		event_base_free(stopper.base);
	for (int i = 0; workers != NULL && i < nthreads; i++) {
		workers[i].stopping = 1;
		if (workers[i].http != NULL)
			evhttp_free(workers[i].http);	/* frees the listener too */
		else if (workers[i].listener != NULL)
			evconnlistener_free(workers[i].listener);
		kp_guard_free(workers[i].guard);
		if (workers[i].base != NULL)
			event_base_free(workers[i].base);
	}
	free(workers);
	if (fd >= 0)
		close(fd);
	SSL_CTX_free(stopper.ctx != NULL ? stopper.ctx : ctx);
	for (size_t i = 0; i < stopper.nold_ctx; i++)
		SSL_CTX_free(stopper.old_ctx[i]);
	free(stopper.old_ctx);
	return ret;
}
