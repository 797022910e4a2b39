/*
 * notify — Messages and Abonnementen (notify.h), with jansson.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kd.h"
#include "notify.h"
#include "util.h"

static const struct {
	const char	*type, *channel, *resource;
} channels[] = {
	{ "PRS", "personen", "persoon" },
	{ "ZAK", "zaken", "zaak" },
	{ "KCT", "klantcontacten", "klantcontact" },
	{ "TST", "toestemmingen", "toestemming" },
};

#define NCHANNELS (sizeof(channels) / sizeof(channels[0]))

static int
channel_of(const char *type)
{
	for (size_t i = 0; type != NULL && i < NCHANNELS; i++)
		if (strcmp(channels[i].type, type) == 0)
			return (int)i;
	return -1;
}

const char *
kp_notify_channel(const char *entiteittype)
{
	int c = channel_of(entiteittype);

	return c >= 0 ? channels[c].channel : NULL;
}

const char *
kp_notify_entiteittype(const char *channel)
{
	for (size_t i = 0; channel != NULL && i < NCHANNELS; i++)
		if (strcmp(channels[i].channel, channel) == 0)
			return channels[i].type;
	return NULL;
}

static const char *
herkomst_name(enum kp_herkomst h)
{
	switch (h) {
	case KP_HERKOMST_PARTNER:	return "partner";
	case KP_HERKOMST_LOKAAL:	return "lokaal";
	case KP_HERKOMST_INTREKKING:	return "intrekking";
	}
	return "lokaal";
}

/* A kenmerk from the record's fields, when it has it (1 to 1000 chars). */
static int
kenmerk_from_field(json_t *kenmerken, const char *fields, const char *name)
{
	char *v = fields != NULL ? kp_field_get(fields, name) : NULL;
	int ret = 0;

	if (v != NULL && v[0] != '\0' && strlen(v) <= 1000)
		ret = json_object_set_new(kenmerken, name, json_string(v));
	free(v);
	return ret;
}

char *
kp_notify_message(const struct kp_change *c, struct kp_err *err)
{
	json_t *m = NULL, *k;
	char when[32], *url = NULL, *main = NULL, *text = NULL;
	int ch = channel_of(c->entiteittype), bad;

	if (ch < 0) {
		kp_fail(err, KP_ERR_USAGE, "no channel for entiteittype %s",
		    c->entiteittype != NULL ? c->entiteittype : "(none)");
		return NULL;
	}
	if (c->record_ref == NULL || c->dossier_ref == NULL ||
	    c->base_url == NULL || c->bron == NULL || c->partij == NULL) {
		kp_fail(err, KP_ERR_USAGE, "a notification needs the record's "
		    "and the dossier's references, the base URL, bron and partij");
		return NULL;
	}
	kp_time_iso(c->at_ms, when);
	if (asprintf(&url, "%s/%s/%s", c->base_url, channels[ch].channel,
	    c->record_ref) == -1 || asprintf(&main, "%s/dossiers/%s",
	    c->base_url, c->dossier_ref) == -1) {
		free(url);
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	k = json_object();
	bad = k == NULL ||
	    json_object_set_new(k, "bron", json_string(c->bron)) != 0 ||
	    json_object_set_new(k, "entiteittype",
	    json_string(c->entiteittype)) != 0 ||
	    json_object_set_new(k, "partij", json_string(c->partij)) != 0 ||
	    json_object_set_new(k, "herkomst",
	    json_string(herkomst_name(c->herkomst))) != 0;
	if (!bad && strcmp(c->entiteittype, "ZAK") == 0)
		bad = kenmerk_from_field(k, c->fields, "zaaktype") != 0 ||
		    kenmerk_from_field(k, c->fields,
		    "vertrouwelijkheidaanduiding") != 0;
	if (!bad && strcmp(c->entiteittype, "KCT") == 0)
		bad = kenmerk_from_field(k, c->fields, "kanaal") != 0;
	/* a withdrawal, of a copy or of a consent, ends the resource */
	m = bad ? NULL : json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}",
	    "kanaal", channels[ch].channel,
	    "hoofdObject", main,
	    "resource", channels[ch].resource,
	    "resourceUrl", url,
	    "actie", c->mutatiesoort == 'V' ||
	    c->herkomst == KP_HERKOMST_INTREKKING ? "destroy" :
	    c->mutatiesoort == 'T' ? "create" : "update",
	    "aanmaakdatum", when,
	    "kenmerken", k);
	if (m != NULL)
		text = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text == NULL)
		kp_fail(err, KP_ERR_NOMEM, "cannot make the notification");
	json_decref(k);
	json_decref(m);
	free(url);
	free(main);
	return text;
}

struct kp_subscription {
	json_t	*doc;		/* the Abonnement as given */
};

/* A string field: present, a string, of min..max characters. */
static const char *
string_field(json_t *o, const char *name, size_t min, size_t max,
    struct kp_err *err)
{
	json_t *v = json_object_get(o, name);
	const char *s;

