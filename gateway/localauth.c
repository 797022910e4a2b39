/*
 * localauth — JWT clients of the local read API (localauth.h).
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/crypto.h>

#include "localauth.h"
#include "util.h"

struct client {
	char		*id;
	unsigned char	*secret;
	size_t		 len;
};

struct kp_jwt_clients {
	struct client	*v;
	size_t		 n;
};

void
kp_jwt_clients_free(struct kp_jwt_clients *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].id);
		if (c->v[i].secret != NULL)
			OPENSSL_clear_free(c->v[i].secret, c->v[i].len);
	}
	free(c->v);
	free(c);
}

size_t
kp_jwt_clients_count(const struct kp_jwt_clients *c)
{
	return c != NULL ? c->n : 0;
}

static const struct client *
find(const struct kp_jwt_clients *c, const char *id)
{
	for (size_t i = 0; id != NULL && i < c->n; i++)
		if (strcmp(c->v[i].id, id) == 0)
			return &c->v[i];
	return NULL;
}

struct kp_jwt_clients *
kp_jwt_clients_parse(const char *json, size_t len, const char *path,
    struct kp_err *err)
{
	struct kp_jwt_clients *c;
	json_error_t jerr;
	json_t *doc, *item;
	size_t i;

	if ((doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		kp_fail(err, KP_ERR_CONFIG, "%s: not JSON: %s (line %d)", path,
		    jerr.text, jerr.line);
		return NULL;
	}
	if (!json_is_array(doc) || (c = calloc(1, sizeof(*c))) == NULL ||
	    (json_array_size(doc) > 0 && (c->v = calloc(json_array_size(doc),
	    sizeof(*c->v))) == NULL)) {
		kp_fail(err, KP_ERR_CONFIG, "%s: a list of clients "
		    "([{\"client_id\": ..., \"secret\": ...}]) is expected",
		    path);
		json_decref(doc);
		return NULL;
	}
	json_array_foreach(doc, i, item) {
		const char *id = json_string_value(json_object_get(item,
		    "client_id"));
		json_t *secret = json_object_get(item, "secret");

		if (id == NULL || id[0] == '\0' || strlen(id) > 200) {
			kp_fail(err, KP_ERR_CONFIG, "%s: client %zu: client_id "
			    "must be a text of 1 to 200 characters", path, i + 1);
			goto fail;
		}
		if (find(c, id) != NULL) {
			kp_fail(err, KP_ERR_CONFIG, "%s: client %s given twice",
			    path, id);
			goto fail;
		}
		if (!json_is_string(secret) ||
		    json_string_length(secret) < KP_JWT_SECRET_MIN) {
			kp_fail(err, KP_ERR_CONFIG, "%s: client %s: the secret "
			    "must be a text of at least %d characters", path, id,
			    KP_JWT_SECRET_MIN);
			goto fail;
		}
		c->v[c->n].len = json_string_length(secret);
		if ((c->v[c->n].id = strdup(id)) == NULL ||
		    (c->v[c->n].secret = malloc(c->v[c->n].len)) == NULL) {
			kp_fail(err, KP_ERR_NOMEM, "out of memory");
			free(c->v[c->n].id);
			goto fail;
		}
		memcpy(c->v[c->n].secret, json_string_value(secret),
		    c->v[c->n].len);
		c->n++;
	}
	json_decref(doc);
	return c;
fail:
	json_decref(doc);
	kp_jwt_clients_free(c);
	return NULL;
}

struct kp_jwt_clients *
kp_jwt_clients_load(const char *path, struct kp_err *err)
{
	struct kp_jwt_clients *c;
	char *text;
	size_t n;

	if (kp_read_secret_file(path, "the clients' secrets", 1024 * 1024,
	    &text, &n, err) != KP_OK) {
		err->status = KP_ERR_CONFIG;
		return NULL;
	}
	c = kp_jwt_clients_parse(text, n, path, err);
	OPENSSL_clear_free(text, n + 1);
	return c;
}

int
kp_jwt_check(const struct kp_jwt_clients *c, const char *authorization,
    int64_t now_s, int max_age, int leeway, const char **client, char *why,
    size_t whylen)
{
	const struct client *cl;
	const char *token, *id;
	jwt_t *peek = NULL, *jwt = NULL;
	long iat, exp;
	int status = 401;

	*client = NULL;
	if (authorization == NULL || strncmp(authorization, "Bearer ", 7) != 0) {
		snprintf(why, whylen, "no Authorization: Bearer <JWT>");
		return 401;
	}
	token = authorization + 7;
	if (strlen(token) > KP_JWT_MAX) {
		snprintf(why, whylen, "the token is longer than %d bytes",
		    KP_JWT_MAX);
		return 401;
	}
	/* unverified, only to learn whose secret to verify it with */
	if (jwt_decode(&peek, token, NULL, 0) != 0) {
		snprintf(why, whylen, "the token is not a JWT");
		return 401;
	}
	id = jwt_get_grant(peek, "client_id");
	if (id == NULL)
		id = jwt_get_grant(peek, "iss");
	if ((cl = find(c, id)) == NULL) {
		snprintf(why, whylen, "the token's client is not one of ours");
		goto out;
	}
	if (jwt_decode(&jwt, token, cl->secret, (int)cl->len) != 0 ||
	    jwt_get_alg(jwt) != JWT_ALG_HS256) {
		snprintf(why, whylen, "the token is not signed HS256 with "
		    "client %.64s's secret", cl->id);
		goto out;
	}
	/* the verified token must name the same client */
	id = jwt_get_grant(jwt, "client_id");
	if (id == NULL)
		id = jwt_get_grant(jwt, "iss");
	if (id == NULL || strcmp(id, cl->id) != 0) {
		snprintf(why, whylen, "the token's client is not one of ours");
		goto out;
	}
	errno = 0;
	iat = jwt_get_grant_int(jwt, "iat");
	if (errno != 0) {
		snprintf(why, whylen, "the token has no iat");
		goto out;
	}
	if (iat > now_s + leeway || now_s - iat > max_age) {
		snprintf(why, whylen, "the token was issued %s (iat): make a "
		    "new one", iat > now_s ? "in the future" : "too long ago");
		goto out;
	}
	errno = 0;
	exp = jwt_get_grant_int(jwt, "exp");
	if (errno == 0 && exp + leeway < now_s) {
		snprintf(why, whylen, "the token has expired (exp)");
		goto out;
	}
	*client = cl->id;
	status = 0;
out:
	jwt_free(peek);
	jwt_free(jwt);
	return status;
}
