/*
 * keyprov — the "kpkey" provider (keyprov.h): a key manager for RSA and
 * EC keys made of a public key and an asker, and a signature operation
 * that hashes here and asks for the signature of the digest.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>

#include "keyproc.h"
#include "keyprov.h"

#define PROV_NAME	"kpkey"
#define PROV_PROPS	"provider=kpkey"
#define PARAM_REMOTE	"kp-remote"

/* What kp_keyprov_key hands the key manager (one octet-string param). */
struct remote {
	EVP_PKEY	*pub;
	kp_keyask_fn	*ask;
	void		*arg;
	uint32_t	 id;
};

/*
 * A key of ours: always a public key (OpenSSL's default provider);
 * a private half only when ask is set.  Keys imported from elsewhere
 * (to be compared with ours) are public only.
 */
struct kpkey {
	EVP_PKEY	*pub;
	kp_keyask_fn	*ask;
	void		*arg;
	uint32_t	 id;
	const char	*type;		/* "RSA" or "EC" */
};

/* -- key manager ----------------------------------------------------- */

static void *
km_new(const char *type)
{
	struct kpkey *k = calloc(1, sizeof(*k));

	if (k != NULL)
		k->type = type;
	return k;
}

static void *km_new_rsa(void *provctx) { (void)provctx; return km_new("RSA"); }
static void *km_new_ec(void *provctx) { (void)provctx; return km_new("EC"); }

static void
km_free(void *keydata)
{
	struct kpkey *k = keydata;

	if (k == NULL)
		return;
	EVP_PKEY_free(k->pub);
	free(k);
}

/*
 * Ours (the kp-remote param), or another provider's public key exported
 * to us so that EVP_PKEY_eq can compare it with ours: rebuilt in the
 * default provider, public part only.
 */
static int
km_import(void *keydata, int selection, const OSSL_PARAM params[])
{
	struct kpkey *k = keydata;
	const OSSL_PARAM *p;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pub = NULL;
	struct remote r;
	int ok;

	if (k == NULL || k->pub != NULL)
		return 0;	/* our keys are made once */
	p = OSSL_PARAM_locate_const(params, PARAM_REMOTE);
	if (p != NULL) {
		if (p->data_type != OSSL_PARAM_OCTET_STRING ||
		    p->data_size != sizeof(r))
			return 0;
		memcpy(&r, p->data, sizeof(r));
		if (r.pub == NULL || r.ask == NULL ||
		    !EVP_PKEY_is_a(r.pub, k->type) || !EVP_PKEY_up_ref(r.pub))
			return 0;
		k->pub = r.pub;
		k->ask = r.ask;
		k->arg = r.arg;
		k->id = r.id;
		return 1;
	}
	if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) == 0)
		return 0;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, k->type, "provider=default");
	ok = ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pub, EVP_PKEY_PUBLIC_KEY,
	    (OSSL_PARAM *)params) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		return 0;
	k->pub = pub;
	return 1;
}

static const OSSL_PARAM *
km_import_types(int selection)
{
	static const OSSL_PARAM none[] = { OSSL_PARAM_END };

	(void)selection;
	return none;
}

static int
km_has(const void *keydata, int selection)
{
	const struct kpkey *k = keydata;

	if (k == NULL)
		return 0;
	if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) && k->pub == NULL)
		return 0;
	if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && k->ask == NULL)
		return 0;
	return 1;
}

static int
km_match(const void *a, const void *b, int selection)
{
	const struct kpkey *x = a, *y = b;

	if (x == NULL || y == NULL || x->pub == NULL || y->pub == NULL)
		return 0;
	if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) &&
	    EVP_PKEY_eq(x->pub, y->pub) != 1)
		return 0;
	if ((selection & OSSL_KEYMGMT_SELECT_ALL_PARAMETERS) &&
	    EVP_PKEY_parameters_eq(x->pub, y->pub) != 1)
		return 0;
	return 1;
}

