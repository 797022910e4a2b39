#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/valid.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/base64.h>
#include <xmlsec/errors.h>
#include <xmlsec/keys.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>

#include "certcache.h"
#include "tls.h"
#include "util.h"
#include "keyproc.h"
#include "keyprov.h"
#include "wss.h"
#include "xmlsafe.h"

/*
 * "#id" references are resolved by xmlGetID() on the element itself rather
 * than through an XPointer expression evaluated over the whole document:
 * the same node (we registered the ids and checked the mapping ourselves),
 * the same subtree without comments (the bare-name rule; comments are
 * refused at parse anyway), at a fraction of the cost.  xmlsec calls this
 * the "Visa3D hack"; here it is simply the direct lookup.
 */
#define KP_DSIG_FLAGS	(XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS | \
	XMLSEC_DSIG_FLAGS_USE_VISA3D_HACK)

static void
xmlsec_quiet(const char *file, int line, const char *func,
    const char *errorObject, const char *errorSubject, int reason,
    const char *msg)
{
	(void)file; (void)line; (void)func; (void)errorObject;
	(void)errorSubject; (void)reason; (void)msg;
}

int
kp_wss_init(struct kp_err *err)
{
	if (xmlSecInit() < 0)
		return kp_fail(err, KP_ERR_CRYPTO, "xmlsec initialisation failed");
	if (xmlSecCheckVersion() != 1)
		return kp_fail(err, KP_ERR_CRYPTO, "xmlsec library version mismatch");
	if (xmlSecOpenSSLAppInit(NULL) < 0 || xmlSecOpenSSLInit() < 0)
		return kp_fail(err, KP_ERR_CRYPTO,
		    "xmlsec OpenSSL backend initialisation failed");
	xmlSecErrorsSetCallback(xmlsec_quiet);
	/* Base64 on one line: SignatureValue and tokens without &#10;. */
	xmlSecBase64SetDefaultLineSize(0);
	return KP_OK;
}

void
kp_wss_cleanup(void)
{
	xmlSecOpenSSLShutdown();
	xmlSecOpenSSLAppShutdown();
	xmlSecShutdown();
}

int
kp_key_acceptable(EVP_PKEY *pkey, struct kp_err *err)
{
	char group[64];
	size_t glen = 0;

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bits(pkey) < 2048)
			return kp_reject(err, KP_F_010,
			    "RSA key of %d bits; at least 2048 are required",
			    EVP_PKEY_get_bits(pkey));
		return KP_OK;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(pkey, "group", group,
		    sizeof(group), &glen) != 1 || strcmp(group, "prime256v1") != 0)
			return kp_reject(err, KP_F_010,
			    "EC key is not on P-256");
		return KP_OK;
	default:
		return kp_reject(err, KP_F_010,
		    "key type is neither RSA nor EC P-256");
	}
}

