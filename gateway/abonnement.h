/*
 * abonnement — the subscriptions as the Notificaties API's abonnement
 * resource (issue 18), for both local interfaces: the read API over TCP
 * (readapi.h, JWT or client certificate) and the Unix socket (local.h).
 *
 *   POST   {base}/abonnement         an Abonnement: 201, Location, the
 *                                    Abonnement with its url (never auth)
 *   GET    {base}/abonnement         every one: 200, a JSON list
 *   GET    {base}/abonnement/UUID    one: 200, or 404
 *   DELETE {base}/abonnement/UUID    204 (what waited for it is dropped,
 *                                    logged); a configured one is 409:
 *                                    it is removed from the file
 *
 * Refusals are ZGW Fout objects (type, code, title, status, detail).
 * Without a read API (read_listen) every request is 409: notifications
 * would point nowhere.
 */
#ifndef KP_ABONNEMENT_H
#define KP_ABONNEMENT_H

#include <stddef.h>

struct kp_gateway;

/* The answer to one request. */
struct kp_answer {
	int	 status;
	char	*json;		/* malloc'd; NULL for none (204) */
	char	 location[512];	/* a 201's Location, or "" */
};

/*
 * method "GET", "POST" or "DELETE"; uuid NULL for the collection; body
 * (len bytes) for a POST.  who names the client for the log.
 */
void	kp_abonnement_handle(struct kp_gateway *gw, const char *method,
	    const char *uuid, const char *body, size_t len, const char *who,
	    struct kp_answer *a);
/* A ZGW Fout (malloc'd JSON). */
char	*kp_fout(int status, const char *code, const char *title,
	    const char *detail);

#endif
