/*
 * bench_wss — the library's own cost of a signed message, against the raw
 * RSA it cannot avoid, in one process and on one core.
 *
 * (a) build + sign + serialise a request envelope around a kd body
 *     (kp_request_build: what the sender does for every notice);
 * (b) parse + inspect + verify every rule of PROTOCOL.md §2.1 + validate
 *     the body against the kd schema + the kd checks (the receiver's
 *     stages before the store: parse, envelope, signature, timestamp,
 *     addressing, body);
 * against the raw RSA-2048 sign and verify rates measured in the same run
 * (EVP_DigestSign / EVP_DigestVerify of 64 bytes with SHA-256).
 *
 *   efficiency = (1 / (1/a + 1/b)) / (1 / (1/sign + 1/verify))
 *
 * is the share of a sign+verify pair's time that is the crypto itself:
 * 1.0 would be XML-DSig for free.  The goal (issue 19) is 0.8 or more.
 * Also prints the microseconds per operation outside the crypto, and
 * the allocations per (a) and (b) (malloc calls counted by libxml2's
 * allocator hooks; libcrypto's own are not counted).
 *
 *   bench_wss [-r RUNS] [-s SECONDS]
 *   bench_wss -o a|b [-s SECONDS]   (only (a) or (b), for a profiler)
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlmemory.h>
#include <openssl/evp.h>

#include "compose.h"
#include "config.h"
#include "envelope.h"
#include "fixture.h"
#include "gateway.h"
#include "kd.h"
#include "schema.h"
#include "util.h"
#include "wss.h"
#include "xmlsafe.h"

#include "bench.h"

static double seconds = 1.0;

/*
 * libxml2's allocations (xmlsec allocates through them too), counted in
 * a pass of their own: counting in the timed loops would slow them.
 */
static long nalloc;
static int counting;

static void *
count_malloc(size_t n)
{
	if (counting)
		nalloc++;
	return malloc(n);
}

static void *
count_realloc(void *p, size_t n)
{
	if (counting)
		nalloc++;
	return realloc(p, n);
}

static char *
count_strdup(const char *s)
{
	if (counting)
		nalloc++;
	return strdup(s);
}

struct ctx {
	struct fixture	 fx;
	xmlDocPtr	 body;
	xmlNodePtr	 refnode;
	long		 seq;
	double		*stage;		/* NULL, or seconds per stage of (b) */
};

/* The stages of (b), timed in a pass of their own. */
enum { ST_PARSE, ST_ENVELOPE, ST_SIGNATURE, ST_REST, ST_N };

static void
lap(struct ctx *c, int stage, double *t)
{
	double now;

	if (c->stage == NULL)
		return;
	now = now_s();
	c->stage[stage] += now - *t;
	*t = now;
}

