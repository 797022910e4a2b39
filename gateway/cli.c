#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "inzage.h"
#include "checkpoint.h"
#include "cli.h"
#include "cli_via.h"
#include "client.h"
#include "config.h"
#include "consent.h"
#include "consent_cmd.h"
#include "context.h"
#include "daemon.h"
#include "dossier.h"
#include "gateway.h"
#include "kd.h"
#include "log.h"
#include "outbound.h"
#include "pki.h"
#include "profile.h"
#include "send.h"
#include "server.h"
#include "status.h"
#include "store.h"
#include "sync.h"
#include "util.h"
#include "xmlsafe.h"

#define BODY_FILE_MAX (64 * 1024 * 1024)

static int
fail_msg(const char *cmd, const struct kp_err *err)
{
	/* a partner's words may be in it (a refusal's omschrijving) */
	kp_text_line(stderr, "ketenpoort %s: %s", cmd, err->msg);
	return 2;
}

/* Parse "-c FILE" (and -v) for the commands that need only that. */
static const char *
config_option(int argc, char **argv, const char *cmd, int *verbose,
    int *optind_out)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'v':
			if (verbose != NULL)
				(*verbose)++;
			break;
		default:
			return NULL;
		}
	}
	if (path == NULL)
		fprintf(stderr, "ketenpoort %s: -c FILE is required\n", cmd);
	if (optind_out != NULL)
		*optind_out = optind;
	return path;
}

int
cmd_check_config(int argc, char **argv)
{
	struct kp_gateway *gw;
	struct kp_err err;
	const char *path;
	int ret;

	if ((path = config_option(argc, argv, "check-config", NULL, NULL)) == NULL)
		return 2;
	if (kp_libraries_init(&err) != KP_OK)
		return fail_msg("check-config", &err);
	gw = kp_gateway_open(path, KP_GW_NO_STORE, stdout, &err);
	if (gw != NULL) {
		printf("configuration OK: %s, OIN %s, %zu partner profiles\n",
		    gw->cfg->name, gw->cfg->oin, gw->profiles->n);
		ret = 0;
	} else {
		ret = 1;
	}
	kp_gateway_close(gw);
	kp_libraries_cleanup();
	return ret;
}

int
cmd_serve(int argc, char **argv)
{
	const char *path;
	int verbose = 0;

	if ((path = config_option(argc, argv, "serve", &verbose, NULL)) == NULL)
		return 2;
	return kp_daemon_run(path, verbose);
}

int
cmd_send(int argc, char **argv)
{
	return kp_send_main("ketenpoort send", argc, argv, 0);
}

int
cmd_pki(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ec", no_argument, NULL, 'e' },
		{ "bits", required_argument, NULL, 'b' },
		{ "days", required_argument, NULL, 'd' },
		{ "start-days", required_argument, NULL, 's' },
		{ "self-signed", no_argument, NULL, 'S' },
		{ "oin", required_argument, NULL, 'o' },
		{ "org", required_argument, NULL, 'O' },
		{ "pkcs11", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	struct kp_pki_opts opts = { 0 };
	const char *oin = NULL, *org = NULL, *verb, *dir;
	struct kp_err err;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e': opts.ec = 1; break;
		case 'b': opts.bits = atoi(optarg); break;
		case 'd': opts.days = atoi(optarg); break;
		case 's': opts.start_days = atoi(optarg); break;
		case 'S': opts.self_signed = 1; break;
		case 'o': oin = optarg; break;
		case 'O': org = optarg; break;
		case 'P': opts.pkcs11 = optarg; break;
		default: return 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: ketenpoort pki init DIR [--ec]\n"
		    "       ketenpoort pki issue DIR NAME --oin OIN --org ORG [--ec] "
		    "[--bits N] [--days N] [--start-days N] [--self-signed]\n"
		    "           [--pkcs11 URI]  (the key made inside that token)\n"
		    "       ketenpoort pki revoke DIR NAME\n");
		return 2;
	}
	verb = argv[optind];
	dir = argv[optind + 1];
	if (opts.bits != 0 && opts.bits < 2048)
		fprintf(stderr, "ketenpoort pki: warning: %d-bit RSA is below the "
		    "protocol's minimum; such a key is only good for tests\n",
		    opts.bits);
	if (strcmp(verb, "init") == 0 && argc - optind == 2) {
		rc = kp_pki_init(dir, &opts, &err);
		if (rc == KP_OK)
			printf("CA created in %s (ca.crt, ca.key mode 0600, ca.crl)\n",
			    dir);
	} else if (strcmp(verb, "issue") == 0 && argc - optind == 3) {
		if (oin == NULL || org == NULL) {
			fprintf(stderr, "ketenpoort pki issue: --oin and --org are "
			    "required\n");
			return 2;
		}
		rc = kp_pki_issue(dir, argv[optind + 2], oin, org, &opts, &err);
		if (rc == KP_OK && opts.pkcs11 != NULL)
			printf("issued %s/%s.crt for %s (OIN %s); its key is in "
			    "the token: key %s\n", dir, argv[optind + 2], org, oin,
			    opts.pkcs11);
		else if (rc == KP_OK)
			printf("issued %s/%s.crt for %s (OIN %s); key %s/%s.key "
			    "mode 0600\n", dir, argv[optind + 2], org, oin, dir,
			    argv[optind + 2]);
	} else if (strcmp(verb, "revoke") == 0 && argc - optind == 3) {
		rc = kp_pki_revoke(dir, argv[optind + 2], &err);
		if (rc == KP_OK)
			printf("revoked %s; %s/ca.crl updated\n", argv[optind + 2], dir);
	} else {
		fprintf(stderr, "ketenpoort pki: unknown or incomplete \"%s\"\n", verb);
		return 2;
	}
	if (rc != KP_OK)
		return fail_msg("pki", &err);
	return 0;
}

