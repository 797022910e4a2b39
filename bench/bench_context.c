/*
 * bench_context — the call-centre moment under load: how long does a
 * context question take when many agents ask at once?
 *
 * The answering gateway is a real `ketenpoort serve` (the municipality,
 * set up by bench_context.sh with the citizen's records); this program is
 * the call centre's gateway, opened in-process from its configuration, and
 * asks as `dossier context` and the local interface do (kp_context_ask: a
 * new mutual-TLS connection, a signed question, the signed answer
 * verified, the question audited).  Both gateways share the machine.
 *
 * 1. Service time: questions one after another, nothing else running; the
 *    median is the single-question service time S (the bound).
 * 2. Capacity: W askers back to back; questions per second C.
 * 3. Half load: questions arrive on a fixed schedule at C/2 per second and
 *    are taken by a pool of askers; each latency runs from the moment the
 *    question was due, so waiting for a free asker counts.  p50 and p99,
 *    and p99 / S (goal: at most 3).
 *
 * Every answer must hold exactly -e records, or it counts as a failure.
 * Several runs; medians are printed last.  Not a test: no pass or fail.
 *
 *   bench_context -c KCC_CONF -p PARTNER -b BSN -d DOEL -e RECORDS
 *                 [-n QUESTIONS] [-s SERIAL] [-r RUNS] [-w ASKERS] [-L FILE]
 *
 * -L FILE: each half-load question as "run seconds-after-start latency-ms",
 * to see when the slow ones came.
 */
#include "autoconf.h"

#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "context.h"
#include "gateway.h"
#include "log.h"
#include "profile.h"

struct load {
	struct kp_gateway	*gw;
	const struct kp_profile	*partner;
	const char		*bsn, *doel;
	size_t			 expect;	/* records in every answer */
	long			 total;
	double			 start;
	double			 interval;	/* 0: back to back */
	atomic_long		 next;
	atomic_long		 failures;
	double			*latencies;	/* indexed by question */
	double			*due;		/* seconds after start */
};

