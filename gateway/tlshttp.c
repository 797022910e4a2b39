/*
 * tlshttp — an HTTPS listener for the local faces (tlshttp.h).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>

#include "guard.h"
#include "http.h"
#include "tlshttp.h"
#include "util.h"

struct kp_tlshttp {
	struct evhttp		*http;
	struct kp_guard		*guard;
	SSL_CTX			*ctx;		/* new handshakes */
	SSL_CTX			**old_ctx;	/* renewed: kept until stop */
	size_t			 nold_ctx;
};

/* One connection: the SSL's way back to its bufferevent for the guard. */
struct tconn {
	struct kp_tlshttp	*t;
	struct bufferevent	*bev;
};

static int tconn_index = -1;

static void
tconn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static void
tls_info(const SSL *ssl, int where, int ret)
{
	struct tconn *c;

	(void)ret;
	if ((where & SSL_CB_HANDSHAKE_DONE) &&
	    (c = SSL_get_ex_data(ssl, tconn_index)) != NULL && c->bev != NULL)
		kp_guard_authenticated(c->t->guard, c->bev);
}

static struct bufferevent *
new_bev(struct event_base *base, void *arg)
{
	struct kp_tlshttp *t = arg;
	SSL *ssl = SSL_new(t->ctx);
	struct tconn *c = calloc(1, sizeof(*c));

	if (ssl == NULL || c == NULL) {
		SSL_free(ssl);
		free(c);
		return NULL;
	}
	c->t = t;
	SSL_set_ex_data(ssl, tconn_index, c);	/* SSL_free frees c */
	SSL_set_info_callback(ssl, tls_info);
	if ((c->bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	if (kp_guard_adopt(t->guard, c->bev, NULL, NULL) != 0) {
		bufferevent_free(c->bev);
		return NULL;
	}
	return c->bev;
}

struct kp_tlshttp *
kp_tlshttp_start(struct event_base *base, const struct kp_tlshttp_conf *conf,
    SSL_CTX *ctx, void (*handle)(struct evhttp_request *, void *), void *arg,
    struct kp_err *err)
{
	struct kp_tlshttp *t;
	int fd;

	if (tconn_index == -1)
		tconn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL,
		    tconn_free);
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		SSL_CTX_free(ctx);
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	t->ctx = ctx;
	if ((fd = kp_open_listener(conf->listen, err)) < 0) {
		kp_tlshttp_stop(t);
		return NULL;
	}
	if ((t->http = evhttp_new(base)) == NULL ||
	    (t->guard = kp_guard_new(base, &conf->limits)) == NULL ||
	    evhttp_accept_socket_with_handle(t->http, fd) == NULL) {
		kp_fail(err, KP_ERR_SYS, "%s %s: cannot listen", conf->what,
		    conf->listen);
		close(fd);
		kp_tlshttp_stop(t);
		return NULL;
	}
	evhttp_set_bevcb(t->http, new_bev, t);
	evhttp_set_gencb(t->http, handle, arg);
	evhttp_set_max_headers_size(t->http, KP_HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(t->http, (ev_ssize_t)conf->max_body);
	evhttp_set_timeout(t->http, conf->idle_timeout);
	evhttp_set_allowed_methods(t->http, (ev_uint16_t)conf->methods);
	return t;
}

int
kp_tlshttp_renew(struct kp_tlshttp *t, SSL_CTX *ctx)
{
	SSL_CTX **v;

	if ((v = reallocarray(t->old_ctx, t->nold_ctx + 1, sizeof(*v))) ==
	    NULL) {
		SSL_CTX_free(ctx);
		return -1;
	}
	t->old_ctx = v;
	t->old_ctx[t->nold_ctx++] = t->ctx;
	t->ctx = ctx;
	return 0;
}

struct kp_guard *
kp_tlshttp_guard(struct kp_tlshttp *t)
{
	return t->guard;
}

void
kp_tlshttp_stop(struct kp_tlshttp *t)
{
	if (t == NULL)
		return;
	if (t->http != NULL)
		evhttp_free(t->http);
	kp_guard_free(t->guard);
	SSL_CTX_free(t->ctx);
	for (size_t i = 0; i < t->nold_ctx; i++)
		SSL_CTX_free(t->old_ctx[i]);
	free(t->old_ctx);
	free(t);
}

SSL *
kp_tlshttp_ssl(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev = conn != NULL ?
	    evhttp_connection_get_bufferevent(conn) : NULL;

	return bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;
}
