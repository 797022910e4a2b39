/*
 * cli_store — ketenpoort store: the store as a whole.  One subcommand so
 * far, copy: a gateway's store copied into a new database, the way a
 * municipality grows from one gateway on an SQLite file to several nodes
 * on PostgreSQL (README, "Several nodes").
 */
#include "autoconf.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "store.h"
#include "util.h"

static int
usage(void)
{
	fprintf(stderr, "usage: ketenpoort store copy -c FILE --to DESTINATION\n"
	    "  DESTINATION: a postgresql:// URI of a new, empty database (or "
	    "the path of a new SQLite file)\n");
	return 2;
}

static int
fail(const char *what, const struct kp_err *err)
{
	kp_text_line(stderr, "ketenpoort store copy: %s%s%s", what,
	    *what ? ": " : "", err->msg);
	return 2;
}

static int
store_copy(const char *path, const char *to)
{
	struct kp_config *cfg;
	struct kp_store *from = NULL, *dst = NULL;
	struct kp_copy_report rep;
	const char *const *tables = kp_store_copy_tables();
	struct kp_err err;
	char *shown = kp_db_display(to);
	int ret = 2;

	if ((cfg = kp_config_load(path, stderr, &err)) == NULL) {
		free(shown);
		return 2;
	}
	if (strcmp(cfg->store, to) == 0) {
		fprintf(stderr, "ketenpoort store copy: %s is the configured store "
		    "itself; name a new database\n", shown);
		goto out;
	}
	if ((from = kp_store_open(cfg->store, &err)) == NULL) {
		fail("", &err);
		goto out;
	}
	if ((dst = kp_store_open(to, &err)) == NULL) {
		fail("the destination", &err);
		goto out;
	}
	printf("copying %s to %s\n", kp_store_path(from), kp_store_path(dst));
	if (kp_store_copy(from, dst, &rep, &err) != KP_OK) {
		fail("nothing was copied", &err);
		goto out;
	}
	for (size_t i = 0; i < rep.ntables; i++)
		printf("  %-16s %10" PRId64 " rows\n", tables[i], rep.rows[i]);
	printf("copied %" PRId64 " rows; the audit chain's head is entry %"
	    PRId64 " (%.16s...) in both\n", rep.total, rep.head_seq,
	    rep.head_hash);
	printf("next: stop the gateway if it still runs (what it stored since "
	    "the copy began is not in it), set store = %s and audit_key = %s "
	    "in %s, and start the nodes\n", shown, cfg->audit_key, path);
	ret = 0;
out:
	kp_store_close(dst);
	kp_store_close(from);
	kp_config_free(cfg);
	free(shown);
	return ret;
}

int
cmd_store(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *to = NULL;
	int ch;

	if (argc < 2 || strcmp(argv[1], "copy") != 0)
		return usage();
	optind = 2;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		if (ch == 'c')
			path = optarg;
		else if (ch == 't')
			to = optarg;
		else
			return usage();
	}
	if (optind != argc || path == NULL || to == NULL)
		return usage();
	return store_copy(path, to);
}
