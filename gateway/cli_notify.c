/*
 * cli_notify — the notifications in `ketenpoort queue` (issue 18):
 *
 *   queue notifications -c FILE      every subscription: what waits for it,
 *                                    what is parked, the oldest, the last
 *                                    failure (never its auth)
 *   queue notify-retry -c FILE [UUID] parked notifications (of one
 *                                    subscription) tried again now
 *
 * Both work on the store directly (the daemon's worker reads it), so
 * they work with the gateway running or not.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gateway.h"
#include "notify.h"
#include "store_notify.h"
#include "util.h"

static int
print_sub(void *arg, const struct kp_subscription_row *s)
{
	struct kp_subscription *sub;
	struct kp_err err;
	int64_t now = kp_now_ms();

	(*(int *)arg)++;
	sub = kp_subscription_parse(s->abonnement, strlen(s->abonnement), &err);
	printf("%s %s -> %s\n", s->name != NULL ? s->name : "(made by a client)",
	    s->uuid, sub != NULL ? kp_subscription_callback(sub) :
	    "(cannot be read)");
	if (s->pending + s->parked == 0)
		printf("  nothing waits\n");
	else
		printf("  %lld waiting, %lld parked; the oldest made %lld s ago\n",
		    (long long)s->pending, (long long)s->parked,
		    (long long)((now - s->oldest_ms) / 1000));
	if (s->last_error != NULL)
		printf("  last failure: %s\n", s->last_error);
	kp_subscription_free(sub);
	return 0;
}

int
kp_cli_queue_notify(const char *path, const char *verb, const char *uuid)
{
	struct kp_gateway *gw;
	struct kp_err err;
	int64_t n;
	int count = 0, ret = 2;

	if ((gw = kp_gateway_open(path, 0, stderr, &err)) == NULL)
		return 2;
	if (strcmp(verb, "notifications") == 0) {
		if (kp_store_subscription_each(gw->store, uuid, print_sub, &count,
		    &err) != KP_OK)
			fprintf(stderr, "ketenpoort queue: %s\n", err.msg);
		else {
			if (count == 0)
				printf("no subscriptions%s\n", uuid != NULL ?
				    " with that uuid" : "");
			ret = uuid != NULL && count == 0 ? 1 : 0;
		}
	} else if (kp_store_notify_retry(gw->store, uuid, &n, &err) != KP_OK) {
		fprintf(stderr, "ketenpoort queue: %s\n", err.msg);
	} else {
		printf("%lld parked notification%s pending again; the worker "
		    "sends them now\n", (long long)n, n == 1 ? "" : "s");
		ret = 0;
	}
	kp_gateway_close(gw);
	return ret;
}