/* The signer around s->pkey: its certificate, key strength and OIN. */
static int
signer_finish(struct kp_signer *s, const char *cert_path, const char *key_name,
    int allow_weak, struct kp_err *err)
{
	unsigned char *der = NULL;
	xmlChar *b64;
	int derlen;
	struct kp_err kerr;

	if (X509_check_private_key(s->cert, s->pkey) != 1)
		return kp_fail(err, KP_ERR_CONFIG, "%s does not belong to %s",
		    key_name, cert_path);
	if (!allow_weak && kp_key_acceptable(s->pkey, &kerr) != KP_OK)
		return kp_fail(err, KP_ERR_CONFIG, "%s: %s", key_name, kerr.msg);
	if (kp_cert_oin(s->cert, s->oin) != 0 && !allow_weak)
		return kp_fail(err, KP_ERR_CONFIG,
		    "%s: subject has no serialNumber with a 20-digit OIN",
		    cert_path);
	s->ec = EVP_PKEY_get_base_id(s->pkey) == EVP_PKEY_EC;
	if ((derlen = i2d_X509(s->cert, &der)) <= 0 ||
	    (b64 = xmlSecBase64Encode(der, (xmlSecSize)derlen, 0)) == NULL) {
		OPENSSL_free(der);
		return kp_fail(err, KP_ERR_CRYPTO, "%s: cannot encode", cert_path);
	}
	OPENSSL_free(der);
	s->cert_b64 = strdup((const char *)b64);
	xmlFree(b64);
	if (s->cert_b64 == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	return KP_OK;
}

/* A signer with only its certificate yet. */
static struct kp_signer *
signer_new(const char *cert_path, struct kp_err *err)
{
	struct kp_signer *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if ((s->cert = kp_load_cert(cert_path, err)) == NULL ||
	    (s->chain = kp_load_cert_chain(cert_path, err)) == NULL) {
		kp_signer_free(s);
		return NULL;
	}
	return s;
}

struct kp_signer *
kp_signer_load(const char *cert_path, const char *key_path, int allow_weak,
    struct kp_err *err)
{
	struct kp_signer *s;

	if ((s = signer_new(cert_path, err)) == NULL)
		return NULL;
	if ((s->pkey = kp_load_private_key(key_path, err)) == NULL ||
	    signer_finish(s, cert_path, key_path, allow_weak, err) != KP_OK) {
		kp_signer_free(s);
		return NULL;
	}
	/* one key for all three, here */
	EVP_PKEY_up_ref(s->pkey);
	s->tls_pkey = s->pkey;
	EVP_PKEY_up_ref(s->pkey);
	s->checkpoint_pkey = s->pkey;
	return s;
}

/* Each of the key process's keys is the certificate's. */
static int
remote_key_is(X509 *cert, const char *cert_path, kp_keyask_fn *ask,
    void *arg, struct kp_err *err)
{
	static const uint32_t ids[] = { KP_KEY_TLS, KP_KEY_WSS,
	    KP_KEY_CHECKPOINT };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		unsigned char der[KP_KEYRESP_DATA];
		const unsigned char *p = der;
		size_t len = sizeof(der);
		uint32_t st;
		EVP_PKEY *pub;
		int same;

		if ((st = ask(arg, KP_KEYOP_IDENT, ids[i], 0, 0, NULL, 0, der,
		    &len)) != KP_KEYST_OK)
			return kp_fail(err, KP_ERR_CRYPTO, "the key process "
			    "does not name its key: %s", kp_key_status_str(st));
		if ((pub = d2i_PUBKEY(NULL, &p, (long)len)) == NULL)
			return kp_fail(err, KP_ERR_CRYPTO, "the key process "
			    "names its key in bytes that are no public key");
		same = EVP_PKEY_eq(pub, X509_get0_pubkey(cert)) == 1;
		EVP_PKEY_free(pub);
		if (!same)
			return kp_fail(err, KP_ERR_CONFIG, "the key process's "
			    "key does not belong to %s", cert_path);
	}
	return KP_OK;
}

struct kp_signer *
kp_signer_remote(const char *cert_path, kp_keyask_fn *ask, void *arg,
    struct kp_err *err)
{
	struct kp_signer *s;

	if ((s = signer_new(cert_path, err)) == NULL)
		return NULL;
	if (remote_key_is(s->cert, cert_path, ask, arg, err) != KP_OK ||
	    (s->pkey = kp_keyprov_key(X509_get0_pubkey(s->cert), KP_KEY_WSS,
	    ask, arg, err)) == NULL ||
	    (s->tls_pkey = kp_keyprov_key(X509_get0_pubkey(s->cert),
	    KP_KEY_TLS, ask, arg, err)) == NULL ||
	    (s->checkpoint_pkey = kp_keyprov_key(X509_get0_pubkey(s->cert),
	    KP_KEY_CHECKPOINT, ask, arg, err)) == NULL ||
	    signer_finish(s, cert_path, "the key process's key", 0, err) !=
	    KP_OK) {
		kp_signer_free(s);
		return NULL;
	}
	return s;
}

void
kp_signer_free(struct kp_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->pkey);
	EVP_PKEY_free(s->tls_pkey);
	EVP_PKEY_free(s->checkpoint_pkey);
	X509_free(s->cert);
	sk_X509_pop_free(s->chain, X509_free);
	free(s->cert_b64);
	free(s);
}

