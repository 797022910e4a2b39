#include "autoconf.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"

static const char *log_ident = "ketenpoort";
static enum kp_log_level log_level = KP_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void
kp_log_init(const char *ident, enum kp_log_level level)
{
	log_ident = ident;
	log_level = level;
}

void
kp_log_set_level(enum kp_log_level level)
{
	log_level = level;
}

static void
vlog(const char *tag, const char *func, const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s.%03ldZ %s %s: %s: ", when, ts.tv_nsec / 1000000,
	    log_ident, tag, func);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
}

void
kp_log(enum kp_log_level level, const char *func, const char *fmt, ...)
{
	static const char *tags[] = { "warn", "info", "debug" };
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vlog(tags[level], func, fmt, ap);
	va_end(ap);
}

void
kp_fatal(const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", func, fmt, ap);
	va_end(ap);
	exit(1);
}
