/*
 * pkcs11 — keys in a PKCS#11 token (pkcs11.h): p11-kit reads the URI,
 * libp11 loads the module, logs in and hands out the key.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libp11.h>
#include <p11-kit/uri.h>
#include <openssl/crypto.h>

#include "pkcs11.h"

#define PROXY_MODULE	"p11-kit-proxy.so"

/* What a URI says, taken apart. */
struct p11 {
	P11KitUri	*uri;
	const char	*module;
	char		 pin[256];
	char		 label[256];	/* the object; "" if not given */
	unsigned char	 id[128];
	size_t		 idlen;
};

/* One module per process (the key process loads one key). */
static PKCS11_CTX *p11ctx;
static PKCS11_SLOT *slots;
static unsigned int nslots;

int
kp_pkcs11_is_uri(const char *s)
{
	return s != NULL && strncmp(s, "pkcs11:", 7) == 0;
}

/* The PIN file's path: absolute, there, and private; NULL and err if not. */
static const char *
pin_file(const char *source, struct kp_err *err)
{
	const char *path = strncmp(source, "file:", 5) == 0 ? source + 5 :
	    source;
	struct stat st;

	if (path[0] != '/') {
		kp_fail(err, KP_ERR_CONFIG, "pin-source %s: give the PIN file's "
		    "absolute path (file:/...)", source);
		return NULL;
	}
	if (stat(path, &st) != 0) {
		kp_fail(err, KP_ERR_CONFIG, "pin-source %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		kp_fail(err, KP_ERR_CONFIG, "pin-source %s is accessible to "
		    "group or others (mode %04o); run: chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		return NULL;
	}
	return path;
}

/*
 * The PIN from its file: the first line.  Only the process that logs in
 * (the key process) reads it; the checks of the configuration look at
 * the file's mode alone (pin_file).
 */
static int
read_pin(const char *source, char *pin, size_t len, struct kp_err *err)
{
	const char *path = pin_file(source, err);
	FILE *f;

	if (path == NULL)
		return err->status;
	if ((f = fopen(path, "r")) == NULL || fgets(pin, (int)len, f) == NULL) {
		if (f != NULL)
			fclose(f);
		return kp_fail(err, KP_ERR_CONFIG, "pin-source %s: cannot read "
		    "a PIN", path);
	}
	fclose(f);
	pin[strcspn(pin, "\r\n")] = '\0';
	return KP_OK;
}

static void
p11_clear(struct p11 *p)
{
	OPENSSL_cleanse(p->pin, sizeof(p->pin));
	if (p->uri != NULL)
		p11_kit_uri_free(p->uri);
	p->uri = NULL;
}

static int
parse(const char *s, struct p11 *p, struct kp_err *err)
{
	CK_ATTRIBUTE *a;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((p->uri = p11_kit_uri_new()) == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	if ((rc = p11_kit_uri_parse(s, P11_KIT_URI_FOR_ANY, p->uri)) !=
	    P11_KIT_URI_OK)
		return kp_fail(err, KP_ERR_CONFIG, "key: not a PKCS#11 URI "
		    "(RFC 7512): %s", p11_kit_uri_message(rc));
	if (p11_kit_uri_get_pin_value(p->uri) != NULL)
		return kp_fail(err, KP_ERR_CONFIG, "key: a PIN in the URI "
		    "(pin-value) would be in the configuration for all to read: "
		    "put it in a file of mode 0600 and name it with pin-source");
	if ((a = p11_kit_uri_get_attribute(p->uri, CKA_LABEL)) != NULL &&
	    a->ulValueLen < sizeof(p->label))
		memcpy(p->label, a->pValue, a->ulValueLen);
	if ((a = p11_kit_uri_get_attribute(p->uri, CKA_ID)) != NULL &&
	    a->ulValueLen <= sizeof(p->id)) {
		memcpy(p->id, a->pValue, a->ulValueLen);
		p->idlen = a->ulValueLen;
	}
	if (p->label[0] == '\0' && p->idlen == 0)
		return kp_fail(err, KP_ERR_CONFIG, "key: the PKCS#11 URI names "
		    "no key (give object= or id=)");
	if (p11_kit_uri_get_pin_source(p->uri) == NULL)
		return kp_fail(err, KP_ERR_CONFIG, "key: the PKCS#11 URI has no "
		    "pin-source (a file of mode 0600 holding the PIN)");
	p->module = p11_kit_uri_get_module_path(p->uri);
	if (p->module == NULL)
		p->module = PROXY_MODULE;
	return KP_OK;
}

int
kp_pkcs11_check(const char *uri, struct kp_err *err)
{
	struct p11 p;
	int ret;

	if ((ret = parse(uri, &p, err)) == KP_OK &&
	    pin_file(p11_kit_uri_get_pin_source(p.uri), err) == NULL)
		ret = err->status;
	p11_clear(&p);
	return ret;
}

/* libp11's token facts as the CK_TOKEN_INFO p11-kit matches URIs with. */
static void
pad(unsigned char *dst, size_t len, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	memset(dst, ' ', len);
	memcpy(dst, src != NULL ? src : "", n < len ? n : len);
}

/*
 * The module loaded, the token the URI names found and logged in; rw: in
 * a session that may write (to make a key).
 */
static PKCS11_SLOT *
open_token(struct p11 *p, int rw, struct kp_err *err)
{
	PKCS11_SLOT *slot = NULL;

	if (p11ctx == NULL) {
		if ((p11ctx = PKCS11_CTX_new()) == NULL) {
			kp_fail(err, KP_ERR_NOMEM, "out of memory");
			return NULL;
		}
		if (PKCS11_CTX_load(p11ctx, p->module) != 0 ||
		    PKCS11_enumerate_slots(p11ctx, &slots, &nslots) != 0) {
			kp_fail(err, KP_ERR_CONFIG, "PKCS#11 module %s: cannot "
			    "load it or list its slots", p->module);
			PKCS11_CTX_free(p11ctx);
			p11ctx = NULL;
			return NULL;
		}
	}
	for (unsigned int i = 0; i < nslots && slot == NULL; i++) {
		PKCS11_TOKEN *t = slots[i].token;
		CK_TOKEN_INFO ti;

		if (t == NULL || !t->initialized)
			continue;
		memset(&ti, 0, sizeof(ti));
		pad(ti.label, sizeof(ti.label), t->label);
		pad(ti.manufacturerID, sizeof(ti.manufacturerID),
		    t->manufacturer);
		pad(ti.model, sizeof(ti.model), t->model);
		pad(ti.serialNumber, sizeof(ti.serialNumber), t->serialnr);
		if (p11_kit_uri_match_token_info(p->uri, &ti) == 1)
			slot = &slots[i];
	}
	if (slot == NULL) {
		kp_fail(err, KP_ERR_CONFIG, "PKCS#11 module %s: no token "
		    "matches the key's URI (token=...)", p->module);
		return NULL;
	}
	if (read_pin(p11_kit_uri_get_pin_source(p->uri), p->pin,
	    sizeof(p->pin), err) != KP_OK)
		return NULL;
	if (PKCS11_open_session(slot, rw) != 0 ||
	    PKCS11_login(slot, 0, p->pin) != 0) {
		kp_fail(err, KP_ERR_CONFIG, "PKCS#11 token %s: the PIN from "
		    "%s is refused", slot->token->label,
		    p11_kit_uri_get_pin_source(p->uri));
		return NULL;
	}
	return slot;
}

/* The private key of the URI's object and id in the logged-in token. */
static PKCS11_KEY *
find_key(PKCS11_SLOT *slot, const struct p11 *p)
{
	PKCS11_KEY *keys;
	unsigned int n;

	if (PKCS11_enumerate_keys(slot->token, &keys, &n) != 0)
		return NULL;
	for (unsigned int i = 0; i < n; i++)
		if ((p->label[0] == '\0' || (keys[i].label != NULL &&
		    strcmp(keys[i].label, p->label) == 0)) &&
		    (p->idlen == 0 || (keys[i].id_len == p->idlen &&
		    memcmp(keys[i].id, p->id, p->idlen) == 0)))
			return &keys[i];
	return NULL;
}

EVP_PKEY *
kp_pkcs11_load(const char *uri, struct kp_err *err)
{
	PKCS11_SLOT *slot;
	PKCS11_KEY *key;
	EVP_PKEY *pkey = NULL;
	struct p11 p;

	if (parse(uri, &p, err) == KP_OK &&
	    (slot = open_token(&p, 0, err)) != NULL) {
		if ((key = find_key(slot, &p)) == NULL)
			kp_fail(err, KP_ERR_CONFIG, "PKCS#11 token %s: no private "
			    "key %s%s", slot->token->label, p.label[0] != '\0' ?
			    "object=" : "with the URI's id", p.label);
		else if ((pkey = PKCS11_get_private_key(key)) == NULL)
			kp_fail(err, KP_ERR_CRYPTO, "PKCS#11 token %s: key %s "
			    "cannot be used", slot->token->label, p.label);
	}
	p11_clear(&p);
	return pkey;
}

EVP_PKEY *
kp_pkcs11_generate(const char *uri, unsigned int bits, struct kp_err *err)
{
	PKCS11_SLOT *slot;
	PKCS11_KEY *key;
	EVP_PKEY *pub = NULL;
	struct p11 p;
	int rc;

	if (parse(uri, &p, err) != KP_OK || (slot = open_token(&p, 1, err)) ==
	    NULL) {
		p11_clear(&p);
		return NULL;
	}
	if (find_key(slot, &p) != NULL) {
		kp_fail(err, KP_ERR_CONFIG, "PKCS#11 token %s already holds key "
		    "%s: choose another object= (or remove that one)",
		    slot->token->label, p.label);
		p11_clear(&p);
		return NULL;
	}
	/*
	 * libp11 0.4.12 (Debian 12) has no other way to make a key inside
	 * the token; it says the call will go in 0.5.
	 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	rc = PKCS11_generate_key(slot->token, 0, bits, p.label[0] != '\0' ?
	    p.label : NULL, p.idlen > 0 ? p.id : NULL, p.idlen);
#pragma GCC diagnostic pop
	if (rc != 0 || (key = find_key(slot, &p)) == NULL ||
	    (pub = PKCS11_get_public_key(key)) == NULL)
		kp_fail(err, KP_ERR_CRYPTO, "PKCS#11 token %s: cannot make an "
		    "RSA-%u key %s in it", slot->token->label, bits, p.label);
	p11_clear(&p);
	return pub;
}