/* An xmlsec key holding (a new reference to) pkey. */
static xmlSecKeyPtr
xmlsec_key(EVP_PKEY *pkey)
{
	xmlSecKeyDataPtr data;
	xmlSecKeyPtr key;

	if (EVP_PKEY_up_ref(pkey) != 1)
		return NULL;
	if ((data = xmlSecOpenSSLEvpKeyAdopt(pkey)) == NULL) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	if ((key = xmlSecKeyCreate()) == NULL) {
		xmlSecKeyDataDestroy(data);
		return NULL;
	}
	if (xmlSecKeySetValue(key, data) < 0) {
		xmlSecKeyDataDestroy(data);
		xmlSecKeyDestroy(key);
		return NULL;
	}
	return key;
}

static int
register_ids(xmlDocPtr doc, xmlNodePtr node, struct kp_err *err)
{
	for (xmlNodePtr c = node; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		for (xmlAttrPtr a = c->properties; a != NULL; a = a->next) {
			xmlChar *value;
			xmlAttrPtr existing;

			if (a->ns == NULL || strcmp((const char *)a->name, "Id") != 0 ||
			    strcmp((const char *)a->ns->href, NS_WSU) != 0)
				continue;
			if ((value = xmlNodeListGetString(doc, a->children, 1)) == NULL)
				return kp_reject(err, KP_F_010, "empty wsu:Id");
			existing = xmlGetID(doc, value);
			if (existing == a) {
				xmlFree(value);
				continue;
			}
			if (existing != NULL || xmlAddID(NULL, doc, value, a) == NULL) {
				kp_reject(err, KP_F_010,
				    "duplicate id \"%.64s\" on line %ld",
				    (const char *)value, (long)xmlGetLineNo(c));
				xmlFree(value);
				return KP_ERR_PROTOCOL;
			}
			xmlFree(value);
		}
		if (register_ids(doc, c->children, err) != KP_OK)
			return KP_ERR_PROTOCOL;
	}
	return KP_OK;
}

int
kp_wss_register_ids(xmlDocPtr doc, struct kp_err *err)
{
	return register_ids(doc, doc->children, err);
}

#ifdef __SANITIZE_ADDRESS__
/*
 * xmlsec 1.2.37 leaks the output buffer of SignedInfo's canonicalisation
 * (24 bytes, from xmlSecTransformCreateOutputBuffer) when the signature
 * transform fails: here only when the key process is gone and nothing can
 * be signed (keyprocess.sh, test_wss).  LeakSanitizer's fast unwinder
 * cannot walk through xmlsec (built without frame pointers), so only the
 * library can be named: its leaks are left to valgrind in the normal
 * build (valgrind.sh), which sees whole stacks.  Sanitizer build only.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libxmlsec1.so\n";
}
#endif

int
kp_wss_sign(const struct kp_signer *s, struct kp_env *env, struct kp_err *err)
{
	xmlSecDSigCtxPtr ctx = NULL;
	int ret;

	if ((ret = kp_wss_register_ids(env->doc, err)) != KP_OK)
		return kp_fail(err, KP_ERR_XML, "our own message has duplicate ids");
	if ((ctx = xmlSecDSigCtxCreate(NULL)) == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	ctx->flags = KP_DSIG_FLAGS;
	if ((ctx->signKey = xmlsec_key(s->pkey)) == NULL) {
		ret = kp_fail(err, KP_ERR_CRYPTO, "cannot use our signing key");
		goto out;
	}
	if (xmlSecDSigCtxSign(ctx, env->signature) < 0) {
		ret = kp_fail(err, KP_ERR_CRYPTO, "signing failed");
		goto out;
	}
	ret = KP_OK;
out:
	xmlSecDSigCtxDestroy(ctx);
	return ret;
}

/* Algorithm attribute equals want? */
static int
algorithm_is(xmlNodePtr node, const char *want)
{
	char *alg = kp_xml_attr(node, NULL, "Algorithm");
	int ok = alg != NULL && strcmp(alg, want) == 0;

	free(alg);
	return ok;
}

/* exc-c14n method: only an optional ec:InclusiveNamespaces child. */
static int
is_exc_c14n(xmlNodePtr node)
{
	xmlNodePtr c;

	if (!algorithm_is(node, ALG_EXC_C14N))
		return 0;
	c = kp_xml_first(node);
	if (c == NULL)
		return 1;
	return kp_xml_is(c, NS_EXC_C14N, "InclusiveNamespaces") &&
	    kp_xml_next(c) == NULL;
}

