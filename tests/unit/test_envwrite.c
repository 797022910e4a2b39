/*
 * envwrite: what this gateway signs is written straight out in canonical
 * form.  Every message verifies under xmlsec with every rule of §2.1; and
 * with an RSA key (PKCS#1 v1.5 is deterministic) each DigestValue and the
 * SignatureValue equal byte for byte those of the document built and
 * signed by xmlsec (kp_env_build + kp_wss_sign) with the same content: the
 * bytes digested are the ones xmlsec's own canonicalisation gives.
 *
 * With KP_ENVWRITE_DIR set, every message written is also left there as
 * NN-name.xml, for an independent verifier (tests/integration/jdkverify.sh
 * hands them to the JDK's javax.xml.crypto).
 */
#include "autoconf.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compose.h"
#include "config.h"
#include "envelope.h"
#include "envwrite.h"
#include "fixture.h"
#include "gateway.h"
#include "kd.h"
#include "pki.h"
#include "signers.h"
#include "tap.h"
#include "util.h"
#include "wss.h"
#include "xmlsafe.h"

static struct fixture fx;
static int nwritten;

static void
keep(const char *name, const char *bytes, size_t len)
{
	const char *dir = getenv("KP_ENVWRITE_DIR");
	char path[512];
	FILE *fp;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%02d-%s.xml", dir, ++nwritten, name);
	if ((fp = fopen(path, "w")) != NULL) {
		fwrite(bytes, 1, len, fp);
		fclose(fp);
	}
}

/* Verify as the receiver does (self, from the partner); KP_F_NONE if good. */
static kp_fault
check(const char *bytes, size_t len, int response, char *msg, size_t msglen)
{
	struct kp_wss_policy policy = { .trust = fx.self->trust,
	    .expected_oin = OIN_PARTNER };
	struct kp_wss_result res = { 0 };
	struct kp_env env;
	struct kp_err err;
	xmlDocPtr doc;
	kp_fault f = KP_F_NONE;

	kp_err_clear(&err);
	if ((doc = kp_xml_parse(bytes, len, &err)) == NULL ||
	    kp_env_inspect(doc, response, &env, &err) != KP_OK ||
	    kp_wss_verify(&env, &policy, &res, &err) != KP_OK ||
	    kp_env_check_timestamp(&env, kp_now_ms(), 60, 3600, 300, &err) !=
	    KP_OK ||
	    (!response && kp_env_check_addressing(&env,
	    fx.self->cfg->endpoint, OIN_SELF, NULL, &err) != KP_OK))
		f = err.fault != KP_F_NONE ? err.fault : KP_F_MAX;
	snprintf(msg, msglen, "%s", f == KP_F_NONE ? "" : err.msg);
	kp_wss_result_clear(&res);
	xmlFreeDoc(doc);
	return f;
}

/* Every DigestValue, then the SignatureValue, whitespace removed. */
static char *
signature_values(xmlNodePtr sig)
{
	xmlNodePtr si, n;
	char *all = NULL;
	size_t len = 0;

	si = kp_xml_first(sig);
	for (n = kp_xml_first(si); n != NULL; n = kp_xml_next(n)) {
		xmlNodePtr dv;

		if (!kp_xml_is(n, NS_DS, "Reference"))
			continue;
		for (dv = kp_xml_first(n); dv != NULL && !kp_xml_is(dv, NS_DS,
		    "DigestValue"); dv = kp_xml_next(dv))
			;
		if (dv != NULL) {
			char *t = kp_strip_space(kp_xml_text(dv));

			all = kp_field_append(all, &len, "digest", t);
			free(t);
		}
	}
	{
		char *t = kp_strip_space(kp_xml_text(kp_xml_next(si)));

		all = kp_field_append(all, &len, "signature", t);
		free(t);
	}
	return all;
}

static void
drop_blank_text(xmlNodePtr node)
{
	xmlNodePtr c = node->children, next;

	for (; c != NULL; c = next) {
		next = c->next;
		if (c->type == XML_TEXT_NODE && xmlIsBlankNode(c)) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		} else if (c->type == XML_ELEMENT_NODE)
			drop_blank_text(c);
	}
}

