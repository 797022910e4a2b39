/*
 * envelope + wss: signing, and each verification rule on its own stage:
 * parse (KP001), shape (KP002), signature and references (KP010/KP011),
 * timestamp (KP012), addressing (KP003).
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "envelope.h"
#include "fixture.h"
#include "signers.h"
#include "forge.h"
#include "gateway.h"
#include "pki.h"
#include "profile.h"
#include "tap.h"
#include "util.h"
#include "keyproc.h"
#include "keyprov.h"
#include "wss.h"
#include "tls.h"
#include "xmlsafe.h"

static struct fixture fx;
static xmlDocPtr body;

/*
 * Forge as the partner, then parse and inspect as self.  -1 if forging
 * failed; else 0 and *doc, NULL when parsing or inspection refused it
 * (err says why).
 */
static int
forge_inspect(const struct forge_opts *o, xmlDocPtr *doc, struct kp_env *env,
    struct kp_err *err)
{
	char *bytes = NULL;
	size_t len;

	*doc = NULL;
	kp_err_clear(err);
	if (forge_build(fx.partner, fx.self_at_partner, xmlDocGetRootElement(body),
	    o, &bytes, &len, err) != KP_OK)
		return -1;
	if ((*doc = kp_xml_parse(bytes, len, err)) != NULL &&
	    kp_env_inspect(*doc, 0, env, err) != KP_OK) {
		xmlFreeDoc(*doc);
		*doc = NULL;
	}
	free(bytes);
	return 0;
}

/* Forge as the partner, check as self up to and including the signature. */
static kp_fault
verdict(const struct forge_opts *o, const char *peer_oin, char *msg,
    size_t msglen)
{
	struct kp_wss_policy policy = { .trust = fx.self->trust,
	    .expected_oin = peer_oin };
	struct kp_wss_result res = { 0 };
	struct kp_env env;
	struct kp_err err;
	xmlDocPtr doc;
	kp_fault f = KP_F_NONE;

	if (forge_inspect(o, &doc, &env, &err) != 0) {
		snprintf(msg, msglen, "forge: %.400s", err.msg);
		return KP_F_MAX;
	}
	if (doc == NULL ||
	    kp_wss_verify(&env, &policy, &res, &err) != KP_OK ||
	    kp_env_check_timestamp(&env, kp_now_ms(), 60, 3600, 300, &err) != KP_OK ||
	    kp_env_check_addressing(&env, fx.self->cfg->endpoint, OIN_SELF, NULL,
	    &err) != KP_OK)
		f = err.fault;
	if (msg != NULL)
		snprintf(msg, msglen, "%s", err.msg);
	kp_wss_result_clear(&res);
	xmlFreeDoc(doc);
	return f;
}

/*
 * kp_wss_xmlsec_verify (bench_wss's "xmlsec alone") on a forged message:
 * KP_F_NONE if xmlsec verifies it, else the fault.
 */
static kp_fault
xmlsec_alone(const char *mutation)
{
	struct forge_opts o = { .mutation = mutation, .external_port = 9 };
	struct kp_env env;
	struct kp_err err;
	xmlDocPtr doc;
	kp_fault f;

	if (forge_inspect(&o, &doc, &env, &err) != 0 || doc == NULL)
		return KP_F_MAX;
	f = kp_wss_xmlsec_verify(&env, X509_get0_pubkey(
	    fx.partner->signer->cert), &err) == KP_OK ? KP_F_NONE : err.fault;
	xmlFreeDoc(doc);
	return f;
}

