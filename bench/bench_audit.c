/*
 * bench_audit — two costs of issue 4, each against a bound measured in
 * the same run:
 *
 *   audit verify: entries per second that kp_audit_verify checks, against
 *   the machine's SHA-256 rate over the same bytes (32-byte previous hash
 *   plus canonical entry, computed ahead and hashed alone, on one core).
 *   Goal >= 0.5.  audit verify checks ranges of the chain in a thread per
 *   processor; the ratio per thread is printed too.
 *
 *   disclosure decision: microseconds kp_policy_fanout takes per outbound
 *   record (one record, every partner of the shipped example profiles,
 *   the citizen holding consents), against one SHA-256 of the record's
 *   fields as a yardstick.
 *
 *   bench_audit [-n ENTRIES] [-r RUNS]      (SRCDIR: the source tree)
 */
#include "autoconf.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "apply.h"
#include "audit.h"
#include "auditlog.h"
#include "bench.h"
#include "gateway.h"
#include "kd.h"
#include "policy.h"
#include "profile.h"
#include "schema.h"
#include "store.h"
#include "util.h"
#include "xmlsafe.h"

static atomic_long stored;

static void
count_done(struct kp_store_job *job, void *arg)
{
	(void)job;
	(void)arg;
	atomic_fetch_add(&stored, 1);
}

/* The canonical bytes of every entry, for the SHA-256 bound. */
struct canon {
	char	**v;
	size_t	 *len;
	size_t	  n;
};

static int
keep_canon(void *arg, const struct kp_audit_entry *e)
{
	struct canon *c = arg;

	c->v[c->n] = kp_audit_canonical(e, &c->len[c->n]);
	c->n++;
	return 0;
}

