/*
 * keylink — the network process's line to the key process (issue 16).
 *
 * The daemon's parent (daemon.c) starts the key process and hands the
 * network process one end of its socketpair; when the key process dies,
 * the parent starts a new one and passes the new end over the control
 * socket (SCM_RIGHTS).  kp_keylink_ask asks on the current end; when the
 * key process is gone it waits (at most KP_KEYLINK_WAIT_MS) for the new
 * end and asks that once.  Without one the answer is a failure: nothing
 * is signed in its place, and callers refuse the request (server.c
 * answers 503 with Retry-After).  One question at a time (a lock): the
 * key process answers one at a time anyway.
 */
#ifndef KP_KEYLINK_H
#define KP_KEYLINK_H

#include <stddef.h>
#include <stdint.h>

#define KP_KEYLINK_WAIT_MS	3000

struct kp_keylink;

/* key_fd: the key process's end; ctl_fd: the parent's (both kept). */
struct kp_keylink *kp_keylink_new(int key_fd, int ctl_fd);
void		   kp_keylink_free(struct kp_keylink *link);

/* keyprov.h's kp_keyask_fn, with arg a struct kp_keylink. */
uint32_t	   kp_keylink_ask(void *link, uint32_t op, uint32_t key,
		    uint32_t alg, uint32_t md, const void *data, size_t len,
		    void *out, size_t *outlen);

/*
 * Does the key process answer (a question that signs nothing)?  1, or 0
 * with why filled in for /healthz.
 */
int		   kp_keylink_alive(struct kp_keylink *link, char *why,
		    size_t whylen);

/* How many key processes have answered after the first (restarts). */
unsigned int	   kp_keylink_restarts(struct kp_keylink *link);

/*
 * The parent's side: pass fd over ctl_fd (SCM_RIGHTS).  0, or -1 with
 * errno.
 */
int		   kp_keylink_send_fd(int ctl_fd, int fd);

#endif
