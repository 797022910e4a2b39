/*
 * inbound: the whole pipeline in-process, from bytes to a signed answer and
 * the store.  Every rejection: the exact code, a signed Fault the sender can
 * verify, no message stored, one audit row.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "compose.h"
#include "config.h"
#include "fixture.h"
#include "forge.h"
#include "gateway.h"
#include "inbound.h"
#include "profile.h"
#include "store.h"
#include "tap.h"
#include "tls.h"
#include "util.h"
#include "xmlsafe.h"

static struct fixture fx;

struct counts { int64_t message, audit, replay; };

static struct counts
counts(void)
{
	struct counts c = {
		fixture_count(fx.self->store, "message"),
		fixture_count(fx.self->store, "audit"),
		fixture_count(fx.self->store, "replay"),
	};
	return c;
}

static void
deliver(const char *bytes, size_t len, const char *peer, const char *ct,
    const char *soapaction, struct kp_response *resp)
{
	struct kp_request req = { peer, ct, soapaction, bytes, len };

	kp_inbound_handle(fx.self, &req, resp);
}

/* Send a request built by kp_request_build; verify the answer as partner. */
static kp_fault
exchange(xmlDocPtr body, struct kp_outcome *out, struct kp_response *resp)
{
	struct kp_composed req;
	struct kp_err err;
	kp_fault f = KP_F_MAX;

	memset(out, 0, sizeof(*out));
	if (kp_request_build(fx.partner, fx.self_at_partner,
	    xmlDocGetRootElement(body), &req, &err) != KP_OK)
		return KP_F_MAX;
	deliver(req.bytes, req.len, OIN_PARTNER, "text/xml; charset=utf-8", NULL,
	    resp);
	if (resp->body != NULL && kp_answer_verify(fx.partner, fx.self_at_partner,
	    &req, resp->body, resp->len, out, &err) == KP_OK)
		f = out->fault;
	else
		diag("answer does not verify: %s", err.msg);
	kp_composed_clear(&req);
	return f;
}

/* A rejection: code, HTTP 500, nothing stored, one audit row with the code. */
static void
rejected(const char *what, const char *bytes, size_t len, const char *peer,
    const char *soapaction, kp_fault want)
{
	struct counts before = counts(), after;
	struct kp_response resp;

	deliver(bytes, len, peer, "text/xml; charset=utf-8", soapaction, &resp);
	after = counts();
	is_int(resp.fault, want, "%s: %s", what, kp_fault_code(want));
	ok(resp.http_status == 500 && resp.body != NULL &&
	    strstr(resp.body, kp_fault_code(want)) != NULL,
	    "%s: HTTP 500 with a SOAP Fault carrying the code", what);
	ok(after.message == before.message && after.replay == before.replay &&
	    after.audit == before.audit + 1,
	    "%s: nothing stored, one audit row", what);
	kp_response_clear(&resp);
}

static void
forged(const char *what, const char *template_name, const char *from,
    const char *bsn, const struct forge_opts *o, const char *peer,
    const char *soapaction, kp_fault want)
{
	static int n;
	char ref[32], *bytes = NULL;
	size_t len;
	struct kp_err err;
	xmlDocPtr body;

	snprintf(ref, sizeof(ref), "forged-%d", ++n);
	body = fixture_body(template_name, from, OIN_SELF, ref, bsn);
	if (body == NULL || forge_build(fx.partner, fx.self_at_partner,
	    xmlDocGetRootElement(body), o, &bytes, &len, &err) != KP_OK) {
		ok(0, "%s: could not forge", what);
		xmlFreeDoc(body);
		return;
	}
	rejected(what, bytes, len, peer, soapaction, want);
	free(bytes);
	xmlFreeDoc(body);
}

