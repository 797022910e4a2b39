/*
 * kpforge — test tool: write a signed request with one mutation, as the
 * sender gateway of a configuration would send it; or listen on a loopback
 * port and count who connects (to prove the gateway fetched nothing).
 *
 *   kpforge -c SENDER.conf --to PARTNER --body FILE [options] -o OUT
 *   kpforge listen PORT SECONDS
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forge.h"
#include "gateway.h"
#include "profile.h"
#include "util.h"
#include "wss.h"
#include "xmlsafe.h"

static int
listen_and_count(int port, int seconds)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, count = 0;
	int64_t until = kp_now_ms() + (int64_t)seconds * 1000;

	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(fd, 16) != 0) {
		perror("kpforge listen");
		return 2;
	}
	printf("listening\n");
	fflush(stdout);
	while (kp_now_ms() < until) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (poll(&p, 1, 100) == 1) {
			int c = accept(fd, NULL, NULL);

			if (c >= 0) {
				count++;
				close(c);
			}
		}
	}
	close(fd);
	printf("connections %d\n", count);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "to", required_argument, NULL, 't' },
		{ "body", required_argument, NULL, 'b' },
		{ "mutate", required_argument, NULL, 'm' },
		{ "signer-cert", required_argument, NULL, 'C' },
		{ "signer-key", required_argument, NULL, 'K' },
		{ "created-offset", required_argument, NULL, 'O' },
		{ "lifetime", required_argument, NULL, 'L' },
		{ "message-id", required_argument, NULL, 'M' },
		{ "wsa-to", required_argument, NULL, 'T' },
		{ "action", required_argument, NULL, 'A' },
		{ "external-port", required_argument, NULL, 'P' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct forge_opts o = { 0 };
	const char *conf = NULL, *to = NULL, *body_path = NULL, *out_path = NULL;
	const char *cert = NULL, *key = NULL;
	struct kp_gateway *gw = NULL;
	const struct kp_profile *partner;
	struct kp_signer *signer = NULL;
	struct kp_err err;
	xmlDocPtr body = NULL;
	char *text = NULL, *msg = NULL;
	size_t len, msglen;
	FILE *fp;
	int ch, ret = 2;

	if (argc == 4 && strcmp(argv[1], "listen") == 0)
		return listen_and_count(atoi(argv[2]), atoi(argv[3]));
	while ((ch = getopt_long(argc, argv, "c:t:b:m:o:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 't': to = optarg; break;
		case 'b': body_path = optarg; break;
		case 'm': o.mutation = optarg; break;
		case 'C': cert = optarg; break;
		case 'K': key = optarg; break;
		case 'O': o.created_offset_s = atoll(optarg); break;
		case 'L': o.lifetime_s = atoi(optarg); break;
		case 'M': o.message_id = optarg; break;
		case 'T': o.wsa_to = optarg; break;
		case 'A': o.action = optarg; break;
		case 'P': o.external_port = atoi(optarg); break;
		case 'o': out_path = optarg; break;
		default: return 2;
		}
	}
	if (conf == NULL || to == NULL || body_path == NULL || out_path == NULL) {
		fprintf(stderr, "usage: kpforge -c CONF --to PARTNER --body FILE "
		    "[--mutate NAME] -o OUT\nmutations:");
		for (int i = 0; forge_mutations[i] != NULL; i++)
			fprintf(stderr, " %s", forge_mutations[i]);
		fprintf(stderr, "\n");
		return 2;
	}
	if (kp_libraries_init(&err) != KP_OK ||
	    (gw = kp_gateway_open(conf, KP_GW_NO_STORE, stderr, &err)) == NULL)
		goto out;
	if ((partner = kp_profiles_find(gw->profiles, to)) == NULL) {
		fprintf(stderr, "kpforge: no partner %s\n", to);
		goto out;
	}
	if (cert != NULL && (signer = kp_signer_load(cert, key, 1, &err)) == NULL)
		goto fail;
	o.signer = signer;
	if (kp_read_file(body_path, 64 << 20, &text, &len, &err) != KP_OK ||
	    (body = kp_xml_parse(text, len, &err)) == NULL)
		goto fail;
	if (forge_build(gw, partner, xmlDocGetRootElement(body), &o, &msg,
	    &msglen, &err) != KP_OK)
		goto fail;
	if ((fp = fopen(out_path, "wb")) == NULL ||
	    fwrite(msg, 1, msglen, fp) != msglen || fclose(fp) != 0) {
		perror(out_path);
		goto out;
	}
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "kpforge: %s\n", err.msg);
out:
	free(msg);
	free(text);
	xmlFreeDoc(body);
	kp_signer_free(signer);
	kp_gateway_close(gw);
	kp_libraries_cleanup();
	return ret;
}
