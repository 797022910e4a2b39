/*
 * bench_idle — what does a gateway's memory cost per partner connection
 * that is open and doing nothing?
 *
 * Opens N mutual-TLS connections to a running `ketenpoort serve` (PID,
 * 127.0.0.1:PORT) with a partner's certificate, sends one request on each
 * (GET of the endpoint: 405, the connection kept alive, as a partner's
 * connection is between exchanges), and leaves them idle.  Prints the
 * server's resident memory (VmRSS) before the first run and with the
 * connections, the cost per connection over that baseline, and how many
 * connections the server still holds after a pause (goal: all N, at most
 * 64 MiB in all).  Several runs, each with fresh connections (what the
 * server freed after a run it may keep for the next: the baseline stays
 * the first one); medians are printed last.  Not a test.
 *
 *   bench_idle -P PORT -s PID --cert C --key K --ca CA [-n N] [-r RUNS]
 */
#include "autoconf.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bench.h"

struct tls_conn {
	int	 fd;
	SSL	*ssl;
};

/* Connect, handshake, one GET answered 405 with the connection kept. */
static int
open_one(SSL_CTX *ctx, int port, struct tls_conn *c)
{
	static const char get[] = "GET /wus/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char buf[4096];
	size_t have = 0;

	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
		perror("bench_idle: socket");
		return -1;
	}
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		perror("bench_idle: connect");
		return -1;
	}
	c->ssl = SSL_new(ctx);
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_tlsext_host_name(c->ssl, "127.0.0.1");
	if (SSL_connect(c->ssl) != 1 ||
	    SSL_write(c->ssl, get, (int)strlen(get)) != (int)strlen(get)) {
		fprintf(stderr, "bench_idle: handshake: ");
		ERR_print_errors_fp(stderr);
		return -1;
	}
	/* Read the answer: headers and the Content-Length body. */
	for (;;) {
		char *end;
		int got = SSL_read(c->ssl, buf + have, (int)(sizeof(buf) - 1 - have));
		long body;

		if (got <= 0) {
			fprintf(stderr, "bench_idle: the server closed the "
			    "connection\n");
			return -1;
		}
		have += (size_t)got;
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if (strncmp(buf, "HTTP/1.1 405", 12) != 0) {
			fprintf(stderr, "bench_idle: expected 405, got %.40s\n", buf);
			return -1;
		}
		body = atol(strcasestr(buf, "Content-Length:") != NULL ?
		    strcasestr(buf, "Content-Length:") + 15 : "0");
		if ((size_t)(end + 4 - buf) + (size_t)body <= have)
			return 0;
	}
}

/* Connections the server has not closed: nothing to read, no hang-up. */
static int
still_open(struct tls_conn *c, int n)
{
	int open = 0;

	for (int i = 0; i < n; i++) {
		struct pollfd p = { .fd = c[i].fd, .events = POLLIN };

		if (poll(&p, 1, 0) == 0)
			open++;
	}
	return open;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "ca", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cert = NULL, *key = NULL, *ca = NULL;
	int port = 0, n = 1000, runs = 3, ch;
	long pid = 0, baseline;
	double total[16], per[16];
	struct rlimit rl;
	SSL_CTX *ctx;

	while ((ch = getopt_long(argc, argv, "P:s:n:r:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'P': port = atoi(optarg); break;
		case 's': pid = atol(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 'r': runs = atoi(optarg); break;
		case 'C': cert = optarg; break;
		case 'K': key = optarg; break;
		case 'A': ca = optarg; break;
		default: goto usage;
		}
	}
	if (port == 0 || pid == 0 || cert == NULL || key == NULL || ca == NULL ||
	    n < 1 || runs < 1) {
usage:
		fprintf(stderr, "usage: bench_idle -P PORT -s PID --cert C "
		    "--key K --ca CA [-n N] [-r RUNS]\n");
		return 2;
	}
	if (runs > 16)
		runs = 16;
	/* Our end needs a descriptor per connection too. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		fprintf(stderr, "bench_idle: cannot load the TLS material: ");
		ERR_print_errors_fp(stderr);
		return 1;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	baseline = proc_tree_kb(pid, "VmRSS");
	printf("idle connections: %d mutual-TLS connections to the gateway "
	    "(pid %ld), one request each, then idle; its RSS before: %.1f "
	    "MiB\n", n, pid, (double)baseline / 1024);
	for (int r = 0; r < runs; r++) {
		struct tls_conn *c = calloc((size_t)n, sizeof(*c));
		long with;
		int opened = 0, open;

		while (opened < n && open_one(ctx, port, &c[opened]) == 0)
			opened++;
		sleep(2);
		with = proc_tree_kb(pid, "VmRSS");
		open = still_open(c, opened);
		total[r] = (double)with / 1024;
		per[r] = (double)(with - baseline) / n;
		printf("run %d: %d of %d connections held after 2 s; server RSS "
		    "with them %.1f MiB (%.1f KiB each over the baseline); %.2f "
		    "of the 64 MiB goal\n", r + 1, open, n, total[r], per[r],
		    total[r] / 64);
		fflush(stdout);
		for (int i = 0; i < n; i++) {
			if (c[i].ssl != NULL) {
				SSL_shutdown(c[i].ssl);
				SSL_free(c[i].ssl);
			}
			if (c[i].fd > 0)
				close(c[i].fd);
		}
		free(c);
		if (opened < n || open < n)
			return 1;
		sleep(1);	/* the server notices the closes */
	}
	printf("median of %d runs: server RSS with %d idle connections %.1f "
	    "MiB (goal <= 64; ratio %.2f), %.1f KiB per connection\n", runs, n,
	    median(total, runs), median(total, runs) / 64, median(per, runs));
	SSL_CTX_free(ctx);
	return 0;
}
