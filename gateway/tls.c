#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "pkcs11.h"
#include "tls.h"

const char *
kp_openssl_error(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, len, "no further detail");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

int
kp_key_file_check(const char *path, struct kp_err *err)
{
	struct stat st;

	if (kp_pkcs11_is_uri(path))
		return kp_pkcs11_check(path, err);

	if (stat(path, &st) == -1)
		return kp_fail(err, KP_ERR_CONFIG, "%s: %s", path, strerror(errno));
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return kp_fail(err, KP_ERR_CONFIG,
		    "%s: private key is accessible to group or others (mode %04o); "
		    "run: chmod 600 %s", path, (unsigned)(st.st_mode & 07777), path);
	return KP_OK;
}

EVP_PKEY *
kp_load_private_key(const char *path, struct kp_err *err)
{
	EVP_PKEY *pkey = NULL;
	char ebuf[256];
	BIO *bio;

	if (kp_key_file_check(path, err) != KP_OK)
		return NULL;
	if (kp_pkcs11_is_uri(path))
		return kp_pkcs11_load(path, err);
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		kp_fail(err, KP_ERR_CONFIG, "%s: cannot open: %s", path,
		    kp_openssl_error(ebuf, sizeof(ebuf)));
		return NULL;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey == NULL)
		kp_fail(err, KP_ERR_CONFIG, "%s: not a PEM private key: %s", path,
		    kp_openssl_error(ebuf, sizeof(ebuf)));
	return pkey;
}

X509 *
kp_load_cert(const char *path, struct kp_err *err)
{
	X509 *cert;
	char ebuf[256];
	BIO *bio;

	if ((bio = BIO_new_file(path, "r")) == NULL) {
		kp_fail(err, KP_ERR_CONFIG, "%s: cannot open: %s", path,
		    kp_openssl_error(ebuf, sizeof(ebuf)));
		return NULL;
	}
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (cert == NULL)
		kp_fail(err, KP_ERR_CONFIG, "%s: not a PEM certificate: %s", path,
		    kp_openssl_error(ebuf, sizeof(ebuf)));
	return cert;
}