static int
print_witnessed(void *arg, const struct kp_checkpoint *c)
{
	(void)arg;
	printf("%lld\t%s\t%s\t%s\t%s\n", (long long)c->seq, c->hash, c->at,
	    c->signature, c->cert);
	return 0;
}

int
cmd_audit(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "direction", required_argument, NULL, 'd' },
		{ "store", required_argument, NULL, 's' },
		{ "witness", required_argument, NULL, 'w' },
		{ "signatures", no_argument, NULL, 'S' },
		{ "partner", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'f' },
		{ "until", required_argument, NULL, 'u' },
		{ "outcome", required_argument, NULL, 'o' },
		{ "type", required_argument, NULL, 't' },
		{ "bsn", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *direction = NULL, *store = NULL,
	    *witness = NULL, *partner = NULL, *verb, *format = NULL,
	    *message_id = NULL;
	struct kp_audit_filter filter = { 0 };
	enum kp_report_format fmt = KP_REPORT_TABLE;
	int64_t count = 0;
	const struct kp_profile *p;
	struct kp_gateway *gw = NULL;
	struct kp_audit_check check;
	struct kp_reverify counts;
	struct kp_err err;
	int ch, ret = 2, signatures = 0, made;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:d:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'd': direction = optarg; break;
		case 's': store = optarg; break;
		case 'w': witness = optarg; break;
		case 'S': signatures = 1; break;
		case 'p': partner = optarg; break;
		case 'f': filter.from = optarg; break;
		case 'u': filter.until = optarg; break;
		case 'o': filter.outcome = optarg; break;
		case 't': filter.berichtcode = optarg; break;
		case 'b': filter.bsn = optarg; break;
		case 'F': format = optarg; break;
		default: return 2;
		}
	}
	verb = optind < argc ? argv[optind] : "";
	if (strcmp(verb, "show") == 0 && optind == argc - 2)
		message_id = argv[optind + 1];
	else if (optind != argc - 1)
		verb = "";
	if (format != NULL) {
		if (strcmp(format, "csv") == 0)
			fmt = KP_REPORT_CSV;
		else if (strcmp(format, "jsonl") == 0 ||
		    strcmp(format, "json") == 0)
			fmt = KP_REPORT_JSON;
		else if (strcmp(format, "html") == 0 &&
		    strcmp(verb, "inzage") == 0)
			fmt = KP_REPORT_HTML;
		else if (strcmp(format, "table") != 0 &&
		    strcmp(format, "text") != 0)
			verb = "";
	}
	if (path == NULL || (strcmp(verb, "verify") != 0 &&
	    strcmp(verb, "witnessed") != 0 && strcmp(verb, "checkpoint") != 0 &&
	    strcmp(verb, "query") != 0 && strcmp(verb, "inzage") != 0 &&
	    strcmp(verb, "show") != 0) ||
	    (strcmp(verb, "witnessed") == 0 && partner == NULL) ||
	    (strcmp(verb, "inzage") == 0 && filter.bsn == NULL) ||
	    (direction != NULL && strcmp(direction, "in") != 0 &&
	    strcmp(direction, "out") != 0 && (strcmp(verb, "query") != 0 ||
	    strcmp(direction, "local") != 0))) {
		fprintf(stderr, "usage: ketenpoort audit verify -c FILE [--store "
		    "COPY] [--witness FILE] [--signatures [--direction in|out]]\n"
		    "       ketenpoort audit query -c FILE [--from T] [--until T] "
		    "[--partner P] [--direction in|out|local] [--outcome O] "
		    "[--type CODE] [--bsn N] [--format table|csv|jsonl]\n"
		    "       ketenpoort audit inzage -c FILE --bsn N "
		    "[--format text|csv|json|html]\n"
		    "       ketenpoort audit show -c FILE MESSAGEID\n"
		    "       ketenpoort audit witnessed -c FILE --partner P\n"
		    "       ketenpoort audit checkpoint -c FILE\n"
		    "(all but checkpoint take --store COPY: a copy, read-only)\n");
		return 2;
	}
	if (kp_libraries_init(&err) != KP_OK)
		return fail_msg("audit", &err);
	if ((gw = kp_gateway_open_store(path, store, strcmp(verb,
	    "checkpoint") == 0 ? 0 : KP_GW_AUDITOR, stderr, &err)) == NULL)
		goto out;
	if (strcmp(verb, "checkpoint") == 0) {
		if (kp_checkpoint_make(gw, &made, &err) != KP_OK) {
			fail_msg("audit checkpoint", &err);
			goto out;
		}
		printf("%s\n", made ? "signed a checkpoint of the chain's head" :
		    "the head is already signed: no new checkpoint");
		ret = 0;
		goto out;
	}
	if (strcmp(verb, "query") == 0 || strcmp(verb, "inzage") == 0 ||
	    strcmp(verb, "show") == 0) {
		int rc;

		if (partner != NULL) {
			if ((p = kp_profiles_find(gw->profiles, partner)) == NULL) {
				fprintf(stderr, "ketenpoort audit: no partner "
				    "profile named %s\n", partner);
				goto out;
			}
			filter.partner_oin = p->oin;
		}
		filter.direction = direction;
		if (strcmp(verb, "query") == 0)
			rc = kp_audit_query(gw, &filter, fmt, stdout, &count, &err);
		else if (strcmp(verb, "inzage") == 0)
			rc = kp_audit_inzage(gw, filter.bsn, fmt, stdout, &count,
			    &err);
		else
			rc = kp_audit_show(gw, message_id, stdout, &err);
		if (rc != KP_OK) {
			fail_msg("audit", &err);
			ret = rc == KP_ERR_USAGE ? 1 : 2;
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (strcmp(verb, "witnessed") == 0) {
		if ((p = kp_profiles_find(gw->profiles, partner)) == NULL) {
			fprintf(stderr, "ketenpoort audit: no partner profile named "
			    "%s\n", partner);
			goto out;
		}
		printf("# checkpoints %s (%s) sent us to witness: seq hash at "
		    "signature cert\n", p->naam, p->oin);
		if (kp_store_each_checkpoint(gw->store, p->oin, print_witnessed,
		    NULL, &err) != KP_OK) {
			fail_msg("audit witnessed", &err);
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (kp_audit_verify(gw, witness, stdout, isatty(STDERR_FILENO) ?
	    stderr : NULL, &check, &err) != KP_OK) {
		fail_msg("audit verify", &err);
		goto out;
	}
	printf("audit chain: %lld entries, %lld bad; %lld checkpoints of ours "
	    "and %lld witnessed checked\n", (long long)check.entries,
	    (long long)check.bad, (long long)check.checkpoints,
	    (long long)check.witnessed);
	if (check.bad > 0)
		printf("first bad entry: %lld: %s\n", (long long)check.first_bad,
		    check.first);
	ret = check.bad > 0 ? 1 : 0;
	if (signatures) {
		if (kp_audit_reverify(gw, direction, stdout, &counts,
		    &err) != KP_OK) {
			fail_msg("audit verify", &err);
			ret = 2;
			goto out;
		}
		printf("archived messages: %lld checked, %lld verified, %lld "
		    "failed\n", (long long)counts.checked,
		    (long long)counts.verified, (long long)counts.failed);
		if (counts.failed > 0)
			ret = 1;
	}
out:
	kp_gateway_close(gw);
	kp_libraries_cleanup();
	return ret;
}

int
cmd_consent(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "bsn", required_argument, NULL, 'b' },
		{ "partner", required_argument, NULL, 'p' },
		{ "doel", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'f' },
		{ "until", required_argument, NULL, 'u' },
		{ "via", required_argument, NULL, 'v' },
		{ "id", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct kp_consent_request r = { 0 };
	const char *path = NULL, *verb;
	struct kp_gateway *gw = NULL;
	char *socket = NULL;
	struct kp_err err;
	char msg[400];
	int ch, ret = 2, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'b': r.bsn = optarg; break;
		case 'p': r.partner = optarg; break;
		case 'd': r.doel = optarg; break;
		case 'f': r.ingangsdatum = optarg; break;
		case 'u': r.einddatum = optarg; break;
		case 'v': r.via = optarg; break;
		case 'i': r.identificatie = optarg; break;
		default: return 2;
		}
	}
	verb = optind == argc - 1 ? argv[optind] : "";
	if (path == NULL || r.bsn == NULL ||
	    (strcmp(verb, "list") != 0 && strcmp(verb, "grant") != 0 &&
	    strcmp(verb, "withdraw") != 0) ||
	    (strcmp(verb, "grant") == 0 && (r.partner == NULL || r.doel == NULL)) ||
	    (strcmp(verb, "withdraw") == 0 && r.identificatie == NULL &&
	    (r.partner == NULL || r.doel == NULL))) {
		fprintf(stderr, "usage: ketenpoort consent list -c FILE --bsn N\n"
		    "       ketenpoort consent grant -c FILE --bsn N --partner P "
		    "--doel D [--from YYYY-MM-DD] [--until YYYY-MM-DD] "
		    "[--via KANAAL]\n"
		    "       ketenpoort consent withdraw -c FILE --bsn N "
		    "(--partner P --doel D | --id TST-ID)\n");
		return 2;
	}
	if (kp_libraries_init(&err) != KP_OK)
		return fail_msg("consent", &err);
	if (strcmp(verb, "list") != 0 &&
	    (socket = via_gateway(path, "consent")) != NULL) {
		ret = via_consent(socket, verb, &r);
		goto out;
	}
	if ((gw = kp_gateway_open(path, 0, stderr, &err)) == NULL)
		goto out;
	if (strcmp(verb, "list") == 0)
		rc = kp_consent_list(gw, r.bsn, stdout, &err);
	else if (strcmp(verb, "grant") == 0)
		rc = kp_consent_grant(gw, &r, msg, sizeof(msg), &err);
	else
		rc = kp_consent_withdraw(gw, &r, msg, sizeof(msg), &err);
	if (rc != KP_OK) {
		fail_msg("consent", &err);
		ret = rc == KP_ERR_USAGE ? 1 : 2;
		goto out;
	}
	if (strcmp(verb, "list") != 0)
		printf("%s\n", msg);
	ret = 0;
out:
	free(socket);
	kp_gateway_close(gw);
	kp_libraries_cleanup();
	return ret;
}

/* dossier context: ask a partner during a call; 0 answered, 1 refused. */
static int
dossier_context(struct kp_gateway *gw, const char *partner, const char *bsn,
    const char *doel, int json)
{
	const struct kp_profile *p = kp_profiles_find(gw->profiles, partner);
	struct kp_context ctx;
	struct kp_err err;

	if (p == NULL) {
		fprintf(stderr, "ketenpoort: dossier context: no partner %s "
		    "(give its OIN, its profile's file name or its naam, as "
		    "in %s)\n", partner, gw->cfg->profiles);
		return 2;
	}
	if (p->endpoint == NULL) {
		fprintf(stderr, "ketenpoort: dossier context: %s has no "
		    "<endpoint> in %s to ask\n", p->naam, p->path);
		return 2;
	}
	if (kp_context_ask(gw, p, bsn, doel, &ctx, &err) != KP_OK) {
		fail_msg("dossier context", &err);
		return err.status == KP_ERR_PROTOCOL ? 1 : 2;
	}
	if (json)
		kp_context_json(&ctx, p->oin, bsn, doel, stdout);
	else
		kp_context_print(&ctx, p->naam, bsn, doel, stdout);
	kp_context_clear(&ctx);
	return 0;
}

int
cmd_dossier(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "bsn", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "xml", no_argument, NULL, 'x' },
		{ "partner", required_argument, NULL, 'p' },
		{ "doel", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	enum kp_dossier_format format = KP_DOSSIER_TEXT;
	const char *path = NULL, *bsn = NULL, *partner = NULL, *doel = NULL;
	const char *sub;
	struct kp_gateway *gw = NULL;
	struct kp_err err;
	char *socket = NULL;
	int ch, ret = 2;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:b:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'b': bsn = optarg; break;
		case 'j': format = KP_DOSSIER_JSON; break;
		case 'x': format = KP_DOSSIER_XML; break;
		case 'p': partner = optarg; break;
		case 'd': doel = optarg; break;
		default: return 2;
		}
	}
	sub = optind < argc ? argv[optind] : "";
	if (path == NULL || optind >= argc ||
	    (strcmp(sub, "show") == 0 && (bsn == NULL || optind != argc - 1)) ||
	    (strcmp(sub, "put") == 0 && optind == argc - 1) ||
	    (strcmp(sub, "context") == 0 && (bsn == NULL || partner == NULL ||
	    doel == NULL || optind != argc - 1 || format == KP_DOSSIER_XML)) ||
	    (strcmp(sub, "show") != 0 && strcmp(sub, "put") != 0 &&
	    strcmp(sub, "context") != 0)) {
		fprintf(stderr, "usage: ketenpoort dossier show -c FILE --bsn N "
		    "[--json|--xml]\n"
		    "       ketenpoort dossier put -c FILE CHANGE.xml...\n"
		    "       ketenpoort dossier context -c FILE --partner P "
		    "--bsn N --doel D [--json]\n");
		return 2;
	}
	if (kp_libraries_init(&err) != KP_OK)
		return fail_msg("dossier", &err);
	if (strcmp(sub, "put") == 0 &&
	    (socket = via_gateway(path, "dossier put")) != NULL) {
		ret = via_put(socket, argv + optind + 1, argc - optind - 1);
		goto out;
	}
	if ((gw = kp_gateway_open(path, 0, stderr, &err)) == NULL)
		goto out;
	if (strcmp(sub, "context") == 0) {
		ret = dossier_context(gw, partner, bsn, doel,
		    format == KP_DOSSIER_JSON);
		goto out;
	}
	if (strcmp(sub, "show") == 0) {
		if (kp_dossier_show(gw, bsn, format, stdout, &err) != KP_OK) {
			fail_msg("dossier show", &err);
			goto out;
		}
		ret = 0;
		goto out;
	}
	ret = 0;
	for (int i = optind + 1; i < argc; i++) {
		struct kp_put_result res;
		char *text = NULL;
		size_t len;

		if (kp_read_file(argv[i], BODY_FILE_MAX, &text, &len, &err) != KP_OK) {
			fail_msg("dossier put", &err);
			ret = 2;
			goto out;
		}
		if (kp_outbound_put(gw, text, len, &res, &err) != KP_OK) {
			free(text);
			fail_msg("dossier put", &err);
			ret = 2;
			goto out;
		}
		free(text);
		if (res.verdict == KP_F_NONE) {
			printf("%s: %s\n", argv[i], res.msg);
		} else {
			printf("%s: refused, %s: %s\n", argv[i],
			    kp_fault_code(res.verdict), res.msg);
			ret = 1;
		}
	}
