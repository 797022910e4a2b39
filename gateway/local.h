/*
 * local — the local interface: HTTP over a Unix socket for the party's own
 * systems (a case system, the KCC), never over the network.
 *
 *   POST /dossier          body: kd:lokaleWijziging  -> 200 text, or 422
 *                          "KPnnn: what" (nothing stored)
 *   GET  /dossier?bsn=N    -> 200 application/json, the dossier as held
 *   GET  /context, /queue, /sync: a partner's context, the outbox, the
 *                          links (JSON)
 *   POST /consent/..., /queue/..., /sync/repair: the operator's commands
 *                          (local_write.c), so that a running gateway's
 *                          writer is the store's only writer
 *
 * Protection is the file system: the socket is created mode 0660, so only
 * the gateway's user and group can connect; give the group to the systems
 * that may change the dossier.  Requests are handled in the thread of the
 * event base it is attached to (the main thread in serve).
 */
#ifndef KP_LOCAL_H
#define KP_LOCAL_H

#include "err.h"

struct event_base;
struct kp_gateway;
struct kp_local;

struct kp_local	*kp_local_start(struct kp_gateway *gw, struct event_base *base,
		    struct kp_err *err);
void		 kp_local_stop(struct kp_local *l);

#endif
