/*
 * fuzz_verify — the inbound verify path as a fuzz target: request bytes in,
 * verdict out (kp_inbound_handle against a gateway with a PKI made at
 * start-up, the TLS peer being a known partner).
 *
 * With --enable-fuzzer (clang) this is a libFuzzer target.  Without it, it
 * is an ordinary test: it replays the seed files named on the command line
 * (tests/fuzz/seeds and the raw bad-input corpus), every forge mutation of a
 * real signed message, and deterministic byte flips of that message, and
 * checks after each one that the gateway answered, and stored a message
 * only when it accepted one.
 */
#include "autoconf.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "apply.h"
#include "checkpoint.h"
#include "fixture.h"
#include "forge.h"
#include "gateway.h"
#include "compose.h"
#include "inbound.h"
#include "kd.h"
#include "log.h"
#include "store.h"
#include "util.h"

static struct fixture fx;
static int ready;

struct verdict_stats {
	long	runs;
	long	bad_answers;	/* no answer, or an unexpected HTTP status */
	long	stored_unaccepted;
	long	accepted;
	int	last_accepted;	/* the last input's verdict */
	int	last_duplicate;	/* ... answered as a copy of an earlier one */
	long	last_records;	/* records held after it */
};
static struct verdict_stats stats;

static void
one(const uint8_t *data, size_t size)
{
	struct kp_request req = { OIN_PARTNER, "text/xml; charset=utf-8", NULL,
	    (const char *)data, size };
	struct kp_response resp;
	int64_t before = fixture_count(fx.self->store, "message");

	kp_inbound_handle(fx.self, &req, &resp);
	stats.runs++;
	if (resp.body == NULL || (resp.http_status != 200 &&
	    resp.http_status != 500)) {
		stats.bad_answers++;
		fprintf(stdout, "# no proper answer (HTTP %d, %s) to input %ld\n",
		    resp.http_status, resp.body == NULL ? "no body" : "body",
		    stats.runs);
		if (getenv("KP_FUZZ_DUMP") != NULL) {
			FILE *fp = fopen(getenv("KP_FUZZ_DUMP"), "wb");

			if (fp != NULL) {
				fwrite(data, 1, size, fp);
				fclose(fp);
			}
		}
	}
	stats.last_accepted = resp.http_status == 200 && resp.fault == KP_F_NONE;
	stats.last_duplicate = resp.duplicate;
	if (stats.last_accepted)
		stats.accepted++;
	else if (fixture_count(fx.self->store, "message") != before)
		stats.stored_unaccepted++;
	stats.last_records = (long)fixture_count(fx.self->store, "record");
	kp_response_clear(&resp);
}

static int
setup(void)
{
	if (ready)
		return 0;
	kp_log_init("fuzz", KP_LOG_WARN);
	kp_log_set_level(KP_LOG_WARN);
	if (fixture_setup(&fx) != 0)
		return -1;
	ready = 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (setup() != 0)
		abort();
	one(data, size);
	return 0;
}

#ifndef KP_LIBFUZZER
#include "tap.h"

static void
replay_file(const char *path)
{
	struct kp_err err;
	char *data;
	size_t len;

	if (kp_read_file(path, 64 << 20, &data, &len, &err) != KP_OK) {
		diag("%s", err.msg);
		stats.bad_answers++;
		return;
	}
	one((const uint8_t *)data, len);
	free(data);
}

static long
replay_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	long n = 0;

	if (stat(path, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		replay_file(path);
		return 1;
	}
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char sub[1024];

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		n += replay_path(sub);
	}
	closedir(d);
	return n;
}

/* A small deterministic generator: the same flips on every run. */
static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * Replay n copies of msg (accepted before), the first as it is, the others
 * with 1-4 bits flipped each.  A
 * copy may be accepted only as what it is: the same signed message again
 * (the same MessageID and body digest), answered with the original
 * answer, applying nothing; *changed counts the copies accepted otherwise.
 */
