/*
 * admin — the operator's listener (admin_listen): plain HTTP, meant for
 * loopback or a management network, never for partners.  It answers
 *
 *   GET /healthz   200 "ready" or 503 "not ready", then one line per check
 *                  ("ok" or "FAIL", what, and what to do)
 *   GET /metrics   the Prometheus text format (metrics.h)
 *
 * and nothing else; it reads, it never changes anything.  It runs on the
 * daemon's main event base.
 */
#ifndef KP_ADMIN_H
#define KP_ADMIN_H

#include <stdio.h>

#include "err.h"

struct event_base;
struct kp_gateway;
struct kp_admin;

/* A certificate this close to its notAfter is warned about. */
#define KP_CERT_WARN_DAYS	30

struct kp_admin	*kp_admin_start(struct kp_gateway *gw, struct event_base *base,
		    struct kp_err *err);
void		 kp_admin_stop(struct kp_admin *a);

/*
 * The readiness checks: store, key, own certificate, partners.  Writes one
 * line per check to out (may be NULL); returns how many failed.
 */
int		 kp_health(struct kp_gateway *gw, FILE *out);

/*
 * Log a warning for our certificate and each partner's newest one that
 * expires within KP_CERT_WARN_DAYS (at most once a day each); the ticker's
 * job.  arg: the gateway.
 */
void		 kp_cert_watch(void *arg);

#endif
