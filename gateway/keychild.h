/*
 * keychild — starting the key process (issue 16), done by the daemon's
 * parent (daemon.c), which never loads a key itself: the key process
 * reads its key and audit key files, enters its sandbox and answers
 * keyproc.h's requests on one end of a SOCK_SEQPACKET socketpair.  The
 * other end goes to the network process (keylink.h).
 */
#ifndef KP_KEYCHILD_H
#define KP_KEYCHILD_H

#include <sys/types.h>

#include "err.h"

struct kp_keychild_conf {
	const char	*key_path;	/* private key (PEM): TLS, WSS, checkpoints */
	const char	*audit_path;	/* audit key file (NULL: none); made if missing */
	const char	*user;		/* become this account when root (NULL: stay) */
};

/*
 * Start a key process and wait until it has named its key.  *pid: the
 * process; *fd: the asking end (close-on-exec).  An error naming the file
 * when it cannot load a key; the key file's mode is checked first
 * (never readable by group or others).
 */
int	kp_keychild_spawn(const struct kp_keychild_conf *conf, pid_t *pid,
	    int *fd, struct kp_err *err);

#endif
