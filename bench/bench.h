/*
 * bench.h — the few helpers the benchmark programs share: a monotonic
 * clock in seconds, the median of a set of runs, and a process's memory.
 */
#ifndef KP_BENCH_H
#define KP_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

#endif
