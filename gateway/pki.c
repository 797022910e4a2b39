#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "pkcs11.h"
#include "pki.h"
#include "tls.h"
#include "util.h"

#define PKI_PATH_MAX 4096

static int
pki_path(char *out, const char *dir, const char *name, const char *suffix,
    struct kp_err *err)
{
	int n = snprintf(out, PKI_PATH_MAX, "%s/%s%s", dir, name, suffix);

	if (KP_TRUNCATED(n, PKI_PATH_MAX))
		return kp_fail(err, KP_ERR_USAGE, "%s: path too long", dir);
	return KP_OK;
}

static int
valid_name(const char *name, struct kp_err *err)
{
	if (name[0] == '\0' || strlen(name) > 64)
		return kp_fail(err, KP_ERR_USAGE, "name must be 1 to 64 characters");
	for (const char *p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return kp_fail(err, KP_ERR_USAGE,
			    "name \"%s\": use letters, digits, - and _ only", name);
	if (strcmp(name, "ca") == 0)
		return kp_fail(err, KP_ERR_USAGE, "name \"ca\" is the CA's own");
	return KP_OK;
}

static EVP_PKEY *
new_key(const struct kp_pki_opts *opts, struct kp_err *err)
{
	EVP_PKEY *pkey;
	char ebuf[256];

	if (opts->pkcs11 != NULL) {
		if (opts->ec)
			kp_fail(err, KP_ERR_USAGE, "--ec with --pkcs11: this "
			    "libp11 makes RSA keys in a token only");
		return opts->ec ? NULL : kp_pkcs11_generate(opts->pkcs11,
		    (unsigned)(opts->bits > 0 ? opts->bits : 2048), err);
	}
	if (opts->ec)
		pkey = EVP_EC_gen("P-256");
	else
		pkey = EVP_RSA_gen((unsigned)(opts->bits > 0 ? opts->bits : 2048));
	if (pkey == NULL)
		kp_fail(err, KP_ERR_CRYPTO, "cannot generate key: %s",
		    kp_openssl_error(ebuf, sizeof(ebuf)));
	return pkey;
}

static int
write_pem(const char *path, EVP_PKEY *pkey, X509 *cert, X509_CRL *crl,
    struct kp_err *err)
{
	BIO *bio;
	char *data;
	long len;
	int ok, ret;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	if (pkey != NULL)
		ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL);
	else if (cert != NULL)
		ok = PEM_write_bio_X509(bio, cert);
	else
		ok = PEM_write_bio_X509_CRL(bio, crl);
	if (!ok) {
		BIO_free(bio);
		return kp_fail(err, KP_ERR_CRYPTO, "%s: cannot encode", path);
	}
	len = BIO_get_mem_data(bio, &data);
	ret = kp_write_file(path, data, (size_t)len, pkey != NULL ? 0600 : 0644,
	    err);
	BIO_free(bio);
	return ret;
}

static int
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/*
 * Build and sign a certificate.  issuer == NULL means self-signed (the CA,
 * or a test certificate that chains to nothing).
 */
static X509 *
make_cert(EVP_PKEY *pkey, const char *org, const char *oin, int is_ca,
    X509 *issuer, EVP_PKEY *issuer_key, const struct kp_pki_opts *opts,
    struct kp_err *err)
{
	X509 *cert = NULL;
	X509_NAME *name;
	BIGNUM *serial = NULL;
	int days = opts->days > 0 ? opts->days : (is_ca ? 3650 : 825);
	char ebuf[256];

