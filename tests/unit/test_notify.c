/*
 * test_notify — the Notificaties API's Message and Abonnement (notify.h):
 *
 * - each kind of change (a partner's notice T/W/V, a local change, a
 *   repair, a withdrawn copy, a consent) gives the kanaal, resource,
 *   actie, resourceUrl, hoofdObject and kenmerken expected, and never the
 *   BSN or the identificatie;
 * - Abonnementen are read, and every wrong one refused saying which field;
 * - which messages go to which subscription: without filters, with
 *   filters, with "*", on another channel.
 *
 * With --dump DIR it also writes every message made to DIR (one file
 * each) for tests/integration/notifyschema.sh, which validates them
 * against the Message schema of the published OpenAPI document.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "notify.h"
#include "tap.h"

#define BASE	"https://gemeente.example/api/v1"
#define GEM	"00000001001000000000"
#define GGD	"00000002002000000000"

static const char *dump;
static int dumped;

static char *
made(const struct kp_change *c)
{
	struct kp_err err;
	char *m = kp_notify_message(c, &err), path[512];
	FILE *f;

	if (m == NULL)
		diag("%s", err.msg);
	if (m != NULL && dump != NULL) {
		snprintf(path, sizeof(path), "%s/%02d.json", dump, dumped++);
		if ((f = fopen(path, "w")) != NULL) {
			fputs(m, f);
			fclose(f);
		}
	}
	return m;
}

/* A field of the message (or of its kenmerken, "k.name") as text. */
static const char *
field(json_t *m, const char *name)
{
	json_t *v = strncmp(name, "k.", 2) == 0 ? json_object_get(
	    json_object_get(m, "kenmerken"), name + 2) : json_object_get(m, name);

	return json_is_string(v) ? json_string_value(v) : "(none)";
}

static void
expect(const char *what, const struct kp_change *c, const char *const *want)
{
	char *text = made(c);
	json_t *m = text != NULL ? json_loads(text, 0, NULL) : NULL;
	int good = m != NULL;

	for (int i = 0; good && want[i] != NULL; i += 2)
		if (strcmp(field(m, want[i]), want[i + 1]) != 0) {
			diag("%s: %s is %s, want %s", what, want[i],
			    field(m, want[i]), want[i + 1]);
			good = 0;
		}
	ok(good && strstr(text, "111222333") == NULL &&
	    strstr(text, "ZAAK-42") == NULL, "%s", what);
	json_decref(m);
	free(text);
}

static struct kp_subscription *
sub(const char *json)
{
	struct kp_err err;

	return kp_subscription_parse(json, strlen(json), &err);
}

static int
refused(const char *json, const char *says)
{
	struct kp_err err;
	struct kp_subscription *s = kp_subscription_parse(json, strlen(json),
	    &err);
	int good = s == NULL && strstr(err.msg, says) != NULL;

	if (!good)
		diag("got %s", s != NULL ? "accepted" : err.msg);
	kp_subscription_free(s);
	return good;
}

