/*
 * keylink — asking the key process, and taking over a new one from the
 * parent (keylink.h).
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keylink.h"
#include "keyproc.h"
#include "log.h"

struct kp_keylink {
	pthread_mutex_t	 lock;
	int		 fd;		/* -1: the key process is gone */
	int		 ctl;
	int		 down;		/* waited once in vain: do not wait again */
	unsigned int	 restarts;
};

struct kp_keylink *
kp_keylink_new(int key_fd, int ctl_fd)
{
	struct kp_keylink *link = calloc(1, sizeof(*link));

	if (link == NULL)
		return NULL;
	pthread_mutex_init(&link->lock, NULL);
	link->fd = key_fd;
	link->ctl = ctl_fd;
	return link;
}

void
kp_keylink_free(struct kp_keylink *link)
{
	if (link == NULL)
		return;
	if (link->fd != -1)
		close(link->fd);
	if (link->ctl != -1)
		close(link->ctl);
	pthread_mutex_destroy(&link->lock);
	free(link);
}

int
kp_keylink_send_fd(int ctl_fd, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))], one = 'k';
	struct iovec iov = { .iov_base = &one, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(ctl_fd, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* One descriptor from ctl, waiting at most ms; -1 if none came. */
static int
recv_fd(int ctl, int ms)
{
	char cbuf[CMSG_SPACE(sizeof(int))], one;
	struct iovec iov = { .iov_base = &one, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct pollfd p = { .fd = ctl, .events = POLLIN };
	struct cmsghdr *cm;
	int fd;

	if (ctl == -1 || poll(&p, 1, ms) != 1 || (p.revents & POLLIN) == 0 ||
	    recvmsg(ctl, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm == NULL || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * The key process is gone (or never came): take the newest end the parent
 * has passed, waiting for one unless we waited in vain before.  Under lock.
 */
static int
take_new(struct kp_keylink *link)
{
	int fd, newer;

	if (link->fd != -1) {
		close(link->fd);
		link->fd = -1;
		log_warnx("the key process does not answer: nothing is signed "
		    "until the new one the parent starts takes over");
	}
	if ((fd = recv_fd(link->ctl, link->down ? 0 : KP_KEYLINK_WAIT_MS)) ==
	    -1) {
		link->down = 1;
		return -1;
	}
	while ((newer = recv_fd(link->ctl, 0)) != -1) {
		close(fd);
		fd = newer;
	}
	link->fd = fd;
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
	if (link->fd != -1)
		st = kp_keyproc_ask(link->fd, op, key, alg, md, data, len, out,
		    outlen);
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