/* A forged request that must be accepted: 0, or what went wrong. */
static const char *
accepted(const struct forge_opts *o)
{
	static int n;
	static char why[160];
	struct counts before = counts(), after;
	struct kp_response resp;
	char ref[32], *bytes = NULL;
	size_t len;
	struct kp_err err;
	xmlDocPtr body;

	snprintf(ref, sizeof(ref), "toolkit-%d", ++n);
	body = fixture_body("zakLk01", OIN_PARTNER, OIN_SELF, ref, "111222333");
	if (body == NULL || forge_build(fx.partner, fx.self_at_partner,
	    xmlDocGetRootElement(body), o, &bytes, &len, &err) != KP_OK) {
		xmlFreeDoc(body);
		return "could not forge";
	}
	deliver(bytes, len, OIN_PARTNER, "text/xml; charset=utf-8", NULL, &resp);
	after = counts();
	why[0] = '\0';
	if (resp.fault != KP_F_NONE || resp.http_status != 200)
		snprintf(why, sizeof(why), "%s (HTTP %d): %.100s",
		    kp_fault_code(resp.fault), resp.http_status,
		    resp.body != NULL && strstr(resp.body, "omschrijving>") ?
		    strstr(resp.body, "omschrijving>") + 13 : "");
	else if (after.message != before.message + 1)
		snprintf(why, sizeof(why), "accepted but not stored");
	kp_response_clear(&resp);
	free(bytes);
	xmlFreeDoc(body);
	return why[0] ? why : NULL;
}

/*
 * PROTOCOL.md 2 as a receiver reads it: what standard Digikoppeling
 * toolkits send is accepted, and refused only for what is wrong.
 */
static void
toolkits(void)
{
	static const char *const forms[][2] = {
		{ "no-from", "a request without wsa:From (WA001)" },
		{ "no-expires", "a Timestamp without Expires (WB002)" },
		{ "reply-to-anonymous", "a signed ReplyTo, anonymous" },
		{ "reply-to-none", "a signed ReplyTo, none" },
		{ "fault-to-anonymous", "a signed FaultTo, anonymous" },
	};
	struct forge_opts o = { 0 };
	char order[32];
	int idx[5] = { 0, 1, 2, 3, 4 }, perms = 0, good = 0;
	const char *why = NULL, *bad = NULL;

	/* every order of the five blocks (To, Action, MessageID, From,
	 * Security), by Heap's algorithm */
	for (int c[5] = { 0 }, i = 0;; ) {
		snprintf(order, sizeof(order), "%d,%d,%d,%d,%d", idx[0], idx[1],
		    idx[2], idx[3], idx[4]);
		o.header_order = order;
		perms++;
		if ((why = accepted(&o)) == NULL)
			good++;
		else if (bad == NULL)
			bad = why;
		while (i < 5 && c[i] >= i) {
			c[i] = 0;
			i++;
		}
		if (i == 5)
			break;
		{
			int j = i % 2 == 0 ? 0 : c[i], t = idx[j];

			idx[j] = idx[i];
			idx[i] = t;
		}
		c[i]++;
		i = 0;
	}
	o.header_order = NULL;
	ok(perms == 120 && good == 120, "all %d orders of the header blocks "
	    "accepted (%d)%s%s", perms, good, bad ? ": " : "", bad ? bad : "");
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		o.mutation = forms[i][0];
		why = accepted(&o);
		ok(why == NULL, "%s: accepted%s%s", forms[i][1], why ? ": " : "",
		    why ? why : "");
	}
	o.mutation = "reply-to-address";
	forged("a ReplyTo with a real address", "zakLk01", OIN_PARTNER,
	    "111222333", &o, OIN_PARTNER, NULL, KP_F_003);
	o.mutation = "reply-to-unsigned";
	forged("an unsigned ReplyTo", "zakLk01", OIN_PARTNER, "111222333", &o,
	    OIN_PARTNER, NULL, KP_F_010);
	o.mutation = "two-reply-to";
	forged("two ReplyTo blocks", "zakLk01", OIN_PARTNER, "111222333", &o,
	    OIN_PARTNER, NULL, KP_F_002);
	o.mutation = "extra-header";
	forged("an unknown header block", "zakLk01", OIN_PARTNER, "111222333", &o,
	    OIN_PARTNER, NULL, KP_F_002);
	o.mutation = "from-other-oin";
	forged("wsa:From naming another OIN", "zakLk01", OIN_PARTNER,
	    "111222333", &o, OIN_PARTNER, NULL, KP_F_011);
	o.mutation = "no-expires";
	o.created_offset_s = -400;
	forged("no Expires and a Created older than timestamp_max_age",
	    "zakLk01", OIN_PARTNER, "111222333", &o, OIN_PARTNER, NULL, KP_F_012);
}

