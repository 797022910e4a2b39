/* config and profiles: every problem reported as file:line: what. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fixture.h"
#include "gateway.h"
#include "profile.h"
#include "store.h"
#include "tap.h"
#include "util.h"


#define BASE "oin 00000002002000000000\nname Zelf\nlisten 127.0.0.1:1\n" \
	"endpoint https://127.0.0.1:1/wus/v1\ncert pki/self.crt\n" \
	"key pki/self.key\nca pki/ca.crt\nstore t.db\nprofiles self-profiles\n"

/* Load the config at path; its problems into out; 0 when it loads. */
static int
load_path(struct fixture *fx, const char *path, char *out, size_t outlen)
{
	char ppath[512];
	FILE *problems;
	struct kp_config *cfg;
	struct kp_err err;
	size_t n;

	snprintf(ppath, sizeof(ppath), "%s/problems", fx->dir);
	problems = fopen(ppath, "w+");
	cfg = kp_config_load(path, problems, &err);
	rewind(problems);
	n = fread(out, 1, outlen - 1, problems);
	out[n] = '\0';
	fclose(problems);
	kp_config_free(cfg);
	return cfg != NULL ? 0 : -1;
}

/* Open self.conf's gateway; the problems into out; 0 when it opens. */
static int
open_self(struct fixture *fx, char *out, size_t outlen)
{
	char path[512];
	struct kp_gateway *gw;
	struct kp_err err;
	FILE *problems;
	size_t n;

	snprintf(path, sizeof(path), "%s/problems", fx->dir);
	problems = fopen(path, "w+");
	snprintf(path, sizeof(path), "%s/self.conf", fx->dir);
	gw = kp_gateway_open(path, KP_GW_NO_STORE, problems, &err);
	rewind(problems);
	n = fread(out, 1, outlen - 1, problems);
	out[n] = '\0';
	fclose(problems);
	kp_gateway_close(gw);
	return gw != NULL ? 0 : -1;
}

/* Write len bytes (NULs too) to fx->dir/rel; its path, static. */
static const char *
write_bytes(struct fixture *fx, const char *rel, const char *bytes, size_t len)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, rel);
	if ((f = fopen(path, "w")) != NULL) {
		fwrite(bytes, 1, len, f);
		fclose(f);
	}
	return path;
}

/* Issue 13.5: NUL bytes, files others may write, the store's mode. */
static void
small_holes(struct fixture *fx)
{
	static const char nul_conf[] = BASE "# a comment\0\ncrl pki/nope.crl\n";
	static const char nul_profile[] = "<profiel xmlns=\"urn:ketenpoort:"
	    "profiel:1\">\n<oin>" OIN_CALLCENTER "</oin><naam>n</naam>"
	    "\n\0<rol>gemeente</rol><zenden/></profiel>\n";
	char out[4096], expect[2048], path[512];
	struct kp_store *st;
	struct kp_err err;
	struct stat s1, s2, s3;
	const char *p;
	mode_t old;

	p = write_bytes(fx, "nul.conf", nul_conf, sizeof(nul_conf) - 1);
	snprintf(expect, sizeof(expect), "%s:10: a NUL byte: a configuration is "
	    "text; remove it (the lines after it were not read)\n", p);
	ok(load_path(fx, p, out, sizeof(out)) != 0 && strstr(out, expect) != NULL,
	    "a NUL byte in the configuration: file:line, not OK");
	p = write_bytes(fx, "gw.conf", BASE, strlen(BASE));
	chmod(p, 0664);
	snprintf(expect, sizeof(expect), "%s: is writable by its group (mode "
	    "0664), and it decides who may receive what: chmod go-w %s\n", p, p);
	ok(load_path(fx, p, out, sizeof(out)) != 0 && strcmp(out, expect) == 0,
	    "a configuration its group may write is refused, with the chmod");
	chmod(p, 0646);
	ok(load_path(fx, p, out, sizeof(out)) != 0 &&
	    strstr(out, "writable by others (mode 0646)") != NULL,
	    "  and one others may write");
	chmod(p, 0644);
	is_int(load_path(fx, p, out, sizeof(out)), 0, "  0644 loads");

	p = write_bytes(fx, "self-profiles/nul.xml", nul_profile,
	    sizeof(nul_profile) - 1);
	snprintf(expect, sizeof(expect), "%s:3: a NUL byte: a profile is XML "
	    "text; remove it", p);
	ok(open_self(fx, out, sizeof(out)) != 0 && strstr(out, expect) != NULL,
	    "a NUL byte in a profile: file:line, the gateway does not open");
	unlink(p);
	snprintf(path, sizeof(path), "%s/self-profiles/partner.xml", fx->dir);
	chmod(path, 0666);
	snprintf(expect, sizeof(expect), "%s is writable by group and others "
	    "(mode 0666), and it decides who may receive what: chmod go-w %s",
	    path, path);
	ok(open_self(fx, out, sizeof(out)) != 0 && strstr(out, expect) != NULL,
	    "a profile others may write is refused, with the chmod");
	chmod(path, 0644);
	snprintf(path, sizeof(path), "%s/self-profiles", fx->dir);
	chmod(path, 0777);
	ok(open_self(fx, out, sizeof(out)) != 0 &&
	    strstr(out, "self-profiles is writable by group and others (mode "
	    "0777)") != NULL, "so is a profile directory others may write to");
	chmod(path, 0755);
	is_int(open_self(fx, out, sizeof(out)), 0, "  0755 and 0644 open");

	/* a new store is 0600 with its -wal and -shm, whatever the umask */
	old = umask(0);
	snprintf(path, sizeof(path), "%s/umask.db", fx->dir);
	st = kp_store_open(path, &err);
	umask(old);
	stat(path, &s1);
	snprintf(path, sizeof(path), "%s/umask.db-wal", fx->dir);
	s2.st_mode = 0;
	stat(path, &s2);
	snprintf(path, sizeof(path), "%s/umask.db-shm", fx->dir);
	s3.st_mode = 0;
	stat(path, &s3);
	is_int((long long)(s1.st_mode & 0777) * 1000000 + (s2.st_mode & 0777) *
	    1000 + (s3.st_mode & 0777), 0600 * 1000000 + 0600 * 1000 + 0600,
	    "a new store and its -wal and -shm: 0600 under umask 0");
	kp_store_close(st);
}

