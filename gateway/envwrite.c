#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "envwrite.h"
#include "util.h"
#include "wss.h"

/* The output, grown by doubling; oom is sticky and checked at the end. */
struct out {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (n > o->cap - o->len) {
		size_t cap = o->cap ? o->cap : 8192;
		char *grown;

		while (n > cap - o->len)
			cap *= 2;
		if ((grown = realloc(o->p, cap)) == NULL) {
			o->oom = 1;
			return;
		}
		o->p = grown;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/*
 * Character data as exclusive c14n writes it (§2.3 of C14N 1.0): &, <,
 * > and CR escaped; in an attribute value &, <, ", TAB, LF and CR.
 */
static void
put_escaped(struct out *o, const char *s, int attr)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep = NULL;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = attr ? NULL : "&gt;"; break;
		case '"': rep = attr ? "&quot;" : NULL; break;
		case '\t': rep = attr ? "&#x9;" : NULL; break;
		case '\n': rep = attr ? "&#xA;" : NULL; break;
		case '\r': rep = "&#xD;"; break;
		}
		if (rep == NULL)
			continue;
		put(o, run, (size_t)(s - run));
		puts_(o, rep);
		run = s + 1;
	}
	put(o, run, (size_t)(s - run));
}

/* SHA-256 of what o holds, base64 (44 characters and NUL). */
static int
digest(const struct out *o, char b64[45])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (o->oom || EVP_Digest(o->p, o->len, md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != sizeof(md))
		return -1;
	EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
	return 0;
}

#define XMLNS_WSA_WSU	" xmlns:wsa=\"" NS_WSA "\" xmlns:wsu=\"" NS_WSU "\""

/*
 * Each signed part is written twice: in its canonical form (canon: the
 * namespaces it uses declared on it, sorted by prefix, then its attributes
 * sorted), which is digested, and as it goes out, without the declarations
 * soap:Envelope already makes with the same prefix and URI.  The receiver
 * canonicalises what goes out back into the first.
 */

/* A signed WS-Addressing header with text content. */
static void
put_wsa(struct out *o, int canon, const char *name, const char *id,
    const char *text)
{
	puts_(o, "<wsa:");
	puts_(o, name);
	puts_(o, canon ? XMLNS_WSA_WSU " wsu:Id=\"" : " wsu:Id=\"");
	puts_(o, id);
	puts_(o, "\">");
	put_escaped(o, text, 0);
	puts_(o, "</wsa:");
	puts_(o, name);
	puts_(o, ">");
}

/* The canonical soap:Body: libxml2's exclusive c14n of a Body of its own. */
static int
put_body(struct out *o, xmlNodePtr body_root, struct kp_err *err)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr body = NULL, copy = NULL;
	xmlNsPtr soap, wsu;
	xmlChar *c14n = NULL;
	int n = -1;

	if (doc != NULL &&
	    (body = xmlNewDocNode(doc, NULL, (const xmlChar *)"Body",
	    NULL)) != NULL) {
		xmlDocSetRootElement(doc, body);
		soap = xmlNewNs(body, (const xmlChar *)NS_SOAP,
		    (const xmlChar *)"soap");
		wsu = xmlNewNs(body, (const xmlChar *)NS_WSU,
		    (const xmlChar *)"wsu");
		xmlSetNs(body, soap);
		if (soap != NULL && wsu != NULL &&
		    xmlNewNsProp(body, wsu, (const xmlChar *)"Id",
		    (const xmlChar *)"id-body") != NULL &&
		    (copy = xmlDocCopyNode(body_root, doc, 1)) != NULL) {
			xmlAddChild(body, copy);
			xmlReconciliateNs(doc, copy);
			n = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_EXCLUSIVE_1_0,
			    NULL, 0, &c14n);
		}
	}
	if (n > 0)
		put(o, (const char *)c14n, (size_t)n);
	xmlFree(c14n);
	xmlFreeDoc(doc);
	if (n <= 0)
		return kp_fail(err, KP_ERR_XML, "cannot canonicalise the body");
	return KP_OK;
}

struct ref {
	const char	*id;
	char		 digest[45];
};

/* refs[*n]: id, the digest of the part c holds; c emptied for the next. */
static int
add_ref(struct out *c, struct ref *refs, int *n, const char *id)
{
	refs[*n].id = id;
	if (digest(c, refs[*n].digest) != 0)
		return -1;
	(*n)++;
	c->len = 0;
	return 0;
}

static void
put_from(struct out *o, int canon, const char *from)
{
	puts_(o, canon ? "<wsa:From" XMLNS_WSA_WSU " wsu:Id=\"id-from\">" :
	    "<wsa:From wsu:Id=\"id-from\">");
	puts_(o, "<wsa:Address>");
	put_escaped(o, from, 0);
	puts_(o, "</wsa:Address></wsa:From>");
}

