/*
 * tls — OpenSSL for the transport and for certificate checks.
 *
 * Server and client contexts follow PROTOCOL.md §1: TLS 1.2/1.3 only,
 * ECDHE with AES-GCM or ChaCha20-Poly1305, the server's cipher order, no
 * renegotiation, a verified client certificate, the CRL when configured.
 * A trust store checks a signer's certificate the same way the handshake
 * checks a peer's.  An organisation's identity is the OIN in the subject's
 * serialNumber.
 */
#ifndef KP_TLS_H
#define KP_TLS_H

#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "err.h"

#define KP_TLS12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct kp_config;

/* Refuse a private key file that group or others may read. */
int		 kp_key_file_check(const char *path, struct kp_err *err);
EVP_PKEY	*kp_load_private_key(const char *path, struct kp_err *err);
X509		*kp_load_cert(const char *path, struct kp_err *err);

/* OIN from the subject serialNumber; 0, or -1 when absent or malformed. */
int		 kp_cert_oin(X509 *cert, char oin[21]);

/*
 * When a failed exchange's error text (curl's, from OpenSSL) is a TLS
 * alert the partner sent about our certificate: what it means and what to
 * do, as " (...)"; otherwise "".
 */
const char	*kp_tls_alert_hint(const char *error_text);

/* A trust store: CA certificates from ca_path, the CRL from crl_path. */
X509_STORE	*kp_trust_new(const char *ca_path, const char *crl_path,
		    struct kp_err *err);
/*
 * Chain, validity and revocation of cert against the trust store, as of
 * at_ms (milliseconds since the epoch; 0 means now).
 */
int		 kp_trust_check(X509_STORE *trust, X509 *cert, int64_t at_ms,
		    struct kp_err *err);

/* The partner listener's context, with our certificate, chain and key. */
SSL_CTX		*kp_tls_server_ctx(const struct kp_config *cfg, X509 *cert,
		    STACK_OF(X509) *chain, EVP_PKEY *key, struct kp_err *err);
/*
 * The local read API's context (readapi.h): our certificate, chain and
 * key; a client certificate is asked for but not required, and checked
 * against client_ca (NULL: none is asked for).
 */
SSL_CTX		*kp_tls_local_ctx(X509 *cert, STACK_OF(X509) *chain,
		    EVP_PKEY *key, const char *client_ca, struct kp_err *err);
/* The certificates after the first in a PEM file (maybe none). */
STACK_OF(X509)	*kp_load_cert_chain(const char *path, struct kp_err *err);
/* A context's own certificate, chain and key; 0, or -1 (they differ). */
int		 kp_tls_use_identity(SSL_CTX *ctx, X509 *cert,
		    STACK_OF(X509) *chain, EVP_PKEY *key);
/*
 * Restrict a client context (from libcurl's SSL_CTX callback, or our own)
 * to the protocol's versions and ciphers, and require the server's
 * certificate to carry expected_oin.  expected_oin must outlive ctx.
 */
int		 kp_tls_client_restrict(SSL_CTX *ctx, const char *expected_oin,
		    struct kp_err *err);

/* The most recent OpenSSL error as text, for messages. */
const char	*kp_openssl_error(char *buf, size_t len);

#endif
