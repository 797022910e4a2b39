/*
 * bench_commit — durable commits per second with group commit, against the
 * disk's own fdatasync rate measured in the same run on the same
 * directory.
 *
 * The bound: one process writing 4 KiB and calling fdatasync() in a loop,
 * what a store that fsyncs every change on its own could do at best.  The
 * measurement: T threads putting local changes (a record, one outbox row,
 * the audit rows: kp_apply_local, each waiting until durable) into
 * one store with its group-commit writer running.  Prints each run and
 * the medians; the goal is a ratio of 5 or more.
 *
 *   bench_commit [-d DIR] [-t THREADS] [-s SECONDS] [-r RUNS]
 */
#include "autoconf.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "kd.h"
#include "store.h"
#include "util.h"

#include "bench.h"




/* The disk's own rate: 4 KiB appended and fdatasync'd, for seconds. */
static double
fdatasync_rate(const char *dir, double seconds)
{
	char path[512], block[4096];
	double start, end = 0;
	long n = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/fdatasync.bench", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return 0;
	memset(block, 'x', sizeof(block));
	start = now_s();
	do {
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block) ||
		    fdatasync(fd) != 0)
			break;
		n++;
	} while ((end = now_s()) - start < seconds);
	if (end <= start)
		end = now_s();
	close(fd);
	unlink(path);
	return (double)n / (end - start);
}

struct worker {
	struct kp_store		*store;
	int			 id;
	double			 until;
	atomic_long		*done;
	pthread_t		 thread;
};

/* Case numbers rise, as an owner's do; citizens are spread over 100,000. */
static atomic_long next_case;

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct kp_fanout f = { .partner_oin = "00000002002000000000",
	    .kind = KP_FAN_DISCLOSE,
	    .fields = "zaaktype=Bijstand\nstatus=ontvangen\n",
	    .velden = "zaaktype,status", .basis = "wet: Testwet art. 1",
	    .doel = "ketentest" };
	struct kp_local_change lc = { NULL, "00000001001000000000", &f, 1 };
	struct kp_notice n;
	struct kp_err err;
	char msg[200];
	size_t queued;
	kp_fault verdict;
	long i = 0;

	memset(&n, 0, sizeof(n));
	n.mutatiesoort = 'T';
	snprintf(n.entiteittype, sizeof(n.entiteittype), "ZAK");
	snprintf(n.bron, sizeof(n.bron), "00000001001000000000");
	n.bronversie = 1;
	n.fields = (char *)"zaaktype=Bijstand\nstatus=ontvangen\n"
	    "toelichting=bench\n";
	kp_sha256_hex(n.fields, strlen(n.fields), n.fields_sha256);
	lc.notice = &n;
	while (now_s() < w->until) {
		long c = atomic_fetch_add(&next_case, 1);

		snprintf(n.identificatie, sizeof(n.identificatie), "Z2026-%09ld",
		    c);
		snprintf(n.bsn, sizeof(n.bsn), "%09ld",
		    100000000 + (c * 7919 + w->id) % 100000);
		i++;
		if (kp_apply_local(w->store, &lc, &verdict, msg,
		    sizeof(msg), &queued, &err) != KP_OK || verdict != KP_F_NONE) {
			fprintf(stderr, "bench_commit: %s\n", err.msg);
			break;
		}
		atomic_fetch_add(w->done, 1);
	}
	return NULL;
}

/*
 * The audit entries name citizens, which takes the pseudonym key a
 * gateway loads at start; any key will do for timing.
 */
static const unsigned char audit_key[32] = "bench_commit pseudonym key .....";

/* Group-commit rate: threads putting local changes for seconds. */
static double
group_rate(const char *dir, int run, int threads, double seconds)
{
	char path[512];
	struct kp_store *store;
	struct worker *w;
	struct kp_err err;
	atomic_long done = 0;
	double start, end;

	snprintf(path, sizeof(path), "%s/commit-%d.db", dir, run);
	if ((store = kp_store_open(path, &err)) == NULL ||
	    (kp_store_set_audit_key(store, audit_key), 0) ||
	    kp_store_writer_start(store, &err) != KP_OK) {
		fprintf(stderr, "bench_commit: %s\n", err.msg);
		kp_store_close(store);
		return 0;
	}
	w = calloc((size_t)threads, sizeof(*w));
	start = now_s();
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){ store, i, start + seconds, &done, 0 };
		pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(w[i].thread, NULL);
	end = now_s();
	kp_store_close(store);
	free(w);
	snprintf(path, sizeof(path), "%s/commit-%d.db", dir, run);
	unlink(path);
	strncat(path, "-wal", sizeof(path) - strlen(path) - 1);
	unlink(path);
	snprintf(path, sizeof(path), "%s/commit-%d.db-shm", dir, run);
	unlink(path);
	return (double)atomic_load(&done) / (end - start);
}

int
main(int argc, char **argv)
{
	const char *dir = NULL;
	char tmpl[] = "/var/tmp/kp-bench-commit.XXXXXX";
	int threads = 32, runs = 5, ch;
	double seconds = 2, sync_r[32], group_r[32], ratio_r[32];

	while ((ch = getopt(argc, argv, "d:t:s:r:")) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 't': threads = atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 'r': runs = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bench_commit [-d DIR] [-t THREADS] "
			    "[-s SECONDS] [-r RUNS]\n");
			return 2;
		}
	}
	if (runs < 1 || runs > 32 || threads < 1 || threads > 1024) {
		fprintf(stderr, "bench_commit: 1-32 runs, 1-1024 threads\n");
		return 2;
	}
	if (dir == NULL && (dir = mkdtemp(tmpl)) == NULL) {
		perror("bench_commit: mkdtemp");
		return 2;
	}
	printf("group commit: %d threads putting local changes (record, "
	    "outbox row, audit) into one store in %s, vs the disk's own "
	    "fdatasync rate there; %.0f s each, %d runs\n", threads, dir,
	    seconds, runs);
	for (int r = 0; r < runs; r++) {
		sync_r[r] = fdatasync_rate(dir, seconds);
		group_r[r] = group_rate(dir, r, threads, seconds);
		ratio_r[r] = sync_r[r] > 0 ? group_r[r] / sync_r[r] : 0;
		printf("  run %d: fdatasync %.0f/s, durable changes %.0f/s, "
		    "ratio %.2f\n", r + 1, sync_r[r], group_r[r], ratio_r[r]);
	}
	printf("median: fdatasync %.0f/s, durable changes with group commit "
	    "%.0f/s, ratio %.2f (goal >= 5)\n", median(sync_r, runs),
	    median(group_r, runs), median(ratio_r, runs));
	if (dir == tmpl)
		rmdir(dir);
	for (int r = 0; r < runs; r++)
		if (group_r[r] == 0) {
			fprintf(stderr, "bench_commit: run %d stored nothing\n",
			    r + 1);
			return 1;
		}
	return 0;
}
