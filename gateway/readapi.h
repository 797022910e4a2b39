/*
 * readapi — the local read API over TCP for the organisation's own
 * systems (issue 18): HTTPS on read_listen with our certificate, every
 * answer JSON with Cache-Control: no-store.
 *
 *   GET  /api/v1/dossiers/REF               a citizen's dossier: its records
 *   POST /api/v1/dossiers/_zoek             {"bsn": …} -> {"url": …}: the
 *                                           dossier's URL (no BSN in a URL)
 *   GET  /api/v1/zaken/REF (personen, klantcontacten, toestemmingen)
 *                                           one record; 404 once deleted
 *   …/abonnement[/UUID]                     the subscriptions (abonnement.h)
 *
 * Who may ask: a client certificate that chains to read_client_ca, or
 * Authorization: Bearer with a JWT of a client in read_clients
 * (localauth.h; iat at most KP_READ_JWT_MAX_AGE old, clock_skew ahead).
 * Otherwise 401 (a wrong path, method or body: 404, 405, 400), as a ZGW
 * Fout.  Every answer that shows a citizen's data is audited: direction
 * local, outcome "read", the client, what was read.
 *
 * Its guard (guard.h) gives it the partner listener's deadlines.  A
 * renewal of our certificate (SIGHUP) reaches it through
 * kp_readapi_renew().
 */
#ifndef KP_READAPI_H
#define KP_READAPI_H

#include "err.h"

#define KP_READ_JWT_MAX_AGE	300	/* seconds */
#define KP_READ_MAX_CONN	64
#define KP_READ_MAX_BODY	(64 * 1024)

struct event_base;
struct kp_gateway;
struct kp_readapi;

struct kp_readapi *kp_readapi_start(struct kp_gateway *gw,
		    struct event_base *base, struct kp_err *err);
/* New handshakes use the gateway's current certificate and key. */
void		 kp_readapi_renew(struct kp_readapi *r);
void		 kp_readapi_stop(struct kp_readapi *r);

#endif
