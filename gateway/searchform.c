/*
 * searchform — the auditor's search form read (searchform.h).
 */
#include "autoconf.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "kd.h"
#include "searchform.h"
#include "util.h"

static const char *
field(struct evkeyvalq *form, const char *name)
{
	const char *v = evhttp_find_header(form, name);

	return v != NULL ? v : "";
}

/* Copy a value into out when it is made only of allowed bytes. */
static int
take(const char *v, const char *allowed, char *out, size_t outlen)
{
	size_t len = strlen(v);

	if (len >= outlen || strspn(v, allowed) != len)
		return -1;
	memcpy(out, v, len + 1);
	return 0;
}

static const char *
fields_of(struct evkeyvalq *form, struct kp_search *s, char bsn[16])
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
	static const char code[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	    "nopqrstuvwxyz0123456789";

	if (take(field(form, "bsn"), "0123456789", bsn, 16) != 0 ||
	    (bsn[0] != '\0' && !kp_bsn_valid(bsn)))
		return "Het burgerservicenummer klopt niet: het moet uit negen "
		    "cijfers bestaan en de elfproef doorstaan.";
	if (take(field(form, "partner"), "0123456789", s->partner,
	    sizeof(s->partner)) != 0 || (s->partner[0] != '\0' &&
	    strlen(s->partner) != 20))
		return "Kies een partner uit de lijst.";
	if (take(field(form, "van"), "0123456789-", s->from,
	    sizeof(s->from)) != 0 || take(field(form, "tot"), "0123456789-",
	    s->until, sizeof(s->until)) != 0 ||
	    (s->from[0] != '\0' && strlen(s->from) != 10) ||
	    (s->until[0] != '\0' && strlen(s->until) != 10))
		return "Een datum schrijft u als jjjj-mm-dd.";
	if (take(field(form, "richting"), letters, s->direction,
	    sizeof(s->direction)) != 0 || (s->direction[0] != '\0' &&
	    strcmp(s->direction, "in") != 0 && strcmp(s->direction, "out") != 0 &&
	    strcmp(s->direction, "local") != 0) ||
	    take(field(form, "uitkomst"), letters, s->outcome,
	    sizeof(s->outcome)) != 0 ||
	    take(field(form, "soort"), code, s->kind, sizeof(s->kind)) != 0)
		return "Kies richting, uitkomst en soort uit de lijsten.";
	return NULL;
}

/* The form read; with s NULL only its token is checked. */
static enum kp_form_verdict
read_form(const char *body, size_t len, const char *csrf,
    struct kp_search *s, char bsn[16], const char **why)
{
	struct evkeyvalq form;
	enum kp_form_verdict v = KP_FORM_OK;
	const char *token;
	char *copy;

	if (s != NULL) {
		memset(s, 0, sizeof(*s));
		bsn[0] = '\0';
	}
	*why = NULL;
	TAILQ_INIT(&form);
	/* a NUL inside is the end of what a form can say */
	if ((copy = malloc(len + 1)) == NULL) {
		*why = "Het formulier kon niet worden gelezen.";
		return KP_FORM_INVALID;
	}
	memcpy(copy, body, len);
	copy[len] = '\0';
	if (evhttp_parse_query_str(copy, &form) != 0) {
		*why = "Het formulier kon niet worden gelezen.";
		v = KP_FORM_INVALID;
	} else if (strlen(token = field(&form, "csrf")) != 64 ||
	    CRYPTO_memcmp(token, csrf, 64) != 0) {
		v = KP_FORM_FORGED;
	} else if (s != NULL && (*why = fields_of(&form, s, bsn)) != NULL) {
		v = KP_FORM_INVALID;
	}
	/* every value may hold the BSN: wiped before it is let go */
	for (struct evkeyval *kv = TAILQ_FIRST(&form); kv != NULL;
	    kv = TAILQ_NEXT(kv, next))
		OPENSSL_cleanse(kv->value, strlen(kv->value));
	evhttp_clear_headers(&form);
	OPENSSL_cleanse(copy, len);
	free(copy);
	if (v != KP_FORM_OK && s != NULL) {
		OPENSSL_cleanse(s, sizeof(*s));
		OPENSSL_cleanse(bsn, 16);
	}
	return v;
}

enum kp_form_verdict
kp_search_form(const char *body, size_t len, const char *csrf,
    struct kp_search *s, char bsn[16], const char **why)
{
	return read_form(body, len, csrf, s, bsn, why);
}

enum kp_form_verdict
kp_form_token(const char *body, size_t len, const char *csrf)
{
	const char *why;

	return read_form(body, len, csrf, NULL, NULL, &why);
}
