/*
 * consent: a consent granted or withdrawn is a TST record put through the
 * outbound pipeline, and what follows from it happens in the same command
 * (consent.h, consent_cmd.h): a case withheld for want of a consent is
 * disclosed once the consent is granted, and retracted once it is
 * withdrawn; nothing stays marked for reconsideration; the operator's
 * mistakes are refused with what is wrong and change nothing.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "consent.h"
#include "consent_cmd.h"
#include "fixture.h"
#include "gateway.h"
#include "kd.h"
#include "outbound.h"
#include "store.h"
#include "tap.h"

#define WOCO	"00000004004000000000"
#define BSN	"111222333"

static struct fixture fx;

/* The outbox rows for the housing corporation, "soort type" in order. */
static int
row(void *arg, const struct kp_queue_row *r)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%s%s %s", out[0] ? " " :
	    "", r->mutatiesoort, r->entiteittype);
	return 0;
}

static const char *
rows(void)
{
	static char out[256];
	struct kp_err err;

	out[0] = '\0';
	kp_store_outbox_list(fx.self->store, WOCO, NULL, 0, row, out, &err);
	return out;
}

static int
count_mark(void *arg, const char *bsn, int64_t mark)
{
	(void)bsn;
	(void)mark;
	(*(int *)arg)++;
	return 0;
}

static int
first_mark(void *arg, const char *bsn, int64_t mark)
{
	(void)bsn;
	*(int64_t *)arg = mark;
	return 1;
}

static int
marked(void)
{
	struct kp_err err;
	int n = 0;

	kp_store_consent_dirty(fx.self->store, 0, count_mark, &n, &err);
	return n;
}

