/*
 * keychild — the key process as the others see it (issue 16): started
 * with the paths of the keys, never the keys; it loads them itself,
 * enters its sandbox and answers keyproc.h's requests over a
 * SOCK_SEQPACKET socketpair.  One request at a time (a lock); when it
 * has died, the next request starts a new one and asks again, once, and
 * says so in the log.  If that fails too the answer is a failure: nobody
 * signs in its place.
 */
#ifndef KP_KEYCHILD_H
#define KP_KEYCHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct kp_keychild;

/*
 * key_path: the private key (PEM) for TLS, WS-Security and checkpoints;
 * audit_path: the audit key file (NULL: none); user: the account the key
 * process runs as when started as root (NULL: stay).  NULL and err when
 * it cannot start or cannot load its keys.
 */
struct kp_keychild *kp_keychild_start(const char *key_path,
		    const char *audit_path, const char *user, struct kp_err *err);
/* keyproc.h's kp_keyproc_ask, to the key process (started again if gone). */
uint32_t	    kp_keychild_ask(struct kp_keychild *kc, uint32_t op,
		    uint32_t key, uint32_t alg, uint32_t md, const void *data,
		    size_t len, void *out, size_t *outlen);
pid_t		    kp_keychild_pid(struct kp_keychild *kc);
/* How many times it was started again. */
unsigned int	    kp_keychild_restarts(struct kp_keychild *kc);
/* Close its socket and wait for it to end; NULL-safe. */
void		    kp_keychild_stop(struct kp_keychild *kc);

#endif
