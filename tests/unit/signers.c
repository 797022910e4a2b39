/*
 * signers — signing keys for tests beside a fixture's gateways: a
 * certificate issued by the fixture's CA with its key in this process, or
 * with its key in a key process of its own (keyproc.h, keyprov.h), so that
 * this process never holds it.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "keyproc.h"
#include "keyprov.h"
#include "pki.h"
#include "signers.h"
#include "tls.h"
#include "util.h"
#include "wss.h"

struct kp_signer *
fixture_signer(struct fixture *fx, const char *name,
    const struct kp_pki_opts *opts, const char *oin)
{
	char dir[300], cert[320], key[320];
	struct kp_err err;

	snprintf(dir, sizeof(dir), "%s/pki", fx->dir);
	if (opts != NULL && kp_pki_issue(dir, name, oin, name, opts, &err) != KP_OK)
		return NULL;
	snprintf(cert, sizeof(cert), "%s/%s.crt", dir, name);
	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	return kp_signer_load(cert, key, 1, &err);
}

static int key_fd = -1;

static uint32_t
ask_fd(void *arg, uint32_t op, uint32_t key, uint32_t alg, uint32_t md,
    const void *data, size_t len, void *out, size_t *outlen)
{
	(void)arg;
	return kp_keyproc_ask(key_fd, op, key, alg, md, data, len, out, outlen);
}

/*
 * name's certificate with its key in a key process of its own (keyproc.h,
 * keyprov.h): this process never holds the key.  *pid: that process.
 */
struct kp_signer *
fixture_remote_signer(struct fixture *fx, const char *name,
    const struct kp_pki_opts *opts, const char *oin, pid_t *pid)
{
	char dir[300], cert[320], key[320];
	struct kp_keyset keys;
	struct kp_signer *s;
	struct kp_err err;
	int sv[2];

	snprintf(dir, sizeof(dir), "%s/pki", fx->dir);
	if ((opts != NULL && kp_pki_issue(dir, name, oin, name, opts, &err) !=
	    KP_OK) || kp_keyprov_init(&err) != KP_OK)
		return NULL;
	snprintf(cert, sizeof(cert), "%s/%s.crt", dir, name);
	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	memset(&keys, 0, sizeof(keys));
	if ((keys.pkey[KP_KEY_WSS] = kp_load_private_key(key, &err)) == NULL ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return NULL;
	keys.pkey[KP_KEY_TLS] = keys.pkey[KP_KEY_CHECKPOINT] =
	    keys.pkey[KP_KEY_WSS];
	if ((*pid = fork()) == 0) {
		close(sv[0]);
		_exit(kp_keyproc_serve(sv[1], &keys) == 0 ? 0 : 3);
	}
	close(sv[1]);
	EVP_PKEY_free(keys.pkey[KP_KEY_WSS]);
	key_fd = sv[0];
	s = kp_signer_remote(cert, ask_fd, NULL, &err);
	if (s == NULL)
		printf("# %s\n", err.msg);
	return s;
}

void
fixture_remote_signer_free(struct kp_signer *s, pid_t pid)
{
	int status;

	kp_signer_free(s);
	close(key_fd);
	key_fd = -1;
	waitpid(pid, &status, 0);
}

