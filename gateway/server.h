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
 * What the three listeners share is http.h's.
 */
#ifndef KP_SERVER_H
#define KP_SERVER_H

#include "err.h"

struct kp_gateway;

/* Run until SIGTERM or SIGINT. */
int	kp_serve(struct kp_gateway *gw, struct kp_err *err);

#endif
