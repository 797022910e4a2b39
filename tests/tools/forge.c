#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xmlsec/xmlsec.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>
#include <xmlsec/openssl/crypto.h>

#include "config.h"
#include "envelope.h"
#include "forge.h"
#include "gateway.h"
#include "kd.h"
#include "profile.h"
#include "util.h"
#include "wss.h"
#include "xmlsafe.h"

enum phase { PRE, POST, BYTES };

struct mutation {
	const char	*name;
	enum phase	 phase;
	int		(*fn)(struct kp_env *env, const struct forge_opts *o,
			    const char *arg);
	const char	*arg;
};

static xmlNodePtr
reference_to(struct kp_env *env, const char *uri)
{
	xmlNodePtr si = kp_xml_first(env->signature);

	for (xmlNodePtr r = kp_xml_first(si); r != NULL; r = kp_xml_next(r)) {
		char *u = kp_xml_attr(r, NULL, "URI");
		int hit = u != NULL && strcmp(u, uri) == 0;

		free(u);
		if (hit)
			return r;
	}
	return NULL;
}

static int
m_drop_ref(struct kp_env *env, const struct forge_opts *o, const char *uri)
{
	xmlNodePtr r = reference_to(env, uri);

	(void)o;
	if (r == NULL)
		return -1;
	xmlUnlinkNode(r);
	xmlFreeNode(r);
	return 0;
}

static int
m_add_ref(struct kp_env *env, const struct forge_opts *o, const char *uri)
{
	xmlNodePtr ref;

	(void)o;
	ref = xmlSecTmplSignatureAddReference(env->signature,
	    xmlSecOpenSSLTransformSha256Id, NULL, (const xmlChar *)uri, NULL);
	if (ref == NULL ||
	    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) == NULL)
		return -1;
	return 0;
}

static int
m_xpath(struct kp_env *env, const struct forge_opts *o, const char *arg)
{
	xmlNodePtr t, r = reference_to(env, "#id-body");

	(void)o; (void)arg;
	if (r == NULL || (t = xmlSecTmplReferenceAddTransform(r,
	    xmlSecTransformXPathId)) == NULL)
		return -1;
	return xmlSecTmplTransformAddXPath(t, (const xmlChar *)"true()", NULL);
}

/*
 * xmlsec cannot sign an enveloped transform over the Body (the Signature
 * is not inside it), so it is added after signing, before exc-c14n.
 */
static int
m_enveloped(struct kp_env *env, const struct forge_opts *o, const char *arg)
{
	xmlNodePtr r = reference_to(env, "#id-body"), c14n, t;

	(void)o; (void)arg;
	if (r == NULL || (c14n = kp_xml_first(kp_xml_first(r))) == NULL)
		return -1;
	t = xmlNewDocNode(env->doc, c14n->ns, (const xmlChar *)"Transform", NULL);
	xmlNewProp(t, (const xmlChar *)"Algorithm", (const xmlChar *)
	    "http://www.w3.org/2000/09/xmldsig#enveloped-signature");
	return xmlAddPrevSibling(c14n, t) != NULL ? 0 : -1;
}

static int
m_digest_alg(struct kp_env *env, const struct forge_opts *o, const char *alg)
{
	xmlNodePtr r = reference_to(env, "#id-body"), dm;

	(void)o;
	if (r == NULL)
		return -1;
	dm = kp_xml_next(kp_xml_first(r));
	xmlSetProp(dm, (const xmlChar *)"Algorithm", (const xmlChar *)alg);
	return 0;
}

static int
m_sig_alg(struct kp_env *env, const struct forge_opts *o, const char *alg)
{
	xmlNodePtr sm = kp_xml_next(kp_xml_first(kp_xml_first(env->signature)));

	(void)o;
	xmlSetProp(sm, (const xmlChar *)"Algorithm", (const xmlChar *)alg);
	return 0;
}

static int
m_set_uri(struct kp_env *env, const struct forge_opts *o, const char *uri)
{
	xmlNodePtr r = reference_to(env, "#id-body");
	char buf[128];

	if (r == NULL)
		return -1;
	if (strcmp(uri, "external") == 0) {
		snprintf(buf, sizeof(buf), "http://127.0.0.1:%d/body",
		    o->external_port);
		uri = buf;
	}
	xmlSetProp(r, (const xmlChar *)"URI", (const xmlChar *)uri);
	return 0;
}