out:
	free(socket);
	kp_gateway_close(gw);
	kp_libraries_cleanup();
	return ret;
}

static int
print_queue_row(void *arg, const struct kp_queue_row *r)
{
	int *n = arg;

	if ((*n)++ == 0)
		printf("%-6s %-20s %-6s %-6s %-9s %-5s %-28s %s\n", "ID", "PARTNER",
		    "STREAM", "NR", "STATE", "TRIES", "RECORD", "LAST ERROR");
	kp_text_line(stdout, "%-6lld %-20s %-6lld %-6lld %-9s %-5d %-3s %-14.14s "
	    "v%-3lld %s  %s",
	    (long long)r->id, r->partner_oin, (long long)r->partitie,
	    (long long)r->volgnummer, r->state, r->attempts, r->entiteittype,
	    r->identificatie, (long long)r->bronversie, r->mutatiesoort,
	    r->last_error);
	return 0;
}

static int
show_queue_row(void *arg, const struct kp_queue_row *r)
{
	int *n = arg;
	char next[32];

	(*n)++;
	kp_time_iso(r->next_attempt_ms, next);
	/* partner's words (last error) and our fields: one escaped line each */
	kp_text_line(stdout, "outbox row %lld", (long long)r->id);
	kp_text_line(stdout, "  partner          %s", r->partner_oin);
	kp_text_line(stdout, "  stream           partitie %lld, volgnummer %lld",
	    (long long)r->partitie, (long long)r->volgnummer);
	kp_text_line(stdout, "  record           %s %s of %s, bronversie %lld, "
	    "mutatiesoort %s", r->entiteittype, r->identificatie, r->bron,
	    (long long)r->bronversie, r->mutatiesoort);
	kp_text_line(stdout, "  state            %s after %d attempts", r->state,
	    r->attempts);
	kp_text_line(stdout, "  next attempt     %s", r->next_attempt_ms > 0 ?
	    next : "now");
	kp_text_line(stdout, "  last error       %s", r->last_error[0] ?
	    r->last_error : "-");
	kp_text_line(stdout, "  queued           %s", r->created_at);
	kp_text_line(stdout, "  delivered        %s", r->delivered_at[0] ?
	    r->delivered_at : "-");
	printf("  fields sent\n");
	for (const char *p = r->fields; p != NULL && *p != '\0';) {
		const char *eol = strchr(p, '\n');
		int len = eol != NULL ? (int)(eol - p) : (int)strlen(p);

		kp_text_line(stdout, "    %.*s", len, p);
		p += len + (eol != NULL);
	}
	return 0;
}