static xmlNodePtr
id_target(xmlDocPtr doc, const char *uri)
{
	xmlAttrPtr attr;

	if (uri == NULL || uri[0] != '#' || uri[1] == '\0')
		return NULL;
	if ((attr = xmlGetID(doc, (const xmlChar *)uri + 1)) == NULL)
		return NULL;
	/* Only wsu:Id counts; an xml:id with the same value is a duplicate. */
	if (attr->ns == NULL || strcmp((const char *)attr->ns->href, NS_WSU) != 0)
		return NULL;
	return attr->parent;
}

#define MAX_REFS 10

struct expected {
	xmlNodePtr	node[MAX_REFS];
	const char	*label[MAX_REFS];
	int		seen[MAX_REFS];
	int		n;
};

static void
expect(struct expected *x, xmlNodePtr node, const char *label)
{
	if (node == NULL)
		return;
	x->node[x->n] = node;
	x->label[x->n] = label;
	x->seen[x->n] = 0;
	x->n++;
}

/* Rule 3: SignedInfo shape, and references == exactly the expected set. */
static int
check_signed_info(struct kp_env *env, xmlNodePtr signed_info,
    struct expected *x, xmlNodePtr *body_ref, struct kp_err *err)
{
	xmlNodePtr c14n, method, ref;
	int nrefs = 0;

	c14n = kp_xml_first(signed_info);
	method = kp_xml_next(c14n);
	if (!kp_xml_is(c14n, NS_DS, "CanonicalizationMethod") ||
	    !is_exc_c14n(c14n))
		return kp_reject(err, KP_F_010,
		    "CanonicalizationMethod must be exclusive c14n");
	if (!kp_xml_is(method, NS_DS, "SignatureMethod") ||
	    kp_xml_first(method) != NULL ||
	    !(algorithm_is(method, ALG_RSA_SHA256) ||
	    algorithm_is(method, ALG_ECDSA_SHA256)))
		return kp_reject(err, KP_F_010,
		    "SignatureMethod must be rsa-sha256 or ecdsa-sha256");
	for (ref = kp_xml_next(method); ref != NULL; ref = kp_xml_next(ref)) {
		xmlNodePtr transforms, transform, digest_method, digest_value;
		xmlNodePtr target;
		char *uri;
		int i;

		if (!kp_xml_is(ref, NS_DS, "Reference"))
			return kp_reject(err, KP_F_010,
			    "unexpected %s in SignedInfo", (const char *)ref->name);
		if (++nrefs > x->n)
			return kp_reject(err, KP_F_010,
			    "more references than the %d the protocol names", x->n);
		transforms = kp_xml_first(ref);
		digest_method = kp_xml_next(transforms);
		digest_value = kp_xml_next(digest_method);
		transform = kp_xml_first(transforms);
		if (!kp_xml_is(transforms, NS_DS, "Transforms") ||
		    !kp_xml_is(transform, NS_DS, "Transform") ||
		    kp_xml_next(transform) != NULL || !is_exc_c14n(transform))
			return kp_reject(err, KP_F_010,
			    "reference on line %ld: exactly one transform, "
			    "exclusive c14n, is allowed", (long)xmlGetLineNo(ref));
		if (!kp_xml_is(digest_method, NS_DS, "DigestMethod") ||
		    !algorithm_is(digest_method, ALG_SHA256) ||
		    kp_xml_first(digest_method) != NULL)
			return kp_reject(err, KP_F_010,
			    "reference on line %ld: DigestMethod must be SHA-256",
			    (long)xmlGetLineNo(ref));
		if (!kp_xml_is(digest_value, NS_DS, "DigestValue") ||
		    kp_xml_next(digest_value) != NULL)
			return kp_reject(err, KP_F_010,
			    "reference on line %ld: malformed",
			    (long)xmlGetLineNo(ref));
		uri = kp_xml_attr(ref, NULL, "URI");
		target = id_target(env->doc, uri);
		if (target == NULL) {
			kp_reject(err, KP_F_010,
			    "reference URI \"%.80s\" is not a same-document #id "
			    "of a wsu:Id", uri != NULL ? uri : "");
			free(uri);
			return KP_ERR_PROTOCOL;
		}
		free(uri);
		for (i = 0; i < x->n; i++)
			if (x->node[i] == target)
				break;
		if (i == x->n)
			return kp_reject(err, KP_F_010,
			    "a reference points at %s on line %ld, which the "
			    "protocol does not sign", (const char *)target->name,
			    (long)xmlGetLineNo(target));
		if (x->seen[i]++)
			return kp_reject(err, KP_F_010,
			    "%s is referenced twice", x->label[i]);
		if (target == env->body)
			*body_ref = digest_value;
	}
	{
		/* name every block left unsigned, as a toolkit's user needs */
		char missing[300] = "";
		int nmissing = 0;

		for (int i = 0; i < x->n; i++)
			if (!x->seen[i]) {
				nmissing++;
				snprintf(missing + strlen(missing),
				    sizeof(missing) - strlen(missing), "%s%s",
				    missing[0] ? ", " : "", x->label[i]);
			}
		if (nmissing > 0)
			return kp_reject(err, KP_F_010, "%s %s not signed "
			    "(every WS-Addressing header present must be, "
			    "Digikoppeling WB004)", missing, nmissing == 1 ? "is" :
			    "are");
	}
	return KP_OK;
}