int
main(int argc, char **argv)
{
	struct kp_change zaak = {
		.entiteittype = "ZAK", .mutatiesoort = 'T',
		.herkomst = KP_HERKOMST_PARTNER, .bron = GGD, .partij = GGD,
		.fields = "zaaktype=Aanvraag bijzondere bijstand\n"
		    "status=ontvangen\nvertrouwelijkheidaanduiding=vertrouwelijk\n",
		.record_ref = "5f0c9e1a-7d3b-4c55-9a6e-0b1d2c3e4f50",
		.dossier_ref = "0d9b8a77-1c2e-4f3a-8b5c-6d7e8f9a0b1c",
		.at_ms = 1796000000000LL, .base_url = BASE,
	}, c;
	struct kp_subscription *all, *ggd, *any, *kct;
	char *m;

	if (argc == 3 && strcmp(argv[1], "--dump") == 0)
		dump = argv[2];
	expect("a partner's new case: zaken, zaak, create, its kenmerken",
	    &zaak, (const char *const[]){ "kanaal", "zaken", "resource",
	    "zaak", "actie", "create", "resourceUrl", BASE
	    "/zaken/5f0c9e1a-7d3b-4c55-9a6e-0b1d2c3e4f50", "hoofdObject", BASE
	    "/dossiers/0d9b8a77-1c2e-4f3a-8b5c-6d7e8f9a0b1c", "aanmaakdatum",
	    "2026-11-30T00:53:20.000Z", "k.bron", GGD, "k.partij", GGD,
	    "k.herkomst", "partner", "k.entiteittype", "ZAK", "k.zaaktype",
	    "Aanvraag bijzondere bijstand", "k.vertrouwelijkheidaanduiding",
	    "vertrouwelijk", NULL });
	c = zaak;
	c.mutatiesoort = 'W';
	expect("a changed case: update", &c, (const char *const[]){ "actie",
	    "update", NULL });
	c.mutatiesoort = 'V';
	c.fields = NULL;
	expect("a deleted case: destroy, no kenmerken it no longer has", &c,
	    (const char *const[]){ "actie", "destroy", "k.zaaktype", "(none)",
	    NULL });
	c = zaak;
	c.herkomst = KP_HERKOMST_LOKAAL;
	c.bron = c.partij = GEM;
	expect("a local change: herkomst lokaal, partij ourselves", &c,
	    (const char *const[]){ "k.herkomst", "lokaal", "k.partij", GEM,
	    NULL });
	c.herkomst = KP_HERKOMST_PARTNER;
	c.mutatiesoort = 'W';
	expect("a changed case from a partner: update", &c,
	    (const char *const[]){ "k.herkomst", "partner", "actie", "update",
	    NULL });
	c.herkomst = KP_HERKOMST_INTREKKING;
	expect("a copy withdrawn with a consent: destroy, herkomst intrekking",
	    &c, (const char *const[]){ "actie", "destroy", "k.herkomst",
	    "intrekking", NULL });
	c = zaak;
	c.entiteittype = "PRS";
	c.fields = "geslachtsnaam=Jansen\ntelefoon=06-12345678\n";
	expect("a person: personen, persoon, no case kenmerken, no field "
	    "values", &c, (const char *const[]){ "kanaal", "personen",
	    "resource", "persoon", "k.zaaktype", "(none)", NULL });
	c.entiteittype = "KCT";
	c.fields = "kanaal=telefoon\nonderwerp=vraag\n";
	expect("a contact: klantcontacten, its kanaal as a kenmerk", &c,
	    (const char *const[]){ "kanaal", "klantcontacten", "resource",
	    "klantcontact", "k.kanaal", "telefoon", NULL });
	c.entiteittype = "TST";
	c.fields = NULL;
	expect("a consent: toestemmingen, toestemming", &c,
	    (const char *const[]){ "kanaal", "toestemmingen", "resource",
	    "toestemming", NULL });
	{
		struct kp_err err;

		c.entiteittype = "XYZ";
		ok(kp_notify_message(&c, &err) == NULL &&
		    strstr(err.msg, "no channel") != NULL,
		    "an unknown entiteittype: no message (%s)", err.msg);
		c = zaak;
		c.record_ref = NULL;
		ok(kp_notify_message(&c, &err) == NULL,
		    "without the record's reference: no message (never a URL "
		    "by identificatie)");
	}

	all = sub("{\"callbackUrl\":\"https://zaaksysteem.example/cb\","
	    "\"auth\":\"Bearer abc\",\"kanalen\":[{\"naam\":\"zaken\"}]}");
	ggd = sub("{\"callbackUrl\":\"http://127.0.0.1:9/cb\",\"auth\":\"x\","
	    "\"kanalen\":[{\"naam\":\"zaken\",\"filters\":{\"bron\":\"" GGD
	    "\"}}]}");
	any = sub("{\"callbackUrl\":\"http://127.0.0.1:9/cb\",\"auth\":\"x\","
	    "\"kanalen\":[{\"naam\":\"personen\"},{\"naam\":\"zaken\","
	    "\"filters\":{\"zaaktype\":\"*\"}}]}");
	kct = sub("{\"callbackUrl\":\"http://127.0.0.1:9/cb\",\"auth\":\"x\","
	    "\"kanalen\":[{\"naam\":\"klantcontacten\"}]}");
	ok(all != NULL && ggd != NULL && any != NULL && kct != NULL,
	    "four Abonnementen read");
	is_str(all != NULL ? kp_subscription_callback(all) : NULL,
	    "https://zaaksysteem.example/cb", "  its callbackUrl");
	is_str(all != NULL ? kp_subscription_auth(all) : NULL, "Bearer abc",
	    "  its auth");
	m = kp_notify_message(&zaak, &(struct kp_err){ 0 });
	ok(kp_subscription_matches(all, m) && kp_subscription_matches(ggd, m) &&
	    kp_subscription_matches(any, m) && !kp_subscription_matches(kct, m),
	    "a GGD case with a zaaktype: to zaken without filters, with "
	    "bron = the GGD, with zaaktype *; not to klantcontacten");
	free(m);
	c = zaak;
	c.bron = GEM;
	c.fields = "status=ontvangen\n";
	m = kp_notify_message(&c, &(struct kp_err){ 0 });
	ok(kp_subscription_matches(all, m) && !kp_subscription_matches(ggd, m) &&
	    !kp_subscription_matches(any, m), "a municipality case without a "
	    "zaaktype: not to bron = the GGD, not to zaaktype * (it has none)");
	free(m);

	ok(refused("{\"auth\":\"x\",\"kanalen\":[{\"naam\":\"zaken\"}]}",
	    "callbackUrl is required"), "no callbackUrl: refused, saying so");
	ok(refused("{\"callbackUrl\":\"ftp://x/\",\"auth\":\"x\",\"kanalen\":"
	    "[{\"naam\":\"zaken\"}]}", "http or https"), "an ftp callbackUrl: "
	    "refused");
	ok(refused("{\"callbackUrl\":\"http://x/\",\"auth\":\"\",\"kanalen\":"
	    "[{\"naam\":\"zaken\"}]}", "auth must be a text of 1 to 1000"),
	    "an empty auth: refused");
	ok(refused("{\"callbackUrl\":\"http://x/\",\"auth\":\"x\",\"kanalen\":"
	    "[]}", "at least one channel"), "no kanalen: refused");
	ok(refused("{\"callbackUrl\":\"http://x/\",\"auth\":\"x\",\"kanalen\":"
	    "[{\"naam\":\"besluiten\"}]}", "no channel \"besluiten\""),
	    "an unknown channel: refused, naming it");
	ok(refused("{\"callbackUrl\":\"http://x/\",\"auth\":\"x\",\"kanalen\":"
	    "[{\"naam\":\"zaken\",\"filters\":{\"bron\":7}}]}",
	    "filters.bron must be a text"), "a filter that is no text: refused");
	ok(refused("{\"callbackUrl\":\"http://x/\",\"auth\":\"x\",\"auth\":\"y\","
	    "\"kanalen\":[{\"naam\":\"zaken\"}]}", "duplicate"),
	    "a field given twice: refused");
	ok(refused("[1,2]", "a JSON object"), "not an object: refused");
	ok(refused("{\"callbackUrl\":", "not JSON"), "not JSON: refused");
	kp_subscription_free(all);
	kp_subscription_free(ggd);
	kp_subscription_free(any);
	kp_subscription_free(kct);
	return done_testing();
}