/* Sizes, security bits, the curve: the public key's answers. */
static int
km_get_params(void *keydata, OSSL_PARAM params[])
{
	struct kpkey *k = keydata;
	OSSL_PARAM *d;
	BIGNUM *zero;
	int ok;

	if (k == NULL || k->pub == NULL ||
	    EVP_PKEY_get_params(k->pub, params) != 1)
		return 0;
	/*
	 * xmlsec (1.2.37) decides whether an RSA key can sign by asking for
	 * its private exponent, and only whether there is one.  There is,
	 * in the key process; here it reads as 0, which no computation can
	 * use.
	 */
	if (k->ask == NULL || strcmp(k->type, "RSA") != 0 ||
	    (d = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_RSA_D)) == NULL)
		return 1;
	if ((zero = BN_new()) == NULL)
		return 0;
	BN_zero(zero);
	ok = OSSL_PARAM_set_BN(d, zero);
	BN_free(zero);
	return ok;
}

static const OSSL_PARAM *
km_gettable_params(void *provctx)
{
	static const OSSL_PARAM gettable[] = {
		OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
		OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
		OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
		    NULL, 0),
		OSSL_PARAM_END
	};

	(void)provctx;
	return gettable;
}

static const char *
km_rsa_op(int op)
{
	(void)op;
	return "RSA";
}

static const char *
km_ec_op(int op)
{
	return op == OSSL_OP_SIGNATURE ? "ECDSA" : op == OSSL_OP_KEYEXCH ?
	    "ECDH" : "EC";
}

#define KM_COMMON \
	{ OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))km_free }, \
	{ OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))km_import }, \
	{ OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))km_import_types }, \
	{ OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))km_has }, \
	{ OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))km_match }, \
	{ OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))km_get_params }, \
	{ OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, \
	  (void (*)(void))km_gettable_params }

static const OSSL_DISPATCH km_rsa[] = {
	{ OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))km_new_rsa },
	KM_COMMON,
	{ OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))km_rsa_op },
	{ 0, NULL }
};

static const OSSL_DISPATCH km_ec[] = {
	{ OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))km_new_ec },
	KM_COMMON,
	{ OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))km_ec_op },
	{ 0, NULL }
};

/* -- signature --------------------------------------------------------- */

struct sigctx {
	struct kpkey	*key;
	int		 md_nid;	/* NID_sha256, ...; 0: not yet said */
	int		 pad;		/* RSA_PKCS1_PADDING or _PSS_ */
	int		 saltlen;	/* RSA_PSS_SALTLEN_* or a length */
	int		 mgf1_nid;	/* 0: the digest's */
	EVP_MD_CTX	*mdctx;		/* digest-sign: the running hash */
};

static void *
sig_new(void *provctx, const char *propq)
{
	struct sigctx *c = calloc(1, sizeof(*c));

	(void)provctx;
	(void)propq;
	if (c != NULL) {
		c->pad = RSA_PKCS1_PADDING;
		c->saltlen = RSA_PSS_SALTLEN_DIGEST;
	}
	return c;
}

static void
sig_free(void *ctx)
{
	struct sigctx *c = ctx;

	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->mdctx);
	free(c);
}