/* Load a config text; problems collected into out. */
static int
load(struct fixture *fx, const char *text, char *out, size_t outlen)
{
	return load_path(fx, fixture_write(fx, "t.conf", text), out, outlen);
}

/*
 * Does the text at rel (under $SRCDIR) name every option of the table, each
 * as a line made by fmt or by alt (when not NULL)?  Missing ones go to the
 * diagnostics.
 */
static int
documents_every_option(const char *rel, const char *fmt, const char *alt)
{
	char *table = NULL, *text = NULL, *line, *save = NULL, want[128];
	size_t tlen = 0, len;
	FILE *mem = open_memstream(&table, &tlen);
	struct kp_err err;
	int missing = 0, n = 0;

	kp_config_describe(mem);
	fclose(mem);
	if (kp_read_file(fixture_src(rel), 1 << 20, &text, &len, &err) != KP_OK) {
		diag("%s", err.msg);
		free(table);
		return 0;
	}
	for (line = strtok_r(table, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char name[64];

		if (sscanf(line, " %63s", name) != 1)
			continue;
		n++;
		snprintf(want, sizeof(want), fmt, name);
		if (strstr(text, want) != NULL)
			continue;
		if (alt != NULL)
			snprintf(want, sizeof(want), alt, name);
		if (alt == NULL || strstr(text, want) == NULL) {
			diag("%s does not document %s", rel, name);
			missing++;
		}
	}
	free(table);
	free(text);
	return n > 30 && missing == 0;
}

int
main(void)
{
	struct fixture fx;
	char out[4096], expect[1024], path[512];
	struct kp_gateway *gw;
	struct kp_err err;
	FILE *problems;
	size_t n;

	if (fixture_setup(&fx) != 0) {
		ok(0, "fixture");
		return done_testing();
	}
	is_int(load(&fx, BASE, out, sizeof(out)), 0, "a complete config loads");
	is_str(out, "", "and reports no problem");

	load(&fx, BASE "colour blue\n", out, sizeof(out));
	snprintf(expect, sizeof(expect), "%s/t.conf:10: unknown option \"colour\"\n",
	    fx.dir);
	is_str(out, expect, "unknown option: file:line");

	load(&fx, "# comment\n" BASE "max_body 12x\n", out, sizeof(out));
	snprintf(expect, sizeof(expect), "%s/t.conf:11: max_body must be a whole "
	    "number, not \"12x\"\n", fx.dir);
	is_str(out, expect, "bad number: file:line, after a comment line");

	load(&fx, BASE "threads 999\n", out, sizeof(out));
	snprintf(expect, sizeof(expect), "%s/t.conf:10: threads must be between 0 "
	    "and 256, not 999\n", fx.dir);
	is_str(out, expect, "out of range: file:line with the range");

	load(&fx, BASE "oin 123\n", out, sizeof(out));
	snprintf(expect, sizeof(expect), "%s/t.conf:10: option \"oin\" given "
	    "twice (first on line 1)\n", fx.dir);
	is_str(out, expect, "option given twice names both lines");

	load(&fx, "name x\nbogus 1\nthreads -1\n", out, sizeof(out));
	ok(strstr(out, "t.conf:2: unknown option") != NULL &&
	    strstr(out, "t.conf:3: threads must be between") != NULL &&
	    strstr(out, "required option \"oin\" is missing") != NULL &&
	    strstr(out, "required option \"cert\" is missing") != NULL,
	    "every problem is reported, not just the first");

	load(&fx, BASE "crl pki/nope.crl\n", out, sizeof(out));
	ok(strstr(out, "t.conf:10: crl:") != NULL &&
	    strstr(out, "No such file or directory") != NULL,
	    "missing file: file:line and the reason");

	/* A broken profile: file:line from the schema. */
	fixture_write(&fx, "self-profiles/broken.xml",
	    "<profiel xmlns=\"urn:ketenpoort:profiel:1\">\n"
	    "  <oin>123</oin>\n  <naam>x</naam>\n"
	    "  <endpoint>https://x/</endpoint>\n  <rol>baas</rol>\n"
	    "  <zenden/>\n</profiel>\n");
	snprintf(path, sizeof(path), "%s/problems", fx.dir);
	problems = fopen(path, "w+");
	snprintf(path, sizeof(path), "%s/self.conf", fx.dir);
	gw = kp_gateway_open(path, KP_GW_NO_STORE, problems, &err);
	rewind(problems);
	n = fread(out, 1, sizeof(out) - 1, problems);
	out[n] = '\0';
	fclose(problems);
	ok(gw == NULL, "a gateway with a broken profile does not open");
	snprintf(expect, sizeof(expect), "%s/self-profiles/broken.xml:2: ", fx.dir);
	ok(strncmp(out, expect, strlen(expect)) == 0 && strstr(out, "profiel:1}oin'") != NULL &&
	    strstr(out, "The value '123' is not accepted by the pattern") != NULL,
	    "profile problem: file:line naming the element");
	kp_gateway_close(gw);

	/* Two profiles with one OIN. */
	snprintf(path, sizeof(path), "%s/self-profiles/broken.xml", fx.dir);
	unlink(path);
	fixture_write(&fx, "self-profiles/twin.xml",
	    "<profiel xmlns=\"urn:ketenpoort:profiel:1\"><oin>"
	    OIN_PARTNER "</oin><naam>twin</naam><endpoint>https://x/</endpoint>"
	    "<rol>gemeente</rol><zenden/></profiel>");
	snprintf(path, sizeof(path), "%s/self.conf", fx.dir);
	gw = kp_gateway_open(path, KP_GW_NO_STORE, NULL, &err);
	ok(gw == NULL && strstr(err.msg, "is already the profile of") != NULL,
	    "two profiles with one OIN are refused");
	kp_gateway_close(gw);
	snprintf(path, sizeof(path), "%s/self-profiles/twin.xml", fx.dir);
	unlink(path);

	/* A private key others may read: refuse to start. */
	snprintf(path, sizeof(path), "%s/pki/self.key", fx.dir);
	chmod(path, 0644);
	snprintf(path, sizeof(path), "%s/self.conf", fx.dir);
	gw = kp_gateway_open(path, KP_GW_NO_STORE, NULL, &err);
	ok(gw == NULL && strstr(err.msg, "accessible to group or others") != NULL &&
	    strstr(err.msg, "chmod 600") != NULL,
	    "a world-readable private key is refused, with the fix");
	kp_gateway_close(gw);
	snprintf(path, sizeof(path), "%s/pki/self.key", fx.dir);
	chmod(path, 0600);

	small_holes(&fx);

	/* The documentation keeps up with the option table. */
	ok(documents_every_option("man/ketenpoort.conf.5", "\n.B %s\n", NULL),
	    "ketenpoort.conf(5) documents every option");
	ok(documents_every_option("conf/ketenpoort.conf", "\n%s\t", "\n#%s\t"),
	    "the example configuration shows every option");

	fixture_teardown(&fx);
	return done_testing();
}