static void
put_timestamp(struct out *o, int canon, const struct kp_env_params *p)
{
	char when[32];

	puts_(o, canon ? "<wsu:Timestamp xmlns:wsu=\"" NS_WSU "\" " :
	    "<wsu:Timestamp ");
	puts_(o, "wsu:Id=\"id-timestamp\"><wsu:Created>");
	kp_time_iso(p->created_ms, when);
	puts_(o, when);
	puts_(o, "</wsu:Created><wsu:Expires>");
	kp_time_iso(p->created_ms + (int64_t)p->lifetime_s * 1000, when);
	puts_(o, when);
	puts_(o, "</wsu:Expires></wsu:Timestamp>");
}

static void
put_sigconf(struct out *o, int canon, const char *value)
{
	puts_(o, canon ? "<wsse11:SignatureConfirmation xmlns:wsse11=\""
	    NS_WSSE11 "\" xmlns:wsu=\"" NS_WSU "\"" :
	    "<wsse11:SignatureConfirmation");
	if (value != NULL) {
		puts_(o, " Value=\"");
		put_escaped(o, value, 1);
		puts_(o, "\"");
	}
	puts_(o, " wsu:Id=\"id-sigconf\"></wsse11:SignatureConfirmation>");
}

static void
put_signed_info(struct out *o, int canon, const struct ref *refs, int nrefs,
    int ec)
{
	puts_(o, canon ? "<ds:SignedInfo xmlns:ds=\"" NS_DS "\">" :
	    "<ds:SignedInfo>");
	puts_(o, "<ds:CanonicalizationMethod Algorithm=\"" ALG_EXC_C14N "\">"
	    "</ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"");
	puts_(o, ec ? ALG_ECDSA_SHA256 : ALG_RSA_SHA256);
	puts_(o, "\"></ds:SignatureMethod>");
	for (int i = 0; i < nrefs; i++) {
		puts_(o, "<ds:Reference URI=\"#");
		puts_(o, refs[i].id);
		puts_(o, "\"><ds:Transforms><ds:Transform Algorithm=\""
		    ALG_EXC_C14N "\"></ds:Transform></ds:Transforms>"
		    "<ds:DigestMethod Algorithm=\"" ALG_SHA256 "\">"
		    "</ds:DigestMethod><ds:DigestValue>");
		puts_(o, refs[i].digest);
		puts_(o, "</ds:DigestValue></ds:Reference>");
	}
	puts_(o, "</ds:SignedInfo>");
}

/*
 * The signature of tbs as XML-DSig wants it: RSA PKCS#1 v1.5 as it is,
 * ECDSA as r || s of 32 bytes each (RFC 4050), not DER.  Base64 in b64.
 */
static int
sign_b64(const struct kp_signer *s, const char *tbs, size_t len, char *b64,
    struct kp_err *err)
{
	unsigned char sig[1024], raw[64];
	const unsigned char *p = sig, *val = sig;
	size_t siglen = sizeof(sig), vallen;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ECDSA_SIG *es = NULL;
	int ok;

	ok = ctx != NULL &&
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, s->pkey) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)tbs,
	    len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return kp_fail(err, KP_ERR_CRYPTO, "signing failed");
	vallen = siglen;
	if (s->ec) {
		const BIGNUM *r, *sv;

		if ((es = d2i_ECDSA_SIG(NULL, &p, (long)siglen)) == NULL)
			return kp_fail(err, KP_ERR_CRYPTO, "signing failed: "
			    "the ECDSA signature cannot be read");
		ECDSA_SIG_get0(es, &r, &sv);
		ok = BN_bn2binpad(r, raw, 32) == 32 &&
		    BN_bn2binpad(sv, raw + 32, 32) == 32;
		ECDSA_SIG_free(es);
		if (!ok)
			return kp_fail(err, KP_ERR_CRYPTO, "signing failed: "
			    "the ECDSA signature is not of P-256");
		val = raw;
		vallen = sizeof(raw);
	}
	EVP_EncodeBlock((unsigned char *)b64, val, (int)vallen);
	return KP_OK;
}

/* The canonical soap:Body begins so; it goes out without the two xmlns. */
#define BODY_CANON	"<soap:Body xmlns:soap=\"" NS_SOAP "\" xmlns:wsu=\"" \
			NS_WSU "\" wsu:Id=\"id-body\">"
#define BODY_OUT	"<soap:Body wsu:Id=\"id-body\">"