static const struct {
	const char	*mutation;
	kp_fault	 expect;
} cases[] = {
	{ "none", KP_F_NONE },
	{ "missing-ref-body", KP_F_010 },
	{ "missing-ref-timestamp", KP_F_010 },
	{ "missing-ref-to", KP_F_010 },
	{ "missing-ref-action", KP_F_010 },
	{ "missing-ref-messageid", KP_F_010 },
	{ "missing-ref-from", KP_F_010 },
	{ "extra-ref-token", KP_F_010 },
	{ "duplicate-ref-body", KP_F_010 },
	{ "xpath-transform", KP_F_010 },
	{ "enveloped-transform", KP_F_010 },
	{ "sha1-digest", KP_F_010 },
	{ "rsa-sha1", KP_F_010 },
	{ "hmac-sha256", KP_F_010 },
	{ "empty-uri", KP_F_010 },
	{ "external-uri", KP_F_010 },
	{ "xpointer-uri", KP_F_010 },
	{ "two-bodies", KP_F_002 },
	{ "two-security", KP_F_002 },
	{ "two-signatures", KP_F_002 },
	{ "wrap-header-first", KP_F_002 },
	{ "wrap-header-last", KP_F_002 },
	{ "wrap-in-security", KP_F_002 },
	{ "duplicate-id", KP_F_010 },
	{ "keyvalue", KP_F_010 },
	{ "x509data", KP_F_010 },
	{ "altered-body", KP_F_010 },
	{ "comment-in-field", KP_F_002 },
	{ "no-must-understand", KP_F_002 },
	{ "extra-header", KP_F_002 },
	{ "utf16-bom", KP_F_001 },
	{ "truncated", KP_F_001 },
};