	if ((cert = X509_new()) == NULL || (serial = BN_new()) == NULL)
		goto fail;
	if (!X509_set_version(cert, 2) ||
	    !BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)))
		goto fail;
	if (!X509_gmtime_adj(X509_getm_notBefore(cert),
	    (long)opts->start_days * 86400 - 300) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert),
	    (long)(opts->start_days + days) * 86400))
		goto fail;
	if (!X509_set_pubkey(cert, pkey))
		goto fail;
	name = X509_get_subject_name(cert);
	if (!X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC,
	    (const unsigned char *)"NL", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)org, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)org, -1, -1, 0))
		goto fail;
	if (oin != NULL && !X509_NAME_add_entry_by_NID(name, NID_serialNumber,
	    MBSTRING_ASC, (const unsigned char *)oin, -1, -1, 0))
		goto fail;
	if (!X509_set_issuer_name(cert, issuer != NULL ?
	    X509_get_subject_name(issuer) : name))
		goto fail;
	if (add_ext(cert, issuer != NULL ? issuer : cert,
	    NID_subject_key_identifier, "hash") != 0)
		goto fail;
	if (issuer != NULL && add_ext(cert, issuer,
	    NID_authority_key_identifier, "keyid:always") != 0)
		goto fail;
	if (is_ca) {
		if (add_ext(cert, cert, NID_basic_constraints,
		    "critical,CA:TRUE,pathlen:0") != 0 ||
		    add_ext(cert, cert, NID_key_usage,
		    "critical,keyCertSign,cRLSign") != 0)
			goto fail;
	} else {
		if (add_ext(cert, cert, NID_basic_constraints,
		    "critical,CA:FALSE") != 0 ||
		    add_ext(cert, cert, NID_key_usage, opts->ec ?
		    "critical,digitalSignature,keyAgreement" :
		    "critical,digitalSignature,keyEncipherment") != 0 ||
		    add_ext(cert, cert, NID_ext_key_usage,
		    "serverAuth,clientAuth") != 0 ||
		    add_ext(cert, cert, NID_subject_alt_name,
		    "DNS:localhost,IP:127.0.0.1") != 0)
			goto fail;
	}
	if (!X509_sign(cert, issuer_key != NULL ? issuer_key : pkey,
	    EVP_sha256()))
		goto fail;
	BN_free(serial);
	return cert;
fail:
	kp_fail(err, KP_ERR_CRYPTO, "cannot build certificate for %s: %s", org,
	    kp_openssl_error(ebuf, sizeof(ebuf)));
	BN_free(serial);
	X509_free(cert);
	return NULL;
}

/* Rebuild ca.crl from revoked.txt (one hex serial a line). */
static int
write_crl(const char *dir, X509 *ca, EVP_PKEY *ca_key, struct kp_err *err)
{
	char path[PKI_PATH_MAX], ebuf[256];
	char *list = NULL, *line, *next;
	X509_CRL *crl = NULL;
	ASN1_TIME *now = NULL;
	int ret = KP_ERR_CRYPTO;
	struct kp_err rerr;

	if (pki_path(path, dir, "revoked", ".txt", err) != KP_OK)
		return KP_ERR_USAGE;
	if (kp_read_file(path, 1 << 20, &list, NULL, &rerr) != KP_OK &&
	    (list = strdup("")) == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	if ((crl = X509_CRL_new()) == NULL || (now = ASN1_TIME_new()) == NULL)
		goto fail;
	if (!X509_CRL_set_version(crl, 1) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) ||
	    X509_gmtime_adj(now, 0) == NULL ||
	    !X509_CRL_set1_lastUpdate(crl, now) ||
	    X509_gmtime_adj(now, 30L * 86400) == NULL ||
	    !X509_CRL_set1_nextUpdate(crl, now))
		goto fail;
	for (line = list; line != NULL && *line != '\0'; line = next) {
		X509_REVOKED *rev;
		BIGNUM *bn = NULL;
		ASN1_INTEGER *serial;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0' || BN_hex2bn(&bn, line) == 0)
			continue;
		rev = X509_REVOKED_new();
		serial = BN_to_ASN1_INTEGER(bn, NULL);
		X509_gmtime_adj(now, 0);
		if (rev == NULL || serial == NULL ||
		    !X509_REVOKED_set_serialNumber(rev, serial) ||
		    !X509_REVOKED_set_revocationDate(rev, now) ||
		    !X509_CRL_add0_revoked(crl, rev)) {
			X509_REVOKED_free(rev);
			ASN1_INTEGER_free(serial);
			BN_free(bn);
			goto fail;
		}
		ASN1_INTEGER_free(serial);
		BN_free(bn);
	}
	X509_CRL_sort(crl);
	if (!X509_CRL_sign(crl, ca_key, EVP_sha256()))
		goto fail;
	if (pki_path(path, dir, "ca", ".crl", err) != KP_OK)
		goto out;
	ret = write_pem(path, NULL, NULL, crl, err);
	goto out;
fail:
	ret = kp_fail(err, KP_ERR_CRYPTO, "cannot build CRL: %s",
	    kp_openssl_error(ebuf, sizeof(ebuf)));
out:
	ASN1_TIME_free(now);
	X509_CRL_free(crl);
	free(list);
	return ret;
}

