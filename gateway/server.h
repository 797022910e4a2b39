/*
 * server — the partner listener: HTTPS with mutual TLS (libevent evhttp on
 * bufferevent_openssl), POST /wus/v1 only.
 *
 * One listening socket shared by N worker threads, each with its own event
 * base and evhttp.  A worker runs the CPU-bound stages (parse, verify, sign)
 * of a request itself, hands the durable write to the store's group-commit
 * writer and goes on with other connections; when the write is durable the
 * answer is sent from the same worker.  Each worker's connection guard
 * (guard.h) holds the deadlines and caps that keep sockets which never
 * authenticate from taking a partner's slot; the worker pauses its accept
 * only when every cap is taken.  When too many writes wait for the store,
 * new requests get 503 with Retry-After.
 * SIGTERM/SIGINT: stop accepting, let requests in flight finish, exit.
 *
 * Also what the three listeners (partner, local, admin) share: opening a
 * listening socket and sending a reply.
 */
#ifndef KP_SERVER_H
#define KP_SERVER_H

#include <stddef.h>

#include "err.h"
#include "metrics.h"

/* Request line and headers of one request, at most (every listener). */
#define KP_HTTP_MAX_HEADERS	(16 * 1024)

struct event_base;
struct evhttp;
struct evhttp_request;
struct kp_config;
struct kp_gateway;
struct kp_guard;

/*
 * A listening TCP socket (non-blocking, close-on-exec) on "host:port",
 * "[v6]:port" or ":port"; or -1 with err.
 */
int	kp_open_listener(const char *listen_spec, struct kp_err *err);

/*
 * Answer req with code and len bytes of text as Content-Type type, never
 * to be cached (Cache-Control: no-store: what it says may be a dossier).
 */
void	kp_http_reply(struct evhttp_request *req, int code, const char *reason,
	    const char *type, const char *text, size_t len);
/* The same with formatted text/plain. */
void	kp_http_reply_text(struct evhttp_request *req, int code,
	    const char *reason, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/*
 * The local and admin listeners' guard (guard.h): header size and time,
 * body rate, at most max_conn connections (the one idle longest makes
 * room).  Free it after the evhttp.
 */
struct kp_guard *kp_http_plain_guard(struct evhttp *http,
	    struct event_base *base, enum kp_listener listener, int max_conn,
	    const struct kp_config *cfg);

/*
 * A request whose body's length is ambiguous (two different Content-Length
 * headers, or Content-Length with Transfer-Encoding) is answered 400 and
 * its connection closed: 1.  Every listener asks first.
 */
int	kp_http_framing_refused(struct evhttp_request *req);

/* Run until SIGTERM or SIGINT. */
int	kp_serve(struct kp_gateway *gw, struct kp_err *err);

#endif