int
kp_env_write(const struct kp_env_params *p, xmlNodePtr body_root,
    const struct kp_signer *s, char **out, size_t *len,
    char **signature_value, struct kp_err *err)
{
	struct out o = { 0 }, c = { 0 }, b = { 0 };
	struct ref refs[8];
	int nrefs = 0, ret;
	char msgid[48], sig_b64[1400];
	const char *message_id = p->message_id;

	*out = NULL;
	*len = 0;
	if (signature_value != NULL)
		*signature_value = NULL;
	if (message_id == NULL) {
		kp_new_message_id(msgid);
		message_id = msgid;
	}
	/* References in the order kp_env_build gives them. */
	if ((ret = put_body(&b, body_root, err)) != KP_OK)
		goto out;
	if (b.len < sizeof(BODY_CANON) - 1 ||
	    memcmp(b.p, BODY_CANON, sizeof(BODY_CANON) - 1) != 0) {
		ret = kp_fail(err, KP_ERR_XML, "the canonical body does not "
		    "begin as expected");
		goto out;
	}
	refs[nrefs].id = "id-body";
	if (digest(&b, refs[nrefs++].digest) != 0)
		goto nomem;
	put_timestamp(&c, 1, p);
	if (add_ref(&c, refs, &nrefs, "id-timestamp") != 0)
		goto nomem;
	if (!p->response) {
		put_wsa(&c, 1, "To", "id-to", p->to);
		if (add_ref(&c, refs, &nrefs, "id-to") != 0)
			goto nomem;
	}
	put_wsa(&c, 1, "Action", "id-action", p->action);
	if (add_ref(&c, refs, &nrefs, "id-action") != 0)
		goto nomem;
	put_wsa(&c, 1, "MessageID", "id-messageid", message_id);
	if (add_ref(&c, refs, &nrefs, "id-messageid") != 0)
		goto nomem;
	if (!p->response) {
		put_from(&c, 1, p->from);
		if (add_ref(&c, refs, &nrefs, "id-from") != 0)
			goto nomem;
	} else {
		put_wsa(&c, 1, "RelatesTo", "id-relatesto",
		    p->relates_to != NULL ? p->relates_to : WSA_UNSPECIFIED);
		if (add_ref(&c, refs, &nrefs, "id-relatesto") != 0)
			goto nomem;
		put_sigconf(&c, 1, p->sigconf_value);
		if (add_ref(&c, refs, &nrefs, "id-sigconf") != 0)
			goto nomem;
	}
	put_signed_info(&c, 1, refs, nrefs, p->ec);
	if (c.oom)
		goto nomem;
	if ((ret = sign_b64(s, c.p, c.len, sig_b64, err)) != KP_OK)
		goto out;

	/* What goes out: the same parts, in the order of §2. */
	puts_(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<soap:Envelope xmlns:soap=\"" NS_SOAP "\" xmlns:wsa=\"" NS_WSA
	    "\" xmlns:wsse=\"" NS_WSSE "\" xmlns:wsu=\"" NS_WSU "\"");
	if (p->response)
		puts_(&o, " xmlns:wsse11=\"" NS_WSSE11 "\"");
	puts_(&o, "><soap:Header>");
	if (!p->response)
		put_wsa(&o, 0, "To", "id-to", p->to);
	put_wsa(&o, 0, "Action", "id-action", p->action);
	put_wsa(&o, 0, "MessageID", "id-messageid", message_id);
	if (!p->response)
		put_from(&o, 0, p->from);
	else
		put_wsa(&o, 0, "RelatesTo", "id-relatesto",
		    p->relates_to != NULL ? p->relates_to : WSA_UNSPECIFIED);
	puts_(&o, "<wsse:Security soap:mustUnderstand=\"1\">");
	put_timestamp(&o, 0, p);
	puts_(&o, "<wsse:BinarySecurityToken ValueType=\"" WSS_X509V3 "\" "
	    "EncodingType=\"" WSS_BASE64 "\" wsu:Id=\"id-token\">");
	puts_(&o, p->bst_b64);
	puts_(&o, "</wsse:BinarySecurityToken>");
	if (p->response)
		put_sigconf(&o, 0, p->sigconf_value);
	puts_(&o, "<ds:Signature xmlns:ds=\"" NS_DS "\">");
	put_signed_info(&o, 0, refs, nrefs, p->ec);
	puts_(&o, "<ds:SignatureValue>");
	puts_(&o, sig_b64);
	puts_(&o, "</ds:SignatureValue><ds:KeyInfo>"
	    "<wsse:SecurityTokenReference><wsse:Reference "
	    "URI=\"#id-token\" ValueType=\"" WSS_X509V3 "\"/>"
	    "</wsse:SecurityTokenReference></ds:KeyInfo></ds:Signature>"
	    "</wsse:Security></soap:Header>" BODY_OUT);
	put(&o, b.p + sizeof(BODY_CANON) - 1, b.len - (sizeof(BODY_CANON) - 1));
	puts_(&o, "</soap:Envelope>\n");
	put(&o, "", 1);		/* NUL, not counted */
	if (o.oom)
		goto nomem;
	if (signature_value != NULL &&
	    (*signature_value = strdup(sig_b64)) == NULL)
		goto nomem;
	*out = o.p;
	*len = o.len - 1;
	o.p = NULL;
	ret = KP_OK;
	goto out;
nomem:
	ret = kp_fail(err, KP_ERR_NOMEM, "out of memory while writing the "
	    "message");
out:
	free(o.p);
	free(c.p);
	free(b.p);
	return ret;
}