/* The same message built and signed by xmlsec, its values. */
static char *
xmlsec_values(const struct kp_env_params *p, xmlNodePtr body_root,
    const struct kp_signer *s)
{
	struct kp_env env;
	struct kp_err err;
	char *v;

	if (kp_env_build(p, body_root, &env, &err) != KP_OK)
		return NULL;
	/*
	 * xmlsec's template puts newlines between its elements; what we
	 * write has none.  Without them SignedInfo is the same bytes.
	 */
	drop_blank_text(env.signature);
	if (kp_wss_sign(s, &env, &err) != KP_OK) {
		xmlFreeDoc(env.doc);
		return NULL;
	}
	v = signature_values(env.signature);
	xmlFreeDoc(env.doc);
	return v;
}

struct body {
	const char	*name;
	xmlDocPtr	 doc;
};

static void
one(const char *label, const struct kp_env_params *p, xmlNodePtr body_root,
    const struct kp_signer *s, int compare)
{
	char *bytes = NULL, *sigval = NULL, msg[512];
	size_t len = 0;
	struct kp_err err;

	if (!ok(kp_env_write(p, body_root, s, &bytes, &len, &sigval, &err) ==
	    KP_OK, "%s: written", label)) {
		diag("%s", err.msg);
		return;
	}
	keep(label, bytes, len);
	is_int(check(bytes, len, p->response, msg, sizeof(msg)), KP_F_NONE,
	    "%s: verifies under xmlsec with every rule of §2.1 %s", label, msg);
	if (compare) {
		xmlDocPtr doc = kp_xml_parse(bytes, len, &err);
		struct kp_env env;
		char *mine = doc != NULL && kp_env_inspect(doc, p->response,
		    &env, &err) == KP_OK ? signature_values(env.signature) : NULL;
		char *theirs = xmlsec_values(p, body_root, s);

		ok(mine != NULL && theirs != NULL && strcmp(mine, theirs) == 0,
		    "%s: every DigestValue and the SignatureValue equal "
		    "xmlsec's", label);
		if (mine != NULL && theirs != NULL && strcmp(mine, theirs) != 0)
			diag("ours:\n%s\nxmlsec's:\n%s", mine, theirs);
		ok(sigval != NULL && mine != NULL &&
		    strstr(mine, sigval) != NULL,
		    "%s: the SignatureValue handed back is the one written",
		    label);
		free(mine);
		free(theirs);
		xmlFreeDoc(doc);
	}
	free(bytes);
	free(sigval);
}

/* A body with every character canonical form escapes, and more. */
static const char *const odd_body =
    "<kd:zakLk01 xmlns:kd=\"urn:ketenpoort:ketendossier:1\""
    " xmlns:b=\"urn:b\" xmlns:a=\"urn:a\" xmlns:unused=\"urn:unused\">"
    "<kd:t b:y=\"1\" a:x=\"2\" z=\"&quot;tab&#9;lf&#10;cr&#13;&lt;&amp;&gt;\">"
    "A &amp; B &lt;c&gt; \"d\" 'e' cr&#13; \xc3\xa9\xe2\x82\xac"
    "<![CDATA[<cdata & ]]></kd:t><kd:leeg/>"
    "<x xmlns=\"urn:default\"><y/><z xmlns=\"\"/></x>"
    "</kd:zakLk01>";

static const char *const fault_body =
    "<soap:Fault xmlns:soap=\"" NS_SOAP "\"><faultcode>soap:Client"
    "</faultcode><faultstring>KP010: x</faultstring><detail>"
    "<kd:Fo03 xmlns:kd=\"urn:ketenpoort:ketendossier:1\"><kd:code>KP010"
    "</kd:code></kd:Fo03></detail></soap:Fault>";

