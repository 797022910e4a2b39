/*
 * subsfile — the configured subscriptions (subsfile.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "log.h"
#include "notify.h"
#include "store_notify.h"
#include "subsfile.h"
#include "util.h"

#define NAAM_MAX	64

void
kp_configured_subs_free(struct kp_configured_sub *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].naam);
		if (v[i].abonnement != NULL)
			OPENSSL_clear_free(v[i].abonnement,
			    strlen(v[i].abonnement));
	}
	free(v);
}

/* A naam: 1 to 64 letters, digits, '-', '_' or '.'. */
static int
naam_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= NAAM_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

/* Entry i of list: checked, into *out. */
static int
entry(const char *path, size_t i, json_t *e, struct kp_configured_sub *v,
    struct kp_err *err)
{
	struct kp_subscription *s;
	const char *naam;
	json_t *copy;
	struct kp_err serr;
	char *text;

	if (!json_is_object(e))
		return kp_fail(err, KP_ERR_CONFIG, "%s: entry %zu is not an "
		    "object", path, i + 1);
	if ((naam = json_string_value(json_object_get(e, "naam"))) == NULL ||
	    !naam_valid(naam))
		return kp_fail(err, KP_ERR_CONFIG, "%s: entry %zu needs a "
		    "\"naam\" of 1 to %d letters, digits, '-', '_' or '.'", path,
		    i + 1, NAAM_MAX);
	for (size_t k = 0; k < i; k++)
		if (strcmp(v[k].naam, naam) == 0)
			return kp_fail(err, KP_ERR_CONFIG, "%s: entry %zu: naam "
			    "\"%s\" is used by entry %zu already", path, i + 1,
			    naam, k + 1);
	if ((copy = json_deep_copy(e)) == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	json_object_del(copy, "naam");
	text = json_dumps(copy, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(copy);
	if (text == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	if ((s = kp_subscription_parse(text, strlen(text), &serr)) == NULL) {
		OPENSSL_clear_free(text, strlen(text));
		return kp_fail(err, KP_ERR_CONFIG, "%s: entry %zu (%s): %s",
		    path, i + 1, naam, serr.msg);
	}
	kp_subscription_free(s);
	if ((v[i].naam = strdup(naam)) == NULL) {
		OPENSSL_clear_free(text, strlen(text));
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	}
	v[i].abonnement = text;
	return KP_OK;
}

int
kp_configured_subs_load(const char *path, struct kp_configured_sub **out,
    size_t *nout, struct kp_err *err)
{
	struct kp_configured_sub *v = NULL;
	json_error_t jerr;
	json_t *doc = NULL, *e;
	struct kp_err rerr;
	char *text = NULL;
	size_t len, i;
	int ret;

	*out = NULL;
	*nout = 0;
	if (kp_read_secret_file(path, "the subscriptions' auth values",
	    1024 * 1024, &text, &len, &rerr) != KP_OK)
		return kp_fail(err, KP_ERR_CONFIG, "%s", rerr.msg);
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	OPENSSL_clear_free(text, len + 1);
	if (doc == NULL)
		return kp_fail(err, KP_ERR_CONFIG, "%s:%d:%d: not JSON: %s",
		    path, jerr.line, jerr.column, jerr.text);
	if (!json_is_array(doc)) {
		ret = kp_fail(err, KP_ERR_CONFIG, "%s: a list of Abonnementen "
		    "([ {\"naam\": …, \"callbackUrl\": …, \"auth\": …, "
		    "\"kanalen\": […]} ]) is expected", path);
		goto out;
	}
	if ((v = calloc(json_array_size(doc) + 1, sizeof(*v))) == NULL) {
		ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(doc, i, e)
		if ((ret = entry(path, i, e, v, err)) != KP_OK) {
			kp_configured_subs_free(v, i + 1);
			v = NULL;
			goto out;
		}
	*out = v;
	*nout = json_array_size(doc);
	ret = KP_OK;
out:
	json_decref(doc);
	return ret;
}

static void
pruned(void *arg, const char *name, int64_t dropped)
{
	(void)arg;
	log_warnx("subscription %s is no longer configured: removed, with %lld "
	    "notifications that waited for it", name, (long long)dropped);
}

int
kp_configured_subs_sync(struct kp_store *st, const char *path,
    struct kp_err *err)
{
	struct kp_configured_sub *v = NULL;
	const char **names = NULL;
	char uuid[KP_REF_LEN];
	size_t n = 0;
	int ret;

	if (path != NULL &&
	    (ret = kp_configured_subs_load(path, &v, &n, err)) != KP_OK)
		return ret;
	if ((names = calloc(n + 1, sizeof(*names))) == NULL) {
		kp_configured_subs_free(v, n);
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	}
	ret = KP_OK;
	for (size_t i = 0; i < n && ret == KP_OK; i++) {
		names[i] = v[i].naam;
		ret = kp_store_subscription_put(st, v[i].naam, v[i].abonnement,
		    uuid, err);
	}
	if (ret == KP_OK)
		ret = kp_store_subscription_prune(st, names, n, pruned, NULL,
		    err);
	if (ret == KP_OK && n > 0)
		log_info("%zu configured subscriptions taken from %s", n, path);
	free(names);
	kp_configured_subs_free(v, n);
	return ret;
}
