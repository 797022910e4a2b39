/*
 * keylink — asking the key process, and taking over a new one from the
 * parent (keylink.h).
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keylink.h"
#include "keyproc.h"
#include "log.h"
#include "util.h"

/* What comes with an end over the control socket. */
struct end_msg {
	char		 tag;		/* 'k' or 'r' */
	int32_t		 pid;		/* the key process at the other end */
};

/* The control socket, shared by the generations of key processes. */
struct kp_keyctl {
	pthread_mutex_t	 lock;
	int		 fd;
	int		 restart;	/* a 'k' end read while looking for 'r' */
	int		 renewal;	/* an 'r' end read while looking for 'k' */
	pid_t		 restart_pid, renewal_pid;
};

struct kp_keylink {
	pthread_mutex_t	 lock;
	int		 fd;		/* -1: the key process is gone */
	pid_t		 pid;		/* the key process at fd's other end */
	int		 answer_ms;	/* longer without an answer: it hangs */
	struct kp_keyctl *ctl;
	int		 down;		/* waited once in vain: do not wait again */
	unsigned int	 restarts;
	unsigned char	 ident[KP_KEYRESP_DATA];	/* its public key (DER) */
	size_t		 identlen;
};

struct kp_keyctl *
kp_keyctl_new(int fd)
{
	struct kp_keyctl *ctl = calloc(1, sizeof(*ctl));

	if (ctl == NULL)
		return NULL;
	pthread_mutex_init(&ctl->lock, NULL);
	ctl->fd = fd;
	ctl->restart = ctl->renewal = -1;
	return ctl;
}

void
kp_keyctl_free(struct kp_keyctl *ctl)
{
	if (ctl == NULL)
		return;
	for (int *fd = &ctl->fd; fd <= &ctl->renewal; fd++)
		if (*fd != -1)
			close(*fd);
	pthread_mutex_destroy(&ctl->lock);
	free(ctl);
}