static void *
sig_dup(void *ctx)
{
	struct sigctx *c = ctx, *d;

	if ((d = malloc(sizeof(*d))) == NULL)
		return NULL;
	*d = *c;
	d->mdctx = NULL;
	if (c->mdctx != NULL && ((d->mdctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_MD_CTX_copy_ex(d->mdctx, c->mdctx) != 1)) {
		sig_free(d);
		return NULL;
	}
	return d;
}

static int
md_nid(const char *name)
{
	const EVP_MD *md = EVP_get_digestbyname(name);

	return md != NULL ? EVP_MD_get_type(md) : NID_undef;
}

static int
sig_set_params(void *ctx, const OSSL_PARAM params[])
{
	struct sigctx *c = ctx;
	const OSSL_PARAM *p;
	const char *s;
	int i;

	if (params == NULL)
		return 1;
	if ((p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_DIGEST))
	    != NULL) {
		if (!OSSL_PARAM_get_utf8_string_ptr(p, &s) ||
		    (c->md_nid = md_nid(s)) == NID_undef)
			return 0;
	}
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_PAD_MODE)) != NULL) {
		if (p->data_type == OSSL_PARAM_UTF8_STRING) {
			if (!OSSL_PARAM_get_utf8_string_ptr(p, &s))
				return 0;
			i = strcasecmp(s, OSSL_PKEY_RSA_PAD_MODE_PKCSV15) == 0 ?
			    RSA_PKCS1_PADDING : strcasecmp(s,
			    OSSL_PKEY_RSA_PAD_MODE_PSS) == 0 ?
			    RSA_PKCS1_PSS_PADDING : -1;
		} else if (!OSSL_PARAM_get_int(p, &i))
			return 0;
		if (i != RSA_PKCS1_PADDING && i != RSA_PKCS1_PSS_PADDING)
			return 0;	/* no raw RSA, no X9.31 */
		c->pad = i;
	}
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_PSS_SALTLEN)) != NULL) {
		if (p->data_type == OSSL_PARAM_UTF8_STRING) {
			if (!OSSL_PARAM_get_utf8_string_ptr(p, &s))
				return 0;
			i = strcmp(s, OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST) == 0 ?
			    RSA_PSS_SALTLEN_DIGEST : -100;
		} else if (!OSSL_PARAM_get_int(p, &i))
			return 0;
		c->saltlen = i;
	}
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_MGF1_DIGEST)) != NULL) {
		if (!OSSL_PARAM_get_utf8_string_ptr(p, &s) ||
		    (c->mgf1_nid = md_nid(s)) == NID_undef)
			return 0;
	}
	return 1;
}

static const OSSL_PARAM *
sig_settable_params(void *ctx, void *provctx)
{
	static const OSSL_PARAM settable[] = {
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
		OSSL_PARAM_END
	};

	(void)ctx;
	(void)provctx;
	return settable;
}

static int
sig_get_params(void *ctx, OSSL_PARAM params[])
{
	struct sigctx *c = ctx;
	OSSL_PARAM *p;

	if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST)) !=
	    NULL && c->md_nid != 0 &&
	    !OSSL_PARAM_set_utf8_string(p, OBJ_nid2sn(c->md_nid)))
		return 0;
	return 1;
}

static const OSSL_PARAM *
sig_gettable_params(void *ctx, void *provctx)
{
	static const OSSL_PARAM gettable[] = {
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
		OSSL_PARAM_END
	};

	(void)ctx;
	(void)provctx;
	return gettable;
}

static int
sig_init(void *ctx, void *provkey, const OSSL_PARAM params[])
{
	struct sigctx *c = ctx;
	struct kpkey *k = provkey;

	if (k == NULL || k->ask == NULL)
		return 0;	/* a public key only: nothing to sign with */
	c->key = k;
	return sig_set_params(c, params);
}

/* Ask for the signature of a digest of dlen bytes. */
static int
sig_ask(struct sigctx *c, unsigned char *sig, size_t *siglen, size_t sigsize,
    const unsigned char *dig, size_t dlen)
{
	uint32_t alg, md;
	size_t len = sigsize;
	int ec = strcmp(c->key->type, "EC") == 0;

	switch (c->md_nid != 0 ? c->md_nid : NID_sha256) {
	case NID_sha256: md = KP_KEYMD_SHA256; break;
	case NID_sha384: md = KP_KEYMD_SHA384; break;
	case NID_sha512: md = KP_KEYMD_SHA512; break;
	default:	 return 0;	/* SHA-1, MD5-SHA1: not for us */
	}
	if (ec)
		alg = KP_KEYALG_ECDSA;
	else if (c->pad == RSA_PKCS1_PSS_PADDING) {
		/* the key process does salt = digest length, MGF1 = digest */
		if ((c->saltlen != RSA_PSS_SALTLEN_DIGEST &&
		    c->saltlen != (int)dlen) ||
		    (c->mgf1_nid != 0 && c->mgf1_nid != c->md_nid))
			return 0;
		alg = KP_KEYALG_RSA_PSS;
	} else
		alg = KP_KEYALG_RSA_PKCS1;
	if (c->key->ask(c->key->arg, KP_KEYOP_SIGN, c->key->id, alg, md, dig,
	    dlen, sig, &len) != KP_KEYST_OK)
		return 0;
	*siglen = len;
	return 1;
}

