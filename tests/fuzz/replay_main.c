/*
 * The main of a fuzz target built without libFuzzer: replay the seed files
 * and directories named on the command line (none: its seed directory,
 * $SRCDIR/tests/fuzz/seeds-FUZZ_NAME), one input each, as an ordinary TAP
 * test; then the target's own checks.
 */
#include "autoconf.h"

#ifndef KP_LIBFUZZER

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "util.h"

static long
replay(const char *path)
{
	struct stat st;
	struct kp_err err;
	struct dirent *de;
	char *data;
	size_t len;
	long n = 0;
	DIR *d;

	if (stat(path, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		if (kp_read_file(path, 64 << 20, &data, &len, &err) != KP_OK)
			return 0;
		LLVMFuzzerTestOneInput((const uint8_t *)data, len);
		free(data);
		return 1;
	}
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char sub[1024];

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		n += replay(sub);
	}
	closedir(d);
	return n;
}

int
main(int argc, char **argv)
{
	long files = 0;
	int n;

	if (argc == 1) {
		const char *src = getenv("SRCDIR");
		char dir[1024];

		snprintf(dir, sizeof(dir), "%s/tests/fuzz/seeds-" FUZZ_NAME,
		    src != NULL ? src : ".");
		files = replay(dir);
	}
	for (int i = 1; i < argc; i++)
		files += replay(argv[i]);
	printf("%sok 1 - replayed %ld seed files\n", files > 0 ? "" : "not ",
	    files);
	n = 1 + fuzz_replay_checks(2);
	printf("1..%d\n", n);
	fflush(stdout);
	return 0;
}
#endif
