/*
 * server — the partner listener: HTTPS with mutual TLS (libevent evhttp on
 * bufferevent_openssl), POST /wus/v1 only.
 *
 * One listening socket shared by N worker threads, each with its own event
 * base and evhttp.  A worker runs the CPU-bound stages (parse, verify, sign)
 * of a request itself, hands the durable write to the store's group-commit
 * writer and goes on with other connections; when the write is durable the
 * answer is sent from the same worker.  Each worker caps its open
 * connections by pausing its accept when full; when too many writes wait
 * for the store, new requests get 503 with Retry-After.
 * SIGTERM/SIGINT: stop accepting, let requests in flight finish, exit.
 */
#ifndef KP_SERVER_H
#define KP_SERVER_H

#include "err.h"

struct kp_gateway;

/*
 * A listening TCP socket (non-blocking, close-on-exec) on "host:port",
 * "[v6]:port" or ":port"; or -1 with err.
 */
int	kp_open_listener(const char *listen_spec, struct kp_err *err);

/* Run until SIGTERM or SIGINT. */
int	kp_serve(struct kp_gateway *gw, struct kp_err *err);

#endif
