/*
 * test_keychild — the key process started from key files it reads
 * itself (keychild.h):
 *
 * - it names the key in the file, signs with it, and HMACs under the
 *   audit key file's key;
 * - killed, it is started again at the next request, which it answers;
 * - a key file it cannot read: no key process, an error naming the file.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "auditlog.h"
#include "keychild.h"
#include "keyproc.h"
#include "tap.h"

static int
sign_verifies(struct kp_keychild *kc, EVP_PKEY *pkey)
{
	unsigned char dig[32], sig[KP_KEYRESP_DATA];
	size_t len = sizeof(sig);
	EVP_PKEY_CTX *ctx;
	int ok;

	EVP_Digest("ketenpoort", 10, dig, NULL, EVP_sha256(), NULL);
	if (kp_keychild_ask(kc, KP_KEYOP_SIGN, KP_KEY_WSS, KP_KEYALG_RSA_PKCS1,
	    KP_KEYMD_SHA256, dig, 32, sig, &len) != KP_KEYST_OK)
		return 0;
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	ok = ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
	    EVP_PKEY_verify(ctx, sig, len, dig, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

int
main(void)
{
	char dir[] = "/tmp/kp-keychild.XXXXXX", key[300], audit[300];
	unsigned char akey[KP_AUDIT_KEY_LEN], mac[32], want[32], der[2048];
	unsigned char *p = der;
	unsigned int wantlen = 0;
	struct kp_keychild *kc;
	struct kp_err err;
	EVP_PKEY *pkey;
	size_t len;
	pid_t first;
	int created = 0, n;
	FILE *f;

	if (mkdtemp(dir) == NULL ||
	    (pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)) == NULL) {
		printf("Bail out! no directory or no key\n");
		return 1;
	}
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(audit, sizeof(audit), "%s/audit.key", dir);
	umask(077);
	if ((f = fopen(key, "w")) == NULL ||
	    PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fclose(f) != 0 ||
	    kp_audit_key_load(audit, 1, akey, &created, &err) != KP_OK) {
		printf("Bail out! cannot write the key files\n");
		return 1;
	}

	kc = kp_keychild_start(key, audit, NULL, &err);
	if (!ok(kc != NULL, "the key process starts from the key files"))
		diag("%s", err.msg);
	if (kc == NULL)
		return done_testing();
	first = kp_keychild_pid(kc);
	ok(first > 0 && first != getpid(), "  in a process of its own");
	len = sizeof(mac);
	n = i2d_PUBKEY(pkey, &p);
	{
		unsigned char got[KP_KEYRESP_DATA];
		size_t glen = sizeof(got);

		ok(kp_keychild_ask(kc, KP_KEYOP_IDENT, KP_KEY_TLS, 0, 0, NULL, 0,
		    got, &glen) == KP_KEYST_OK && (int)glen == n &&
		    memcmp(got, der, glen) == 0,
		    "it names the key in the file");
	}
	ok(sign_verifies(kc, pkey), "it signs with that key");
	HMAC(EVP_sha256(), akey, KP_AUDIT_KEY_LEN,
	    (const unsigned char *)"111222333", 9, want, &wantlen);
	ok(kp_keychild_ask(kc, KP_KEYOP_HMAC, KP_KEY_AUDIT, 0, KP_KEYMD_SHA256,
	    "111222333", 9, mac, &len) == KP_KEYST_OK && len == 32 &&
	    memcmp(mac, want, 32) == 0, "it HMACs under the audit key file's key");

	kill(first, SIGKILL);
	ok(sign_verifies(kc, pkey), "killed, it is started again at the next "
	    "request, which it answers");
	is_int(kp_keychild_restarts(kc), 1, "  once");
	ok(kp_keychild_pid(kc) > 0 && kp_keychild_pid(kc) != first,
	    "  as a new process");
	kp_keychild_stop(kc);

	unlink(key);
	kc = kp_keychild_start(key, audit, NULL, &err);
	ok(kc == NULL && strstr(err.msg, key) != NULL,
	    "a key file it cannot read: no key process, the error names it");
	kp_keychild_stop(kc);
	unlink(audit);
	rmdir(dir);
	EVP_PKEY_free(pkey);
	return done_testing();
}
