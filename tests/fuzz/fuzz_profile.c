/*
 * fuzz_profile — the partner profile parser (profile.h) on arbitrary
 * bytes: each input is the one profile of a directory, loaded against the
 * profile schema; it must load or be refused naming the file.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "gateway.h"
#include "profile.h"
#include "schema.h"
#include "util.h"

static char dir[64], file[128];
static struct kp_schema *schema;
static long runs, loaded, unexplained;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_profiles *ps;
	struct kp_err err;
	FILE *f;

	if (schema == NULL) {
		char xsd[512];
		const char *src = getenv("SRCDIR");

		snprintf(dir, sizeof(dir), "/tmp/kpfuzz-profile.XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
		chmod(dir, 0755);
		snprintf(file, sizeof(file), "%s/partner.xml", dir);
		snprintf(xsd, sizeof(xsd), "%s/xsd/profile.xsd",
		    src != NULL ? src : ".");
		if (kp_libraries_init(&err) != KP_OK ||
		    (schema = kp_schema_load(xsd, 0, &err)) == NULL) {
			fprintf(stderr, "fuzz_profile: %s (set SRCDIR)\n",
			    err.msg);
			abort();
		}
	}
	if ((f = fopen(file, "w")) == NULL)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	runs++;
	err.msg[0] = '\0';
	if ((ps = kp_profiles_load(dir, schema, NULL, &err)) != NULL)
		loaded++;
	else if (strstr(err.msg, file) == NULL)
		unexplained++;
	kp_profiles_free(ps);
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
