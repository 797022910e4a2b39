/*
 * fuzz_config — the configuration parser (config.h) on arbitrary bytes:
 * each input is written to a file and loaded; it must load or be refused
 * with a problem that names the file, never crash or leak.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "util.h"

static char path[256];
static long runs, loaded, unexplained;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_config *cfg;
	struct kp_err err;
	FILE *f;

	if (path[0] == '\0') {
		char dir[] = "/tmp/kpfuzz-config.XXXXXX";

		if (mkdtemp(dir) == NULL)
			abort();
		snprintf(path, sizeof(path), "%s/k.conf", dir);
	}
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	runs++;
	err.msg[0] = '\0';
	if ((cfg = kp_config_load(path, NULL, &err)) != NULL)
		loaded++;
	else if (strncmp(err.msg, path, strlen(path)) != 0)
		unexplained++;	/* a refusal must say which file */
	kp_config_free(cfg);
	return 0;
}

int
fuzz_replay_checks(int first)
{
	printf("%sok %d - %ld inputs: %ld loaded, every other refused naming "
	    "the file (%ld did not)\n", unexplained == 0 && runs > 0 ? "" :
	    "not ", first, runs, loaded, unexplained);
	return 1;
}