static long
replay_flipped(const char *msg, size_t len, int n, uint32_t *seed,
    long *changed)
{
	long done = 0;

	for (int i = 0; msg != NULL && i < n; i++) {
		char *copy = malloc(len);
		/* the first copy unflipped: a plain resend, accepted as one */
		int nflips = i == 0 ? 0 : 1 + (int)(next_rand(seed) % 4);

		memcpy(copy, msg, len);
		for (int k = 0; k < nflips; k++)
			copy[next_rand(seed) % len] ^=
			    (char)(1u << (next_rand(seed) % 8));
		{
			long records = stats.last_records;

			one((const uint8_t *)copy, len);
			if (stats.last_accepted && (!stats.last_duplicate ||
			    stats.last_records != records))
				(*changed)++;
		}
		free(copy);
		done++;
	}
	return done;
}

/* A forge mutation that is a form standard toolkits send, accepted. */
static int
is_toolkit_form(const char *mutation)
{
	static const char *const forms[] = { "no-from", "no-expires",
	    "reply-to-anonymous", "reply-to-none", "fault-to-anonymous" };

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if (strcmp(mutation, forms[i]) == 0)
			return 1;
	return 0;
}

/* The partner's newest checkpoint, for sending it to self. */
static int
newest(void *arg, const struct kp_checkpoint *c)
{
	struct kp_checkpoint *out = arg;

	free((char *)out->hash);
	free((char *)out->at);
	free((char *)out->signature);
	free((char *)out->cert);
	*out = *c;
	out->hash = strdup(c->hash);
	out->at = strdup(c->at);
	out->signature = strdup(c->signature);
	out->cert = strdup(c->cert);
	return 0;
}

