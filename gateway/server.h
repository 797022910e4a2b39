/*
 * server — the partner listener: HTTPS with mutual TLS (libevent evhttp on
 * bufferevent_openssl), POST /wus/v1 only.
 *
 * One listening socket shared by N worker threads, each with its own event
 * base and evhttp; requests are handled to completion on the worker that
 * accepted them (the pipeline is CPU-bound: parse, verify, sign).  Each
 * worker caps its open connections by pausing its accept when full.
 * SIGTERM/SIGINT: stop accepting, let requests in flight finish, exit.
 */
#ifndef KP_SERVER_H
#define KP_SERVER_H

#include "err.h"

struct kp_gateway;

/* Run until SIGTERM or SIGINT. */
int	kp_serve(struct kp_gateway *gw, struct kp_err *err);

#endif
