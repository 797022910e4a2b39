/*
 * tlshttp — an HTTPS listener of our own for the local faces (the read
 * API, the auditor's web view): evhttp on a listening socket, each
 * connection a TLS bufferevent under a guard (guard.h: the deadlines and
 * limits of the partner listener, a connection authenticated once its
 * handshake completes), and the server context replaced on renewal while
 * connections made with the old one finish.
 */
#ifndef KP_TLSHTTP_H
#define KP_TLSHTTP_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "err.h"
#include "guard.h"

struct event_base;
struct evhttp;
struct evhttp_request;

struct kp_tlshttp_conf {
	const char		*listen;	/* address:port; named in errors */
	const char		*what;		/* "read_listen", in errors */
	struct kp_guard_limits	 limits;
	size_t			 max_body;
	int			 idle_timeout;	/* seconds */
	int			 methods;	/* EVHTTP_REQ_* allowed */
};

struct kp_tlshttp;

/* Listen; ctx is taken (freed by kp_tlshttp_stop); handle answers. */
struct kp_tlshttp *kp_tlshttp_start(struct event_base *base,
		    const struct kp_tlshttp_conf *conf, SSL_CTX *ctx,
		    void (*handle)(struct evhttp_request *, void *), void *arg,
		    struct kp_err *err);
/* New handshakes use ctx (taken); the old one stays until the stop. */
int		 kp_tlshttp_renew(struct kp_tlshttp *t, SSL_CTX *ctx);
struct kp_guard	*kp_tlshttp_guard(struct kp_tlshttp *t);
void		 kp_tlshttp_stop(struct kp_tlshttp *t);

/*
 * The TLS connection a request came on (NULL: none), for its peer
 * certificate and verification result.
 */
SSL		*kp_tlshttp_ssl(struct evhttp_request *req);

#endif
