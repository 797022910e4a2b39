/*
 * kpflood — test tool: hold many connections open the way an attacker
 * would, on loopback or a Unix socket only, and report when the server
 * closed each.  Bounded in count and time; it stops by itself.
 *
 *   kpflood --to HOST:PORT|--unix PATH --count N [--from ADDR --spread K]
 *           --mode silent|hello|headers|bigheader [--every SECONDS]
 *           --for SECONDS
 *
 * silent: connect and send nothing.  hello: a TLS ClientHello, one byte
 * every --every seconds.  headers: "GET / HTTP/1.1\r\n" then a header one
 * byte every --every seconds.  bigheader: one header line of 8 MiB as fast
 * as the server takes it.  --from binds to ADDR and the K-1 addresses
 * after it (127.0.0.2 .. 127.0.0.K+1), round robin.
 *
 * Prints "opened N closed C open O slowest_close_ms S" (S: the longest a
 * connection lived before the server closed it) and exits 0.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define MAX_CONN	4096
#define BIG_HEADER	(8 * 1024 * 1024)

/* The first bytes of a TLS 1.2 ClientHello record: enough to look real. */
static const unsigned char hello[] = {
	0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03,
};
static const char headers[] = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";

struct victim {
	int	 fd;
	int64_t	 opened_ms, next_ms;
	size_t	 sent;
	int	 closed;
};

static int
loopback(const char *addr)
{
	struct in_addr in;

	return inet_pton(AF_INET, addr, &in) == 1 &&
	    (ntohl(in.s_addr) >> 24) == 127;
}

static int
open_one(const char *host, int port, const char *unix_path, const char *from,
    int spread, int i)
{
	int fd;

	if (unix_path != NULL) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", unix_path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			close(fd);
			return -1;
		}
	} else {
		struct sockaddr_in sin = { .sin_family = AF_INET };

		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			return -1;
		if (from != NULL) {
			struct sockaddr_in src = { .sin_family = AF_INET };

			inet_pton(AF_INET, from, &src.sin_addr);
			src.sin_addr.s_addr = htonl(ntohl(src.sin_addr.s_addr) +
			    (uint32_t)(spread > 0 ? i % spread : 0));
			if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
				close(fd);
				return -1;
			}
		}
		sin.sin_port = htons((unsigned short)port);
		inet_pton(AF_INET, host, &sin.sin_addr);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
			close(fd);
			return -1;
		}
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Send this victim's next slow byte (or, for bigheader, what fits). */
static void
trickle(struct victim *v, const char *mode, int64_t every_ms, int64_t now)
{
	static char filler[65536];
	ssize_t n = 0;

	if (strcmp(mode, "hello") == 0) {
		if (v->sent < sizeof(hello))
			n = send(v->fd, hello + v->sent, 1, MSG_NOSIGNAL);
		else
			n = send(v->fd, "\0", 1, MSG_NOSIGNAL);
	} else if (strcmp(mode, "headers") == 0) {
		n = v->sent < sizeof(headers) - 1 ?
		    send(v->fd, headers + v->sent, sizeof(headers) - 1 - v->sent,
		    MSG_NOSIGNAL) : send(v->fd, "x", 1, MSG_NOSIGNAL);
	} else if (strcmp(mode, "bigheader") == 0) {
		if (filler[0] == 0)
			memset(filler, 'x', sizeof(filler));
		if (v->sent == 0)
			n = send(v->fd, headers, sizeof(headers) - 1, MSG_NOSIGNAL);
		else if (v->sent < BIG_HEADER)
			n = send(v->fd, filler, sizeof(filler), MSG_NOSIGNAL);
		v->next_ms = now;
		if (n > 0)
			v->sent += (size_t)n;
		return;
	}
	if (n > 0)
		v->sent += (size_t)n;
	v->next_ms = now + every_ms;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "unix", required_argument, NULL, 'u' },
		{ "count", required_argument, NULL, 'n' },
		{ "from", required_argument, NULL, 'f' },
		{ "spread", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "every", required_argument, NULL, 'e' },
		{ "for", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *to = NULL, *unix_path = NULL, *from = NULL, *mode = "silent";
	char host[64] = "";
	int port = 0, count = 0, spread = 1, ch, opened = 0, closed = 0;
	double every = 1, duration = 0;
	int64_t slowest = 0, start, until;
	static struct victim v[MAX_CONN];
	static struct pollfd pfd[MAX_CONN];

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 't': to = optarg; break;
		case 'u': unix_path = optarg; break;
		case 'n': count = atoi(optarg); break;
		case 'f': from = optarg; break;
		case 's': spread = atoi(optarg); break;
		case 'm': mode = optarg; break;
		case 'e': every = atof(optarg); break;
		case 'd': duration = atof(optarg); break;
		default: return 2;
		}
	}
	if (to != NULL) {
		const char *colon = strrchr(to, ':');

		if (colon != NULL && (size_t)(colon - to) < sizeof(host)) {
			memcpy(host, to, (size_t)(colon - to));
			port = atoi(colon + 1);
		}
	}
	if ((to == NULL) == (unix_path == NULL) || count < 1 ||
	    count > MAX_CONN || duration <= 0 || duration > 600 ||
	    (to != NULL && (!loopback(host) || port <= 0)) ||
	    (from != NULL && !loopback(from))) {
		fprintf(stderr, "usage: kpflood --to 127.x.y.z:PORT|--unix PATH "
		    "--count N (<= %d) [--from 127.x.y.z --spread K] --mode "
		    "silent|hello|headers|bigheader [--every S] --for S (<= 600); "
		    "loopback only\n", MAX_CONN);
		return 2;
	}
	start = kp_now_ms();
	until = start + (int64_t)(duration * 1000);
	for (int i = 0; i < count; i++) {
		v[i].fd = open_one(host, port, unix_path, from, spread, i);
		v[i].opened_ms = kp_now_ms();
		v[i].next_ms = v[i].opened_ms;
		if (v[i].fd < 0) {
			v[i].closed = 1;	/* refused at connect: counts as closed */
			closed++;
			continue;
		}
		opened++;
	}
	while (kp_now_ms() < until && closed < count) {
		int64_t now = kp_now_ms();
		int n = 0;

		for (int i = 0; i < count; i++) {
			if (v[i].closed)
				continue;
			if (strcmp(mode, "silent") != 0 && v[i].next_ms <= now)
				trickle(&v[i], mode, (int64_t)(every * 1000), now);
			pfd[n].fd = v[i].fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
		poll(pfd, (nfds_t)n, 50);
		now = kp_now_ms();
		for (int i = 0, k = 0; i < count; i++) {
			char buf[4096];
			ssize_t r;

			if (v[i].closed)
				continue;
			if (pfd[k++].revents == 0)
				continue;
			r = recv(v[i].fd, buf, sizeof(buf), 0);
			if (r > 0 || (r < 0 && errno == EAGAIN))
				continue;	/* an answer (400/431): keep reading */
			v[i].closed = 1;
			closed++;
			close(v[i].fd);
			if (now - v[i].opened_ms > slowest)
				slowest = now - v[i].opened_ms;
		}
	}
	for (int i = 0; i < count; i++)
		if (!v[i].closed)
			close(v[i].fd);
	printf("opened %d closed %d open %d slowest_close_ms %lld\n", opened,
	    closed, count - closed, (long long)slowest);
	return 0;
}