int
main(int argc, char **argv)
{
	struct forge_opts o = { 0 };
	struct kp_err err;
	xmlDocPtr body;
	char *valid = NULL, *m;
	size_t valid_len = 0, mlen;
	long files = 0, mutated = 0, flips = 0, before_flips, changed = 0;
	long wrongly = 0;
	uint32_t seed = 0x6b657465;	/* "kete" */
	const char *write_dir = getenv("KP_FUZZ_WRITE_SEEDS");

	if (!ok(setup() == 0, "fixture with a fresh PKI"))
		return done_testing();
	for (int i = 1; i < argc; i++)
		files += replay_path(argv[i]);
	ok(files > 0, "replayed %ld seed files", files);

	body = fixture_body("zakLk01", OIN_PARTNER, OIN_SELF, "fuzz-0", "111222333");
	for (int i = 0; forge_mutations[i] != NULL; i++) {
		char ref[32];

		xmlFreeDoc(body);
		snprintf(ref, sizeof(ref), "fuzz-%d", i);
		body = fixture_body("zakLk01", OIN_PARTNER, OIN_SELF, ref,
		    "111222333");
		o.mutation = forge_mutations[i];
		if (forge_build(fx.partner, fx.self_at_partner,
		    xmlDocGetRootElement(body), &o, &m, &mlen, &err) != KP_OK)
			continue;
		one((const uint8_t *)m, mlen);
		mutated++;
		/* what standard toolkits send is accepted (PROTOCOL.md 2) */
		if (stats.last_accepted != (strcmp(o.mutation, "none") == 0 ||
		    is_toolkit_form(o.mutation))) {
			diag("mutation %s was %s", o.mutation, stats.last_accepted ?
			    "accepted" : "refused");
			wrongly++;
		}
		if (write_dir != NULL) {
			char path[1024];

			snprintf(path, sizeof(path), "%s/%s.xml", write_dir, o.mutation);
			kp_write_file(path, m, mlen, 0644, &err);
		}
		if (strcmp(o.mutation, "none") == 0) {
			valid = m;
			valid_len = mlen;
		} else {
			free(m);
		}
	}
	xmlFreeDoc(body);
	ok(mutated > 30, "replayed %ld forged mutations of a signed message",
	    mutated);
	ok(valid != NULL && wrongly == 0, "exactly the unmutated message and "
	    "the toolkit forms were accepted (%ld; %ld otherwise)",
	    stats.accepted, wrongly);

	before_flips = stats.accepted;
	flips = replay_flipped(valid, valid_len, 300, &seed, &changed);
	ok(flips == 300, "replayed %ld byte-flipped copies", flips);
	ok(changed == 0 && stats.accepted - before_flips >= 1, "a copy was "
	    "accepted only as the very signed message again, applying nothing "
	    "(%ld of %ld accepted, the unflipped first among them; %ld "
	    "otherwise)", stats.accepted - before_flips, flips, changed);

	/* A digest question (dosLv01 functie=digest) and flipped copies. */
	{
		struct kp_kd_reply r = { OIN_PARTNER, "app", OIN_SELF, "app",
		    NULL };
		xmlDocPtr q = kp_kd_question(&r, "digest", "111222333",
		    "synchronisatie", NULL, &err);
		struct kp_composed req = { 0 };
		long before = stats.accepted, qflips = 0;

		if (q != NULL && kp_request_build(fx.partner, fx.self_at_partner,
		    xmlDocGetRootElement(q), &req, &err) == KP_OK)
			one((const uint8_t *)req.bytes, req.len);
		ok(stats.accepted == before + 1, "a signed digest question is "
		    "answered");
		qflips = replay_flipped(req.bytes, req.len, 100, &seed, &changed);
		ok(qflips == 100, "replayed %ld byte-flipped digest questions",
		    qflips);
		kp_composed_clear(&req);
		xmlFreeDoc(q);
	}
	/* An audit checkpoint (ckpDi01), a forged one, and flipped copies. */
	{
		struct kp_kd_reply r = { OIN_PARTNER, "app", OIN_SELF, "app",
		    NULL };
		struct kp_audit a = { .direction = "local", .outcome = "stored" };
		struct kp_checkpoint c = { 0 };
		struct kp_composed req = { 0 }, forged = { 0 };
		long before, cflips;
		xmlDocPtr d = NULL, f = NULL;
		int made = 0;

		kp_apply_audit(fx.partner->store, &a, &err);
		kp_checkpoint_make(fx.partner, &made, &err);
		kp_store_each_checkpoint(fx.partner->store, NULL, newest, &c, &err);
		before = stats.accepted;
		if (made && (d = kp_kd_checkpoint(&r, c.seq, c.hash, c.at,
		    c.signature, c.cert, &err)) != NULL &&
		    kp_request_build(fx.partner, fx.self_at_partner,
		    xmlDocGetRootElement(d), &req, &err) == KP_OK)
			one((const uint8_t *)req.bytes, req.len);
		ok(stats.accepted == before + 1, "a signed audit checkpoint is "
		    "witnessed");
		/* signed envelope, but the checkpoint names another entry */
		if (made && (f = kp_kd_checkpoint(&r, c.seq + 1, c.hash, c.at,
		    c.signature, c.cert, &err)) != NULL &&
		    kp_request_build(fx.partner, fx.self_at_partner,
		    xmlDocGetRootElement(f), &forged, &err) == KP_OK)
			one((const uint8_t *)forged.bytes, forged.len);
		ok(stats.accepted == before + 1, "a checkpoint whose inner "
		    "signature does not hold is not");
		cflips = replay_flipped(req.bytes, req.len, 100, &seed, &changed);
		ok(cflips == 100, "replayed %ld byte-flipped checkpoints", cflips);
		kp_composed_clear(&req);
		kp_composed_clear(&forged);
		xmlFreeDoc(d);
		xmlFreeDoc(f);
		free((char *)c.hash);
		free((char *)c.at);
		free((char *)c.signature);
		free((char *)c.cert);
	}
	is_int(changed, 0, "no flipped question or checkpoint was accepted as "
	    "anything but itself");
	is_int(stats.bad_answers, 0, "every input got a well-formed answer "
	    "(%ld runs)", stats.runs);
	is_int(stats.stored_unaccepted, 0,
	    "nothing was stored unless it was accepted");
	free(valid);
	fixture_teardown(&fx);
	return done_testing();
}
#endif
