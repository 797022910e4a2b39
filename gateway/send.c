#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "config.h"
#include "gateway.h"
#include "log.h"
#include "profile.h"
#include "send.h"
#include "util.h"
#include "xmlsafe.h"

#define BODY_FILE_MAX (64 * 1024 * 1024)

/* An Lk01 root (zakLk01, prsLk01, ...): a notice, numbered by the outbox. */
static int
is_notice(xmlNodePtr root)
{
	size_t len = strlen((const char *)root->name);

	return len > 4 && strcmp((const char *)root->name + len - 4, "Lk01") == 0;
}

/* Send one body file over the client's kept-alive connection. */
static int
send_one(const char *prog, struct kp_client *client,
    const struct kp_profile *partner, const char *file, unsigned flags)
{
	struct kp_outcome outcome = { 0 };
	struct kp_err err;
	xmlDocPtr body = NULL;
	xmlNodePtr root;
	char *text = NULL;
	size_t len;
	int ret = 2;

	if (kp_read_file(file, BODY_FILE_MAX, &text, &len, &err) != KP_OK) {
		kp_text_line(stderr, "%s: %s", prog, err.msg);
		goto out;
	}
	if ((body = kp_xml_parse(text, len, &err)) == NULL) {
		kp_text_line(stderr, "%s: %s: %s", prog, file, err.msg);
		goto out;
	}
	root = xmlDocGetRootElement(body);
	if (!(flags & KP_SEND_NOTICES) && is_notice(root)) {
		fprintf(stderr, "%s: %s: %s is a notice (Lk01), not sent: "
		    "notices leave only through the outbox, which numbers their "
		    "streams (PROTOCOL.md 4.1); put our own records with "
		    "ketenpoort dossier put, resend what a partner lacks with "
		    "ketenpoort sync repair\n", prog, file,
		    (const char *)root->name);
		ret = 1;
		goto out;
	}
	if (kp_client_exchange(client, root, &outcome, &err) != KP_OK) {
		kp_text_line(stderr, "%s: %s to %s (%s): %s%s%s", prog, file,
		    partner->naam, partner->oin,
		    err.status == KP_ERR_PROTOCOL ? kp_fault_code(err.fault) : "",
		    err.status == KP_ERR_PROTOCOL ? " in the answer: " : "", err.msg);
		goto out;
	}
	if (outcome.fault == KP_F_NONE) {
		kp_text_line(stdout, "%s: %s from %s (%s): accepted; MessageID %s", file,
		    outcome.answer_root, partner->naam, partner->oin,
		    outcome.message_id);
		ret = 0;
	} else {
		kp_text_line(stdout, "%s: Fo03 from %s (%s): %s %s; MessageID %s", file,
		    partner->naam, partner->oin, kp_fault_code(outcome.fault),
		    outcome.omschrijving, outcome.message_id);
		ret = 1;
	}
	if (flags & KP_SEND_SHOW_ANSWER) {
		/* the partner's bytes, as a terminal may show them */
		kp_text_write(stdout, outcome.response, outcome.response_len,
		    KP_TEXT_LINES);
		fputc('\n', stdout);
	}
out:
	kp_outcome_clear(&outcome);
	xmlFreeDoc(body);
	free(text);
	return ret;
}

/* kpsend --connect-to: one node of several behind one address */
static const char *connect_to;

int
kp_send_files(const char *prog, const char *config_path, const char *to,
    char *const *files, int nfiles, unsigned flags)
{
	struct kp_gateway *gw = NULL;
	const struct kp_profile *partner;
	struct kp_client *client = NULL;
	struct kp_err err;
	int ret = 2, refused = 0;

	if (kp_libraries_init(&err) != KP_OK) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		return 2;
	}
	if ((gw = kp_gateway_open(config_path, 0, stderr, &err)) == NULL)
		goto out;
	if ((partner = kp_profiles_find(gw->profiles, to)) == NULL) {
		fprintf(stderr, "%s: no partner \"%s\" in %s; name it by OIN, "
		    "profile file name or naam\n", prog, to, gw->cfg->profiles);
		goto out;
	}
	if ((client = kp_client_new(gw, partner, &err)) == NULL) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		goto out;
	}
	if (connect_to != NULL && kp_client_connect_to(client, connect_to) != 0)
		goto out;
	/* In order, one connection; stop at the first transport failure. */
	for (int i = 0; i < nfiles; i++) {
		int rc = send_one(prog, client, partner, files[i], flags);

		if (rc == 2)
			goto out;
		refused |= rc;
	}
	ret = refused ? 1 : 0;
out:
	kp_client_free(client);
	kp_gateway_close(gw);
	kp_libraries_cleanup();
	return ret;
}

int
kp_send_main(const char *prog, int argc, char **argv, unsigned flags)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "to", required_argument, NULL, 't' },
		{ "show-answer", no_argument, NULL, 'a' },
		{ "connect-to", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *to = NULL;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:t:a", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 't': to = optarg; break;
		case 'a': flags |= KP_SEND_SHOW_ANSWER; break;
		case 'C':
			/* the test tool's, not ketenpoort send's */
			if (!(flags & KP_SEND_NOTICES))
				return 2;
			connect_to = optarg;
			break;
		default: return 2;
		}
	}
	if (path == NULL || to == NULL || optind >= argc) {
		fprintf(stderr, "usage: %s -c FILE --to PARTNER [--show-answer] "
		    "BODY.xml...\n", prog);
		return 2;
	}
	kp_log_init("ketenpoort", KP_LOG_WARN);
	return kp_send_files(prog, path, to, argv + optind, argc - optind,
	    flags);
}
