#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "log.h"

static const char *log_ident = "ketenpoort";
/* Set by a reload on one thread, read on all. */
static _Atomic int log_level = KP_LOG_INFO;
static _Atomic int log_floor = KP_LOG_WARN;	/* serve -v: at least debug */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int to_journal;	/* stderr is systemd's journal stream */

/*
 * systemd sets JOURNAL_STREAM to the device and inode of the stream it
 * connected stderr to (systemd.exec(5)): then each line starts with its
 * syslog priority as "<N>" (sd-daemon(3)) and the journal adds the time.
 */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev ==
	    dev && (unsigned long long)st.st_ino == ino;
}

void
kp_log_init(const char *ident, enum kp_log_level level)
{
	log_ident = ident;
	log_level = level;
	to_journal = stderr_is_journal();
}

void
kp_log_set_level(enum kp_log_level level)
{
	log_level = (int)level > log_floor ? (int)level : log_floor;
}

void
kp_log_set_floor(enum kp_log_level level)
{
	log_floor = (int)level;
	if (log_level < log_floor)
		log_level = log_floor;
}

static void
vlog(int prio, const char *tag, const char *func, const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	char when[32], *text = NULL, *line = NULL;
	size_t linelen = 0;
	FILE *out;
	int len;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	/*
	 * The line is made first and written with one write(2): the key,
	 * network and parent processes share stderr (O_APPEND), and their
	 * lines must not interleave.
	 */
	if ((out = open_memstream(&line, &linelen)) == NULL)
		return;
	if (to_journal)
		fprintf(out, "<%d>%s: %s: ", prio, tag, func);
	else
		fprintf(out, "%s.%03ldZ %s %s: %s: ", when,
		    ts.tv_nsec / 1000000, log_ident, tag, func);
	/* a partner's words may be in it: no control reaches the log */
	if ((len = vasprintf(&text, fmt, ap)) >= 0)
		kp_text_write(out, text, (size_t)len, 0);
	fputc('\n', out);
	if (fclose(out) == 0) {
		pthread_mutex_lock(&log_lock);
		for (size_t off = 0; off < linelen; ) {
			ssize_t n = write(STDERR_FILENO, line + off,
			    linelen - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		pthread_mutex_unlock(&log_lock);
	}
	free(line);
	free(text);
}

void
kp_log(enum kp_log_level level, const char *func, const char *fmt, ...)
{
	static const char *tags[] = { "warn", "info", "debug" };
	static const int prios[] = { 4, 6, 7 };	/* LOG_WARNING, INFO, DEBUG */
	va_list ap;

	if ((int)level > log_level)
		return;
	va_start(ap, fmt);
	vlog(prios[level], tags[level], func, fmt, ap);
	va_end(ap);
}

void
kp_fatal(const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(3, "fatal", func, fmt, ap);	/* LOG_ERR */
	va_end(ap);
	exit(1);
}