int
kp_cert_oin(X509 *cert, char oin[21])
{
	X509_NAME *subject;
	X509_NAME_ENTRY *entry;
	ASN1_STRING *data;
	const unsigned char *p;
	int idx, len;

	oin[0] = '\0';
	if (cert == NULL || (subject = X509_get_subject_name(cert)) == NULL)
		return -1;
	if ((idx = X509_NAME_get_index_by_NID(subject, NID_serialNumber, -1)) < 0)
		return -1;
	/* Exactly one serialNumber: two would make the identity ambiguous. */
	if (X509_NAME_get_index_by_NID(subject, NID_serialNumber, idx) >= 0)
		return -1;
	entry = X509_NAME_get_entry(subject, idx);
	data = X509_NAME_ENTRY_get_data(entry);
	p = ASN1_STRING_get0_data(data);
	len = ASN1_STRING_length(data);
	if (len != 20)
		return -1;
	for (int i = 0; i < 20; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	memcpy(oin, p, 20);
	oin[20] = '\0';
	return 0;
}

STACK_OF(X509) *
kp_load_cert_chain(const char *path, struct kp_err *err)
{
	STACK_OF(X509) *chain;
	X509 *cert;
	char ebuf[256];
	BIO *bio;
	int n = 0;

	if ((bio = BIO_new_file(path, "r")) == NULL) {
		kp_fail(err, KP_ERR_CONFIG, "%s: cannot open: %s", path,
		    kp_openssl_error(ebuf, sizeof(ebuf)));
		return NULL;
	}
	if ((chain = sk_X509_new_null()) == NULL) {
		BIO_free(bio);
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (n++ == 0)
			X509_free(cert);	/* the certificate itself */
		else if (sk_X509_push(chain, cert) == 0) {
			X509_free(cert);
			break;
		}
	ERR_clear_error();	/* the end of the file */
	BIO_free(bio);
	return chain;
}

int
kp_tls_use_identity(SSL_CTX *ctx, X509 *cert, STACK_OF(X509) *chain,
    EVP_PKEY *key)
{
	return SSL_CTX_use_certificate(ctx, cert) == 1 &&
	    SSL_CTX_set1_chain(ctx, chain) == 1 &&
	    SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
	    SSL_CTX_check_private_key(ctx) == 1 ? 0 : -1;
}

const char *
kp_tls_alert_hint(const char *error_text)
{
	static const struct {
		const char *alert, *hint;
	} alerts[] = {
		{ "alert certificate revoked", " (the partner refused our "
		  "certificate as revoked: install a new one)" },
		{ "alert certificate expired", " (the partner refused our "
		  "certificate as expired: install a renewed one)" },
		{ "alert unknown ca", " (the partner does not trust the CA of "
		  "our certificate)" },
		{ "alert bad certificate", " (the partner refused our "
		  "certificate: its chain, its dates or our OIN in its profile)" },
		{ "alert certificate unknown", " (the partner refused our "
		  "certificate: its chain, its dates or our OIN in its profile)" },
		{ "alert certificate required", " (the partner wants our "
		  "certificate: check cert and key in our configuration)" },
	};

	for (size_t i = 0; error_text != NULL &&
	    i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (strstr(error_text, alerts[i].alert) != NULL)
			return alerts[i].hint;
	return "";
}

X509_STORE *
kp_trust_new(const char *ca_path, const char *crl_path, struct kp_err *err)
{
	X509_STORE *store;
	char ebuf[256];

	if ((store = X509_STORE_new()) == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (X509_STORE_load_file(store, ca_path) != 1) {
		kp_fail(err, KP_ERR_CONFIG, "%s: cannot load CA certificates: %s",
		    ca_path, kp_openssl_error(ebuf, sizeof(ebuf)));
		goto fail;
	}
	if (crl_path != NULL) {
		X509_LOOKUP *lookup = X509_STORE_add_lookup(store,
		    X509_LOOKUP_file());

		if (lookup == NULL || X509_load_crl_file(lookup, crl_path,
		    X509_FILETYPE_PEM) < 1) {
			kp_fail(err, KP_ERR_CONFIG, "%s: cannot load CRL: %s",
			    crl_path, kp_openssl_error(ebuf, sizeof(ebuf)));
			goto fail;
		}
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK |
		    X509_V_FLAG_CRL_CHECK_ALL);
	}
	return store;
fail:
	X509_STORE_free(store);
	return NULL;
}

int
kp_trust_check(X509_STORE *trust, X509 *cert, int64_t at_ms,
    struct kp_err *err)
{
	X509_STORE_CTX *ctx;
	int ret;

	if ((ctx = X509_STORE_CTX_new()) == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	if (X509_STORE_CTX_init(ctx, trust, cert, NULL) != 1) {
		X509_STORE_CTX_free(ctx);
		return kp_fail(err, KP_ERR_CRYPTO, "cannot check certificate");
	}
	if (at_ms != 0)
		X509_STORE_CTX_set_time(ctx, 0, (time_t)(at_ms / 1000));
	if (X509_verify_cert(ctx) == 1) {
		ret = KP_OK;
	} else {
		ret = kp_fail(err, KP_ERR_CRYPTO, "%s",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return ret;
}

static int
restrict_versions(SSL_CTX *ctx, struct kp_err *err)
{
	char ebuf[256];

	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, KP_TLS12_CIPHERS) != 1)
		return kp_fail(err, KP_ERR_TLS, "cannot restrict TLS: %s",
		    kp_openssl_error(ebuf, sizeof(ebuf)));
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
	return KP_OK;
}

/*
 * A partner's certificate, for health and expiry warnings: one that passed,
 * or one refused only because it expired (its chain and signature were
 * checked before its dates).
 */
static void
note_peer(int preverify_ok, X509_STORE_CTX *store_ctx)
{
	if (X509_STORE_CTX_get_error_depth(store_ctx) == 0 && (preverify_ok ||
	    X509_STORE_CTX_get_error(store_ctx) == X509_V_ERR_CERT_HAS_EXPIRED))
		kp_metrics_peer_cert(X509_STORE_CTX_get_current_cert(store_ctx));
}

static int
server_verify_cb(int preverify_ok, X509_STORE_CTX *store_ctx)
{
	note_peer(preverify_ok, store_ctx);
	if (!preverify_ok) {
		/* Say whose certificate and why: the partner only sees an alert. */
		X509 *cert = X509_STORE_CTX_get_current_cert(store_ctx);
		char oin[21];

		if (cert == NULL || kp_cert_oin(cert, oin) != 0)
			snprintf(oin, sizeof(oin), "unknown");
		log_info("refused a TLS client certificate (OIN %s, chain depth "
		    "%d): %s", oin, X509_STORE_CTX_get_error_depth(store_ctx),
		    X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(store_ctx)));
	}
	return preverify_ok;
}

SSL_CTX *
kp_tls_server_ctx(const struct kp_config *cfg, X509 *cert,
    STACK_OF(X509) *chain, EVP_PKEY *key, struct kp_err *err)
{
	SSL_CTX *ctx = NULL;
	X509_STORE *trust = NULL;
	STACK_OF(X509_NAME) *ca_names;
	char ebuf[256];

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		kp_fail(err, KP_ERR_TLS, "cannot create TLS context: %s",
		    kp_openssl_error(ebuf, sizeof(ebuf)));
		return NULL;
	}
	if (restrict_versions(ctx, err) != KP_OK)
		goto fail;
	if (kp_tls_use_identity(ctx, cert, chain, key) != 0) {
		kp_fail(err, KP_ERR_CONFIG, "%s: cannot use the certificate "
		    "with its key: %s", cfg->cert,
		    kp_openssl_error(ebuf, sizeof(ebuf)));
		goto fail;
	}
	if ((trust = kp_trust_new(cfg->ca, cfg->crl, err)) == NULL)
		goto fail;
	SSL_CTX_set_cert_store(ctx, trust);	/* ctx owns it now */
	if ((ca_names = SSL_load_client_CA_file(cfg->ca)) != NULL)
		SSL_CTX_set_client_CA_list(ctx, ca_names);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, server_verify_cb);
	SSL_CTX_set_verify_depth(ctx, 4);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"ketenpoort",
	    10);
	/*
	 * A partner keeps its connection open between exchanges: give back
	 * the record buffers (some 34 KiB) while it is idle (bench_idle).
	 */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Any client certificate passes the handshake; the read API judges it. */
static int
local_verify_cb(int preverify_ok, X509_STORE_CTX *store_ctx)
{
	(void)preverify_ok;
	(void)store_ctx;
	return 1;
}

SSL_CTX *
kp_tls_local_ctx(X509 *cert, STACK_OF(X509) *chain, EVP_PKEY *key,
    const char *client_ca, struct kp_err *err)
{
	SSL_CTX *ctx;
	X509_STORE *trust;
	STACK_OF(X509_NAME) *ca_names;
	char ebuf[256];

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		kp_fail(err, KP_ERR_TLS, "cannot create TLS context: %s",
		    kp_openssl_error(ebuf, sizeof(ebuf)));
		return NULL;
	}
	if (restrict_versions(ctx, err) != KP_OK)
		goto fail;
	if (kp_tls_use_identity(ctx, cert, chain, key) != 0) {
		kp_fail(err, KP_ERR_CONFIG, "cannot use our certificate with its "
		    "key: %s", kp_openssl_error(ebuf, sizeof(ebuf)));
		goto fail;
	}
	if (client_ca != NULL) {
		if ((trust = kp_trust_new(client_ca, NULL, err)) == NULL)
			goto fail;
		SSL_CTX_set_cert_store(ctx, trust);
		if ((ca_names = SSL_load_client_CA_file(client_ca)) != NULL)
			SSL_CTX_set_client_CA_list(ctx, ca_names);
		/*
		 * asked, not required: a JWT will do as well.  One that does
		 * not chain still completes the handshake, so that the
		 * answer can say why it was not enough
		 * (SSL_get_verify_result keeps the verdict).
		 */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, local_verify_cb);
		SSL_CTX_set_verify_depth(ctx, 4);
	}
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"kpread", 6);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static int client_oin_index = -1;
static pthread_once_t client_oin_once = PTHREAD_ONCE_INIT;

