/*
 * notifyd — the notification delivery worker inside serve (issue 18): it
 * POSTs each waiting notification (store_notify.h) to its subscription's
 * callbackUrl with the libcurl multi interface, in a thread of its own, so
 * a subscriber never holds up a partner's exchange.
 *
 *   - The request: the Message as application/json, Authorization: the
 *     subscription's auth, Idempotency-Key: the notification's own uuid
 *     (the same on every attempt, so a subscriber can tell a second
 *     delivery after a crash from a new notification).  No redirects.
 *   - Taken: any 2xx within notify_timeout; the notification is deleted.
 *   - Otherwise it is tried again with backoff (0.5 s doubling to a
 *     minute, jittered: kp_deliver_backoff_ms) until notify_park_after
 *     has passed since it was made; then it is parked with the last
 *     reason, and its citizen's later ones for that subscription wait.
 *   - In order per subscription and citizen: one in flight per citizen;
 *     at most KP_NOTIFY_PER_SUB in flight per subscription, so a slow
 *     subscriber takes only its own slots, never another's (up to
 *     KP_NOTIFY_INFLIGHT in all: 32 subscriptions that all hang before
 *     the others wait).  16 a subscription: a drain after an outage keeps
 *     up with the local change rate (bench_notify; 4 managed 0.4 of it).
 *   - With several nodes on one store, one node delivers (the singleton
 *     job "notify").
 *
 * A subscription that starts failing is logged once, and again when it
 * takes notifications again; never a notification's body.
 */
#ifndef KP_NOTIFYD_H
#define KP_NOTIFYD_H

#include <stdint.h>

#include "err.h"

#define KP_NOTIFY_POLL_MS	50
#define KP_NOTIFY_PER_SUB	16
#define KP_NOTIFY_INFLIGHT	512
#define KP_NOTIFY_MAX_SUBS	1024

struct kp_gateway;
struct kp_notifyd;

struct kp_notifyd	*kp_notifyd_start(struct kp_gateway *gw,
			    struct kp_err *err);
/* Stop: transfers in flight are abandoned; they stay waiting. */
void			 kp_notifyd_stop(struct kp_notifyd *d);

#endif