static int
load_ca(const char *dir, X509 **ca, EVP_PKEY **ca_key, struct kp_err *err)
{
	char path[PKI_PATH_MAX];

	*ca = NULL;
	*ca_key = NULL;
	if (pki_path(path, dir, "ca", ".crt", err) != KP_OK ||
	    (*ca = kp_load_cert(path, err)) == NULL)
		return KP_ERR_CONFIG;
	if (pki_path(path, dir, "ca", ".key", err) != KP_OK ||
	    (*ca_key = kp_load_private_key(path, err)) == NULL) {
		X509_free(*ca);
		*ca = NULL;
		return KP_ERR_CONFIG;
	}
	return KP_OK;
}

int
kp_pki_init(const char *dir, const struct kp_pki_opts *opts,
    struct kp_err *err)
{
	char path[PKI_PATH_MAX];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	struct stat st;
	int ret;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		return kp_fail(err, KP_ERR_SYS, "%s: cannot create: %s", dir,
		    strerror(errno));
	if (pki_path(path, dir, "ca", ".key", err) != KP_OK)
		return KP_ERR_USAGE;
	if (stat(path, &st) == 0)
		return kp_fail(err, KP_ERR_EXISTS,
		    "%s already exists; use another directory or remove it", path);
	if ((key = new_key(opts, err)) == NULL)
		return KP_ERR_CRYPTO;
	if ((cert = make_cert(key, "ketenpoort demo CA", NULL, 1, NULL, NULL,
	    opts, err)) == NULL) {
		ret = KP_ERR_CRYPTO;
		goto out;
	}
	if ((ret = write_pem(path, key, NULL, NULL, err)) != KP_OK)
		goto out;
	if ((ret = pki_path(path, dir, "ca", ".crt", err)) != KP_OK ||
	    (ret = write_pem(path, NULL, cert, NULL, err)) != KP_OK)
		goto out;
	ret = write_crl(dir, cert, key, err);
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	return ret;
}

int
kp_pki_issue(const char *dir, const char *name, const char *oin,
    const char *org, const struct kp_pki_opts *opts, struct kp_err *err)
{
	char path[PKI_PATH_MAX];
	EVP_PKEY *key = NULL, *ca_key = NULL;
	X509 *cert = NULL, *ca = NULL;
	int ret;

	if ((ret = valid_name(name, err)) != KP_OK)
		return ret;
	if (!kp_oin_valid(oin))
		return kp_fail(err, KP_ERR_USAGE, "OIN must be 20 digits, not \"%s\"",
		    oin);
	if (!opts->self_signed && (ret = load_ca(dir, &ca, &ca_key, err)) != KP_OK)
		return ret;
	if ((key = new_key(opts, err)) == NULL) {
		ret = err->status;
		goto out;
	}
	if ((cert = make_cert(key, org, oin, 0, ca, ca_key, opts, err)) == NULL) {
		ret = KP_ERR_CRYPTO;
		goto out;
	}
	/* a key in a token stays there: no key file */
	if (opts->pkcs11 == NULL &&
	    ((ret = pki_path(path, dir, name, ".key", err)) != KP_OK ||
	    (ret = write_pem(path, key, NULL, NULL, err)) != KP_OK))
		goto out;
	if ((ret = pki_path(path, dir, name, ".crt", err)) != KP_OK ||
	    (ret = write_pem(path, NULL, cert, NULL, err)) != KP_OK)
		goto out;
out:
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	X509_free(cert);
	X509_free(ca);
	return ret;
}

int
kp_pki_revoke(const char *dir, const char *name, struct kp_err *err)
{
	char path[PKI_PATH_MAX];
	X509 *cert = NULL, *ca = NULL;
	EVP_PKEY *ca_key = NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL, *line = NULL;
	FILE *fp;
	int ret;

	if ((ret = valid_name(name, err)) != KP_OK)
		return ret;
	if ((ret = pki_path(path, dir, name, ".crt", err)) != KP_OK)
		return ret;
	if ((cert = kp_load_cert(path, err)) == NULL)
		return KP_ERR_NOTFOUND;
	if ((ret = load_ca(dir, &ca, &ca_key, err)) != KP_OK)
		goto out;
	if ((bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL) {
		ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((ret = pki_path(path, dir, "revoked", ".txt", err)) != KP_OK)
		goto out;
	if ((fp = fopen(path, "a")) == NULL) {
		ret = kp_fail(err, KP_ERR_SYS, "%s: %s", path, strerror(errno));
		goto out;
	}
	fprintf(fp, "%s\n", hex);
	if (fclose(fp) != 0) {
		ret = kp_fail(err, KP_ERR_SYS, "%s: %s", path, strerror(errno));
		goto out;
	}
	ret = write_crl(dir, ca, ca_key, err);
out:
	free(line);
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return ret;
}