int
cmd_queue(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "partner", required_argument, NULL, 'p' },
		{ "state", required_argument, NULL, 's' },
		{ "note", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *partner = NULL, *state = NULL, *note = NULL;
	const char *verb;
	struct kp_gateway *gw = NULL;
	const struct kp_profile *p;
	struct kp_err err;
	char msg[512], *socket = NULL;
	int64_t id = 0;
	int ch, n = 0, ret = 2;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'p': partner = optarg; break;
		case 's': state = optarg; break;
		case 'n': note = optarg; break;
		default: return 2;
		}
	}
	verb = optind < argc ? argv[optind] : "";
	if (path != NULL && (strcmp(verb, "notifications") == 0 ||
	    strcmp(verb, "notify-retry") == 0) && argc - optind <= 2)
		return kp_cli_queue_notify(path, verb, optind + 1 < argc ?
		    argv[optind + 1] : NULL);
	if (path == NULL || (strcmp(verb, "list") == 0 ? optind != argc - 1 :
	    (strcmp(verb, "show") != 0 && strcmp(verb, "retry") != 0 &&
	    strcmp(verb, "skip") != 0) || optind != argc - 2 ||
	    (id = strtoll(argv[optind + 1], NULL, 10)) <= 0)) {
		fprintf(stderr, "usage: ketenpoort queue list -c FILE [--partner P] "
		    "[--state pending|parked|delivered]\n"
		    "       ketenpoort queue show|retry|skip -c FILE [--note TEXT] "
		    "ID\n"
		    "       ketenpoort queue notifications|notify-retry -c FILE "
		    "[UUID]\n");
		return 2;
	}
	if (state != NULL && strcmp(state, "pending") != 0 &&
	    strcmp(state, "parked") != 0 && strcmp(state, "delivered") != 0) {
		fprintf(stderr, "ketenpoort queue: --state is pending, parked or "
		    "delivered\n");
		return 2;
	}
	if (kp_libraries_init(&err) != KP_OK)
		return fail_msg("queue", &err);
	if ((strcmp(verb, "retry") == 0 || strcmp(verb, "skip") == 0) &&
	    (socket = via_gateway(path, "queue")) != NULL) {
		ret = via_queue(socket, verb, id, note);
		goto out;
	}
	if ((gw = kp_gateway_open(path, 0, stderr, &err)) == NULL)
		goto out;
	if (partner != NULL) {
		if ((p = kp_profiles_find(gw->profiles, partner)) == NULL) {
			fprintf(stderr, "ketenpoort queue: no partner \"%s\"\n",
			    partner);
			goto out;
		}
		partner = p->oin;
	}
	if (strcmp(verb, "list") == 0 || strcmp(verb, "show") == 0) {
		if (kp_store_outbox_list(gw->store, partner, state, id,
		    strcmp(verb, "list") == 0 ? print_queue_row : show_queue_row,
		    &n, &err) != KP_OK) {
			fail_msg("queue", &err);
			goto out;
		}
		if (n == 0 && id != 0)
			printf("no outbox row %lld\n", (long long)id);
		else if (n == 0)
			printf("the outbox is empty%s\n", state != NULL ||
			    partner != NULL ? " (for that choice)" : "");
		ret = id != 0 && n == 0 ? 1 : 0;
		goto out;
	}
	if (kp_store_outbox_operate(gw->store, id, strcmp(verb, "skip") == 0,
	    note, msg, sizeof(msg), &err) != KP_OK) {
		fail_msg("queue", &err);
		ret = 1;
		goto out;
	}
	printf("%s\n", msg);
	ret = 0;