int
main(void)
{
	struct forge_opts o;
	struct kp_pki_opts weak = { .bits = 1024 }, ec = { .ec = 1 };
	struct kp_pki_opts selfsigned = { .self_signed = 1 };
	struct kp_pki_opts expired = { .start_days = -30, .days = 10 };
	struct kp_signer *s;
	char msg[512];

	if (fixture_setup(&fx) != 0) {
		ok(0, "fixture");
		return done_testing();
	}
	body = fixture_body("zakLk01", OIN_PARTNER, OIN_SELF, "r1", "111222333");
	if (!ok(body != NULL, "body template loads"))
		return done_testing();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.mutation = cases[i].mutation;
		o.external_port = 9;
		is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)), cases[i].expect,
		    "%s: %s", cases[i].mutation,
		    cases[i].expect == KP_F_NONE ? "verifies" :
		    kp_fault_code(cases[i].expect));
		if (cases[i].expect != KP_F_NONE)
			ok(msg[0] != '\0', "%s: the rejection says why (%s)",
			    cases[i].mutation, msg);
	}

	memset(&o, 0, sizeof(o));
	is_int(verdict(&o, OIN_CALLCENTER, msg, sizeof(msg)), KP_F_011,
	    "signer OIN differs from the TLS peer: KP011");

	o.signer = s = fixture_signer(&fx, "callcenter", NULL, NULL);
	is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)), KP_F_011,
	    "valid certificate of another partner: KP011");
	kp_signer_free(s);

	o.signer = s = fixture_signer(&fx, "weak", &weak, OIN_PARTNER);
	is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)), KP_F_010,
	    "RSA-1024 signing key: KP010");
	ok(strstr(msg, "1024 bits") != NULL, "and the message names the size");
	kp_signer_free(s);

	o.signer = s = fixture_signer(&fx, "ecpartner", &ec, OIN_PARTNER);
	is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)), KP_F_NONE,
	    "P-256 key with ecdsa-sha256 verifies");
	kp_signer_free(s);

	{
		pid_t pid;

		o.signer = s = fixture_remote_signer(&fx, "partner", NULL, NULL, &pid);
		ok(s != NULL && kp_keyprov_is_remote(s->pkey),
		    "the partner's key in a key process: a signer without it");
		if (s != NULL)
			is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)),
			    KP_F_NONE, "  its rsa-sha256 signature verifies (%s)", msg);
		kill(pid, SIGKILL);
		if (s != NULL)
			ok(verdict(&o, OIN_PARTNER, msg, sizeof(msg)) == KP_F_MAX &&
			    strstr(msg, "signing failed") != NULL,
			    "  the key process killed: nothing is signed (%s)", msg);
		fixture_remote_signer_free(s, pid);
		o.signer = s = fixture_remote_signer(&fx, "ecpartner2", &ec, OIN_PARTNER,
		    &pid);
		if (ok(s != NULL, "a P-256 key in a key process"))
			is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)),
			    KP_F_NONE, "  its ecdsa-sha256 signature verifies");
		fixture_remote_signer_free(s, pid);
		o.signer = NULL;
	}

	o.signer = s = fixture_signer(&fx, "selfsigned", &selfsigned, OIN_PARTNER);
	is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)), KP_F_010,
	    "self-signed certificate: KP010");
	kp_signer_free(s);

	o.signer = s = fixture_signer(&fx, "expired", &expired, OIN_PARTNER);
	is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)), KP_F_010,
	    "expired certificate: KP010");
	ok(strstr(msg, "expired") != NULL, "and the message says expired (%s)", msg);
	kp_signer_free(s);
	o.signer = NULL;

	/* A signing certificate revoked in the CRL: KP010. */
	{
		char dir[300], ca[320], crl[320];
		struct kp_err e2;
		X509_STORE *fresh, *old = fx.self->trust;
		struct kp_certcache *old_cache = fx.self->certs;

		snprintf(dir, sizeof(dir), "%s/pki", fx.dir);
		snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
		snprintf(crl, sizeof(crl), "%s/ca.crl", dir);
		o.signer = s = fixture_signer(&fx, "revokedsigner", &(struct kp_pki_opts){ 0 },
		    OIN_PARTNER);
		kp_pki_revoke(dir, "revokedsigner", &e2);
		fresh = kp_trust_new(ca, crl, &e2);
		fx.self->trust = fresh;
		fx.self->certs = NULL;
		is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)), KP_F_010,
		    "signing certificate revoked in the CRL: KP010");
		ok(strstr(msg, "revoked") != NULL, "and the message says revoked (%s)",
		    msg);
		fx.self->trust = old;
		fx.self->certs = old_cache;
		X509_STORE_free(fresh);
		kp_signer_free(s);
		o.signer = NULL;
	}

	o.created_offset_s = -600;
	is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)), KP_F_012,
	    "expired Timestamp: KP012");
	o.created_offset_s = 120;
	is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)), KP_F_012,
	    "Created 120 s in the future (skew 60): KP012");
	o.created_offset_s = 30;
	is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)), KP_F_NONE,
	    "Created 30 s in the future is within the skew");
	o.created_offset_s = 0;
	o.lifetime_s = 7200;
	is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)), KP_F_012,
	    "lifetime of two hours: KP012");
	o.lifetime_s = 0;

	o.wsa_to = "https://127.0.0.1:9/wus/v1";
	is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)), KP_F_003,
	    "wsa:To another endpoint: KP003");
	o.wsa_to = "https://127.0.0.1:1/wus/v1?OIN=00000009009000000000";
	is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)), KP_F_003,
	    "wsa:To with another OIN: KP003");
	o.wsa_to = "https://127.0.0.1:1/wus/v1";
	is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)), KP_F_NONE,
	    "wsa:To without ?OIN= is our endpoint too");
	o.wsa_to = NULL;
	o.action = "urn:ketenpoort:ketendossier:1:prsLk01";
	is_int(verdict(&o, OIN_PARTNER, msg, sizeof(msg)), KP_F_003,
	    "wsa:Action not the body root: KP003");
	o.action = NULL;

	/* xmlsec's part alone, which bench_wss times: it checks no rule of ours */
	is_int(xmlsec_alone("none"), KP_F_NONE,
	    "xmlsec alone: a good message verifies");
	is_int(xmlsec_alone("altered-body"), KP_F_010,
	    "xmlsec alone: an altered body is KP010");
	is_int(xmlsec_alone("missing-ref-body"), KP_F_NONE,
	    "xmlsec alone: an unsigned body passes (kp_wss_verify refuses it: "
	    "only bench_wss may call it)");

	xmlFreeDoc(body);
	fixture_teardown(&fx);
	return done_testing();
}