/* KeyInfo: one SecurityTokenReference/Reference to the token. */
static int
check_key_info(struct kp_env *env, xmlNodePtr key_info, struct kp_err *err)
{
	xmlNodePtr str = kp_xml_first(key_info), ref;
	char *uri = NULL, *vt = NULL, *id = NULL;
	int ret = KP_OK;

	if (!kp_xml_is(str, NS_WSSE, "SecurityTokenReference") ||
	    kp_xml_next(str) != NULL)
		return kp_reject(err, KP_F_010,
		    "KeyInfo may only hold a wsse:SecurityTokenReference");
	ref = kp_xml_first(str);
	if (!kp_xml_is(ref, NS_WSSE, "Reference") || kp_xml_next(ref) != NULL)
		return kp_reject(err, KP_F_010,
		    "SecurityTokenReference must hold one wsse:Reference");
	uri = kp_xml_attr(ref, NULL, "URI");
	vt = kp_xml_attr(ref, NULL, "ValueType");
	id = kp_xml_attr(env->bst, NS_WSU, "Id");
	if (uri == NULL || id == NULL || uri[0] != '#' || strcmp(uri + 1, id) != 0 ||
	    id_target(env->doc, uri) != env->bst)
		ret = kp_reject(err, KP_F_010,
		    "the token reference does not point at the "
		    "BinarySecurityToken");
	else if (vt != NULL && strcmp(vt, WSS_X509V3) != 0)
		ret = kp_reject(err, KP_F_010, "token reference ValueType is not X509v3");
	free(uri);
	free(vt);
	free(id);
	return ret;
}

/*
 * The certificate in the BinarySecurityToken, checked against the trust
 * store (through the cache when the policy has one and asks about now).
 */
static X509 *
token_certificate(struct kp_env *env, const struct kp_wss_policy *policy,
    struct kp_err *err)
{
	char *vt = kp_xml_attr(env->bst, NULL, "ValueType");
	char *et = kp_xml_attr(env->bst, NULL, "EncodingType");
	char *text = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	xmlSecSize derlen = 0;
	X509 *cert = NULL;
	struct kp_err terr;

	if (vt == NULL || strcmp(vt, WSS_X509V3) != 0 ||
	    et == NULL || strcmp(et, WSS_BASE64) != 0) {
		kp_reject(err, KP_F_010,
		    "BinarySecurityToken must be an X509v3 token in Base64Binary");
		goto out;
	}
	if ((text = kp_xml_text(env->bst)) == NULL ||
	    (der = malloc(strlen(text) + 1)) == NULL ||
	    xmlSecBase64Decode_ex((const xmlChar *)text, der,
	    (xmlSecSize)strlen(text) + 1, &derlen) < 0 || derlen == 0) {
		kp_reject(err, KP_F_010, "BinarySecurityToken is not base64");
		goto out;
	}
	if (policy->cache != NULL && policy->at_ms == 0) {
		if ((cert = kp_certcache_check(policy->cache, der, derlen,
		    &terr)) == NULL)
			kp_reject(err, KP_F_010, "signing certificate not "
			    "trusted: %s", terr.msg);
		goto out;
	}
	p = der;
	cert = d2i_X509(NULL, &p, (long)derlen);
	if (cert == NULL || p != der + derlen) {
		X509_free(cert);
		cert = NULL;
		kp_reject(err, KP_F_010,
		    "BinarySecurityToken is not one DER certificate");
	} else if (kp_trust_check(policy->trust, cert, policy->at_ms,
	    &terr) != KP_OK) {
		X509_free(cert);
		cert = NULL;
		kp_reject(err, KP_F_010, "signing certificate not trusted: %s",
		    terr.msg);
	}
out:
	free(vt);
	free(et);
	free(text);
	free(der);
	return cert;
}