static int
m_two_bodies(struct kp_env *env, const struct forge_opts *o, const char *arg)
{
	xmlNodePtr copy = xmlCopyNode(env->body, 1);

	(void)o; (void)arg;
	xmlUnsetNsProp(copy, xmlSearchNsByHref(env->doc, copy,
	    (const xmlChar *)NS_WSU), (const xmlChar *)"Id");
	return xmlAddNextSibling(env->body, copy) != NULL ? 0 : -1;
}

static int
m_two_security(struct kp_env *env, const struct forge_opts *o, const char *arg)
{
	xmlNodePtr copy = xmlCopyNode(env->security, 1);

	(void)o; (void)arg;
	return xmlAddNextSibling(env->security, copy) != NULL ? 0 : -1;
}

static int
m_two_signatures(struct kp_env *env, const struct forge_opts *o,
    const char *arg)
{
	xmlNodePtr copy = xmlCopyNode(env->signature, 1);

	(void)o; (void)arg;
	return xmlAddNextSibling(env->signature, copy) != NULL ? 0 : -1;
}

/* Find the first kd element called name under the body. */
static xmlNodePtr
find_kd(xmlNodePtr node, const char *name)
{
	for (xmlNodePtr c = kp_xml_first(node); c != NULL; c = kp_xml_next(c)) {
		xmlNodePtr hit;

		if (kp_xml_is(c, KD_NS, name))
			return c;
		if ((hit = find_kd(c, name)) != NULL)
			return hit;
	}
	return NULL;
}

/*
 * Signature wrapping: the signed Body moves into the header (inside a
 * wrapper block, or into wsse:Security) and a forged Body takes its place.
 */
static int
m_wrap(struct kp_env *env, const struct forge_opts *o, const char *where)
{
	xmlNodePtr signed_body = env->body, forged, status, wrapper;
	xmlNsPtr wsu = xmlSearchNsByHref(env->doc, env->body,
	    (const xmlChar *)NS_WSU);

	(void)o;
	forged = xmlCopyNode(signed_body, 1);
	xmlUnsetNsProp(forged, wsu, (const xmlChar *)"Id");
	/* the forged body says something else */
	if ((status = find_kd(forged, "status")) != NULL)
		xmlNodeSetContent(status, (const xmlChar *)"gesloten");
	xmlReplaceNode(signed_body, forged);
	if (strcmp(where, "security") == 0) {
		xmlAddChild(env->security, signed_body);
		return 0;
	}
	wrapper = xmlNewDocNode(env->doc, NULL, (const xmlChar *)"Wrapper", NULL);
	xmlSetNs(wrapper, xmlNewNs(wrapper, (const xmlChar *)"urn:x-attacker",
	    (const xmlChar *)"x"));
	xmlAddChild(wrapper, signed_body);
	if (strcmp(where, "first") == 0)
		xmlAddPrevSibling(kp_xml_first(env->header), wrapper);
	else
		xmlAddChild(env->header, wrapper);
	return 0;
}

static int
m_dup_id(struct kp_env *env, const struct forge_opts *o, const char *arg)
{
	xmlNsPtr wsu = xmlSearchNsByHref(env->doc, env->envelope,
	    (const xmlChar *)NS_WSU);

	(void)o; (void)arg;
	/* A second element claims the Body's id. */
	xmlNewNsProp(kp_xml_first(env->body_root), wsu, (const xmlChar *)"Id",
	    (const xmlChar *)"id-body");
	return 0;
}

static int
m_key_info(struct kp_env *env, const struct forge_opts *o, const char *what)
{
	xmlNodePtr ki = kp_xml_next(kp_xml_next(kp_xml_first(env->signature)));
	xmlNsPtr ds = xmlSearchNsByHref(env->doc, ki, (const xmlChar *)NS_DS);
	xmlNodePtr el;

	(void)o;
	if (ki == NULL)
		return -1;
	while (ki->children != NULL) {
		xmlNodePtr c = ki->children;

		xmlUnlinkNode(c);
		xmlFreeNode(c);
	}
	if (strcmp(what, "keyvalue") == 0) {
		el = xmlNewChild(ki, ds, (const xmlChar *)"KeyValue", NULL);
		el = xmlNewChild(el, ds, (const xmlChar *)"RSAKeyValue", NULL);
		xmlNewChild(el, ds, (const xmlChar *)"Modulus",
		    (const xmlChar *)"AQAB");
		xmlNewChild(el, ds, (const xmlChar *)"Exponent",
		    (const xmlChar *)"AQAB");
	} else {
		xmlChar *token = xmlNodeGetContent(env->bst);

		el = xmlNewChild(ki, ds, (const xmlChar *)"X509Data", NULL);
		xmlNewChild(el, ds, (const xmlChar *)"X509Certificate", token);
		xmlFree(token);
	}
	return 0;
}