static int
sig_sign(void *ctx, unsigned char *sig, size_t *siglen, size_t sigsize,
    const unsigned char *tbs, size_t tbslen)
{
	struct sigctx *c = ctx;

	if (sig == NULL) {
		*siglen = (size_t)EVP_PKEY_get_size(c->key->pub);
		return 1;
	}
	return sig_ask(c, sig, siglen, sigsize, tbs, tbslen);
}

static int
sig_digest_init(void *ctx, const char *mdname, void *provkey,
    const OSSL_PARAM params[])
{
	struct sigctx *c = ctx;
	const EVP_MD *md;

	if (!sig_init(ctx, provkey, params))
		return 0;
	if (mdname != NULL && mdname[0] != '\0' &&
	    (c->md_nid = md_nid(mdname)) == NID_undef)
		return 0;
	if (c->md_nid == 0)
		c->md_nid = NID_sha256;
	md = EVP_get_digestbynid(c->md_nid);
	if (c->mdctx == NULL && (c->mdctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	return md != NULL && EVP_DigestInit_ex(c->mdctx, md, NULL) == 1;
}

static int
sig_digest_update(void *ctx, const unsigned char *data, size_t len)
{
	struct sigctx *c = ctx;

	return c->mdctx != NULL && EVP_DigestUpdate(c->mdctx, data, len) == 1;
}

static int
sig_digest_final(void *ctx, unsigned char *sig, size_t *siglen,
    size_t sigsize)
{
	struct sigctx *c = ctx;
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;

	if (sig == NULL) {
		*siglen = (size_t)EVP_PKEY_get_size(c->key->pub);
		return 1;
	}
	if (c->mdctx == NULL || EVP_DigestFinal_ex(c->mdctx, dig, &dlen) != 1)
		return 0;
	return sig_ask(c, sig, siglen, sigsize, dig, dlen);
}

static int
sig_digest_sign(void *ctx, unsigned char *sig, size_t *siglen,
    size_t sigsize, const unsigned char *tbs, size_t tbslen)
{
	if (sig == NULL)
		return sig_digest_final(ctx, NULL, siglen, 0);
	return sig_digest_update(ctx, tbs, tbslen) &&
	    sig_digest_final(ctx, sig, siglen, sigsize);
}

static const OSSL_DISPATCH sig_functions[] = {
	{ OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))sig_new },
	{ OSSL_FUNC_SIGNATURE_FREECTX, (void (*)(void))sig_free },
	{ OSSL_FUNC_SIGNATURE_DUPCTX, (void (*)(void))sig_dup },
	{ OSSL_FUNC_SIGNATURE_SIGN_INIT, (void (*)(void))sig_init },
	{ OSSL_FUNC_SIGNATURE_SIGN, (void (*)(void))sig_sign },
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT,
	  (void (*)(void))sig_digest_init },
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE,
	  (void (*)(void))sig_digest_update },
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL,
	  (void (*)(void))sig_digest_final },
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN, (void (*)(void))sig_digest_sign },
	{ OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, (void (*)(void))sig_set_params },
	{ OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS,
	  (void (*)(void))sig_settable_params },
	{ OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, (void (*)(void))sig_get_params },
	{ OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS,
	  (void (*)(void))sig_gettable_params },
	{ 0, NULL }
};

