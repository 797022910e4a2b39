/*
 * test_keyprov — keys the process does not hold (keyprov.h), against a
 * real key process (keyproc.h) in its sandbox:
 *
 * - EVP_DigestSign with the provider's RSA (PKCS#1 v1.5 and PSS) and EC
 *   keys makes signatures that verify against the public keys;
 * - X509_check_private_key pairs a certificate with its provider key and
 *   refuses another certificate;
 * - full TLS 1.3 and TLS 1.2 handshakes with client certificates, RSA and
 *   P-256, where both the server's and the client's private operations
 *   are the key process's;
 * - the key cannot be written out (nothing private to write);
 * - once the key process is gone, nothing is signed (no fallback).
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "keyproc.h"
#include "keyprov.h"
#include "sandbox.h"
#include "tap.h"

static int key_fd = -1;
static int asked;

static uint32_t
ask_fd(void *arg, uint32_t op, uint32_t key, uint32_t alg, uint32_t md,
    const void *data, size_t len, void *out, size_t *outlen)
{
	(void)arg;
	asked++;
	return kp_keyproc_ask(key_fd, op, key, alg, md, data, len, out, outlen);
}

static X509 *
self_signed(EVP_PKEY *pkey, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *n;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pkey);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_sign(x, pkey, EVP_sha256());
	return x;
}

static int
verify(EVP_PKEY *pub, int pss, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	ok = EVP_DigestVerifyInit(m, &pctx, EVP_sha256(), NULL, pub) == 1 &&
	    (!pss || EVP_PKEY_CTX_set_rsa_padding(pctx,
	    RSA_PKCS1_PSS_PADDING) == 1) &&
	    EVP_DigestVerify(m, sig, siglen, (const unsigned char *)"kp", 2) == 1;
	EVP_MD_CTX_free(m);
	return ok;
}

static int
sign(EVP_PKEY *key, int pss, unsigned char *sig, size_t *siglen)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	ok = EVP_DigestSignInit(m, &pctx, EVP_sha256(), NULL, key) == 1 &&
	    (!pss || (EVP_PKEY_CTX_set_rsa_padding(pctx,
	    RSA_PKCS1_PSS_PADDING) == 1 && EVP_PKEY_CTX_set_rsa_pss_saltlen(
	    pctx, RSA_PSS_SALTLEN_DIGEST) == 1)) &&
	    EVP_DigestSign(m, sig, siglen, (const unsigned char *)"kp", 2) == 1;
	EVP_MD_CTX_free(m);
	return ok;
}

/*
 * A handshake between a server and a client, each with a certificate and
 * key, the client's required; both over a BIO pair.  1 when both finish.
 */