static int
m_alter_body(struct kp_env *env, const struct forge_opts *o, const char *arg)
{
	xmlNodePtr n = find_kd(env->body_root, "referentienummer");

	(void)o; (void)arg;
	if (n == NULL)
		return -1;
	xmlNodeAddContent(n, (const xmlChar *)"-x");
	return 0;
}

static int
m_comment(struct kp_env *env, const struct forge_opts *o, const char *arg)
{
	xmlNodePtr n = find_kd(env->body_root, "referentienummer");

	(void)o; (void)arg;
	if (n == NULL)
		return -1;
	/* exc-c14n without comments ignores it: the signature still holds */
	xmlAddChild(n, xmlNewDocComment(env->doc, (const xmlChar *)" x "));
	return 0;
}

static int
m_no_must_understand(struct kp_env *env, const struct forge_opts *o,
    const char *arg)
{
	(void)o; (void)arg;
	return xmlUnsetNsProp(env->security, xmlSearchNsByHref(env->doc,
	    env->security, (const xmlChar *)NS_SOAP),
	    (const xmlChar *)"mustUnderstand");
}

static int
m_extra_header(struct kp_env *env, const struct forge_opts *o, const char *arg)
{
	xmlNodePtr block = xmlNewDocNode(env->doc, NULL, (const xmlChar *)"Extra",
	    (const xmlChar *)"1");

	(void)o; (void)arg;
	xmlSetNs(block, xmlNewNs(block, (const xmlChar *)"urn:x-extra",
	    (const xmlChar *)"x"));
	return xmlAddPrevSibling(env->security, block) != NULL ? 0 : -1;
}

/*
 * A WS-Addressing block a toolkit adds: arg "NAME ADDRESS" (signed, with a
 * wsu:Id and a reference) or "NAME ADDRESS unsigned"; before Security.
 */
static int
m_wsa_block(struct kp_env *env, const struct forge_opts *o, const char *arg)
{
	char name[32], address[200], flag[16] = "", id[48];
	static int serial;
	xmlNodePtr block, a;
	xmlNsPtr wsu = xmlSearchNsByHref(env->doc, env->timestamp,
	    (const xmlChar *)NS_WSU);

	if (sscanf(arg, "%31s %199s %15s", name, address, flag) < 2 ||
	    (block = xmlNewDocNode(env->doc, env->action->ns,
	    (const xmlChar *)name, NULL)) == NULL)
		return -1;
	a = xmlNewChild(block, env->action->ns, (const xmlChar *)"Address",
	    (const xmlChar *)address);
	snprintf(id, sizeof(id), "id-%s-%d", name, ++serial);
	if (a == NULL || xmlNewNsProp(block, wsu, (const xmlChar *)"Id",
	    (const xmlChar *)id) == NULL ||
	    xmlAddPrevSibling(env->security, block) == NULL)
		return -1;
	if (strcmp(flag, "unsigned") == 0)
		return 0;
	snprintf(id, sizeof(id), "#id-%s-%d", name, serial);
	return m_add_ref(env, o, id);
}

/* Two of a block: arg as for m_wsa_block, added twice. */
static int
m_wsa_twice(struct kp_env *env, const struct forge_opts *o, const char *arg)
{
	return m_wsa_block(env, o, arg) == 0 && m_wsa_block(env, o, arg) == 0 ?
	    0 : -1;
}

/* Leave out an optional element, and its reference when it has one. */
static int
m_leave_out(struct kp_env *env, const struct forge_opts *o, const char *arg)
{
	xmlNodePtr n = strcmp(arg, "from") == 0 ? env->from : env->expires;

	if (n == NULL)
		return -1;
	if (strcmp(arg, "from") == 0 && m_drop_ref(env, o, "#id-from") != 0)
		return -1;
	xmlUnlinkNode(n);
	xmlFreeNode(n);
	return 0;
}