/* -- the provider ------------------------------------------------------ */

static const OSSL_ALGORITHM keymgmts[] = {
	{ "RSA:rsaEncryption", PROV_PROPS, km_rsa, "kpkey RSA" },
	{ "EC:id-ecPublicKey", PROV_PROPS, km_ec, "kpkey EC" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM signatures[] = {
	{ "RSA:rsaEncryption", PROV_PROPS, sig_functions, "kpkey RSA" },
	{ "ECDSA", PROV_PROPS, sig_functions, "kpkey ECDSA" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM *
prov_query(void *provctx, int op, int *no_store)
{
	(void)provctx;
	*no_store = 0;
	return op == OSSL_OP_KEYMGMT ? keymgmts : op == OSSL_OP_SIGNATURE ?
	    signatures : NULL;
}

static const OSSL_DISPATCH prov_functions[] = {
	{ OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))prov_query },
	{ 0, NULL }
};

static int
prov_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
    const OSSL_DISPATCH **out, void **provctx)
{
	(void)handle;
	(void)in;
	*out = prov_functions;
	*provctx = (void *)prov_functions;	/* any non-NULL */
	return 1;
}

static OSSL_PROVIDER *loaded_default, *loaded_ours;

int
kp_keyprov_init(struct kp_err *err)
{
	if (loaded_ours != NULL)
		return KP_OK;
	/*
	 * Loading one provider by name stops OpenSSL from loading the default
	 * one by itself: load both, and let every fetch that does not ask for
	 * ours prefer the default's.
	 */
	if (OSSL_PROVIDER_add_builtin(NULL, PROV_NAME, prov_init) != 1 ||
	    (loaded_default = OSSL_PROVIDER_load(NULL, "default")) == NULL ||
	    (loaded_ours = OSSL_PROVIDER_load(NULL, PROV_NAME)) == NULL ||
	    EVP_set_default_properties(NULL, "?provider=default") != 1) {
		kp_keyprov_cleanup();
		return kp_fail(err, KP_ERR_CRYPTO, "cannot load the key "
		    "provider into OpenSSL");
	}
	return KP_OK;
}

void
kp_keyprov_cleanup(void)
{
	if (loaded_ours != NULL)
		OSSL_PROVIDER_unload(loaded_ours);
	if (loaded_default != NULL)
		OSSL_PROVIDER_unload(loaded_default);
	loaded_ours = loaded_default = NULL;
}

EVP_PKEY *
kp_keyprov_key(EVP_PKEY *pub, uint32_t key_id, kp_keyask_fn *ask, void *arg,
    struct kp_err *err)
{
	struct remote r = { .pub = pub, .ask = ask, .arg = arg, .id = key_id };
	OSSL_PARAM params[2];
	const char *type;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *key = NULL;

	if (EVP_PKEY_is_a(pub, "RSA"))
		type = "RSA";
	else if (EVP_PKEY_is_a(pub, "EC"))
		type = "EC";
	else {
		kp_fail(err, KP_ERR_CRYPTO, "the key process's key is neither "
		    "RSA nor EC");
		return NULL;
	}
	params[0] = OSSL_PARAM_construct_octet_string(PARAM_REMOTE, &r,
	    sizeof(r));
	params[1] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, PROV_PROPS);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
		kp_fail(err, KP_ERR_CRYPTO, "cannot make a %s key for the key "
		    "process (is kp_keyprov_init called?)", type);
	}
	EVP_PKEY_CTX_free(ctx);
	return key;
}

int
kp_keyprov_is_remote(const EVP_PKEY *pkey)
{
	const OSSL_PROVIDER *prov = EVP_PKEY_get0_provider(pkey);

	return prov != NULL && strcmp(OSSL_PROVIDER_get0_name(prov),
	    PROV_NAME) == 0;
}
