/*
 * test_keychild — the key process started from key files it reads
 * itself (keychild.h), and asked through the network process's line to it
 * (keylink.h), with this test as the parent:
 *
 * - it names the key in the file, signs with it, and HMACs under the
 *   audit key file's key; a missing audit key file is made;
 * - killed, the question waits for the new one the parent passes over
 *   the control socket, which answers it;
 * - killed with no new one: the question fails (nothing signed), and
 *   /healthz's check says why;
 * - one that hangs (SIGSTOP) is ended after the answer time (SIGKILL),
 *   and the next one answers;
 * - a key file it cannot read, or one readable by others: no key
 *   process, an error naming the file.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

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
#include "keylink.h"
#include "keyproc.h"
#include "tap.h"

static int
sign_verifies(struct kp_keylink *kc, EVP_PKEY *pkey)
{
	unsigned char dig[32], sig[KP_KEYRESP_DATA];
	size_t len = sizeof(sig);
	EVP_PKEY_CTX *ctx;
	int ok;

	EVP_Digest("ketenpoort", 10, dig, NULL, EVP_sha256(), NULL);
	if (kp_keylink_ask(kc, KP_KEYOP_SIGN, KP_KEY_WSS, KP_KEYALG_RSA_PKCS1,
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
	struct kp_keychild_conf conf = { 0 };
	struct kp_keylink *kc;
	struct kp_keyctl *kctl;
	struct kp_err err;
	int fd = -1, ctl[2], status;
	EVP_PKEY *pkey;
	size_t len;
	pid_t first = 0, second = 0;
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

	unlink(audit);		/* the key process makes it */
	conf.key_path = key;
	conf.audit_path = audit;
	if (!ok(kp_keychild_spawn(&conf, &first, &fd, &err) == KP_OK,
	    "the key process starts from the key file"))
		diag("%s", err.msg);
	if (first <= 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    ctl) != 0)
		return done_testing();
	ok(first != getpid(), "  in a process of its own");
	ok(kp_audit_key_load(audit, 0, akey, &created, &err) == KP_OK &&
	    !created, "  which made the missing audit key file");
	kctl = kp_keyctl_new(ctl[1]);
	kc = kp_keylink_new(fd, first, kctl);
	len = sizeof(mac);
	n = i2d_PUBKEY(pkey, &p);
	{
		unsigned char got[KP_KEYRESP_DATA];
		size_t glen = sizeof(got);

		ok(kp_keylink_ask(kc, KP_KEYOP_IDENT, KP_KEY_TLS, 0, 0, NULL, 0,
		    got, &glen) == KP_KEYST_OK && (int)glen == n &&
		    memcmp(got, der, glen) == 0,
		    "it names the key in the file");
	}
	ok(sign_verifies(kc, pkey), "it signs with that key");
	HMAC(EVP_sha256(), akey, KP_AUDIT_KEY_LEN,
	    (const unsigned char *)"111222333", 9, want, &wantlen);
	ok(kp_keylink_ask(kc, KP_KEYOP_HMAC, KP_KEY_AUDIT, 0, KP_KEYMD_SHA256,
	    "111222333", 9, mac, &len) == KP_KEYST_OK && len == 32 &&
	    memcmp(mac, want, 32) == 0, "it HMACs under the audit key file's key");

	/* the parent's part: a new key process, its end over the socket */
	kill(first, SIGKILL);
	waitpid(first, &status, 0);
	ok(kp_keychild_spawn(&conf, &second, &fd, &err) == KP_OK &&
	    second != first && kp_keylink_send_fd(ctl[0], fd, 'k', second) == 0,
	    "killed: the parent starts a new one and passes it on");
	close(fd);
	ok(sign_verifies(kc, pkey), "  the next question is answered by it");
	is_int(kp_keylink_restarts(kc), 1, "  one restart");

	kill(second, SIGKILL);
	waitpid(second, &status, 0);
	len = sizeof(mac);
	ok(!sign_verifies(kc, pkey), "killed with no new one: nothing is "
	    "signed");
	{
		char why[256] = "";

		ok(!kp_keylink_alive(kc, why, sizeof(why)) &&
		    strstr(why, "key process does not answer") != NULL,
		    "  and the health check says why (%s)", why);
	}
	/* a renewal's key process ('r') is not taken for a restart */
	{
		EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		pid_t third, rpid = 0;
		int rfd;

		if ((f = fopen(key, "w")) != NULL) {
			PEM_write_PrivateKey(f, other, NULL, NULL, 0, NULL, NULL);
			fclose(f);
		}
		ok(kp_keychild_spawn(&conf, &third, &fd, &err) == KP_OK &&
		    kp_keylink_send_fd(ctl[0], fd, 'r', third) == 0,
		    "a key process for a renewed key, passed as such");
		close(fd);
		ok(!sign_verifies(kc, pkey), "  is not taken when the running "
		    "one is gone");
		rfd = kp_keyctl_take_renewal(kctl, &rpid);
		ok(rfd != -1 && rpid == third, "  but handed to the renewal, "
		    "with its pid");
		ok(kp_keychild_spawn(&conf, &second, &fd, &err) == KP_OK &&
		    kp_keylink_send_fd(ctl[0], fd, 'k', second) == 0,
		    "a restart that loads the other key (file replaced)");
		close(fd);
		ok(!sign_verifies(kc, pkey), "  is refused: it holds another "
		    "key than the certificate in use");
		ok(waitpid(second, &status, 0) == second && WIFEXITED(status),
		    "  and, its line closed, it ends");
		close(rfd);
		waitpid(third, &status, 0);
		EVP_PKEY_free(other);
		if ((f = fopen(key, "w")) != NULL) {
			PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);
			fclose(f);
		}
	}
	ok(kp_keychild_spawn(&conf, &second, &fd, &err) == KP_OK &&
	    kp_keylink_send_fd(ctl[0], fd, 'k', second) == 0,
	    "the key back: a new one");
	close(fd);
	ok(sign_verifies(kc, pkey), "  answers again");

	/* one that hangs (stopped): ended after the answer time, not waited on */
	kp_keylink_set_answer_timeout(kc, 300);
	kill(second, SIGSTOP);
	ok(!sign_verifies(kc, pkey), "a key process that hangs: no answer "
	    "after the answer time, nothing signed");
	ok(waitpid(second, &status, 0) == second && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGKILL, "  and it was ended (SIGKILL), for "
	    "the parent to start another");
	ok(kp_keychild_spawn(&conf, &second, &fd, &err) == KP_OK &&
	    kp_keylink_send_fd(ctl[0], fd, 'k', second) == 0 &&
	    (close(fd), sign_verifies(kc, pkey)), "  which then answers");
	kp_keylink_free(kc);
	kp_keyctl_free(kctl);
	close(ctl[0]);
	ok(waitpid(second, &status, 0) == second && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "its line closed, the key process ends");

	chmod(key, 0644);
	ok(kp_keychild_spawn(&conf, &second, &fd, &err) != KP_OK &&
	    strstr(err.msg, "group or others") != NULL,
	    "a key file others may read: refused (%s)", err.msg);
	unlink(key);
	ok(kp_keychild_spawn(&conf, &second, &fd, &err) != KP_OK &&
	    strstr(err.msg, key) != NULL,
	    "a key file it cannot read: no key process, the error names it");
	unlink(audit);
	rmdir(dir);
	EVP_PKEY_free(pkey);
	return done_testing();
}
