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

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define KP_KEYLINK_WAIT_MS	3000
/* An answer that takes longer: the key process hangs and is ended. */
#define KP_KEYLINK_ANSWER_MS	10000

struct kp_keylink;
struct kp_keyctl;

/*
 * The control socket from the parent (kept).  It passes ends tagged 'k'
 * (a key process started again after one died: the same key) and 'r'
 * (one started on SIGHUP, perhaps with a renewed key).
 */
struct kp_keyctl  *kp_keyctl_new(int ctl_fd);
void		   kp_keyctl_free(struct kp_keyctl *ctl);
/* The newest 'r' end passed (and its process), without waiting; -1: none. */
int		   kp_keyctl_take_renewal(struct kp_keyctl *ctl, pid_t *pid);

/*
 * One key process's line, the generation of its key (learnt now, by
 * asking: NULL if it does not answer).  key_fd is kept; ctl (may be NULL:
 * no restarts) must outlive the link.  A key process started again takes
 * over only if it holds the same key.
 */
struct kp_keylink *kp_keylink_new(int key_fd, pid_t pid, struct kp_keyctl *ctl);
/*
 * A key process that has not answered within ms (KP_KEYLINK_ANSWER_MS)
 * is taken to hang: it is killed (pid), and the parent starts another.
 */
void		   kp_keylink_set_answer_timeout(struct kp_keylink *link, int ms);
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

/*
 * The audit pseudonym of bsn (64 hex digits into out) from the key
 * process: kp_store_set_pseudonym's fn, with a struct kp_keylink.  0, or -1.
 */
int		   kp_keylink_pseudonym(void *link, const char *bsn, char out[65]);

/* How many key processes have answered after the first (restarts). */
unsigned int	   kp_keylink_restarts(struct kp_keylink *link);

/*
 * The parent's side: pass fd over ctl_fd (SCM_RIGHTS) tagged 'k' or 'r',
 * with the pid of the key process at its other end.
 * 0, or -1 with errno.
 */
int		   kp_keylink_send_fd(int ctl_fd, int fd, char tag, pid_t pid);

#endif