int
main(void)
{
	struct kp_consent_request r = { .bsn = BSN, .partner = "woco",
	    .doel = "vroegsignalering" };
	struct kp_put_result res;
	struct kp_err err;
	char path[512], msg[400], zaak[1024];
	int64_t before;

	if (fixture_setup(&fx) != 0)
		return done_testing();
	/* a partner that gets cases only with the citizen's consent */
	fixture_write(&fx, "self-profiles/woco.xml",
	    "<profiel xmlns=\"urn:ketenpoort:profiel:1\">\n"
	    "  <oin>" WOCO "</oin>\n  <naam>woco</naam>\n"
	    "  <endpoint>https://127.0.0.1:9/wus/v1</endpoint>\n"
	    "  <rol>ketenpartner</rol>\n  <zenden/>\n  <ontvangen>"
	    "<entiteit type=\"ZAK\" doel=\"vroegsignalering\"><toestemming/>"
	    "<veld>zaaktype</veld></entiteit></ontvangen>\n</profiel>\n");
	kp_gateway_close(fx.self);
	snprintf(path, sizeof(path), "%s/self.conf", fx.dir);
	if (!ok((fx.self = kp_gateway_open(path, 0, NULL, &err)) != NULL,
	    "the gateway opens with the consent profile"))
		return done_testing();

	snprintf(zaak, sizeof(zaak), "<kd:lokaleWijziging xmlns:kd=\""
	    "urn:ketenpoort:ketendossier:1\"><kd:mutatiesoort>T"
	    "</kd:mutatiesoort><kd:object><kd:zaak><kd:bron>%s</kd:bron>"
	    "<kd:identificatie>Z1</kd:identificatie><kd:bronversie>1"
	    "</kd:bronversie><kd:bsn>%s</kd:bsn><kd:zaaktype>Schuldhulp"
	    "</kd:zaaktype><kd:status>ontvangen</kd:status><kd:startdatum>"
	    "2026-11-20</kd:startdatum></kd:zaak></kd:object>"
	    "</kd:lokaleWijziging>",
	    OIN_SELF, BSN);
	kp_outbound_put(fx.self, zaak, strlen(zaak), &res, &err);
	is_int(res.verdict, KP_F_NONE, "a case is stored");
	if (res.verdict != KP_F_NONE)
		diag("%s", res.msg);
	is_str(rows(), "", "  and not sent to the partner: no consent yet");

	before = fixture_count(fx.self->store, "record");
	r.doel = "huisvesting";
	is_int(kp_consent_grant(fx.self, &r, msg, sizeof(msg), &err),
	    KP_ERR_USAGE, "a consent for a purpose no rule discloses on: "
	    "refused");
	ok(strstr(err.msg, "has no rule that discloses on consent for doel "
	    "huisvesting") != NULL, "  saying it would change nothing");
	r.doel = "vroegsignalering";
	r.einddatum = "2001-01-01";
	r.ingangsdatum = "2002-01-01";
	is_int(kp_consent_grant(fx.self, &r, msg, sizeof(msg), &err),
	    KP_ERR_USAGE, "an einddatum before the ingangsdatum: refused");
	r.einddatum = r.ingangsdatum = NULL;
	r.partner = "nobody";
	is_int(kp_consent_grant(fx.self, &r, msg, sizeof(msg), &err),
	    KP_ERR_USAGE, "a partner without a profile: refused");
	r.partner = "woco";
	is_int(fixture_count(fx.self->store, "record"), before,
	    "  none of them stored anything");

	is_int(kp_consent_grant(fx.self, &r, msg, sizeof(msg), &err), KP_OK,
	    "the consent is granted");
	ok(strncmp(msg, "granted TST-", 12) == 0 && strstr(msg,
	    "(bronversie 1); 1 notices queued") != NULL,
	    "  saying what it queued");
	is_str(rows(), "W ZAK", "  the case goes to the partner now, in the "
	    "same command (as the version it lacks)");
	is_int(marked(), 0, "  nothing is left marked for reconsideration");

	is_int(kp_consent_grant(fx.self, &r, msg, sizeof(msg), &err), KP_OK,
	    "granted again");
	ok(strstr(msg, "(bronversie 2); 0 notices queued") != NULL,
	    "  a new version of the same consent, nothing sent twice");

	is_int(kp_consent_withdraw(fx.self, &r, msg, sizeof(msg), &err), KP_OK,
	    "the consent is withdrawn");
	ok(strncmp(msg, "withdrew TST-", 13) == 0 && strstr(msg,
	    "(bronversie 3); 1 notices queued") != NULL,
	    "  saying what it queued");
	is_str(rows(), "W ZAK V ZAK", "  the partner's copy is retracted");
	is_int(kp_consent_withdraw(fx.self, &r, msg, sizeof(msg), &err),
	    KP_ERR_USAGE, "withdrawing it again: refused");
	is_str(rows(), "W ZAK V ZAK", "  and nothing more queued");
	is_int(marked(), 0, "  nothing left marked");

	/*
	 * A pass that read the citizen before a consent changed decides on
	 * consents that are gone: its writes check the citizen's mark and
	 * queue nothing once it moved on (the next pass decides again).
	 */
	{
		size_t q = 99;
		int64_t mark = 0;

		is_int(kp_consent_grant(fx.self, &r, msg, sizeof(msg), &err),
		    KP_OK, "granted once more");
		is_str(rows(), "W ZAK V ZAK W ZAK", "  the case goes again");
		kp_store_consent_mark_all(fx.self->store, &err);
		kp_store_consent_dirty(fx.self->store, 0, first_mark, &mark, &err);
		ok(mark > 0, "the citizen marked for reconsideration (%lld)",
		    (long long)mark);
		is_int(kp_citizen_requeue(fx.self, BSN, NULL, 0, mark + 1, "test",
		    &q, &err), KP_OK, "a pass whose mark has moved on runs");
		is_int(q, 0, "  and queues nothing: its decisions may be stale");
		is_str(rows(), "W ZAK V ZAK W ZAK", "  (the outbox as it was)");
		is_int(kp_citizen_requeue(fx.self, BSN, NULL, 0, mark, "test", &q,
		    &err), KP_OK, "the same pass with the mark as it is");
		is_int(q, 2, "  queues again what the partners hold (a repair)");
		is_str(rows(), "W ZAK V ZAK W ZAK W ZAK", "  the case to woco among "
		    "them");
	}

	fixture_teardown(&fx);
	return done_testing();
}