int
main(void)
{
	struct forge_opts o = { 0 };
	struct kp_response resp, again;
	struct kp_outcome out;
	struct counts before, after;
	xmlDocPtr body;
	char *bytes = NULL, msgid[48];
	size_t len;
	struct kp_err err;

	if (fixture_setup(&fx) != 0) {
		ok(0, "fixture");
		return done_testing();
	}

	/* The good path. */
	body = fixture_body("zakLk01", OIN_PARTNER, OIN_SELF, "good-1", "111222333");
	before = counts();
	is_int(exchange(body, &out, &resp), KP_F_NONE,
	    "a valid notice gets a Bv03 that verifies (RelatesTo, "
	    "SignatureConfirmation, signature)");
	is_str(out.answer_root, "Bv03", "the answer is a Bv03");
	is_int(resp.http_status, 200, "HTTP 200");
	after = counts();
	ok(after.message == before.message + 1 && after.audit == before.audit + 1 &&
	    after.replay == before.replay + 1,
	    "stored once: message, replay row, audit row");
	kp_response_clear(&resp);
	kp_outcome_clear(&out);
	xmlFreeDoc(body);

	/* Idempotent resend: the very same bytes get the very same answer. */
	body = fixture_body("zakLk01", OIN_PARTNER, OIN_SELF, "good-2", "111222333");
	kp_new_message_id(msgid);
	o.message_id = msgid;
	forge_build(fx.partner, fx.self_at_partner, xmlDocGetRootElement(body), &o,
	    &bytes, &len, &err);
	deliver(bytes, len, OIN_PARTNER, "text/xml", NULL, &resp);
	before = counts();
	deliver(bytes, len, OIN_PARTNER, "text/xml", NULL, &again);
	after = counts();
	is_int(again.http_status, 200, "resend of the same message: HTTP 200");
	ok(again.duplicate && again.len == resp.len &&
	    memcmp(again.body, resp.body, resp.len) == 0,
	    "resend gets the original answer, byte for byte");
	ok(after.message == before.message && after.audit == before.audit + 1,
	    "resend stores nothing new and is audited as a duplicate");
	kp_response_clear(&resp);
	kp_response_clear(&again);
	free(bytes);
	xmlFreeDoc(body);

	/* Same MessageID, another body. */
	forged("same MessageID with another body", "zakLk01", OIN_PARTNER,
	    "111222333", &o, OIN_PARTNER, NULL, KP_F_013);
	o.message_id = NULL;

	/* Same referentienummer, another body, fresh MessageID. */
	body = fixture_body("zakLk01", OIN_PARTNER, OIN_SELF, "good-1", "999993653");
	forge_build(fx.partner, fx.self_at_partner, xmlDocGetRootElement(body), &o,
	    &bytes, &len, &err);
	rejected("referentienummer reused with another body", bytes, len,
	    OIN_PARTNER, NULL, KP_F_013);
	free(bytes);
	xmlFreeDoc(body);

	/* The body rules, identities and policy. */
	toolkits();
	forged("invalid BSN", "zakLk01", OIN_PARTNER, "123456789", &o, OIN_PARTNER,
	    NULL, KP_F_040);
	forged("schema-invalid body", "zakLk01-baddate", OIN_PARTNER, "111222333",
	    &o, OIN_PARTNER, NULL, KP_F_002);
	forged("zender is not the TLS peer", "zakLk01", OIN_CALLCENTER, "111222333",
	    &o, OIN_PARTNER, NULL, KP_F_011);
	forged("message type the profile does not allow", "kctLk01", OIN_PARTNER,
	    "111222333", &o, OIN_PARTNER, NULL, KP_F_020);
	forged("unknown partner", "zakLk01", OIN_PARTNER, "111222333", &o,
	    OIN_STRANGER, NULL, KP_F_011);
	forged("no OIN from TLS", "zakLk01", OIN_PARTNER, "111222333", &o, NULL,
	    NULL, KP_F_011);
	forged("SOAPAction differs from wsa:Action", "zakLk01", OIN_PARTNER,
	    "111222333", &o, OIN_PARTNER,
	    "\"urn:ketenpoort:ketendossier:1:prsLk01\"", KP_F_003);
	o.mutation = "altered-body";
	forged("body altered after signing", "zakLk01", OIN_PARTNER, "111222333",
	    &o, OIN_PARTNER, NULL, KP_F_010);
	o.mutation = "wrap-header-first";
	forged("Body moved into a header, forged Body in its place", "zakLk01",
	    OIN_PARTNER, "111222333", &o, OIN_PARTNER, NULL, KP_F_002);
	o.mutation = NULL;
	rejected("not well-formed", "<soap:Envelope", 14, OIN_PARTNER, NULL,
	    KP_F_001);

	/* A matching SOAPAction is fine. */
	body = fixture_body("zakLk01", OIN_PARTNER, OIN_SELF, "good-3", "111222333");
	forge_build(fx.partner, fx.self_at_partner, xmlDocGetRootElement(body), &o,
	    &bytes, &len, &err);
	deliver(bytes, len, OIN_PARTNER, "text/xml; charset=utf-8",
	    "\"urn:ketenpoort:ketendossier:1:zakLk01\"", &resp);
	is_int(resp.fault, KP_F_NONE, "SOAPAction equal to wsa:Action is accepted");
	kp_response_clear(&resp);

	/* Not SOAP at all: 400, audited, nothing stored. */
	before = counts();
	deliver(bytes, len, OIN_PARTNER, "application/json", NULL, &resp);
	after = counts();
	is_int(resp.http_status, 400, "Content-Type application/json: HTTP 400");
	ok(after.message == before.message && after.audit == before.audit + 1,
	    "the refusal is audited and nothing stored");
	kp_response_clear(&resp);
	deliver(bytes, len, OIN_PARTNER, "text/xml; charset=iso-8859-1", NULL,
	    &resp);
	is_int(resp.fault, KP_F_001, "charset other than utf-8: KP001");
	kp_response_clear(&resp);
	free(bytes);
	xmlFreeDoc(body);

	/* The Fault is signed and answers the very request. */
	body = fixture_body("zakLk01", OIN_PARTNER, OIN_SELF, "bad-bsn", "123456789");
	is_int(exchange(body, &out, &resp), KP_F_040,
	    "the sender verifies the signed Fault and reads KP040 from it");
	ok(strstr(out.omschrijving, "elfproef") != NULL &&
	    strstr(out.omschrijving, "123456789") == NULL,
	    "omschrijving says what, and does not repeat the BSN");
	kp_response_clear(&resp);
	kp_outcome_clear(&out);
	xmlFreeDoc(body);

	/* Only a verified answer to this very request counts as delivered. */
	{
		struct kp_composed a, b;
		struct kp_outcome ao;
		char *tampered, *p;

		body = fixture_body("zakLk01", OIN_PARTNER, OIN_SELF, "ans-1",
		    "111222333");
		kp_request_build(fx.partner, fx.self_at_partner,
		    xmlDocGetRootElement(body), &a, &err);
		kp_request_build(fx.partner, fx.self_at_partner,
		    xmlDocGetRootElement(body), &b, &err);
		deliver(a.bytes, a.len, OIN_PARTNER, "text/xml", NULL, &resp);
		memset(&ao, 0, sizeof(ao));
		is_int(kp_answer_verify(fx.partner, fx.self_at_partner, &a,
		    resp.body, resp.len, &ao, &err), KP_OK,
		    "the answer verifies against its own request");
		kp_outcome_clear(&ao);
		ok(kp_answer_verify(fx.partner, fx.self_at_partner, &b, resp.body,
		    resp.len, &ao, &err) != KP_OK && err.fault == KP_F_010 &&
		    strstr(err.msg, "RelatesTo") != NULL,
		    "an answer to another request: refused (RelatesTo)");
		kp_outcome_clear(&ao);
		p = a.signature_value;
		a.signature_value = b.signature_value;
		ok(kp_answer_verify(fx.partner, fx.self_at_partner, &a, resp.body,
		    resp.len, &ao, &err) != KP_OK && strstr(err.msg,
		    "SignatureConfirmation") != NULL,
		    "an answer that confirms another signature: refused");
		a.signature_value = p;
		kp_outcome_clear(&ao);
		/*
		 * Our signature broken on the way: the Fault confirms no
		 * signature, and is read as the refusal it is.
		 */
		tampered = strdup(a.bytes);
		if ((p = strstr(tampered, "111222333")) != NULL)
			memcpy(p, "111222334", 9);
		kp_response_clear(&resp);
		deliver(tampered, a.len, OIN_PARTNER, "text/xml", NULL, &resp);
		free(tampered);
		ok(resp.fault == KP_F_010 && resp.body != NULL &&
		    strstr(resp.body, "SignatureConfirmation") != NULL &&
		    strstr(resp.body, "Value=") == NULL,
		    "a request whose signature fails: KP010, confirming no "
		    "signature");
		ok(kp_answer_verify(fx.partner, fx.self_at_partner, &a,
		    resp.body, resp.len, &ao, &err) == KP_OK &&
		    ao.fault == KP_F_010 && strstr(ao.omschrijving, "digest") !=
		    NULL, "the sender reads that Fault as the partner's KP010 "
		    "refusal (%s)", ao.omschrijving);
		kp_outcome_clear(&ao);
		kp_response_clear(&resp);
		deliver(a.bytes, a.len, OIN_PARTNER, "text/xml", NULL, &resp);
		tampered = strdup(resp.body);
		if ((p = strstr(tampered, ">Bv03<")) != NULL)
			memcpy(p, ">Fo03<", 6);
		ok(p != NULL && kp_answer_verify(fx.partner, fx.self_at_partner, &a,
		    tampered, resp.len, &ao, &err) != KP_OK &&
		    err.fault == KP_F_010,
		    "an answer altered after signing: refused (KP010)");
		kp_outcome_clear(&ao);
		free(tampered);
		ok(kp_answer_verify(fx.partner, fx.self_at_partner, &a,
		    "<html>ok</html>", 15, &ao, &err) != KP_OK,
		    "an answer that is not SOAP: refused");
		kp_outcome_clear(&ao);
		kp_response_clear(&resp);
		kp_composed_clear(&a);
		kp_composed_clear(&b);
		xmlFreeDoc(body);
	}

	/* A TLS alert about our certificate, read for the operator. */
	is_str(kp_tls_alert_hint("OpenSSL SSL_read: OpenSSL/3.0.19: "
	    "error:0A000414:SSL routines::sslv3 alert certificate revoked, "
	    "errno 0"), " (the partner refused our certificate as revoked: "
	    "install a new one)", "a revoked-certificate alert names the fix");
	is_str(kp_tls_alert_hint("Failed to connect to 127.0.0.1 port 1: "
	    "Connection refused"), "", "other transport errors get no hint");
	is_str(kp_tls_alert_hint(NULL), "", "nor does no text at all");

	fixture_teardown(&fx);
	return done_testing();
}