out:
	free(socket);
	kp_gateway_close(gw);
	kp_libraries_cleanup();
	return ret;
}

/* One link of sync status, as text. */
static void
print_link(const struct kp_link *l)
{
	printf("%s (%s)\n", l->naam[0] ? l->naam : "no profile", l->partner_oin);
	printf("  out: %lld notices numbered on %lld streams; %lld delivered, "
	    "%lld waiting, %lld parked%s%s\n", (long long)l->next_out_total,
	    (long long)l->streams_out, (long long)l->delivered,
	    (long long)l->pending, (long long)l->parked,
	    l->oldest_undelivered[0] ? "; oldest undelivered queued " : "",
	    l->oldest_undelivered);
	if (l->conflicts > 0)
		printf("  out: %lld refused with KP031 (the partner applied "
		    "another notice under that volgnummer): see queue list "
		    "--state parked; queue retry ID renumbers\n",
		    (long long)l->conflicts);
	printf("  in:  %lld notices applied on %lld streams\n",
	    (long long)l->next_in_total, (long long)l->streams_in);
	if (l->checked_at[0] == '\0')
		printf("  digests: not compared yet\n");
	else if (l->check_error[0] != '\0')
		kp_text_line(stdout, "  digests: compared %s: failed: %s",
		    l->checked_at, l->check_error);
	else
		printf("  digests: compared %s: %lld citizens, %lld differ, %lld "
		    "in flight\n", l->checked_at, (long long)l->checked_citizens,
		    (long long)l->checked_differ,
		    (long long)l->checked_in_flight);
	printf("  next volgnummer per partitie, out/in:");
	for (size_t i = 0; i < l->nstreams; i++) {
		const struct kp_link_stream *ls = &l->streams[i];
		char out[24] = "-", in[24] = "-";

		if (ls->next_out > 0)
			snprintf(out, sizeof(out), "%lld", (long long)ls->next_out);
		if (ls->next_in > 0)
			snprintf(in, sizeof(in), "%lld", (long long)ls->next_in);
		printf("%s%lld: %s/%s", i % 8 ? "  " : "\n    ",
		    (long long)ls->partitie, out, in);
	}
	printf("%s\n", l->nstreams ? "" : " none");
}


