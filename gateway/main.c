/*
 * main — subcommand dispatch, nothing else.  The table is the grammar:
 * name, usage line, one-line summary, function.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct command {
	const char	*name;
	const char	*usage;
	const char	*summary;
	int		(*fn)(int, char **);
} commands[] = {
	{ "serve", "serve -c FILE [-v]",
	  "run the gateway: partner listener with mutual TLS", cmd_serve },
	{ "send", "send -c FILE --to PARTNER [--show-answer] BODY.xml...",
	  "sign kd bodies, deliver them in order over one connection, verify "
	  "each answer", cmd_send },
	{ "dossier", "dossier show -c FILE --bsn N [--json|--xml] | "
	  "dossier put -c FILE CHANGE.xml...",
	  "a citizen's dossier as held; put a local change (queued for the "
	  "entitled partners)", cmd_dossier },
	{ "consent", "consent list -c FILE --bsn N | consent grant -c FILE "
	  "--bsn N --partner P --doel D [--from DATE] [--until DATE] [--via K] | "
	  "consent withdraw -c FILE --bsn N (--partner P --doel D | --id TST-ID)",
	  "the citizen's consents: list, record one, withdraw one (what was "
	  "disclosed on it alone is retracted)", cmd_consent },
	{ "queue", "queue list -c FILE [--partner P] [--state S] | "
	  "queue show|retry|skip -c FILE [--note TEXT] ID | "
	  "queue notifications|notify-retry -c FILE [UUID]",
	  "the outbox: see what waits, send a parked row again, or skip it; "
	  "the notifications waiting per subscription, parked ones tried again",
	  cmd_queue },
	{ "sync", "sync status -c FILE | "
	  "sync verify|repair -c FILE --partner P [--bsn N]",
	  "per partner: streams, backlog, parked rows, last digest check; "
	  "compare digests with a partner; resend what differs", cmd_sync },
	{ "audit", "audit verify -c FILE [--store COPY] [--witness FILE] "
	  "[--signatures [--direction in|out]] | audit query -c FILE [--from T] "
	  "[--until T] [--partner P] [--direction D] [--outcome O] [--type C] "
	  "[--bsn N] [--format table|csv|jsonl] | audit inzage -c FILE --bsn N "
	  "[--format text|csv|json|html] | audit show -c FILE MESSAGEID | "
	  "audit witnessed -c FILE --partner P | audit checkpoint -c FILE",
	  "the auditor's tools: verify the audit chain, its checkpoints and "
	  "(--signatures) every archived message; query entries; a citizen's "
	  "access report; one message with its proof; export the checkpoints "
	  "a partner sent us to witness; sign the chain's head now", cmd_audit },
	{ "store", "store copy -c FILE --to postgresql://...",
	  "copy the gateway's store into a new, empty database (growing from "
	  "SQLite to PostgreSQL nodes); the audit chain keeps its hashes",
	  cmd_store },
	{ "check-config", "check-config -c FILE",
	  "check configuration and profiles; print every problem", cmd_check_config },
	{ "demo", "demo [--keep] [--dir DIR]",
	  "three gateways on 127.0.0.1 with a fresh PKI, the chain played "
	  "through (in ./ketenpoort-demo); --keep leaves them running",
	  cmd_demo },
	{ "pki", "pki init DIR [--ec] | pki issue DIR NAME --oin OIN --org ORG "
	  "[--ec] [--bits N] [--days N] [--start-days N] [--self-signed] | "
	  "pki revoke DIR NAME",
	  "demo PKI: CA, organisation certificates with OIN, CRL", cmd_pki },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *out)
{
	fprintf(out, "usage: ketenpoort COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-14s %s\n      ketenpoort %s\n", commands[i].name,
		    commands[i].summary, commands[i].usage);
	fprintf(out, "\nketenpoort COMMAND --help shows a command's options.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("ketenpoort %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			if (argc > 2 && (strcmp(argv[2], "--help") == 0 ||
			    strcmp(argv[2], "-h") == 0)) {
				printf("usage: ketenpoort %s\n%s\n", commands[i].usage,
				    commands[i].summary);
				return 0;
			}
			return commands[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "ketenpoort: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return 2;
}
