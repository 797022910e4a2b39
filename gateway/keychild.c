/*
 * keychild — starting the key process (keychild.h).
 */
#include "autoconf.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
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
#include "pkcs11.h"
#include "sandbox.h"
#include "tls.h"

/* In the child: the keys from their files, then the sandbox, then serve. */
static void __attribute__((noreturn))
child_main(const struct kp_keychild_conf *conf, int fd)
{
	struct kp_keyset keys;
	struct kp_err err;
	EVP_PKEY *pkey = NULL;
	int created = 0;

	memset(&keys, 0, sizeof(keys));
	if ((pkey = kp_load_private_key(conf->key_path, &err)) == NULL) {
		log_warnx("key process: %s", err.msg);
		_exit(2);
	}
	for (int k = KP_KEY_TLS; k <= KP_KEY_CHECKPOINT; k++) {
		EVP_PKEY_up_ref(pkey);
		keys.pkey[k] = pkey;
	}
	EVP_PKEY_free(pkey);
	if (conf->audit_path != NULL) {
		if (kp_audit_key_load(conf->audit_path, 1, keys.hmac, &created,
		    &err) != KP_OK) {
			log_warnx("key process: %s", err.msg);
			_exit(2);
		}
		if (created)
			log_warnx("made a new audit key %s: keep a copy of it "
			    "with the store's backups; without it no audit "
			    "entry can be found by BSN", conf->audit_path);
		keys.hmac_len = KP_AUDIT_KEY_LEN;
	}
	if (kp_sandbox_keyproc(conf->user, kp_pkcs11_is_uri(conf->key_path),
	    &err) != KP_OK) {
		log_warnx("key process: %s", err.msg);
		_exit(2);
	}
	kp_sandbox_exit(kp_keyproc_serve(fd, &keys) == 0 ? 0 : 3);
}

int
kp_keychild_spawn(const struct kp_keychild_conf *conf, pid_t *pidp, int *fdp,
    struct kp_err *err)
{
	unsigned char der[KP_KEYRESP_DATA];
	size_t len = sizeof(der);
	pid_t parent = getpid(), pid;
	int sv[2], status;

	if (kp_key_file_check(conf->key_path, err) != KP_OK)
		return err->status;
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
		/* it dies with the parent, and keeps none of its descriptors */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		for (int fd = 3; fd < 1024; fd++)
			if (fd != sv[1])
				close(fd);
		child_main(conf, sv[1]);
	}
	close(sv[1]);
	if (kp_keyproc_ask(sv[0], KP_KEYOP_IDENT, KP_KEY_TLS, 0, 0, NULL, 0,
	    der, &len) != KP_KEYST_OK) {
		close(sv[0]);
		waitpid(pid, &status, 0);
		return kp_fail(err, KP_ERR_CRYPTO, "the key process could not "
		    "load its keys (%s%s%s); see the line above", conf->key_path,
		    conf->audit_path != NULL ? ", " : "",
		    conf->audit_path != NULL ? conf->audit_path : "");
	}
	*pidp = pid;
	*fdp = sv[0];
	return KP_OK;
}
