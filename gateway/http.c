/*
 * http — what the three listeners (partner, local, admin) share: a
 * listening socket, a reply, the plain listeners' guard, and the refusal
 * of a body whose length is ambiguous (http.h).  Below server.c, admin.c
 * and local.c, so that none of them imports another.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "config.h"
#include "guard.h"
#include "http.h"

int
kp_open_listener(const char *listen_spec, struct kp_err *err)
{
	struct addrinfo hints, *res = NULL;
	char host[256], *colon;
	const char *port;
	int fd = -1, one = 1, rc;

	snprintf(host, sizeof(host), "%s", listen_spec);
	if ((colon = strrchr(host, ':')) == NULL)
		return kp_fail(err, KP_ERR_CONFIG, "listen %s: no port", listen_spec);
	*colon = '\0';
	port = colon + 1;
	if (host[0] == '[') {
		size_t n = strlen(host);

		memmove(host, host + 1, n);
		if (n >= 2 && host[n - 2] == ']')
			host[n - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
	if ((rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res)) != 0)
		return kp_fail(err, KP_ERR_CONFIG, "listen %s: %s", listen_spec,
		    gai_strerror(rc));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    /* Inherited by accepted sockets: no Nagle delay on answers. */
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, 1024) == -1) {
		rc = errno;
		if (fd != -1)
			close(fd);
		freeaddrinfo(res);
		return kp_fail(err, KP_ERR_SYS, "listen %s: %s", listen_spec,
		    strerror(rc));
	}
	freeaddrinfo(res);
	return fd;
}

void
kp_http_reply(struct evhttp_request *req, int code, const char *reason,
    const char *type, const char *text, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evbuffer_new();

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (out != NULL)
		evbuffer_add(out, text, len);
	evhttp_send_reply(req, code, reason, out);
	if (out != NULL)
		evbuffer_free(out);
}

void
kp_http_reply_text(struct evhttp_request *req, int code, const char *reason,
    const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (len < 0) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	kp_http_reply(req, code, reason, "text/plain; charset=utf-8", text,
	    (size_t)len);
	free(text);
}

struct kp_guard *
kp_http_plain_guard(struct evhttp *http, struct event_base *base,
    enum kp_listener listener, int max_conn, const struct kp_config *cfg)
{
	struct kp_guard_limits limits = {
		.listener = listener, .tls = 0, .max_conn = max_conn,
		.header_ms = (int)cfg->header_timeout * 1000,
		.min_body_rate = cfg->min_body_rate,
	};
	struct kp_guard *g = kp_guard_new(base, &limits);

	if (g != NULL) {
		evhttp_set_bevcb(http, kp_guard_plain_bevcb, g);
		evhttp_set_max_headers_size(http, KP_HTTP_MAX_HEADERS);
	}
	return g;
}

int
kp_http_framing_refused(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *length = NULL, *why = NULL;
	int te = 0;

	for (struct evkeyval *kv = h->tqh_first; kv != NULL;
	    kv = kv->next.tqe_next) {
		if (strcasecmp(kv->key, "Transfer-Encoding") == 0)
			te = 1;
		else if (strcasecmp(kv->key, "Content-Length") != 0)
			continue;
		else if (length == NULL)
			length = kv->value;
		else if (strcmp(length, kv->value) != 0)
			why = "two different Content-Length headers";
	}
	if (why == NULL && te && length != NULL)
		why = "both Content-Length and Transfer-Encoding";
	if (why == NULL)
		return 0;
	/* the body's end is in doubt, and so is what follows it: close */
	evhttp_add_header(evhttp_request_get_output_headers(req), "Connection",
	    "close");
	kp_http_reply_text(req, 400, "Bad Request", "%s: the body's length is "
	    "ambiguous; send one Content-Length (or chunked alone)\n", why);
	return 1;
}
