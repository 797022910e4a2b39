/*
 * notifyq — the notifications made in the transaction of the change they
 * tell of (issue 18).  Attached to the store as its change hook
 * (store.h), the notifier hears of every record change (records.c says
 * which: a partner's notice applied, a local change, a deletion, a copy
 * retracted, a consent), makes its Message once (notify.h) and queues it
 * for every subscription it matches (store_notify.h).  The subscriptions
 * are read from the store and cached until they change, on any node.
 *
 * A change commits with its notifications or not at all: a failure to
 * queue one undoes the change, which its sender then resends.
 */
#ifndef KP_NOTIFYQ_H
#define KP_NOTIFYQ_H

#include <stdint.h>

#include "err.h"

struct kp_store;
struct kp_notifier;

/*
 * A notifier whose resourceUrls start with base_url (the local read
 * API's, e.g. https://zaak.gemeente.local:8444/api/v1) and that calls
 * changes made here ours (our_oin).
 */
struct kp_notifier *kp_notifier_new(const char *base_url, const char *our_oin,
		    struct kp_err *err);
/* Tell n of store's changes from now on. */
void		 kp_notifier_attach(struct kp_notifier *n, struct kp_store *store);
/* Detached from store first. */
void		 kp_notifier_free(struct kp_notifier *n, struct kp_store *store);

#endif
