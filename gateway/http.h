/*
 * http — what the three listeners (partner, local, admin) share: opening
 * a listening socket, sending a reply, the plain listeners' guard, and
 * refusing a body of ambiguous length.  server.c, admin.c and local.c
 * stand on it; none of them imports another.
 */
#ifndef KP_HTTP_H
#define KP_HTTP_H

#include <stddef.h>

#include "err.h"
#include "metrics.h"

struct event_base;
struct evhttp;
struct evhttp_request;
struct kp_config;
struct kp_guard;

/* Request line and headers of one request, at most (every listener). */
#define KP_HTTP_MAX_HEADERS	(16 * 1024)

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

#endif
