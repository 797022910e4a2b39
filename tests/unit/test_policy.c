/*
 * policy: the one disclosure decision and the fan-out built on it, with
 * profiles loaded from files as the gateway loads them: a law gives a
 * basis; a consent gives one only in force (status, dates, partner,
 * purpose); the first rule with a basis wins; a case above a rule's
 * maxVertrouwelijkheid gets nothing from it; fields outside the rule are
 * gone; rules given only on request are not pushed; the fan-out never
 * sends a record back to its owner or to the partner it came from, and a
 * V is a deletion (or a retraction) for every partner with a rule.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fanout.h"
#include "fixture.h"
#include "gateway.h"
#include "kd.h"
#include "policy.h"
#include "profile.h"
#include "tap.h"
#include "util.h"

#define GGD	"00000005005000000000"
#define WOCO	"00000004004000000000"

static struct fixture fx;

static void
profile(const char *dir, const char *name, const char *oin,
    const char *ontvangen, const char *vragen)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.xml", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "<profiel xmlns=\"urn:ketenpoort:profiel:1\">\n"
	    "  <oin>%s</oin>\n  <naam>%s</naam>\n"
	    "  <endpoint>https://127.0.0.1:9/wus/v1</endpoint>\n"
	    "  <rol>ketenpartner</rol>\n  <zenden/>\n  <ontvangen>%s"
	    "</ontvangen>\n%s</profiel>\n", oin, name, ontvangen, vragen);
	fclose(f);
}

static void
zaak(struct kp_notice *n, char soort, const char *vertrouwelijk)
{
	static char fields[256];

	memset(n, 0, sizeof(*n));
	n->mutatiesoort = soort;
	snprintf(n->entiteittype, sizeof(n->entiteittype), "ZAK");
	snprintf(n->bron, sizeof(n->bron), OIN_SELF);
	snprintf(n->identificatie, sizeof(n->identificatie), "Z1");
	snprintf(n->bsn, sizeof(n->bsn), "111222333");
	n->bronversie = 1;
	snprintf(fields, sizeof(fields), "zaaktype=Bijstand\nstatus=ontvangen\n"
	    "toelichting=intern\n%s%s%s", vertrouwelijk != NULL ?
	    "vertrouwelijkheidaanduiding=" : "", vertrouwelijk != NULL ?
	    vertrouwelijk : "", vertrouwelijk != NULL ? "\n" : "");
	n->fields = soort == 'V' ? (char *)"" : fields;
}

static void
consent(struct kp_consents *c, const char *partner, const char *doel,
    const char *status, const char *from, const char *until)
{
	char fields[300];
	struct kp_err err;

	snprintf(fields, sizeof(fields), "partner=%s\ndoel=%s\nstatus=%s\n"
	    "ingangsdatum=%s\n%s%s%s", partner, doel, status, from,
	    until != NULL ? "einddatum=" : "", until != NULL ? until : "",
	    until != NULL ? "\n" : "");
	kp_consents_add(c, "TST-1", OIN_SELF, fields, &err);
}

/* The decision for partner oin, as "verdict|basis|fields" or the reason. */
static const char *
decide(const struct kp_profiles *ps, const char *oin,
    const struct kp_notice *n, const char *doel, const struct kp_consents *c)
{
	static char out[700];
	struct kp_decision d;
	struct kp_err err;

	memset(&d, 0, sizeof(d));
	if (kp_policy_decide(kp_profiles_by_oin(ps, oin), n, doel, c, &d,
	    &err) < 0)
		return "error";
	switch (d.verdict) {
	case KP_DISCLOSE:
		snprintf(out, sizeof(out), "disclose|%s|%s|%s", d.basis, d.doel,
		    d.velden);
		break;
	case KP_WITHHOLD:
		snprintf(out, sizeof(out), "withhold|%s", d.reason);
		break;
	default:
		snprintf(out, sizeof(out), "not entitled");
		break;
	}
	kp_decision_clear(&d);
	return out;
}

/* The fan-out as "partner-suffix:kind" entries. */
static const char *
fan(const struct kp_profiles *ps, const struct kp_notice *n,
    const char *from, const struct kp_consents *c)
{
	static const char kinds[] = "DVIW";	/* disclose, V, intrekking, withheld */
	static char out[200];
	struct kp_fanout *f = NULL;
	struct kp_err err;
	size_t nf = 0;

	out[0] = '\0';
	if (kp_policy_fanout(ps, n, from, NULL, 16, c, &f, &nf, &err) != KP_OK)
		return "error";
	for (size_t i = 0; i < nf; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%.4s:%c",
		    i ? " " : "", f[i].partner_oin + 7, kinds[f[i].kind]);
	kp_fanout_free(f, nf);
	return out;
}

