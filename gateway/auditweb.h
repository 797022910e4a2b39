/*
 * auditweb — the auditor's web view (issue 17): the audit log in a
 * browser, HTTPS on audit_listen with our certificate, for auditors with
 * a client certificate under auditor_ca whose subject is in auditors
 * (auditors.h); anyone else gets a page that says why, and nothing else.
 *
 *   GET  /                      overview: the chain, checkpoints, the
 *                               last verification, exchanges per partner
 *                               per day, refusals by code
 *   GET  /zoeken                the search form
 *   POST /zoeken                a search (a BSN typed is pseudonymised
 *                               here and kept with the search on the
 *                               server): 303 to /zoeken/TOKEN, so that no
 *                               BSN is in a URL or the browser's history
 *   GET  /zoeken/TOKEN[?voor=N] its results, newest first, a page at a time
 *   GET  /regel/SEQ             one entry, with its neighbours and message
 *   GET  /bericht/ID[?controleer=1]  one message: its entries, the
 *                               disclosure decision, its signature
 *                               verified again on request
 *   GET  /bericht/ID/bytes      its signed bytes, as received or sent
 *   GET  /inzage/TOKEN[.csv|.json]  the citizen's access report (inzage.h)
 *   GET  /controle, POST /controle  audit verify: start it, see it run
 *   GET  /controle/status       its progress as JSON, for the page's script
 *
 * Read-only but for starting a verification (a CSRF token bound to the
 * auditor's certificate).  Every page that shows a citizen's data writes
 * an audit entry (local, outcome "viewed", which auditor, what) that the
 * citizen's inzage lists.  Every page: a strict Content-Security-Policy
 * (nothing inline, nothing from elsewhere), Cache-Control: no-store,
 * every value escaped.
 */
#ifndef KP_AUDITWEB_H
#define KP_AUDITWEB_H

#include "err.h"

#define KP_AUDITWEB_MAX_CONN	32
#define KP_AUDITWEB_MAX_BODY	(16 * 1024)
#define KP_AUDITWEB_PAGE	50	/* entries a page */

struct event_base;
struct kp_gateway;
struct kp_auditweb;

struct kp_auditweb *kp_auditweb_start(struct kp_gateway *gw,
		    struct event_base *base, struct kp_err *err);
/* New handshakes use the gateway's current certificate and key. */
void		 kp_auditweb_renew(struct kp_auditweb *a);
/* SIGHUP: the auditors file read again (a broken one: the old list stays). */
void		 kp_auditweb_reload(struct kp_auditweb *a);
void		 kp_auditweb_stop(struct kp_auditweb *a);

#endif