/* Answers are awaited answer_ms at most (SO_RCVTIMEO). */
static void
answer_within(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
	    .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* The key process's public key as it names it: 0, or -1. */
static int
ident_of(int fd, unsigned char *der, size_t *len)
{
	return fd != -1 && kp_keyproc_ask(fd, KP_KEYOP_IDENT, KP_KEY_TLS, 0, 0,
	    NULL, 0, der, len) == KP_KEYST_OK ? 0 : -1;
}

struct kp_keylink *
kp_keylink_new(int key_fd, pid_t pid, struct kp_keyctl *ctl)
{
	struct kp_keylink *link = calloc(1, sizeof(*link));

	if (link == NULL)
		return NULL;
	pthread_mutex_init(&link->lock, NULL);
	link->fd = key_fd;
	link->pid = pid;
	link->ctl = ctl;
	link->answer_ms = KP_KEYLINK_ANSWER_MS;
	answer_within(key_fd, link->answer_ms);
	link->identlen = sizeof(link->ident);
	if (ident_of(key_fd, link->ident, &link->identlen) != 0) {
		link->fd = -1;
		kp_keylink_free(link);
		return NULL;
	}
	return link;
}

void
kp_keylink_free(struct kp_keylink *link)
{
	if (link == NULL)
		return;
	if (link->fd != -1)
		close(link->fd);
	pthread_mutex_destroy(&link->lock);
	free(link);
}

int
kp_keylink_send_fd(int ctl_fd, int fd, char tag, pid_t pid)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct end_msg m = { .tag = tag, .pid = (int32_t)pid };
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(ctl_fd, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(m) ? 0 :
	    -1;
}

/* One descriptor from ctl, waiting at most ms; -1 if none came. */
static int
recv_fd(int ctl, int ms, char *tag, pid_t *pid)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct end_msg m;
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct pollfd p = { .fd = ctl, .events = POLLIN };
	struct cmsghdr *cm;
	int fd;

	if (ctl == -1 || poll(&p, 1, ms) != 1 || (p.revents & POLLIN) == 0 ||
	    recvmsg(ctl, &msg, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(m))
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm == NULL || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	*tag = m.tag;
	*pid = (pid_t)m.pid;
	return fd;
}

/*
 * The newest end of kind want ('k': a key process started again, 'r': one
 * started for a renewal), waiting at most ms for the first; ends of the
 * other kind are kept for whoever looks for them.
 */
static int
ctl_take(struct kp_keyctl *ctl, char want, int ms, pid_t *pid)
{
	int *mine, *other, fd;
	pid_t *mine_pid, *other_pid, got;
	char tag;

	pthread_mutex_lock(&ctl->lock);
	mine = want == 'k' ? &ctl->restart : &ctl->renewal;
	other = want == 'k' ? &ctl->renewal : &ctl->restart;
	mine_pid = want == 'k' ? &ctl->restart_pid : &ctl->renewal_pid;
	other_pid = want == 'k' ? &ctl->renewal_pid : &ctl->restart_pid;
	while ((fd = recv_fd(ctl->fd, *mine == -1 ? ms : 0, &tag, &got)) !=
	    -1) {
		int *slot = tag == want ? mine : other;

		if (*slot != -1)
			close(*slot);
		*slot = fd;
		*(tag == want ? mine_pid : other_pid) = got;
	}
	fd = *mine;
	*pid = *mine_pid;
	*mine = -1;
	pthread_mutex_unlock(&ctl->lock);
	return fd;
}

int
kp_keyctl_take_renewal(struct kp_keyctl *ctl, pid_t *pid)
{
	return ctl != NULL ? ctl_take(ctl, 'r', 0, pid) : -1;
}

void
kp_keylink_set_answer_timeout(struct kp_keylink *link, int ms)
{
	pthread_mutex_lock(&link->lock);
	link->answer_ms = ms;
	if (link->fd != -1)
		answer_within(link->fd, ms);
	pthread_mutex_unlock(&link->lock);
}

/*
 * The key process is gone (or never came): take the newest end the parent
 * has passed, waiting for one unless we waited in vain before.  Under lock.
 */
static int
take_new(struct kp_keylink *link)
{
	unsigned char der[KP_KEYRESP_DATA];
	size_t len = sizeof(der);
	pid_t pid = 0;
	int fd;

	if (link->fd != -1) {
		close(link->fd);
		link->fd = -1;
		log_warnx("the key process does not answer: nothing is signed "
		    "until the new one the parent starts takes over");
	}
	if (link->ctl == NULL || (fd = ctl_take(link->ctl, 'k', link->down ? 0 :
	    KP_KEYLINK_WAIT_MS, &pid)) == -1) {
		link->down = 1;
		return -1;
	}
	/* the same key, or this generation cannot use it */
	if (ident_of(fd, der, &len) != 0 || len != link->identlen ||
	    memcmp(der, link->ident, len) != 0) {
		log_warnx("the new key process holds another key than the "
		    "certificate in use (was the key file replaced without "
		    "SIGHUP?): nothing is signed until SIGHUP renews both");
		close(fd);
		link->down = 1;
		return -1;
	}
	link->fd = fd;
	link->pid = pid;
	answer_within(fd, link->answer_ms);
	link->down = 0;
	link->restarts++;
	log_info("a new key process answers; signing again");
	return 0;
}

uint32_t
kp_keylink_ask(void *arg, uint32_t op, uint32_t key, uint32_t alg,
    uint32_t md, const void *data, size_t len, void *out, size_t *outlen)
{
	struct kp_keylink *link = arg;
	size_t room = *outlen;
	uint32_t st = UINT32_MAX;

	pthread_mutex_lock(&link->lock);
	if (link->fd != -1) {
		st = kp_keyproc_ask(link->fd, op, key, alg, md, data, len, out,
		    outlen);
		/* alive but not answering (a token that hangs): end it */
		if (st == UINT32_MAX && (errno == EAGAIN ||
		    errno == EWOULDBLOCK) && link->pid > 0) {
			log_warnx("the key process (pid %ld) has not answered "
			    "in %d ms: ending it", (long)link->pid,
			    link->answer_ms);
			kill(link->pid, SIGKILL);
		}
	}
	if (st == UINT32_MAX && take_new(link) == 0) {
		*outlen = room;
		st = kp_keyproc_ask(link->fd, op, key, alg, md, data, len, out,
		    outlen);
	}
	pthread_mutex_unlock(&link->lock);
	return st;
}

int
kp_keylink_alive(struct kp_keylink *link, char *why, size_t whylen)
{
	unsigned char der[KP_KEYRESP_DATA];
	size_t len = sizeof(der);
	uint32_t st;

	st = kp_keylink_ask(link, KP_KEYOP_IDENT, KP_KEY_TLS, 0, 0, NULL, 0,
	    der, &len);
	if (st == KP_KEYST_OK)
		return 1;
	snprintf(why, whylen, "the key process does not answer (%s): "
	    "nothing can be signed; the parent process starts a new one, see "
	    "the log", kp_key_status_str(st));
	return 0;
}

unsigned int
kp_keylink_restarts(struct kp_keylink *link)
{
	unsigned int n;

	pthread_mutex_lock(&link->lock);
	n = link->restarts;
	pthread_mutex_unlock(&link->lock);
	return n;
}

int
kp_keylink_pseudonym(void *link, const char *bsn, char out[65])
{
	unsigned char mac[32];
	size_t len = sizeof(mac);

	if (kp_keylink_ask(link, KP_KEYOP_HMAC, KP_KEY_AUDIT, KP_KEYALG_NONE,
	    KP_KEYMD_SHA256, bsn, strlen(bsn), mac, &len) != KP_KEYST_OK ||
	    len != sizeof(mac))
		return -1;
	kp_hex(mac, sizeof(mac), out);
	return 0;
}