/* (a): one request, built, signed and serialised; *out to be cleared. */
static int
sign_one(struct ctx *c, struct kp_composed *out)
{
	struct kp_err err;
	char ref[40];

	snprintf(ref, sizeof(ref), "bench-%ld", c->seq++);
	xmlNodeSetContent(c->refnode, (const xmlChar *)ref);
	if (kp_request_build(c->fx.partner, c->fx.self_at_partner,
	    xmlDocGetRootElement(c->body), out, &err) != KP_OK) {
		fprintf(stderr, "bench_wss: sign: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* (b): what the receiver checks before anything is stored. */
static int
verify_one(struct ctx *c, const struct kp_composed *m)
{
	struct kp_gateway *gw = c->fx.self;
	const struct kp_config *cfg = gw->cfg;
	struct kp_wss_policy policy = {
		.trust = gw->trust, .cache = gw->certs,
		.expected_oin = OIN_PARTNER,
	};
	struct kp_wss_result sig = { 0 };
	struct kp_stuurgegevens sg;
	struct kp_notice notice = { 0 };
	struct kp_env env;
	struct kp_err err;
	char *message_id = NULL, soapaction[160];
	xmlDocPtr doc;
	double t = c->stage != NULL ? now_s() : 0;
	int ret = -1;

	snprintf(soapaction, sizeof(soapaction), "\"%s\"", m->action);
	if ((doc = kp_xml_parse(m->bytes, m->len, &err)) == NULL)
		goto out;
	lap(c, ST_PARSE, &t);
	if (kp_env_inspect(doc, 0, &env, &err) != KP_OK)
		goto out;
	if ((message_id = kp_env_text(env.message_id)) == NULL ||
	    !kp_message_id_valid(message_id)) {
		snprintf(err.msg, sizeof(err.msg), "bad MessageID");
		goto out;
	}
	lap(c, ST_ENVELOPE, &t);
	if (kp_wss_verify(&env, &policy, &sig, &err) != KP_OK)
		goto out;
	lap(c, ST_SIGNATURE, &t);
	if (kp_env_check_timestamp(&env, kp_now_ms(), cfg->clock_skew,
	    cfg->max_lifetime, cfg->timestamp_max_age, &err) != KP_OK ||
	    kp_env_check_addressing(&env, cfg->endpoint, cfg->oin, soapaction,
	    &err) != KP_OK ||
	    kp_schema_validate(gw->kd_schema, env.body_root, &err) != KP_OK ||
	    kp_kd_read_stuurgegevens(env.body_root, &sg, &err) != KP_OK ||
	    kp_kd_check(env.body_root, &sg, &err) != KP_OK ||
	    kp_kd_read_notice(env.body_root, &notice, &err) != KP_OK)
		goto out;
	lap(c, ST_REST, &t);
	ret = 0;
out:
	if (ret != 0)
		fprintf(stderr, "bench_wss: verify: %s\n", err.msg);
	kp_notice_clear(&notice);
	kp_wss_result_clear(&sig);
	free(message_id);
	xmlFreeDoc(doc);
	return ret;
}

/*
 * xmlsec's verification alone (kp_wss_xmlsec_verify: what kp_wss_verify
 * asks of xmlsec, none of our checks around it), timed around that call
 * only, each on a message parsed afresh: what the signature stage of (b)
 * would cost if everything of ours were free.  Microseconds a message,
 * or -1.
 */
static double
xmlsec_us(struct ctx *c, const struct kp_composed *m)
{
	EVP_PKEY *pub = X509_get0_pubkey(c->fx.partner->signer->cert);
	double start, t, inside = 0;
	long n = 0;

	start = now_s();
	do {
		struct kp_env env;
		struct kp_err err;
		xmlDocPtr doc;
		int rc = KP_ERR_PROTOCOL;

		if ((doc = kp_xml_parse(m->bytes, m->len, &err)) != NULL &&
		    kp_env_inspect(doc, 0, &env, &err) == KP_OK) {
			t = now_s();
			rc = kp_wss_xmlsec_verify(&env, pub, &err);
			inside += now_s() - t;
		}
		xmlFreeDoc(doc);
		if (rc != KP_OK) {
			fprintf(stderr, "bench_wss: xmlsec: %s\n", err.msg);
			return -1;
		}
		n++;
	} while (now_s() - start < seconds);
	return 1e6 * inside / (double)n;
}

struct figures {
	double	sign, verify, a, b, eff, a_us, b_us, a_alloc, b_alloc;
	double	stage_us[ST_N], xmlsec_us, budget_us;
};

static int
one_run(struct ctx *c, struct figures *f)
{
	EVP_PKEY *pkey = c->fx.partner->signer->pkey;
	struct kp_composed m;
	double start, elapsed;
	long n;

	f->sign = bench_crypto_rate(pkey, 0, seconds);
	f->verify = bench_crypto_rate(pkey, 1, seconds);

	n = 0;
	start = now_s();
	do {
		for (int i = 0; i < 10; i++, n++) {
			if (sign_one(c, &m) != 0)
				return -1;
			kp_composed_clear(&m);
		}
		elapsed = now_s() - start;
	} while (elapsed < seconds);
	f->a = (double)n / elapsed;

	if (sign_one(c, &m) != 0)
		return -1;
	n = 0;
	start = now_s();
	do {
		for (int i = 0; i < 10; i++, n++)
			if (verify_one(c, &m) != 0) {
				kp_composed_clear(&m);
				return -1;
			}
		elapsed = now_s() - start;
	} while (elapsed < seconds);
	f->b = (double)n / elapsed;

	/* the allocations of 100 of each, untimed */
	nalloc = 0;
	counting = 1;
	for (int i = 0; i < 100; i++) {
		struct kp_composed a;

		if (sign_one(c, &a) != 0) {
			counting = 0;
			kp_composed_clear(&m);
			return -1;
		}
		kp_composed_clear(&a);
	}
	f->a_alloc = (double)nalloc / 100;
	nalloc = 0;
	for (int i = 0; i < 100; i++)
		if (verify_one(c, &m) != 0) {
			counting = 0;
			kp_composed_clear(&m);
			return -1;
		}
	f->b_alloc = (double)nalloc / 100;
	counting = 0;

	/* (b)'s stages, timed; then xmlsec's verification alone */
	{
		double st[ST_N] = { 0 };

		n = 0;
		c->stage = st;
		start = now_s();
		do {
			for (int i = 0; i < 10; i++, n++)
				if (verify_one(c, &m) != 0) {
					c->stage = NULL;
					kp_composed_clear(&m);
					return -1;
				}
			elapsed = now_s() - start;
		} while (elapsed < seconds);
		c->stage = NULL;
		for (int i = 0; i < ST_N; i++)
			f->stage_us[i] = 1e6 * st[i] / (double)n;
	}
	f->xmlsec_us = xmlsec_us(c, &m);
	kp_composed_clear(&m);
	if (f->xmlsec_us < 0)
		return -1;
	f->xmlsec_us -= 1e6 / f->verify;

	f->eff = (1 / (1 / f->a + 1 / f->b)) /
	    (1 / (1 / f->sign + 1 / f->verify));
	f->a_us = 1e6 / f->a - 1e6 / f->sign;
	f->b_us = 1e6 / f->b - 1e6 / f->verify;
	/* what 0.8 leaves beyond the crypto, for (a) and (b) together */
	f->budget_us = (1e6 / f->sign + 1e6 / f->verify) * (1 / 0.8 - 1);
	return 0;
}

static void
print_figures(const char *label, const struct figures *f)
{
	printf("%-7s RSA sign %6.0f/s verify %6.0f/s | (a) build+sign+serialise "
	    "%6.0f/s (%4.0f us beyond the signature, %4.0f allocs) | "
	    "(b) parse+verify+validate %6.0f/s (%4.0f us beyond the "
	    "verification, %4.0f allocs) | efficiency %.2f\n",
	    label, f->sign, f->verify, f->a, f->a_us, f->a_alloc, f->b, f->b_us,
	    f->b_alloc, f->eff);
	printf("%-7s (b) in stages, us a message: parse %.0f, envelope %.0f, "
	    "signature %.0f, timestamp+addressing+schema+kd %.0f | xmlsec's "
	    "verification alone %.0f us beyond its RSA; 0.80 leaves %.0f us "
	    "beyond the crypto for (a) and (b) together\n", "", f->stage_us[0],
	    f->stage_us[1], f->stage_us[2], f->stage_us[3], f->xmlsec_us,
	    f->budget_us);
}

int
main(int argc, char **argv)
{
	struct ctx c = { 0 };
	struct figures *runs, med;
	double *v;
	int nruns = 5, ch, only = 0;

	while ((ch = getopt(argc, argv, "o:r:s:")) != -1) {
		switch (ch) {
		case 'o':
			only = optarg[0];
			break;
		case 'r':
			nruns = atoi(optarg);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench_wss [-r RUNS] [-s SECONDS]\n");
			return 2;
		}
	}
	if (nruns < 1 || seconds <= 0)
		return 2;
	xmlMemSetup(free, count_malloc, count_realloc, count_strdup);
	if (fixture_setup(&c.fx) != 0)
		return 1;
	c.body = fixture_body("zakLk01", OIN_PARTNER, OIN_SELF, "bench-0",
	    "111222333");
	c.refnode = c.body == NULL ? NULL :
	    kp_xml_child(kp_xml_child(xmlDocGetRootElement(c.body), KD_NS,
	    "stuurgegevens"), KD_NS, "referentienummer");
	if (c.refnode == NULL) {
		fprintf(stderr, "bench_wss: no zakLk01 body\n");
		return 1;
	}
	if (only == 'a' || only == 'b') {
		struct kp_composed m;
		double start = now_s();
		long n = 0;

		if (only == 'b' && sign_one(&c, &m) != 0)
			return 1;
		while (now_s() - start < seconds) {
			struct kp_composed a;

			if (only == 'a' ? sign_one(&c, &a) : verify_one(&c, &m))
				return 1;
			if (only == 'a')
				kp_composed_clear(&a);
			n++;
		}
		if (only == 'b')
			kp_composed_clear(&m);
		printf("(%c) %.0f/s\n", only, (double)n / (now_s() - start));
		xmlFreeDoc(c.body);
		fixture_teardown(&c.fx);
		return 0;
	}
	runs = calloc((size_t)nruns, sizeof(*runs));
	v = calloc((size_t)nruns, sizeof(*v));
	printf("bench_wss: one core, %d runs of %.1f s per figure, RSA-2048, "
	    "a zakLk01 request (six references)\n", nruns, seconds);
	for (int r = 0; r < nruns; r++) {
		char label[16];

		if (one_run(&c, &runs[r]) != 0)
			return 1;
		snprintf(label, sizeof(label), "run %d", r + 1);
		print_figures(label, &runs[r]);
		fflush(stdout);
	}
#define MED(field) do {							\
	for (int r = 0; r < nruns; r++)					\
		v[r] = runs[r].field;					\
	med.field = median(v, nruns);					\
} while (0)
	MED(sign); MED(verify); MED(a); MED(b); MED(eff); MED(a_us); MED(b_us);
	MED(a_alloc); MED(b_alloc); MED(xmlsec_us); MED(budget_us);
	for (int i = 0; i < ST_N; i++)
		MED(stage_us[i]);
	print_figures("median", &med);
	printf("bench_wss: efficiency %.2f (goal >= 0.80; the JDK's XML-DSig "
	    "reaches 0.56-0.72 by the same formula)\n", med.eff);
	free(runs);
	free(v);
	xmlFreeDoc(c.body);
	fixture_teardown(&c.fx);
	return 0;
}