int
main(int argc, char **argv)
{
	long n = 100000;
	int runs = 5, ch;
	char dir[] = "/tmp/kpbench-audit.XXXXXX", path[300], bsn[16];
	struct kp_store *st;
	struct kp_write *jobs;
	struct kp_err err;
	double *verify_s, *sha_s, *decide_s, *sha1_s;
	int threads = 0;
	struct canon canon = { 0 };
	unsigned char key[KP_AUDIT_KEY_LEN] = { 1 };

	while ((ch = getopt(argc, argv, "n:r:")) != -1) {
		switch (ch) {
		case 'n': n = atol(optarg); break;
		case 'r': runs = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bench_audit [-n ENTRIES] [-r RUNS]\n");
			return 2;
		}
	}
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/store.db", dir);
	if ((st = kp_store_open(path, &err)) == NULL ||
	    kp_store_writer_start(st, &err) != KP_OK) {
		fprintf(stderr, "bench_audit: %s\n", err.msg);
		return 1;
	}
	kp_store_set_audit_key(st, key);
	/* n entries shaped like real ones: a delivered disclosure each. */
	jobs = calloc((size_t)n, sizeof(*jobs));
	for (long i = 0; i < n; i++) {
		static const char *const outcomes[] = { "delivered", "queued",
		    "accepted", "withheld" };

		jobs[i].kind = KP_WRITE_AUDIT;
		jobs[i].audit = (struct kp_audit){
			.direction = "out", .partner_oin = "00000003273229060000",
			.message_id = "urn:uuid:6f1c2b1e-0d1f-4a53-9b44-5a4d3c2b1a00",
			.berichtcode = "Lk01", .entiteittype = "ZAK",
			.bsn = "111222333", .record =
			"ZAK|00000001823288444000|Z-2026-000123|3",
			.velden = "zaaktype,status,startdatum,behandelaar",
			.basis = "wet: Wet publieke gezondheid art. 2",
			.doel = "publieke-gezondheid", .outcome = outcomes[i % 4],
			.bytes_sha256 = KP_SHA256_EMPTY, .message = i + 1,
			.detail = "local change: W Z-2026-000123 of "
			"00000001823288444000 bronversie 3 on partitie 5 volgnummer 17",
		};
		jobs[i].job.done = count_done;
		kp_apply_submit(st, &jobs[i]);
	}
	while (atomic_load(&stored) < n)
		usleep(10000);
	kp_store_writer_stop(st);
	free(jobs);
	kp_store_close(st);

	verify_s = calloc((size_t)runs, sizeof(double));
	sha_s = calloc((size_t)runs, sizeof(double));
	decide_s = calloc((size_t)runs, sizeof(double));
	sha1_s = calloc((size_t)runs, sizeof(double));
	canon.v = calloc((size_t)n, sizeof(char *));
	canon.len = calloc((size_t)n, sizeof(size_t));
	{
		struct kp_gateway gw;
		struct kp_audit_check check;
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		EVP_MD *sha = EVP_MD_fetch(NULL, "SHA256", NULL);

		/* zeroed whole: clang takes { 0 } as an int for its _Atomic
		 * first member */
		memset(&gw, 0, sizeof(gw));
		gw.store = kp_store_open_mode(path, 1, &err);
		kp_store_each_audit(gw.store, NULL, keep_canon, &canon,
		    &err);
		for (int r = 0; r < runs; r++) {
			double t0 = now_s();

			if (kp_audit_verify(&gw, NULL, NULL, NULL, &check,
			    &err) != KP_OK || check.bad != 0 ||
			    check.entries != n) {
				fprintf(stderr, "bench_audit: verify failed: %s\n",
				    err.msg);
				return 1;
			}
			verify_s[r] = now_s() - t0;
			threads = check.threads;
			/* the bound: SHA-256 at its best, one fetched digest */
			t0 = now_s();
			for (size_t i = 0; i < canon.n; i++) {
				static const unsigned char prev[32];
				unsigned char md[32];

				EVP_DigestInit_ex(ctx, sha, NULL);
				EVP_DigestUpdate(ctx, prev, sizeof(prev));
				EVP_DigestUpdate(ctx, canon.v[i], canon.len[i]);
				EVP_DigestFinal_ex(ctx, md, NULL);
			}
			sha_s[r] = now_s() - t0;
		}
		kp_store_close(gw.store);
		EVP_MD_CTX_free(ctx);
		EVP_MD_free(sha);
	}

	/* The disclosure decision over the shipped example profiles. */
	{
		const char *srcdir = getenv("SRCDIR");
		char xsd[512], profiles[512];
		struct kp_schema *schema;
		struct kp_profiles *ps;
		struct kp_consents consents = { 0 };
		struct kp_notice notice = { 0 };
		const long calls = 200000;
		size_t outbound = 0;

		snprintf(xsd, sizeof(xsd), "%s/xsd/profile.xsd",
		    srcdir != NULL ? srcdir : "..");
		snprintf(profiles, sizeof(profiles), "%s/profiles",
		    srcdir != NULL ? srcdir : "..");
		kp_xml_init();
		if ((schema = kp_schema_load(xsd, 0, &err)) == NULL ||
		    (ps = kp_profiles_load(profiles, schema, stderr, &err)) ==
		    NULL) {
			fprintf(stderr, "bench_audit: %s (set SRCDIR)\n", err.msg);
			return 1;
		}
		notice.mutatiesoort = 'W';
		snprintf(notice.entiteittype, sizeof(notice.entiteittype), "ZAK");
		snprintf(notice.bron, sizeof(notice.bron), "00000001823288444000");
		snprintf(notice.identificatie, sizeof(notice.identificatie),
		    "Z-2026-000123");
		notice.bronversie = 3;
		snprintf(bsn, sizeof(bsn), "111222333");
		snprintf(notice.bsn, sizeof(notice.bsn), "%s", bsn);
		notice.fields = "zaaktype=Schuldhulpverlening\nomschrijving=Aanvraag"
		    "\ntoelichting=intern\nstatus=in behandeling\nstartdatum="
		    "2026-11-01\nbehandelaar=J. de Vries\n"
		    "vertrouwelijkheidaanduiding=zaakvertrouwelijk\n";
		kp_today(consents.today);
		for (int k = 0; k < 4; k++) {
			char id[48], fields[300];

			snprintf(id, sizeof(id), "TST-%d", k);
			snprintf(fields, sizeof(fields), "partner=%s\ndoel=%s\n"
			    "status=verleend\ningangsdatum=2026-01-01\n",
			    k == 0 ? "00000003512345670000" : "00000009999999999000",
			    k == 0 ? "vroegsignalering" : "anders");
			kp_consents_add(&consents, id, "00000001823288444000",
			    fields, &err);
		}
		for (int r = 0; r < runs; r++) {
			double t0 = now_s();

			for (long i = 0; i < calls; i++) {
				struct kp_fanout *f;
				size_t nf;

				kp_policy_fanout(ps, &notice, NULL, NULL, 8, &consents,
				    &f, &nf, &err);
				outbound = nf;
				kp_fanout_free(f, nf);
			}
			decide_s[r] = (now_s() - t0) / (double)(calls * (long)outbound);
			t0 = now_s();
			for (long i = 0; i < calls; i++) {
				char hex[65];

				kp_sha256_hex(notice.fields, strlen(notice.fields), hex);
			}
			sha1_s[r] = (now_s() - t0) / (double)calls;
		}
		printf("disclosure decision: %zu partners decided per record "
		    "(legal basis, consent in force, too confidential)\n", outbound);
		kp_consents_clear(&consents);
		kp_profiles_free(ps);
		kp_schema_free(schema);
	}
	{
		double v = median(verify_s, runs), s = median(sha_s, runs);
		double d = median(decide_s, runs), h = median(sha1_s, runs);

		printf("audit verify: %ld entries in %.3f s = %.0f entries/s "
		    "(median of %d)\n", n, v, (double)n / v, runs);
		printf("SHA-256 of the same bytes: %.0f entries/s\n",
		    (double)n / s);
		printf("ratio audit verify / SHA-256 bound: %.2f (goal >= 0.5); "
		    "%d thread%s, per thread %.2f\n", s / v, threads,
		    threads == 1 ? "" : "s", s / v / (threads > 0 ? threads : 1));
		printf("disclosure decision: %.2f us per outbound record; one "
		    "SHA-256 of the record's fields: %.2f us (ratio %.1f)\n",
		    d * 1e6, h * 1e6, d / h);
	}
	for (size_t i = 0; i < canon.n; i++)
		free(canon.v[i]);
	free(canon.v);
	free(canon.len);
	free(verify_s);
	free(sha_s);
	free(decide_s);
	free(sha1_s);
	unlink(path);
	{
		char p2[320];

		snprintf(p2, sizeof(p2), "%s-wal", path);
		unlink(p2);
		snprintf(p2, sizeof(p2), "%s-shm", path);
		unlink(p2);
	}
	rmdir(dir);
	return 0;
}
