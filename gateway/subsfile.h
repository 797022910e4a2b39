/*
 * subsfile — the configured subscriptions (the configuration's
 * `subscriptions` file, issue 18): a JSON list of Abonnementen, each with
 * a "naam" of its own that names it in the store, the log and `queue`:
 *
 *   [ { "naam": "zaaksysteem",
 *       "callbackUrl": "https://zaken.gemeente.local/api/notificaties",
 *       "auth": "Bearer …",
 *       "kanalen": [ { "naam": "klantcontacten" },
 *                    { "naam": "zaken", "filters": { "bron": "…" } } ] } ]
 *
 * Mode 0600 (auth is a secret).  Every entry is checked as the local
 * interface checks an Abonnement (notify.h), and a naam may be used once.
 */
#ifndef KP_SUBSFILE_H
#define KP_SUBSFILE_H

#include <stddef.h>

#include "err.h"

struct kp_configured_sub {
	char	*naam;
	char	*abonnement;	/* the entry without its naam, as JSON */
};

/*
 * Read and check the file: *v (n of them) to free with
 * kp_configured_subs_free; or KP_ERR_CONFIG with err naming the file, the
 * entry and what is wrong.
 */
int	kp_configured_subs_load(const char *path,
	    struct kp_configured_sub **v, size_t *n, struct kp_err *err);
void	kp_configured_subs_free(struct kp_configured_sub *v, size_t n);

struct kp_store;

/*
 * Take the file's subscriptions into the store (path NULL: none): each
 * added or replaced by its naam, those no longer in the file removed with
 * what waits for them (logged, with how many).
 */
int	kp_configured_subs_sync(struct kp_store *store, const char *path,
	    struct kp_err *err);

#endif