	if (v == NULL) {
		kp_fail(err, KP_ERR_USAGE, "%s is required", name);
		return NULL;
	}
	if (!json_is_string(v) || json_string_length(v) < min ||
	    json_string_length(v) > max) {
		kp_fail(err, KP_ERR_USAGE, "%s must be a text of %zu to %zu "
		    "characters", name, min, max);
		return NULL;
	}
	s = json_string_value(v);
	for (size_t i = 0; i < json_string_length(v); i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			/* auth and callbackUrl become a request's lines */
			kp_fail(err, KP_ERR_USAGE, "%s holds a control character "
			    "(at %zu)", name, i + 1);
			return NULL;
		}
	return s;
}

static int
check_kanalen(json_t *kanalen, struct kp_err *err)
{
	size_t i;
	json_t *kanaal;

	if (!json_is_array(kanalen) || json_array_size(kanalen) == 0)
		return kp_fail(err, KP_ERR_USAGE, "kanalen must be a list of at "
		    "least one channel");
	json_array_foreach(kanalen, i, kanaal) {
		const char *naam, *key;
		json_t *filters, *v;
		struct kp_err ferr;
		int known = 0;

		if (!json_is_object(kanaal))
			return kp_fail(err, KP_ERR_USAGE, "kanalen[%zu] must be an "
			    "object with naam and filters", i);
		if ((naam = string_field(kanaal, "naam", 1, 50, &ferr)) == NULL)
			return kp_fail(err, KP_ERR_USAGE, "kanalen[%zu]: %s", i,
			    ferr.msg);
		for (size_t c = 0; c < NCHANNELS; c++)
			known |= strcmp(channels[c].channel, naam) == 0;
		if (!known)
			return kp_fail(err, KP_ERR_USAGE, "kanalen[%zu]: no channel "
			    "\"%.50s\" (personen, zaken, klantcontacten, "
			    "toestemmingen)", i, naam);
		if ((filters = json_object_get(kanaal, "filters")) == NULL)
			continue;
		if (!json_is_object(filters))
			return kp_fail(err, KP_ERR_USAGE, "kanalen[%zu].filters "
			    "must be an object of kenmerk: value", i);
		json_object_foreach(filters, key, v)
			if (!json_is_string(v) || json_string_length(v) < 1 ||
			    json_string_length(v) > 1000)
				return kp_fail(err, KP_ERR_USAGE, "kanalen[%zu]."
				    "filters.%.50s must be a text of 1 to 1000 "
				    "characters", i, key);
	}
	return KP_OK;
}

struct kp_subscription *
kp_subscription_parse(const char *json, size_t len, struct kp_err *err)
{
	struct kp_subscription *s;
	json_error_t jerr;
	const char *url;
	json_t *doc;

	if ((doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		kp_fail(err, KP_ERR_USAGE, "not JSON: %s (line %d, column %d)",
		    jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(doc)) {
		kp_fail(err, KP_ERR_USAGE, "an abonnement is a JSON object");
		goto fail;
	}
	if ((url = string_field(doc, "callbackUrl", 1, 200, err)) == NULL ||
	    string_field(doc, "auth", 1, 1000, err) == NULL ||
	    check_kanalen(json_object_get(doc, "kanalen"), err) != KP_OK)
		goto fail;
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
		kp_fail(err, KP_ERR_USAGE, "callbackUrl must be an http or "
		    "https URL");
		goto fail;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		goto fail;
	}
	s->doc = doc;
	return s;
fail:
	json_decref(doc);
	return NULL;
}

void
kp_subscription_free(struct kp_subscription *s)
{
	if (s == NULL)
		return;
	json_decref(s->doc);
	free(s);
}

const char *
kp_subscription_callback(const struct kp_subscription *s)
{
	return json_string_value(json_object_get(s->doc, "callbackUrl"));
}

char *
kp_subscription_shown(const struct kp_subscription *s, const char *url)
{
	json_t *o = json_pack("{s:s, s:O, s:O}", "url", url, "callbackUrl",
	    json_object_get(s->doc, "callbackUrl"), "kanalen",
	    json_object_get(s->doc, "kanalen"));
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT |
	    JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	return text;
}

const char *
kp_subscription_auth(const struct kp_subscription *s)
{
	return json_string_value(json_object_get(s->doc, "auth"));
}

/* Does kanaal's entry's filters hold for kenmerken? */
static int
filters_hold(json_t *filters, json_t *kenmerken)
{
	const char *key;
	json_t *want;

	json_object_foreach(filters, key, want) {
		json_t *got = json_object_get(kenmerken, key);

		if (!json_is_string(got))
			return 0;
		if (strcmp(json_string_value(want), "*") != 0 &&
		    strcmp(json_string_value(want), json_string_value(got)) != 0)
			return 0;
	}
	return 1;
}

int
kp_subscription_matches(const struct kp_subscription *s, const char *message)
{
	json_t *m = json_loads(message, 0, NULL), *kanaal;
	const char *name;
	size_t i;
	int match = 0;

	if (m == NULL)
		return 0;
	name = json_string_value(json_object_get(m, "kanaal"));
	json_array_foreach(json_object_get(s->doc, "kanalen"), i, kanaal) {
		json_t *filters = json_object_get(kanaal, "filters");

		if (name != NULL && strcmp(json_string_value(json_object_get(
		    kanaal, "naam")), name) == 0 && (filters == NULL ||
		    filters_hold(filters, json_object_get(m, "kenmerken")))) {
			match = 1;
			break;
		}
	}
	json_decref(m);
	return match;
}
