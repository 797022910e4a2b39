/*
 * bench.h — the few helpers the benchmark programs share: a monotonic
 * clock in seconds, the median of a set of runs, a process's memory, and
 * the machine's own signature rate (the bound the XML-DSig ones are put
 * against).
 */
#ifndef KP_BENCH_H
#define KP_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

static inline double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of v[0..n-1]; sorts v. */
static inline double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A "Vm...:" field of /proc/PID/status in KiB (VmRSS, VmHWM); -1 if none. */
static inline long
proc_kb(long pid, const char *field)
{
	char path[64], line[256];
	size_t len = strlen(field);
	long kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, len) == 0 && line[len] == ':')
			kb = atol(line + len + 1);
	fclose(fp);
	return kb;
}

/*
 * The same summed over PID and the processes it started (a gateway's
 * parent, its key process and its network process).
 */
static inline long
proc_tree_kb(long pid, const char *field)
{
	char path[96];
	long kb = proc_kb(pid, field), child;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", pid, pid);
	if (kb < 0 || (fp = fopen(path, "r")) == NULL)
		return kb;
	while (fscanf(fp, "%ld", &child) == 1) {
		long c = proc_kb(child, field);

		if (c > 0)
			kb += c;
	}
	fclose(fp);
	return kb;
}

/*
 * CPU seconds a process has used, user and kernel (all its threads), from
 * /proc/PID/stat; -1 if it cannot be read.
 */
static inline int
proc_cpu(long pid, double *user, double *sys)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	size_t len;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	len = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	/* after the command's name, which may hold spaces: fields 3 to 15 */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %*c %*d %*d %*d "
	    "%*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	*user += (double)ut / (double)sysconf(_SC_CLK_TCK);
	*sys += (double)st / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

/* The same summed over PID and the processes it started. */
static inline int
proc_tree_cpu(long pid, double *user, double *sys)
{
	char path[96];
	long child;
	FILE *fp;

	*user = *sys = 0;
	if (proc_cpu(pid, user, sys) != 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", pid, pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fscanf(fp, "%ld", &child) == 1)
		(void)proc_cpu(child, user, sys);
	fclose(fp);
	return 0;
}

/*
 * Signatures (verify 0) or verifications (1) per second with pkey, of 64
 * bytes with SHA-256, in one thread for about `seconds`.
 */
static inline double
bench_crypto_rate(EVP_PKEY *pkey, int verify, double seconds)
{
	unsigned char msg[64] = "ketenpoort", sig[512];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	double start, elapsed;
	long n = 0;

	EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey);
	EVP_DigestSign(ctx, sig, &siglen, msg, sizeof(msg));
	start = now_s();
	do {
		for (int i = 0; i < 20; i++, n++) {
			size_t l = sizeof(sig);

			if (verify) {
				EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
				    pkey);
				EVP_DigestVerify(ctx, sig, siglen, msg, sizeof(msg));
			} else {
				EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
				    pkey);
				EVP_DigestSign(ctx, sig, &l, msg, sizeof(msg));
			}
		}
		elapsed = now_s() - start;
	} while (elapsed < seconds);
	EVP_MD_CTX_free(ctx);
	return (double)n / elapsed;
}

#endif