/* The SignatureValue without whitespace, as SignatureConfirmation has it. */
static char *
signature_value(const struct kp_env *env)
{
	xmlNodePtr sv = kp_xml_next(kp_xml_first(env->signature));

	if (!kp_xml_is(sv, NS_DS, "SignatureValue"))
		return NULL;
	/* Base64 may be wrapped; SignatureConfirmation compares the value. */
	return kp_strip_space(kp_xml_text(sv));
}

void
kp_wss_result_clear(struct kp_wss_result *r)
{
	X509_free(r->cert);
	free(r->signature_value);
	free(r->body_digest);
	memset(r, 0, sizeof(*r));
}

static int
restrict_ctx(xmlSecDSigCtxPtr ctx)
{
	ctx->flags = KP_DSIG_FLAGS;
	ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
	if (xmlSecDSigCtxEnableReferenceTransform(ctx,
	    xmlSecTransformExclC14NId) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(ctx,
	    xmlSecOpenSSLTransformSha256Id) < 0 ||
	    xmlSecDSigCtxEnableSignatureTransform(ctx,
	    xmlSecTransformExclC14NId) < 0 ||
	    xmlSecDSigCtxEnableSignatureTransform(ctx,
	    xmlSecOpenSSLTransformRsaSha256Id) < 0 ||
	    xmlSecDSigCtxEnableSignatureTransform(ctx,
	    xmlSecOpenSSLTransformEcdsaSha256Id) < 0)
		return -1;
	return 0;
}

/*
 * xmlsec verifies signature with pkey in a context restricted as §2.1
 * says; the context, for its references, or NULL with KP010 or KP050.
 */
static xmlSecDSigCtxPtr
dsig_verify(xmlNodePtr signature, EVP_PKEY *pkey, struct kp_err *err)
{
	xmlSecDSigCtxPtr ctx;

	if ((ctx = xmlSecDSigCtxCreate(NULL)) == NULL || restrict_ctx(ctx) != 0) {
		kp_reject(err, KP_F_050, "cannot set up signature verification");
		goto fail;
	}
	if ((ctx->signKey = xmlsec_key(pkey)) == NULL) {
		kp_reject(err, KP_F_050, "cannot use the signer's key");
		goto fail;
	}
	if (xmlSecDSigCtxVerify(ctx, signature) < 0 ||
	    ctx->status != xmlSecDSigStatusSucceeded) {
		kp_reject(err, KP_F_010,
		    "signature or digest does not verify: the message was "
		    "altered or signed with another key");
		goto fail;
	}
	return ctx;
fail:
	if (ctx != NULL)
		xmlSecDSigCtxDestroy(ctx);
	return NULL;
}

int
kp_wss_xmlsec_verify(struct kp_env *env, EVP_PKEY *pkey, struct kp_err *err)
{
	xmlSecDSigCtxPtr ctx;

	if (kp_wss_register_ids(env->doc, err) != KP_OK)
		return KP_ERR_PROTOCOL;
	if ((ctx = dsig_verify(env->signature, pkey, err)) == NULL)
		return KP_ERR_PROTOCOL;
	xmlSecDSigCtxDestroy(ctx);
	return KP_OK;
}

int
kp_wss_verify(struct kp_env *env, const struct kp_wss_policy *policy,
    struct kp_wss_result *out, struct kp_err *err)
{
	struct expected x = { 0 };
	xmlNodePtr signed_info, sig_value, key_info, body_ref = NULL;
	xmlSecDSigCtxPtr ctx = NULL;
	EVP_PKEY *pkey;
	int ret = KP_ERR_PROTOCOL, is_ec_method;