int
cmd_sync(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "partner", required_argument, NULL, 'p' },
		{ "bsn", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *partner_name = NULL, *bsn = NULL, *verb;
	const struct kp_profile *partner;
	struct kp_gateway *gw = NULL;
	struct kp_links links = { 0 };
	char *socket = NULL;
	struct kp_sync_report rep = { 0 };
	struct kp_err err;
	size_t queued = 0;
	int ch, ret = 2;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'p': partner_name = optarg; break;
		case 'b': bsn = optarg; break;
		default: return 2;
		}
	}
	verb = optind == argc - 1 ? argv[optind] : "";
	if (path == NULL || (strcmp(verb, "status") != 0 &&
	    strcmp(verb, "verify") != 0 && strcmp(verb, "repair") != 0) ||
	    (strcmp(verb, "status") == 0) != (partner_name == NULL) ||
	    (strcmp(verb, "status") == 0 && bsn != NULL)) {
		fprintf(stderr, "usage: ketenpoort sync status -c FILE\n"
		    "       ketenpoort sync verify|repair -c FILE --partner P "
		    "[--bsn N]\n");
		return 2;
	}
	if (bsn != NULL && !kp_bsn_valid(bsn)) {
		fprintf(stderr, "ketenpoort sync: \"%s\" is not a BSN: nine "
		    "digits that pass the elfproef\n", bsn);
		return 2;
	}
	if (kp_libraries_init(&err) != KP_OK)
		return fail_msg("sync", &err);
	if (strcmp(verb, "repair") == 0 &&
	    (socket = via_gateway(path, "sync repair")) != NULL) {
		ret = via_repair(socket, partner_name, bsn);
		goto out;
	}
	if ((gw = kp_gateway_open(path, 0, stderr, &err)) == NULL)
		goto out;
	if (strcmp(verb, "status") == 0) {
		if (kp_status_links(gw, 1, &links, &err) != KP_OK) {
			fail_msg("sync status", &err);
			goto out;
		}
		for (size_t i = 0; i < links.n; i++)
			print_link(&links.v[i]);
		if (links.n == 0)
			printf("no streams yet: nothing sent or received\n");
		kp_status_links_clear(&links);
		ret = 0;
		goto out;
	}
	if ((partner = kp_profiles_find(gw->profiles, partner_name)) == NULL) {
		fprintf(stderr, "ketenpoort sync: no partner \"%s\" (an OIN, a "
		    "profile file name or naam)\n", partner_name);
		goto out;
	}
	if (kp_sync_verify(gw, partner, bsn, &rep, &err) != KP_OK) {
		fail_msg("sync", &err);
		goto out;
	}
	kp_sync_report_print(stdout, partner, &rep);
	if (strcmp(verb, "verify") == 0) {
		ret = rep.ndiffs > 0 ? 1 : 0;
		goto out;
	}
	if (kp_sync_repair(gw, partner, &rep, &queued, &err) != KP_OK) {
		fail_msg("sync repair", &err);
		goto out;
	}
	printf("repair: %zu notices queued for %s about %zu citizens; the "
	    "running gateway delivers them\n", queued, partner->naam,
	    rep.ndiffs);
	ret = 0;