static int
handshake(int tls13, X509 *scert, EVP_PKEY *skey, X509 *ccert,
    EVP_PKEY *ckey, const char **version)
{
	SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	X509_STORE *strust = SSL_CTX_get_cert_store(sctx);
	X509_STORE *ctrust = SSL_CTX_get_cert_store(cctx);
	SSL *s = NULL, *c = NULL;
	BIO *sb = NULL, *cb = NULL;
	int sdone = 0, cdone = 0, ok = 0;

	if (sctx == NULL || cctx == NULL)
		goto out;
	X509_STORE_add_cert(strust, ccert);
	X509_STORE_add_cert(ctrust, scert);
	for (SSL_CTX *x = sctx; x != NULL; x = x == sctx ? cctx : NULL) {
		int v = tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;

		SSL_CTX_set_min_proto_version(x, v);
		SSL_CTX_set_max_proto_version(x, v);
		SSL_CTX_set_verify(x, SSL_VERIFY_PEER |
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	if (SSL_CTX_use_certificate(sctx, scert) != 1 ||
	    SSL_CTX_use_PrivateKey(sctx, skey) != 1 ||
	    SSL_CTX_use_certificate(cctx, ccert) != 1 ||
	    SSL_CTX_use_PrivateKey(cctx, ckey) != 1)
		goto out;
	s = SSL_new(sctx);
	c = SSL_new(cctx);
	if (BIO_new_bio_pair(&sb, 0, &cb, 0) != 1)
		goto out;
	SSL_set_bio(s, sb, sb);
	SSL_set_bio(c, cb, cb);
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	for (int i = 0; i < 100 && !(sdone && cdone); i++) {
		int r;

		if (!cdone && (r = SSL_do_handshake(c)) == 1)
			cdone = 1;
		else if (!cdone && SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
			break;
		if (!sdone && (r = SSL_do_handshake(s)) == 1)
			sdone = 1;
		else if (!sdone && SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
			break;
	}
	ok = sdone && cdone && SSL_get_verify_result(s) == X509_V_OK &&
	    SSL_get_verify_result(c) == X509_V_OK;
	*version = SSL_get_version(s);
out:
	if (!ok)
		ERR_print_errors_fp(stdout);
	SSL_free(s);
	SSL_free(c);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	return ok;
}

int
main(void)
{
	struct kp_keyset keys;
	struct kp_err err;
	EVP_PKEY *rsa_pub, *ec_pub, *rsa, *ec, *other;
	X509 *rsa_cert, *ec_cert, *other_cert, *peer_cert;
	EVP_PKEY *peer;
	unsigned char sig[1024];
	size_t siglen;
	const char *v = "";
	int sv[2], status;
	pid_t pid;

	if (kp_keyprov_init(&err) != KP_OK) {
		printf("Bail out! %s\n", err.msg);
		return 1;
	}
	memset(&keys, 0, sizeof(keys));
	keys.pkey[KP_KEY_TLS] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)2048);
	keys.pkey[KP_KEY_WSS] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	peer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (keys.pkey[KP_KEY_TLS] == NULL || keys.pkey[KP_KEY_WSS] == NULL ||
	    other == NULL || peer == NULL ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		printf("Bail out! no keys or no socketpair\n");
		return 1;
	}
	/* certificates are public: made here, before the keys leave */
	rsa_cert = self_signed(keys.pkey[KP_KEY_TLS], "rsa");
	ec_cert = self_signed(keys.pkey[KP_KEY_WSS], "ec");
	other_cert = self_signed(other, "other");
	peer_cert = self_signed(peer, "peer");
	if ((pid = fork()) == 0) {
		close(sv[0]);
		if (kp_sandbox_keyproc(NULL, 0, &err) != KP_OK)
			_exit(4);
		kp_sandbox_exit(kp_keyproc_serve(sv[1], &keys) == 0 ? 0 : 3);
	}
	close(sv[1]);
	key_fd = sv[0];
	EVP_PKEY_free(keys.pkey[KP_KEY_TLS]);
	EVP_PKEY_free(keys.pkey[KP_KEY_WSS]);
	rsa_pub = X509_get0_pubkey(rsa_cert);
	ec_pub = X509_get0_pubkey(ec_cert);

	rsa = kp_keyprov_key(rsa_pub, KP_KEY_TLS, ask_fd, NULL, &err);
	ec = kp_keyprov_key(ec_pub, KP_KEY_WSS, ask_fd, NULL, &err);
	ok(rsa != NULL && ec != NULL && kp_keyprov_is_remote(rsa) &&
	    kp_keyprov_is_remote(ec) && !kp_keyprov_is_remote(peer),
	    "keys of the provider for an RSA and an EC public key");
	is_int(EVP_PKEY_get_base_id(rsa), EVP_PKEY_RSA, "  RSA, as OpenSSL "
	    "sees it");
	is_int(EVP_PKEY_get_bits(rsa), 2048, "  of 2048 bits");
	is_int(EVP_PKEY_get_base_id(ec), EVP_PKEY_EC, "  EC");
	{
		char group[32] = "";

		ok(EVP_PKEY_get_utf8_string_param(ec, "group", group,
		    sizeof(group), NULL) == 1 && strcmp(group, "prime256v1") ==
		    0, "  on P-256 (%s)", group);
	}

	siglen = sizeof(sig);
	asked = 0;
	ok(sign(rsa, 0, sig, &siglen) && asked == 1 &&
	    verify(rsa_pub, 0, sig, siglen), "RSA PKCS#1 v1.5 by DigestSign: "
	    "one question to the key process, a signature that verifies");
	siglen = sizeof(sig);
	ok(sign(rsa, 1, sig, &siglen) && verify(rsa_pub, 1, sig, siglen),
	    "RSA-PSS by DigestSign: verifies");
	siglen = sizeof(sig);
	ok(sign(ec, 0, sig, &siglen) && verify(ec_pub, 0, sig, siglen),
	    "ECDSA P-256 by DigestSign: verifies");
	ok(!verify(rsa_pub, 1, (const unsigned char *)"x", 1),
	    "  (and verify() can fail)");

	is_int(X509_check_private_key(rsa_cert, rsa), 1,
	    "X509_check_private_key pairs the RSA certificate with its key");
	is_int(X509_check_private_key(ec_cert, ec), 1, "  and the EC one");
	ERR_clear_error();
	is_int(X509_check_private_key(other_cert, ec), 0,
	    "  and refuses another certificate of the same curve");
	ERR_clear_error();
	{
		unsigned char *der = NULL;
		BIO *mem = BIO_new(BIO_s_mem());

		ok(i2d_PrivateKey(rsa, &der) <= 0 && !PEM_write_bio_PrivateKey(
		    mem, ec, NULL, NULL, 0, NULL, NULL),
		    "the keys cannot be written out: nothing private here");
		OPENSSL_free(der);
		BIO_free(mem);
		ERR_clear_error();
	}

	asked = 0;
	ok(handshake(1, rsa_cert, rsa, peer_cert, peer, &v) &&
	    strcmp(v, "TLSv1.3") == 0 && asked == 1, "TLS 1.3 server with the "
	    "RSA key (RSA-PSS), client certificate checked");
	asked = 0;
	ok(handshake(0, rsa_cert, rsa, peer_cert, peer, &v) &&
	    strcmp(v, "TLSv1.2") == 0 && asked == 1,
	    "TLS 1.2 server with the RSA key");
	asked = 0;
	ok(handshake(1, ec_cert, ec, peer_cert, peer, &v) && asked == 1,
	    "TLS 1.3 server with the P-256 key");
	asked = 0;
	ok(handshake(0, ec_cert, ec, peer_cert, peer, &v) && asked == 1,
	    "TLS 1.2 server with the P-256 key");
	asked = 0;
	ok(handshake(1, peer_cert, peer, rsa_cert, rsa, &v) && asked == 1,
	    "TLS 1.3 client certificate with the RSA key");
	asked = 0;
	ok(handshake(0, peer_cert, peer, ec_cert, ec, &v) && asked == 1,
	    "TLS 1.2 client certificate with the P-256 key");
	asked = 0;
	ok(handshake(1, rsa_cert, rsa, ec_cert, ec, &v) && asked == 2,
	    "both sides' keys in the key process: two questions");

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	siglen = sizeof(sig);
	ok(!sign(rsa, 0, sig, &siglen), "the key process killed: nothing is "
	    "signed");
	ok(!handshake(1, rsa_cert, rsa, peer_cert, peer, &v),
	    "  and no handshake completes");
	ERR_clear_error();

	close(sv[0]);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(other);
	EVP_PKEY_free(peer);
	X509_free(rsa_cert);
	X509_free(ec_cert);
	X509_free(other_cert);
	X509_free(peer_cert);
	kp_keyprov_cleanup();
	return done_testing();
}
