/*
 * test_keyproc — the key process's protocol (keyproc.h), with a real
 * child process on a SOCK_SEQPACKET socketpair:
 *
 * - a digest signed with RSA PKCS#1 v1.5, RSA-PSS and ECDSA verifies
 *   against the public key the same process gives (ident);
 * - the audit HMAC is HMAC-SHA256 under the key it holds;
 * - a request of the wrong size (shorter, longer), of another protocol,
 *   with an unknown operation or key, an algorithm the key cannot do, or
 *   a digest of the wrong length is refused with the status saying
 *   which, and the process goes on answering;
 * - it ends when its socket is closed;
 * - all of it inside its sandbox (sandbox.h), where a call outside the
 *   allow-list (opening a file) kills it with SIGSYS.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "keyproc.h"
#include "sandbox.h"
#include "tap.h"

static int
verifies(int fd, uint32_t key, uint32_t alg, const unsigned char *dig,
    const unsigned char *sig, size_t siglen)
{
	unsigned char der[KP_KEYRESP_DATA];
	const unsigned char *p = der;
	size_t len = sizeof(der);
	EVP_PKEY *pub;
	EVP_PKEY_CTX *ctx;
	int ok;

	if (kp_keyproc_ask(fd, KP_KEYOP_IDENT, key, 0, 0, NULL, 0, der,
	    &len) != KP_KEYST_OK || (pub = d2i_PUBKEY(NULL, &p, (long)len)) ==
	    NULL)
		return 0;
	ctx = EVP_PKEY_CTX_new(pub, NULL);
	ok = ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1;
	if (ok && alg != KP_KEYALG_ECDSA)
		ok = EVP_PKEY_CTX_set_rsa_padding(ctx, alg == KP_KEYALG_RSA_PSS ?
		    RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) == 1;
	ok = ok && EVP_PKEY_verify(ctx, sig, siglen, dig, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pub);
	return ok;
}

/* Send n raw bytes; the answer's status. */
static uint32_t
raw(int fd, const void *p, size_t n)
{
	struct kp_keyresp r;

	if (send(fd, p, n, 0) != (ssize_t)n ||
	    recv(fd, &r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return UINT32_MAX;
	return r.status;
}

int
main(void)
{
	struct kp_keyset keys;
	unsigned char dig[32], sig[KP_KEYRESP_DATA], mac[32], want[32];
	unsigned int wantlen = 0;
	struct kp_keyreq q;
	size_t len;
	int sv[2], status;
	pid_t pid;

	memset(&keys, 0, sizeof(keys));
	keys.pkey[KP_KEY_TLS] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)2048);
	keys.pkey[KP_KEY_WSS] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	memset(keys.hmac, 0x5a, 32);
	keys.hmac_len = 32;
	if (keys.pkey[KP_KEY_TLS] == NULL || keys.pkey[KP_KEY_WSS] == NULL ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		printf("Bail out! no keys or no socketpair\n");
		return 1;
	}
	if ((pid = fork()) == 0) {
		struct kp_err err;

		close(sv[0]);
		if (kp_sandbox_keyproc(NULL, 0, &err) != KP_OK)
			_exit(4);
		kp_sandbox_exit(kp_keyproc_serve(sv[1], &keys) == 0 ? 0 : 3);
	}
	close(sv[1]);
	/* the asking side holds no key from here on */
	EVP_PKEY_free(keys.pkey[KP_KEY_TLS]);
	EVP_PKEY_free(keys.pkey[KP_KEY_WSS]);
	EVP_Digest("ketenpoort", 10, dig, NULL, EVP_sha256(), NULL);

	len = sizeof(sig);
	is_int(kp_keyproc_ask(sv[0], KP_KEYOP_SIGN, KP_KEY_TLS,
	    KP_KEYALG_RSA_PKCS1, KP_KEYMD_SHA256, dig, 32, sig, &len),
	    KP_KEYST_OK, "RSA PKCS#1 v1.5: signed");
	ok(len == 256 && verifies(sv[0], KP_KEY_TLS, KP_KEYALG_RSA_PKCS1, dig,
	    sig, len), "  256 bytes that verify against the key it names");
	len = sizeof(sig);
	is_int(kp_keyproc_ask(sv[0], KP_KEYOP_SIGN, KP_KEY_TLS,
	    KP_KEYALG_RSA_PSS, KP_KEYMD_SHA256, dig, 32, sig, &len),
	    KP_KEYST_OK, "RSA-PSS: signed");
	ok(verifies(sv[0], KP_KEY_TLS, KP_KEYALG_RSA_PSS, dig, sig, len),
	    "  and verifies");
	len = sizeof(sig);
	is_int(kp_keyproc_ask(sv[0], KP_KEYOP_SIGN, KP_KEY_WSS,
	    KP_KEYALG_ECDSA, KP_KEYMD_SHA256, dig, 32, sig, &len),
	    KP_KEYST_OK, "ECDSA P-256: signed");
	ok(verifies(sv[0], KP_KEY_WSS, KP_KEYALG_ECDSA, dig, sig, len),
	    "  and verifies");
	len = sizeof(mac);
	HMAC(EVP_sha256(), keys.hmac, 32, (const unsigned char *)"111222333",
	    9, want, &wantlen);
	ok(kp_keyproc_ask(sv[0], KP_KEYOP_HMAC, KP_KEY_AUDIT, 0,
	    KP_KEYMD_SHA256, "111222333", 9, mac, &len) == KP_KEYST_OK &&
	    len == 32 && memcmp(mac, want, 32) == 0,
	    "the audit HMAC is HMAC-SHA256 under the audit key");

	/* refusals, each saying why; the process answers on */
	memset(&q, 0, sizeof(q));
	q.magic = KP_KEYREQ_MAGIC;
	q.op = KP_KEYOP_SIGN;
	q.key = KP_KEY_TLS;
	q.alg = KP_KEYALG_RSA_PKCS1;
	q.md = KP_KEYMD_SHA256;
	q.len = 32;
	is_int(raw(sv[0], &q, 10), KP_KEYST_SIZE, "a short request: refused");
	{
		unsigned char big[sizeof(q) + 8];

		memset(big, 0, sizeof(big));
		memcpy(big, &q, sizeof(q));
		is_int(raw(sv[0], big, sizeof(big)), KP_KEYST_SIZE,
		    "a long request: refused");
	}
	q.magic = 0x12345678;
	is_int(raw(sv[0], &q, sizeof(q)), KP_KEYST_MAGIC,
	    "another protocol: refused");
	q.magic = KP_KEYREQ_MAGIC;
	q.op = 99;
	is_int(raw(sv[0], &q, sizeof(q)), KP_KEYST_OP,
	    "an unknown operation: refused");
	q.op = KP_KEYOP_SIGN;
	q.key = 77;
	is_int(raw(sv[0], &q, sizeof(q)), KP_KEYST_KEY,
	    "an unknown key: refused");
	q.key = KP_KEY_CHECKPOINT;
	is_int(raw(sv[0], &q, sizeof(q)), KP_KEYST_KEY,
	    "a key not loaded: refused");
	q.key = KP_KEY_AUDIT;
	is_int(raw(sv[0], &q, sizeof(q)), KP_KEYST_KEY,
	    "signing with the HMAC key: refused");
	q.key = KP_KEY_WSS;
	is_int(raw(sv[0], &q, sizeof(q)), KP_KEYST_ALG,
	    "RSA padding with an EC key: refused");
	q.key = KP_KEY_TLS;
	q.alg = KP_KEYALG_ECDSA;
	is_int(raw(sv[0], &q, sizeof(q)), KP_KEYST_ALG,
	    "ECDSA with an RSA key: refused");
	q.alg = KP_KEYALG_RSA_PKCS1;
	q.len = 20;
	is_int(raw(sv[0], &q, sizeof(q)), KP_KEYST_LEN,
	    "a digest of 20 bytes for SHA-256: refused");
	q.len = 5000;
	is_int(raw(sv[0], &q, sizeof(q)), KP_KEYST_LEN,
	    "a length past the request: refused");
	q.op = KP_KEYOP_HMAC;
	q.key = KP_KEY_TLS;
	q.len = 9;
	is_int(raw(sv[0], &q, sizeof(q)), KP_KEYST_KEY,
	    "an HMAC under a signing key: refused");
	len = sizeof(sig);
	is_int(kp_keyproc_ask(sv[0], KP_KEYOP_SIGN, KP_KEY_TLS,
	    KP_KEYALG_RSA_PKCS1, KP_KEYMD_SHA256, dig, 32, sig, &len),
	    KP_KEYST_OK, "after all that, it signs as before");

	close(sv[0]);
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "its socket closed, the key process ends "
	    "(all of the above inside its sandbox)");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		diag("status %d%s", status, WIFSIGNALED(status) ?
		    ": killed by a signal (a call outside the allow-list?)" : "");

	/* in the sandbox, opening a file is the end of it */
	if ((pid = fork()) == 0) {
		struct kp_err err;

		if (kp_sandbox_keyproc(NULL, 0, &err) != KP_OK)
			_exit(4);
		(void)open("/etc/passwd", O_RDONLY);
		kp_sandbox_exit(0);
	}
	ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGSYS,
	    "in the sandbox, opening a file kills the process (SIGSYS)");
	return done_testing();
}