out:
	free(socket);
	kp_sync_report_clear(&rep);
	kp_gateway_close(gw);
	kp_libraries_cleanup();
	return ret;
}

/*
 * demo: the chain of three gateways played through (tools/demo).  The
 * build tree's program runs the source tree's script; an installed one
 * its installed copy.  The script gets everything it needs by environment.
 */
int
cmd_demo(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keep", no_argument, NULL, 'k' },
		{ "dir", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	char exe[4096], cwd[4096], *work = NULL;
	const char *dir = "ketenpoort-demo", *base;
	int ch, keep = 0, from_source;
	ssize_t n;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'k')
			keep = 1;
		else if (ch == 'd')
			dir = optarg;
		else
			return 2;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: ketenpoort demo [--keep] [--dir DIR]\n");
		return 2;
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0 ||
	    getcwd(cwd, sizeof(cwd)) == NULL) {
		perror("ketenpoort demo");
		return 2;
	}
	exe[n] = '\0';
	from_source = strcmp(exe, KP_BUILD_DIR "/ketenpoort") == 0;
	base = from_source ? KP_SRC_DIR : KP_PKGDATA_DIR "/demo";
	if (asprintf(&work, "%s%s%s", dir[0] == '/' ? "" : cwd,
	    dir[0] == '/' ? "" : "/", dir) == -1)
		return 2;
	if (setenv("KP", exe, 1) != 0 || setenv("WORK", work, 1) != 0 ||
	    setenv("KP_XSD", from_source ? KP_SRC_DIR "/xsd" : KP_XSD_DIR, 1) ||
	    setenv("KP_DATA", from_source ? KP_SRC_DIR "/tests/data" :
	    KP_PKGDATA_DIR "/demo", 1) != 0 ||
	    setenv("KP_LIB", from_source ? KP_SRC_DIR
	    "/tests/integration/lib.sh" : KP_PKGDATA_DIR "/demo/lib.sh", 1) ||
	    (keep && setenv("KP_DEMO_KEEP", "1", 1) != 0) ||
	    setenv("KP_DEMO_GUARD", "1", 1) != 0) {
		perror("ketenpoort demo");
		free(work);
		return 2;
	}
	free(work);
	{
		char script[4200];

		snprintf(script, sizeof(script), "%s/%s", base,
		    from_source ? "tools/demo" : "demo");
		if (access(script, R_OK) != 0) {
			fprintf(stderr, "ketenpoort demo: %s: %s; reinstall "
			    "ketenpoort (make install)\n", script, strerror(errno));
			return 2;
		}
		execlp("bash", "bash", script, (char *)NULL);
		fprintf(stderr, "ketenpoort demo: cannot run bash: %s\n",
		    strerror(errno));
	}
	return 2;
}