static void
sleep_until(double t)
{
	double left = t - now_s();
	struct timespec ts;

	if (left <= 0)
		return;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static void *
asker(void *arg)
{
	struct load *l = arg;
	long i;

	while ((i = atomic_fetch_add(&l->next, 1)) < l->total) {
		struct kp_context ctx;
		struct kp_err err;
		double due = l->start + (double)i * l->interval;

		if (l->interval > 0)
			sleep_until(due);
		else
			due = now_s();
		if (kp_context_ask(l->gw, l->partner, l->bsn, l->doel, &ctx,
		    &err) != KP_OK) {
			if (atomic_fetch_add(&l->failures, 1) == 0)
				fprintf(stderr, "bench_context: %s\n", err.msg);
		} else {
			if (ctx.n != l->expect &&
			    atomic_fetch_add(&l->failures, 1) == 0)
				fprintf(stderr, "bench_context: an answer held %zu "
				    "records, not %zu\n", ctx.n, l->expect);
			kp_context_clear(&ctx);
		}
		l->latencies[i] = now_s() - due;
		l->due[i] = due - l->start;
	}
	return NULL;
}

/* Ask total questions with askers threads; the elapsed seconds. */
static double
run_load(struct load *l, long total, int askers, double interval)
{
	pthread_t *t = calloc((size_t)askers, sizeof(*t));

	l->total = total;
	l->interval = interval;
	atomic_store(&l->next, 0);
	free(l->latencies);
	free(l->due);
	l->latencies = calloc((size_t)total, sizeof(double));
	l->due = calloc((size_t)total, sizeof(double));
	l->start = now_s();
	for (int i = 0; i < askers; i++)
		pthread_create(&t[i], NULL, asker, l);
	for (int i = 0; i < askers; i++)
		pthread_join(t[i], NULL);
	free(t);
	return now_s() - l->start;
}

/* The q-quantile of v[0..n-1] (sorts v): the smallest value with at least
 * q of the values at or below it. */
static double
quantile(double *v, long n, double q)
{
	long k = (long)((double)n * q + 0.999999) - 1;

	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_context -c KCC_CONF -p PARTNER -b BSN "
	    "-d DOEL -e RECORDS [-n QUESTIONS] [-s SERIAL] [-r RUNS] "
	    "[-w ASKERS] [-L FILE]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *conf = NULL, *partner = NULL;
	FILE *dump = NULL;
	long n = 500, serial = 40;
	int runs = 3, askers = 0, ch;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	double s_ms[16], rate[16], p50[16], p99[16], ratio[16];
	struct load l = { 0 };
	struct kp_err err;

	while ((ch = getopt(argc, argv, "c:p:b:d:e:n:s:r:w:L:")) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'p': partner = optarg; break;
		case 'b': l.bsn = optarg; break;
		case 'd': l.doel = optarg; break;
		case 'e': l.expect = (size_t)atol(optarg); break;
		case 'n': n = atol(optarg); break;
		case 's': serial = atol(optarg); break;
		case 'r': runs = atoi(optarg); break;
		case 'w': askers = atoi(optarg); break;
		case 'L':
			if ((dump = fopen(optarg, "w")) == NULL) {
				perror(optarg);
				return 1;
			}
			break;
		default: usage();
		}
	}
	if (conf == NULL || partner == NULL || l.bsn == NULL ||
	    l.doel == NULL || l.expect == 0 || n < 1 || serial < 1 || runs < 1)
		usage();
	if (runs > 16)
		runs = 16;
	if (askers < 1)
		askers = 2 * (int)cores;
	kp_log_init("bench_context", KP_LOG_WARN);
	if (kp_libraries_init(&err) != KP_OK ||
	    (l.gw = kp_gateway_open(conf, 0, stderr, &err)) == NULL) {
		fprintf(stderr, "bench_context: %s\n", err.msg);
		return 1;
	}
	if ((l.partner = kp_profiles_find(l.gw->profiles, partner)) == NULL) {
		fprintf(stderr, "bench_context: no partner %s\n", partner);
		return 1;
	}
	printf("context questions: each answer %zu records; %ld cores; both "
	    "gateways on this machine\n", l.expect, cores);
	/* warm up: caches, the partner's certificate checked once */
	run_load(&l, 5, 1, 0);
	for (int r = 0; r < runs; r++) {
		double elapsed, half;

		atomic_store(&l.failures, 0);
		run_load(&l, serial, 1, 0);
		s_ms[r] = median(l.latencies, (int)serial) * 1000;
		elapsed = run_load(&l, n, askers, 0);
		rate[r] = (double)n / elapsed;
		half = rate[r] / 2;
		run_load(&l, n, askers * 4, 1.0 / half);
		for (long i = 0; dump != NULL && i < n; i++)
			fprintf(dump, "%d %.3f %.1f\n", r + 1, l.due[i],
			    l.latencies[i] * 1000);
		p50[r] = quantile(l.latencies, n, 0.50) * 1000;
		p99[r] = quantile(l.latencies, n, 0.99) * 1000;
		ratio[r] = p99[r] / s_ms[r];
		printf("run %d: service time %.1f ms (median of %ld alone); "
		    "capacity %.1f questions/s (%d askers); at %.1f/s: p50 %.1f "
		    "ms, p99 %.1f ms, p99/service %.2f; failures %ld\n", r + 1,
		    s_ms[r], serial, rate[r], askers, half, p50[r], p99[r],
		    ratio[r], atomic_load(&l.failures));
		fflush(stdout);
		if (atomic_load(&l.failures) != 0)
			return 1;
	}
	printf("median of %d runs: service time %.1f ms; capacity %.1f "
	    "questions/s; at half load p50 %.1f ms, p99 %.1f ms; p99 / service "
	    "time %.2f (goal <= 3)\n", runs, median(s_ms, runs),
	    median(rate, runs), median(p50, runs), median(p99, runs),
	    median(ratio, runs));
	free(l.latencies);
	free(l.due);
	if (dump != NULL)
		fclose(dump);
	kp_gateway_close(l.gw);
	return 0;
}