int
main(void)
{
	struct kp_pki_opts ec = { .ec = 1 };
	struct body bodies[4];
	struct kp_signer *ecs, *rs;
	const struct kp_signer *rsa;
	char to[512], from[512], msgid[48], msgid2[48], sigconf[400];
	struct kp_env_params req = { 0 }, resp = { 0 };
	size_t nbodies = 0;
	pid_t pid = -1;

	if (fixture_setup(&fx) != 0) {
		ok(0, "fixture");
		return done_testing();
	}
	rsa = fx.partner->signer;
	bodies[nbodies++] = (struct body){ "zakLk01", fixture_body("zakLk01",
	    OIN_PARTNER, OIN_SELF, "r1", "111222333") };
	bodies[nbodies++] = (struct body){ "kctLk01", fixture_body("kctLk01",
	    OIN_PARTNER, OIN_SELF, "r2", "111222333") };
	bodies[nbodies++] = (struct body){ "odd", xmlReadMemory(odd_body,
	    (int)strlen(odd_body), NULL, NULL, XML_PARSE_NONET) };
	bodies[nbodies++] = (struct body){ "fault", xmlReadMemory(fault_body,
	    (int)strlen(fault_body), NULL, NULL, XML_PARSE_NONET) };
	for (size_t i = 0; i < nbodies; i++)
		if (!ok(bodies[i].doc != NULL, "body %s", bodies[i].name))
			return done_testing();

	snprintf(to, sizeof(to), "%s?OIN=%s", fx.self->cfg->endpoint, OIN_SELF);
	snprintf(from, sizeof(from), "https://127.0.0.1:9/wus/v1?OIN=%s&x=<>\"",
	    OIN_PARTNER);
	kp_new_message_id(msgid);
	kp_new_message_id(msgid2);
	req = (struct kp_env_params){ .response = 0, .to = to, .from = from,
	    .action = KD_ACTION_PREFIX "zakLk01", .message_id = msgid,
	    .created_ms = kp_now_ms(), .lifetime_s = 300,
	    .bst_b64 = rsa->cert_b64, .ec = 0 };
	resp = (struct kp_env_params){ .response = 1,
	    .action = KD_ACTION_PREFIX "Bv03", .relates_to = msgid,
	    .sigconf_value = "c2lnbmF0dXJl+/=", .created_ms = kp_now_ms(),
	    .lifetime_s = 300, .bst_b64 = rsa->cert_b64, .ec = 0 };

	/* RSA in this process: the same bytes as xmlsec signs. */
	for (size_t i = 0; i < nbodies; i++) {
		char label[64];

		xmlNodePtr root = xmlDocGetRootElement(bodies[i].doc);
		char action[128];

		snprintf(action, sizeof(action), KD_ACTION_PREFIX "%s",
		    (const char *)root->name);
		req.action = action;
		resp.message_id = msgid2;
		snprintf(label, sizeof(label), "rsa-request-%s", bodies[i].name);
		if (strcmp(bodies[i].name, "fault") != 0)
			one(label, &req, root, rsa, 1);
		snprintf(label, sizeof(label), "rsa-response-%s", bodies[i].name);
		one(label, &resp, root, rsa, 1);
	}
	req.action = KD_ACTION_PREFIX "zakLk01";
	resp.sigconf_value = NULL;
	resp.relates_to = NULL;
	one("rsa-response-unknown-request", &resp,
	    xmlDocGetRootElement(bodies[0].doc), rsa, 1);

	/* ECDSA (r || s, not DER), in this process and in a key process. */
	if ((ecs = fixture_signer(&fx, "ecpartner", &ec, OIN_PARTNER)) != NULL) {
		req.bst_b64 = resp.bst_b64 = ecs->cert_b64;
		req.ec = resp.ec = 1;
		resp.relates_to = msgid;
		resp.sigconf_value = "c2lnbmF0dXJl+/=";
		one("ec-request-zakLk01", &req, xmlDocGetRootElement(bodies[0].doc),
		    ecs, 0);
		one("ec-response-fault", &resp,
		    xmlDocGetRootElement(bodies[3].doc), ecs, 0);
	}
	ok(ecs != NULL, "a P-256 signer");
	kp_signer_free(ecs);
	if ((rs = fixture_remote_signer(&fx, "ecpartner2", &ec, OIN_PARTNER,
	    &pid)) != NULL) {
		req.bst_b64 = rs->cert_b64;
		one("ec-keyprocess-request-odd", &req,
		    xmlDocGetRootElement(bodies[2].doc), rs, 0);
		fixture_remote_signer_free(rs, pid);
	}
	ok(rs != NULL, "a P-256 signer in a key process");
	if ((rs = fixture_remote_signer(&fx, "partner", NULL, NULL,
	    &pid)) != NULL) {
		req.bst_b64 = rs->cert_b64;
		req.ec = 0;
		one("rsa-keyprocess-request-zakLk01", &req,
		    xmlDocGetRootElement(bodies[0].doc), rs, 0);
		kill(pid, SIGKILL);
		{
			char *bytes = NULL;
			size_t len = 0;
			struct kp_err err;

			ok(kp_env_write(&req, xmlDocGetRootElement(bodies[0].doc),
			    rs, &bytes, &len, NULL, &err) != KP_OK &&
			    bytes == NULL && strstr(err.msg, "signing failed") !=
			    NULL, "the key process gone: nothing is written (%s)",
			    err.msg);
		}
		fixture_remote_signer_free(rs, pid);
	}
	ok(rs != NULL, "an RSA signer in a key process");

	/* The gateway's own paths: a request, Bv03, a fault, an answer. */
	{
		struct kp_composed c;
		struct kp_reply_params rp = { .relates_to = msgid,
		    .signature_value = "c2ln", .to_oin = OIN_SELF,
		    .to_app = "ketenpoort", .crossref = "r1" };
		struct kp_err err;
		char *bytes = NULL, msg[512];
		size_t len = 0;
		xmlDocPtr answer;

		if (ok(kp_request_build(fx.partner, fx.self_at_partner,
		    xmlDocGetRootElement(bodies[0].doc), &c, &err) == KP_OK,
		    "kp_request_build")) {
			keep("gateway-request", c.bytes, c.len);
			is_int(check(c.bytes, c.len, 0, msg, sizeof(msg)),
			    KP_F_NONE, "  it verifies %s", msg);
			snprintf(sigconf, sizeof(sigconf), "%s", c.signature_value);
			kp_composed_clear(&c);
		}
		if (ok(kp_reply_build(fx.partner, &rp, KP_F_NONE, NULL, &bytes,
		    &len, &err) == KP_OK, "kp_reply_build: Bv03")) {
			keep("gateway-bv03", bytes, len);
			is_int(check(bytes, len, 1, msg, sizeof(msg)), KP_F_NONE,
			    "  it verifies %s", msg);
		}
		free(bytes);
		if (ok(kp_reply_build(fx.partner, &rp, KP_F_030, "expected "
		    "volgnummer 7 & not <8>", &bytes, &len, &err) == KP_OK,
		    "kp_reply_build: a fault")) {
			keep("gateway-fault", bytes, len);
			is_int(check(bytes, len, 1, msg, sizeof(msg)), KP_F_NONE,
			    "  it verifies %s", msg);
		}
		free(bytes);
		answer = xmlCopyDoc(bodies[1].doc, 1);
		if (ok(kp_reply_build_answer(fx.partner, &rp, answer, &bytes,
		    &len, &err) == KP_OK, "kp_reply_build_answer")) {
			keep("gateway-answer", bytes, len);
			is_int(check(bytes, len, 1, msg, sizeof(msg)), KP_F_NONE,
			    "  it verifies %s", msg);
			/* and the test can fail: one byte of the body changed */
			{
				char *at = strstr(bytes, "r2</kd:referentienummer>");

				if (ok(at != NULL, "  its referentienummer is there")) {
					at[1] = '3';
					is_int(check(bytes, len, 1, msg,
					    sizeof(msg)), KP_F_010,
					    "  one byte changed: KP010 (%s)", msg);
				}
			}
		}
		free(bytes);
	}

	for (size_t i = 0; i < nbodies; i++)
		xmlFreeDoc(bodies[i].doc);
	fixture_teardown(&fx);
	return done_testing();
}
