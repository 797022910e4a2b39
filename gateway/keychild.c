/*
 * keychild — starting, asking and restarting the key process
 * (keychild.h).
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auditlog.h"
#include "keychild.h"
#include "keyproc.h"
#include "log.h"
#include "sandbox.h"

struct kp_keychild {
	pthread_mutex_t	 lock;
	pid_t		 pid;
	int		 fd;
	char		*key_path, *audit_path, *user;
	unsigned int	 restarts;
};

/* In the child: the keys from their files, then the sandbox, then serve. */
static void __attribute__((noreturn))
child_main(struct kp_keychild *kc, int fd)
{
	struct kp_keyset keys;
	struct kp_err err;
	EVP_PKEY *pkey = NULL;
	FILE *f;
	int created = 0;

	memset(&keys, 0, sizeof(keys));
	if ((f = fopen(kc->key_path, "r")) != NULL) {
		pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (pkey == NULL) {
		fprintf(stderr, "key process: %s: cannot read a private key\n",
		    kc->key_path);
		_exit(2);
	}
	for (int k = KP_KEY_TLS; k <= KP_KEY_CHECKPOINT; k++) {
		EVP_PKEY_up_ref(pkey);
		keys.pkey[k] = pkey;
	}
	EVP_PKEY_free(pkey);
	if (kc->audit_path != NULL) {
		if (kp_audit_key_load(kc->audit_path, 0, keys.hmac, &created,
		    &err) != KP_OK) {
			fprintf(stderr, "key process: %s\n", err.msg);
			_exit(2);
		}
		keys.hmac_len = KP_AUDIT_KEY_LEN;
	}
	if (kp_sandbox_keyproc(kc->user, &err) != KP_OK) {
		fprintf(stderr, "%s\n", err.msg);
		_exit(2);
	}
	kp_sandbox_exit(kp_keyproc_serve(fd, &keys) == 0 ? 0 : 3);
}

/* A new key process, ready (it has answered who it is); under lock. */
static int
spawn(struct kp_keychild *kc, struct kp_err *err)
{
	unsigned char der[KP_KEYRESP_DATA];
	size_t len = sizeof(der);
	int sv[2], status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return kp_fail(err, KP_ERR_SYS, "key process: socketpair: %s",
		    strerror(errno));
	if ((pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		return kp_fail(err, KP_ERR_SYS, "key process: fork: %s",
		    strerror(errno));
	}
	if (pid == 0) {
		close(sv[0]);
		/* what the parent had open is not the key process's */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != sv[1])
				close(fd);
		child_main(kc, sv[1]);
	}
	close(sv[1]);
	if (kp_keyproc_ask(sv[0], KP_KEYOP_IDENT, KP_KEY_TLS, 0, 0, NULL, 0,
	    der, &len) != KP_KEYST_OK) {
		close(sv[0]);
		waitpid(pid, &status, 0);
		return kp_fail(err, KP_ERR_CRYPTO, "key process: could not load "
		    "its keys (%s%s); see the lines above", kc->key_path,
		    kc->audit_path != NULL ? ", the audit key" : "");
	}
	kc->pid = pid;
	kc->fd = sv[0];
	return KP_OK;
}

struct kp_keychild *
kp_keychild_start(const char *key_path, const char *audit_path,
    const char *user, struct kp_err *err)
{
	struct kp_keychild *kc = calloc(1, sizeof(*kc));

	if (kc == NULL || (kc->key_path = strdup(key_path)) == NULL ||
	    (audit_path != NULL && (kc->audit_path = strdup(audit_path)) ==
	    NULL) || (user != NULL && (kc->user = strdup(user)) == NULL)) {
		if (kc != NULL) {
			free(kc->key_path);
			free(kc->audit_path);
		}
		free(kc);
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	kc->fd = -1;
	pthread_mutex_init(&kc->lock, NULL);
	if (spawn(kc, err) != KP_OK) {
		kp_keychild_stop(kc);
		return NULL;
	}
	return kc;
}

uint32_t
kp_keychild_ask(struct kp_keychild *kc, uint32_t op, uint32_t key,
    uint32_t alg, uint32_t md, const void *data, size_t len, void *out,
    size_t *outlen)
{
	size_t room = *outlen;
	struct kp_err err;
	uint32_t st;
	int status;

	pthread_mutex_lock(&kc->lock);
	st = kc->fd != -1 ? kp_keyproc_ask(kc->fd, op, key, alg, md, data, len,
	    out, outlen) : UINT32_MAX;
	if (st == UINT32_MAX) {
		/* gone: what became of it, then a new one, asked once more */
		if (kc->fd != -1)
			close(kc->fd);
		kc->fd = -1;
		if (kc->pid > 0 && waitpid(kc->pid, &status, 0) == kc->pid)
			log_warnx("the key process (pid %ld) %s %d; starting a "
			    "new one", (long)kc->pid, WIFSIGNALED(status) ?
			    "was killed by signal" : "exited with status",
			    WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status));
		kc->pid = 0;
		if (spawn(kc, &err) != KP_OK) {
			log_warnx("%s; nothing is signed until it starts", err.msg);
		} else {
			kc->restarts++;
			*outlen = room;
			st = kp_keyproc_ask(kc->fd, op, key, alg, md, data, len,
			    out, outlen);
		}
	}
	pthread_mutex_unlock(&kc->lock);
	return st;
}

pid_t
kp_keychild_pid(struct kp_keychild *kc)
{
	pid_t pid;

	pthread_mutex_lock(&kc->lock);
	pid = kc->pid;
	pthread_mutex_unlock(&kc->lock);
	return pid;
}

unsigned int
kp_keychild_restarts(struct kp_keychild *kc)
{
	unsigned int n;

	pthread_mutex_lock(&kc->lock);
	n = kc->restarts;
	pthread_mutex_unlock(&kc->lock);
	return n;
}

void
kp_keychild_stop(struct kp_keychild *kc)
{
	int status;

	if (kc == NULL)
		return;
	if (kc->fd != -1)
		close(kc->fd);
	if (kc->pid > 0)
		waitpid(kc->pid, &status, 0);
	pthread_mutex_destroy(&kc->lock);
	free(kc->key_path);
	free(kc->audit_path);
	free(kc->user);
	free(kc);
}
