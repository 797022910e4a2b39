/*
 * abonnement — the subscriptions as a resource (abonnement.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "abonnement.h"
#include "config.h"
#include "gateway.h"
#include "log.h"
#include "notify.h"
#include "store_notify.h"

char *
kp_fout(int status, const char *code, const char *title, const char *detail)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s}", "type",
	    "about:blank", "code", code, "title", title, "status", status,
	    "detail", detail != NULL ? detail : "");
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT |
	    JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	return text;
}

static void
fail(struct kp_answer *a, int status, const char *code, const char *title,
    const char *detail)
{
	a->status = status;
	a->json = kp_fout(status, code, title, detail);
}

/* The subscriptions listed, shown as a client sees them. */
struct listing {
	const char	*base;
	json_t		*list;
	int		 failed;
};

static int
list_row(void *arg, const struct kp_subscription_row *r)
{
	struct listing *l = arg;
	struct kp_subscription *s;
	struct kp_err err;
	char url[512], *shown;
	json_t *o;

	if ((s = kp_subscription_parse(r->abonnement, strlen(r->abonnement),
	    &err)) == NULL)
		return 0;	/* another program's: not shown */
	snprintf(url, sizeof(url), "%s/abonnement/%s", l->base, r->uuid);
	shown = kp_subscription_shown(s, url);
	kp_subscription_free(s);
	if (shown == NULL || (o = json_loads(shown, 0, NULL)) == NULL ||
	    json_array_append_new(l->list, o) != 0)
		l->failed = 1;
	free(shown);
	return l->failed;
}

/* A configured one is the file's to change. */
static int
named(void *arg, const struct kp_subscription_row *r)
{
	snprintf(arg, 80, "%s", r->name != NULL ? r->name : "");
	return 1;
}

static void
get(struct kp_gateway *gw, const char *uuid, struct kp_answer *a)
{
	struct listing l = { gw->cfg->read_url, json_array(), 0 };
	struct kp_err err;

	if (l.list == NULL) {
		fail(a, 500, "nomem", "Out of memory", NULL);
		return;
	}
	if (kp_store_subscription_each(gw->store, uuid, list_row, &l, &err) !=
	    KP_OK) {
		fail(a, 503, "store", "The store cannot be read", err.msg);
	} else if (l.failed) {
		fail(a, 500, "nomem", "Out of memory", NULL);
	} else if (uuid != NULL && json_array_size(l.list) == 0) {
		fail(a, 404, "not_found", "No such abonnement", uuid);
	} else {
		a->status = 200;
		a->json = json_dumps(uuid != NULL ? json_array_get(l.list, 0) :
		    l.list, JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	json_decref(l.list);
}

static void
post(struct kp_gateway *gw, const char *body, size_t len, const char *who,
    struct kp_answer *a)
{
	struct kp_subscription *s;
	char uuid[KP_REF_LEN], url[512];
	struct kp_err err;

	if ((s = kp_subscription_parse(body, len, &err)) == NULL) {
		fail(a, 400, "invalid", "The abonnement is not valid", err.msg);
		return;
	}
	if (kp_store_subscription_put(gw->store, NULL, body == NULL ? "" :
	    body, uuid, &err) != KP_OK) {
		kp_subscription_free(s);
		fail(a, 503, "store", "The abonnement cannot be stored; try "
		    "again", err.msg);
		return;
	}
	snprintf(url, sizeof(url), "%s/abonnement/%s", gw->cfg->read_url, uuid);
	log_info("subscription %s made by %s: %s", uuid, who,
	    kp_subscription_callback(s));
	a->status = 201;
	a->json = kp_subscription_shown(s, url);
	snprintf(a->location, sizeof(a->location), "%s", url);
	kp_subscription_free(s);
}

static void
delete(struct kp_gateway *gw, const char *uuid, const char *who,
    struct kp_answer *a)
{
	char name[80] = "";
	int64_t dropped;
	struct kp_err err;
	int found;

	if (kp_store_subscription_each(gw->store, uuid, named, name, &err) !=
	    KP_OK) {
		fail(a, 503, "store", "The store cannot be read", err.msg);
		return;
	}
	if (name[0] != '\0') {
		char why[200];

		snprintf(why, sizeof(why), "abonnement %s is configured (naam "
		    "%s): remove it from the subscriptions file", uuid, name);
		fail(a, 409, "configured", "A configured abonnement", why);
		return;
	}
	if (kp_store_subscription_delete(gw->store, uuid, &found, &dropped,
	    &err) != KP_OK) {
		fail(a, 503, "store", "The abonnement cannot be removed; try "
		    "again", err.msg);
		return;
	}
	if (!found) {
		fail(a, 404, "not_found", "No such abonnement", uuid);
		return;
	}
	log_info("subscription %s removed by %s; %lld notifications waiting "
	    "for it dropped", uuid, who, (long long)dropped);
	a->status = 204;
}

void
kp_abonnement_handle(struct kp_gateway *gw, const char *method,
    const char *uuid, const char *body, size_t len, const char *who,
    struct kp_answer *a)
{
	memset(a, 0, sizeof(*a));
	if (gw->cfg->read_url == NULL || gw->store == NULL)
		fail(a, 409, "no_read_api", "No read API", "notifications point "
		    "at the read API: configure read_listen first");
	else if (strcmp(method, "GET") == 0)
		get(gw, uuid, a);
	else if (strcmp(method, "POST") == 0 && uuid == NULL)
		post(gw, body, len, who, a);
	else if (strcmp(method, "DELETE") == 0 && uuid != NULL)
		delete(gw, uuid, who, a);
	else
		fail(a, 405, "method", "Method not allowed", uuid == NULL ?
		    "GET or POST on the collection" : "GET or DELETE on one");
}