/* wsa:From naming another OIN than the sender's (still signed). */
static int
m_from_oin(struct kp_env *env, const struct forge_opts *o, const char *arg)
{
	xmlNodePtr a = kp_xml_first(env->from);
	char *text = kp_xml_text(a), *q, url[1024];

	(void)o;
	if (text == NULL || (q = strstr(text, "?OIN=")) == NULL) {
		free(text);
		return -1;
	}
	*q = '\0';
	snprintf(url, sizeof(url), "%s?OIN=%s", text, arg);
	free(text);
	xmlNodeSetContent(a, (const xmlChar *)url);
	return 0;
}

/* After signing: the header blocks in another order (o->header_order). */
static int
reorder_header(struct kp_env *env, const char *order)
{
	xmlNodePtr blocks[16];
	int n = 0;

	for (xmlNodePtr c = kp_xml_first(env->header); c != NULL && n < 16;
	    c = kp_xml_next(c))
		blocks[n++] = c;
	for (const char *p = order; *p != '\0';) {
		char *end;
		long i = strtol(p, &end, 10);

		if (end == p || i < 0 || i >= n)
			return -1;
		xmlUnlinkNode(blocks[i]);
		xmlAddChild(env->header, blocks[i]);
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

#define SHA1 "http://www.w3.org/2000/09/xmldsig#sha1"
#define RSA_SHA1 "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
#define HMAC_SHA256 "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"

static const struct mutation mutations[] = {
	{ "none", POST, NULL, NULL },
	{ "missing-ref-body", PRE, m_drop_ref, "#id-body" },
	{ "missing-ref-timestamp", PRE, m_drop_ref, "#id-timestamp" },
	{ "missing-ref-to", PRE, m_drop_ref, "#id-to" },
	{ "missing-ref-action", PRE, m_drop_ref, "#id-action" },
	{ "missing-ref-messageid", PRE, m_drop_ref, "#id-messageid" },
	{ "missing-ref-from", PRE, m_drop_ref, "#id-from" },
	{ "extra-ref-token", PRE, m_add_ref, "#id-token" },
	{ "duplicate-ref-body", PRE, m_add_ref, "#id-body" },
	{ "xpath-transform", PRE, m_xpath, NULL },
	{ "enveloped-transform", POST, m_enveloped, NULL },
	{ "sha1-digest", PRE, m_digest_alg, SHA1 },
	{ "rsa-sha1", PRE, m_sig_alg, RSA_SHA1 },
	{ "hmac-sha256", POST, m_sig_alg, HMAC_SHA256 },
	{ "empty-uri", POST, m_set_uri, "" },
	{ "external-uri", POST, m_set_uri, "external" },
	{ "xpointer-uri", POST, m_set_uri, "#xpointer(/)" },
	{ "two-bodies", POST, m_two_bodies, NULL },
	{ "two-security", POST, m_two_security, NULL },
	{ "two-signatures", POST, m_two_signatures, NULL },
	{ "wrap-header-first", POST, m_wrap, "first" },
	{ "wrap-header-last", POST, m_wrap, "last" },
	{ "wrap-in-security", POST, m_wrap, "security" },
	{ "duplicate-id", POST, m_dup_id, NULL },
	{ "keyvalue", POST, m_key_info, "keyvalue" },
	{ "x509data", POST, m_key_info, "x509data" },
	{ "altered-body", POST, m_alter_body, NULL },
	{ "comment-in-field", POST, m_comment, NULL },
	{ "no-must-understand", POST, m_no_must_understand, NULL },
	{ "extra-header", POST, m_extra_header, NULL },
	{ "utf16-bom", BYTES, NULL, NULL },
	{ "truncated", BYTES, NULL, NULL },
	/* what standard toolkits send (PROTOCOL.md 2) */
	{ "no-from", PRE, m_leave_out, "from" },
	{ "no-expires", PRE, m_leave_out, "expires" },
	{ "reply-to-anonymous", PRE, m_wsa_block, "ReplyTo " WSA_ANONYMOUS },
	{ "reply-to-none", PRE, m_wsa_block, "ReplyTo " WSA_NONE },
	{ "fault-to-anonymous", PRE, m_wsa_block, "FaultTo " WSA_ANONYMOUS },
	{ "reply-to-address", PRE, m_wsa_block,
	  "ReplyTo https://partner.example/antwoorden" },
	{ "reply-to-unsigned", PRE, m_wsa_block,
	  "ReplyTo " WSA_ANONYMOUS " unsigned" },
	{ "two-reply-to", PRE, m_wsa_twice, "ReplyTo " WSA_ANONYMOUS },
	{ "from-other-oin", PRE, m_from_oin, "00000009009000000000" },
};
#define N_MUTATIONS (sizeof(mutations) / sizeof(mutations[0]))

const char *const forge_mutations[N_MUTATIONS + 1] = {
	"none", "missing-ref-body", "missing-ref-timestamp", "missing-ref-to",
	"missing-ref-action", "missing-ref-messageid", "missing-ref-from",
	"extra-ref-token", "duplicate-ref-body", "xpath-transform",
	"enveloped-transform", "sha1-digest", "rsa-sha1", "hmac-sha256",
	"empty-uri", "external-uri", "xpointer-uri", "two-bodies",
	"two-security", "two-signatures", "wrap-header-first",
	"wrap-header-last", "wrap-in-security", "duplicate-id", "keyvalue",
	"x509data", "altered-body", "comment-in-field", "no-must-understand",
	"extra-header", "utf16-bom", "truncated", "no-from", "no-expires",
	"reply-to-anonymous", "reply-to-none", "fault-to-anonymous",
	"reply-to-address", "reply-to-unsigned", "two-reply-to",
	"from-other-oin", NULL
};

int
forge_build(struct kp_gateway *gw, const struct kp_profile *to,
    xmlNodePtr body_root, const struct forge_opts *o, char **out, size_t *len,
    struct kp_err *err)
{
	const struct kp_signer *signer = o->signer != NULL ? o->signer :
	    gw->signer;
	const struct mutation *m = NULL;
	char wsa_to[1024], from[1024], action[256], msgid[48];
	struct kp_env_params ep = { 0 };
	struct kp_env env;
	int ret;

	for (size_t i = 0; i < N_MUTATIONS; i++)
		if (o->mutation != NULL && strcmp(o->mutation, mutations[i].name) == 0)
			m = &mutations[i];
	if (o->mutation != NULL && m == NULL)
		return kp_fail(err, KP_ERR_USAGE, "unknown mutation %s", o->mutation);
	snprintf(wsa_to, sizeof(wsa_to), "%s?OIN=%s", to->endpoint, to->oin);
	snprintf(from, sizeof(from), "%s?OIN=%s", gw->cfg->endpoint, gw->cfg->oin);
	snprintf(action, sizeof(action), KD_ACTION_PREFIX "%s",
	    (const char *)body_root->name);
	kp_new_message_id(msgid);
	ep.to = o->wsa_to != NULL ? o->wsa_to : wsa_to;
	ep.from = from;
	ep.action = o->action != NULL ? o->action : action;
	ep.message_id = o->message_id != NULL ? o->message_id : msgid;
	ep.created_ms = kp_now_ms() + o->created_offset_s * 1000;
	ep.lifetime_s = o->lifetime_s > 0 ? o->lifetime_s :
	    (int)gw->cfg->timestamp_lifetime;
	ep.bst_b64 = signer->cert_b64;
	ep.ec = signer->ec;
	if ((ret = kp_env_build(&ep, body_root, &env, err)) != KP_OK)
		return ret;
	if (m != NULL && m->phase == PRE && m->fn(&env, o, m->arg) != 0) {
		ret = kp_fail(err, KP_ERR_XML, "mutation %s failed", m->name);
		goto out;
	}
	if ((ret = kp_wss_sign(signer, &env, err)) != KP_OK)
		goto out;
	if (m != NULL && m->phase == POST && m->fn != NULL &&
	    m->fn(&env, o, m->arg) != 0) {
		ret = kp_fail(err, KP_ERR_XML, "mutation %s failed", m->name);
		goto out;
	}
	if (o->header_order != NULL &&
	    reorder_header(&env, o->header_order) != 0) {
		ret = kp_fail(err, KP_ERR_USAGE, "header order %s: not indices "
		    "of the header's blocks", o->header_order);
		goto out;
	}
	if ((ret = kp_env_serialize(env.doc, out, len, err)) != KP_OK)
		goto out;
	if (m != NULL && strcmp(m->name, "utf16-bom") == 0) {
		char *b = malloc(*len + 2);

		if (b == NULL) {
			ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
			goto out;
		}
		b[0] = (char)0xff;
		b[1] = (char)0xfe;
		memcpy(b + 2, *out, *len);
		free(*out);
		*out = b;
		*len += 2;
	} else if (m != NULL && strcmp(m->name, "truncated") == 0) {
		*len /= 2;
	}
out:
	xmlFreeDoc(env.doc);
	return ret;
}