int
main(void)
{
	struct kp_consents none = { 0 }, c = { 0 };
	struct kp_profiles *ps;
	struct kp_notice n;
	struct kp_err err;
	char dir[300];

	if (fixture_setup(&fx) != 0)
		return done_testing();
	snprintf(dir, sizeof(dir), "%s/policy-profiles", fx.dir);
	mkdir(dir, 0755);
	profile(dir, "ggd", GGD,
	    "<entiteit type=\"ZAK\" doel=\"ketentest\" "
	    "maxVertrouwelijkheid=\"zaakvertrouwelijk\"><wet>Testwet art. 1</wet>"
	    "<veld>zaaktype</veld><veld>status</veld></entiteit>"
	    "<entiteit type=\"ZAK\" doel=\"klantcontact\" verstrekking="
	    "\"opvraag\"><wet>Testwet art. 2</wet><veld>zaaktype</veld>"
	    "</entiteit>", "  <vragen><vraag functie=\"context\" "
	    "doel=\"klantcontact\"/></vragen>\n");
	profile(dir, "woco", WOCO,
	    "<entiteit type=\"ZAK\" doel=\"vroegsignalering\"><toestemming/>"
	    "<veld>status</veld></entiteit>", "");
	ps = kp_profiles_load(dir, fx.self->profile_schema, NULL, &err);
	if (!ok(ps != NULL, "the profiles load")) {
		diag("%s", err.msg);
		fixture_teardown(&fx);
		return done_testing();
	}
	kp_today(none.today);
	kp_today(c.today);

	zaak(&n, 'T', NULL);
	is_str(decide(ps, GGD, &n, NULL, &none), "disclose|wet: Testwet art. "
	    "1|ketentest|zaaktype,status", "a law: disclosed, only the rule's "
	    "fields, on that basis and purpose");
	is_str(decide(ps, GGD, &n, "klantcontact", &none), "disclose|wet: "
	    "Testwet art. 2|klantcontact|zaaktype", "asked for another purpose: "
	    "that purpose's rule");
	is_str(decide(ps, WOCO, &n, NULL, &none), "withhold|no consent of the "
	    "citizen for doel vroegsignalering", "a consent rule without a consent: "
	    "withheld, saying why");
	consent(&c, WOCO, "vroegsignalering", "verleend", "2000-01-01", NULL);
	is_str(decide(ps, WOCO, &n, NULL, &c), "disclose|toestemming: TST-1|"
	    "vroegsignalering|status", "with the consent in force: disclosed "
	    "on it");
	kp_consents_clear(&c);
	kp_today(c.today);
	consent(&c, WOCO, "vroegsignalering", "ingetrokken", "2000-01-01", NULL);
	is_str(decide(ps, WOCO, &n, NULL, &c), "withhold|consent TST-1 for doel "
	    "vroegsignalering is ingetrokken", "a withdrawn consent: withheld");
	kp_consents_clear(&c);
	kp_today(c.today);
	consent(&c, WOCO, "vroegsignalering", "verleend", "2000-01-01",
	    "2000-12-31");
	is_str(decide(ps, WOCO, &n, NULL, &c), "withhold|consent TST-1 for doel "
	    "vroegsignalering ended on 2000-12-31", "a consent that ended: "
	    "withheld");
	kp_consents_clear(&c);
	kp_today(c.today);
	consent(&c, WOCO, "vroegsignalering", "verleend", "2999-01-01", NULL);
	is_str(decide(ps, WOCO, &n, NULL, &c), "withhold|consent TST-1 for doel "
	    "vroegsignalering starts on 2999-01-01", "a consent that has not "
	    "begun: withheld");
	kp_consents_clear(&c);
	kp_today(c.today);
	consent(&c, GGD, "vroegsignalering", "verleend", "2000-01-01", NULL);
	is_str(decide(ps, WOCO, &n, NULL, &c), "withhold|no consent of the "
	    "citizen for doel vroegsignalering", "a consent for another partner: "
	    "withheld");
	zaak(&n, 'T', "vertrouwelijk");
	is_str(decide(ps, GGD, &n, NULL, &none), "withhold|the case is "
	    "vertrouwelijk, above the zaakvertrouwelijk that doel ketentest "
	    "allows", "a case above the rule's maxVertrouwelijkheid: withheld");
	zaak(&n, 'T', "intern");
	ok(strncmp(decide(ps, GGD, &n, NULL, &none), "disclose|", 9) == 0,
	    "  below it: disclosed");

	zaak(&n, 'T', NULL);
	is_str(fan(ps, &n, NULL, &none), "5005:D 4004:W", "fan-out of a change: "
	    "each partner its decision");
	is_str(fan(ps, &n, GGD, &none), "4004:W", "  never back to the partner "
	    "it came from");
	snprintf(n.bron, sizeof(n.bron), GGD);
	is_str(fan(ps, &n, NULL, &none), "4004:W", "  nor to its owner");
	zaak(&n, 'V', NULL);
	is_str(fan(ps, &n, NULL, &none), "5005:V 4004:V", "a V: a deletion for "
	    "every partner with a rule");
	n.intrekking = 1;
	is_str(fan(ps, &n, NULL, &none), "5005:I 4004:I", "a retraction: a "
	    "retraction for each");

	kp_consents_clear(&c);
	kp_profiles_free(ps);
	fixture_teardown(&fx);
	return done_testing();
}