	memset(out, 0, sizeof(*out));
	if (kp_wss_register_ids(env->doc, err) != KP_OK)
		return KP_ERR_PROTOCOL;

	signed_info = kp_xml_first(env->signature);
	sig_value = kp_xml_next(signed_info);
	key_info = kp_xml_next(sig_value);
	if (!kp_xml_is(signed_info, NS_DS, "SignedInfo") ||
	    !kp_xml_is(sig_value, NS_DS, "SignatureValue") ||
	    !kp_xml_is(key_info, NS_DS, "KeyInfo") ||
	    kp_xml_next(key_info) != NULL)
		return kp_reject(err, KP_F_010,
		    "ds:Signature holds SignedInfo, SignatureValue and KeyInfo, "
		    "nothing else");

	expect(&x, env->body, "soap:Body");
	expect(&x, env->timestamp, "wsu:Timestamp");
	expect(&x, env->to, "wsa:To");
	expect(&x, env->action, "wsa:Action");
	expect(&x, env->message_id, "wsa:MessageID");
	expect(&x, env->from, "wsa:From");
	expect(&x, env->relates_to, "wsa:RelatesTo");
	expect(&x, env->reply_to, "wsa:ReplyTo");
	expect(&x, env->fault_to, "wsa:FaultTo");
	expect(&x, env->sigconf, "wsse11:SignatureConfirmation");
	if (check_signed_info(env, signed_info, &x, &body_ref, err) != KP_OK ||
	    check_key_info(env, key_info, err) != KP_OK)
		return KP_ERR_PROTOCOL;

	if ((out->cert = token_certificate(env, policy, err)) == NULL)
		goto fail;
	if ((pkey = X509_get0_pubkey(out->cert)) == NULL) {
		kp_reject(err, KP_F_010, "the token's public key cannot be read");
		goto fail;
	}
	if (kp_key_acceptable(pkey, err) != KP_OK)
		goto fail;
	is_ec_method = algorithm_is(kp_xml_next(kp_xml_first(signed_info)),
	    ALG_ECDSA_SHA256);
	if (is_ec_method != (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC)) {
		kp_reject(err, KP_F_010,
		    "SignatureMethod does not fit the certificate's key type");
		goto fail;
	}
	if (kp_cert_oin(out->cert, out->signer_oin) != 0) {
		kp_reject(err, KP_F_011,
		    "signing certificate carries no OIN in its serialNumber");
		goto fail;
	}
	if (policy->expected_oin != NULL &&
	    strcmp(out->signer_oin, policy->expected_oin) != 0) {
		kp_reject(err, KP_F_011,
		    "signed by OIN %s, but the connection is from OIN %s",
		    out->signer_oin, policy->expected_oin);
		goto fail;
	}

	if ((ctx = dsig_verify(env->signature, pkey, err)) == NULL)
		goto fail;
	/* After verification: each verified reference still names our node. */
	if ((int)xmlSecPtrListGetSize(&ctx->signedInfoReferences) != x.n) {
		kp_reject(err, KP_F_010, "verified reference count differs");
		goto fail;
	}
	for (xmlSecSize i = 0; i < xmlSecPtrListGetSize(&ctx->signedInfoReferences);
	    i++) {
		xmlSecDSigReferenceCtxPtr r = xmlSecPtrListGetItem(
		    &ctx->signedInfoReferences, i);
		xmlNodePtr target;
		int k;

		if (r == NULL || r->status != xmlSecDSigStatusSucceeded) {
			kp_reject(err, KP_F_010, "a reference did not verify");
			goto fail;
		}
		target = id_target(env->doc, (const char *)r->uri);
		for (k = 0; k < x.n; k++)
			if (x.node[k] == target)
				break;
		if (k == x.n) {
			kp_reject(err, KP_F_010,
			    "a verified reference resolves to another element");
			goto fail;
		}
	}
	if ((out->signature_value = signature_value(env)) == NULL ||
	    (out->body_digest = kp_env_text(body_ref)) == NULL) {
		kp_reject(err, KP_F_050, "out of memory");
		goto fail;
	}
	xmlSecDSigCtxDestroy(ctx);
	return KP_OK;
fail:
	if (ctx != NULL)
		xmlSecDSigCtxDestroy(ctx);
	kp_wss_result_clear(out);
	return ret;
}