static void
client_oin_index_init(void)
{
	client_oin_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static int
client_verify_cb(int preverify_ok, X509_STORE_CTX *store_ctx)
{
	SSL *ssl;
	SSL_CTX *ctx;
	const char *expected;
	char oin[21];

	note_peer(preverify_ok, store_ctx);
	if (!preverify_ok)
		return 0;
	if (X509_STORE_CTX_get_error_depth(store_ctx) != 0)
		return 1;
	ssl = X509_STORE_CTX_get_ex_data(store_ctx,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	ctx = SSL_get_SSL_CTX(ssl);
	expected = SSL_CTX_get_ex_data(ctx, client_oin_index);
	if (expected == NULL)
		return 1;
	if (kp_cert_oin(X509_STORE_CTX_get_current_cert(store_ctx), oin) != 0 ||
	    strcmp(oin, expected) != 0) {
		X509_STORE_CTX_set_error(store_ctx,
		    X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	return 1;
}

int
kp_tls_client_restrict(SSL_CTX *ctx, const char *expected_oin,
    struct kp_err *err)
{
	if (restrict_versions(ctx, err) != KP_OK)
		return err != NULL ? err->status : KP_ERR_TLS;
	pthread_once(&client_oin_once, client_oin_index_init);
	SSL_CTX_set_ex_data(ctx, client_oin_index, (void *)expected_oin);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, client_verify_cb);
	return KP_OK;
}
