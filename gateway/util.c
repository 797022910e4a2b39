#include "autoconf.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <uuid/uuid.h>

#include "util.h"

int
kp_nul_line(const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);
	int line = 1;

	if (nul == NULL)
		return 0;
	for (const char *p = text; p < nul; p++)
		line += *p == '\n';
	return line;
}

int
kp_read_secret_file(const char *path, const char *what, size_t max,
    char **data, size_t *len, struct kp_err *err)
{
	struct stat st;

	*data = NULL;
	if (stat(path, &st) != 0)
		return kp_fail(err, KP_ERR_CONFIG, "%s: %s", path,
		    strerror(errno));
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return kp_fail(err, KP_ERR_CONFIG, "%s holds %s but is "
		    "accessible to group or others (mode %04o); run: chmod 600 "
		    "%s", path, what, (unsigned)(st.st_mode & 07777), path);
	return kp_read_file(path, max, data, len, err);
}

int
kp_check_not_writable(const char *path, struct kp_err *err)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return kp_fail(err, KP_ERR_SYS, "%s: %s", path, strerror(errno));
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return KP_OK;
	return kp_fail(err, KP_ERR_CONFIG, "%s is writable by %s (mode %04o), "
	    "and it decides who may receive what: chmod go-w %s", path,
	    (st.st_mode & S_IWGRP) && (st.st_mode & S_IWOTH) ? "group and "
	    "others" : st.st_mode & S_IWGRP ? "its group" : "others",
	    (unsigned)(st.st_mode & 07777), path);
}

int
kp_read_file(const char *path, size_t max, char **data, size_t *len,
    struct kp_err *err)
{
	char *buf = NULL;
	size_t used = 0, cap = 0;
	int fd, ret = KP_ERR_SYS;

	*data = NULL;
	if (len != NULL)
		*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return kp_fail(err, KP_ERR_SYS, "%s: cannot open: %s", path,
		    strerror(errno));
	for (;;) {
		ssize_t n;

		if (cap - used < 4096 + 1) {
			size_t ncap = cap == 0 ? 8192 : cap * 2;
			char *nbuf;

			if (ncap > max + 4096 + 1)
				ncap = max + 4096 + 1;
			if ((nbuf = realloc(buf, ncap)) == NULL) {
				ret = kp_fail(err, KP_ERR_NOMEM, "%s: out of memory", path);
				goto out;
			}
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			ret = kp_fail(err, KP_ERR_SYS, "%s: read: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			ret = kp_fail(err, KP_ERR_SYS,
			    "%s: larger than the limit of %zu bytes", path, max);
			goto out;
		}
	}
	if (buf == NULL && (buf = malloc(1)) == NULL) {
		ret = kp_fail(err, KP_ERR_NOMEM, "%s: out of memory", path);
		goto out;
	}
	buf[used] = '\0';
	*data = buf;
	buf = NULL;
	if (len != NULL)
		*len = used;
	ret = KP_OK;
out:
	free(buf);
	close(fd);
	return ret;
}

int
kp_write_file(const char *path, const void *data, size_t len, unsigned mode,
    struct kp_err *err)
{
	char tmp[4096];
	const char *p = data;
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (KP_TRUNCATED(n, sizeof(tmp)))
		return kp_fail(err, KP_ERR_SYS, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1)
		return kp_fail(err, KP_ERR_SYS, "%s: cannot create: %s", tmp,
		    strerror(errno));
	/* open() honours the umask; the mode asked for is the mode we get. */
	if (fchmod(fd, mode) == -1)
		goto fail;
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			goto fail;
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) == -1) {
		fd = -1;
		goto fail;
	}
	return KP_OK;
fail:
	n = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return kp_fail(err, KP_ERR_SYS, "%s: cannot write: %s", path,
	    strerror(n));
}

void
kp_hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

void
kp_sha256_hex(const void *data, size_t len, char out[KP_SHA256_HEX_LEN + 1])
{
	unsigned char md[32];
	unsigned int mdlen = sizeof(md);

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	kp_hex(md, 32, out);
}

int64_t
kp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
split_ms(int64_t ms, struct tm *tm, int *millis)
{
	time_t secs = (time_t)(ms / 1000);

	*millis = (int)(ms % 1000);
	gmtime_r(&secs, tm);
}

/* fmt takes year, month, day, hour, minute, second, millisecond. */
static void
format_time(int64_t ms, const char *fmt, char out[32])
{
	struct tm tm;
	int millis;

	split_ms(ms, &tm, &millis);
	snprintf(out, 32, fmt,
	    (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
	    (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
	    (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u,
	    (unsigned)millis % 1000u);
}

void
kp_time_iso(int64_t ms, char out[32])
{
	format_time(ms, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", out);
}

void
kp_time_stuf(int64_t ms, char out[32])
{
	format_time(ms, "%04u%02u%02u%02u%02u%02u%03u", out);
}

static int
digits(const char *s, int n, int *val)
{
	*val = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*val = *val * 10 + (s[i] - '0');
	}
	return 0;
}

int
kp_time_parse_iso(const char *s, int64_t *ms)
{
	struct tm tm;
	int year, mon, day, hour, min, sec, millis = 0;
	const char *p;
	time_t t;

	if (strlen(s) < 20)
		return -1;
	if (digits(s, 4, &year) || s[4] != '-' || digits(s + 5, 2, &mon) ||
	    s[7] != '-' || digits(s + 8, 2, &day) || s[10] != 'T' ||
	    digits(s + 11, 2, &hour) || s[13] != ':' ||
	    digits(s + 14, 2, &min) || s[16] != ':' || digits(s + 17, 2, &sec))
		return -1;
	p = s + 19;
	if (*p == '.') {
		int n = 0, scale = 100;

		for (p++; isdigit((unsigned char)*p); p++, n++) {
			millis += (*p - '0') * scale;
			scale /= 10;
		}
		if (n < 1 || n > 9)
			return -1;
	}
	if (p[0] != 'Z' || p[1] != '\0')
		return -1;
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 ||
	    min > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*ms = (int64_t)t * 1000 + millis;
	return 0;
}

int
kp_message_id_valid(const char *s)
{
	uuid_t u;

	/* libuuid reads the 8-4-4-4-12 hex form; RFC 4122's variant bits */
	return strncmp(s, "urn:uuid:", 9) == 0 && strlen(s) == 45 &&
	    uuid_parse(s + 9, u) == 0 && uuid_variant(u) == UUID_VARIANT_DCE;
}

void
kp_new_uuid(char out[40])
{
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
}

void
kp_new_message_id(char out[48])
{
	char u[40];

	kp_new_uuid(u);
	snprintf(out, 48, "urn:uuid:%.36s", u);
}

char *
kp_strip_space(char *s)
{
	char *in, *o;

	if (s == NULL)
		return NULL;
	for (in = o = s; *in != '\0'; in++)
		if (*in != ' ' && *in != '\t' && *in != '\r' && *in != '\n')
			*o++ = *in;
	*o = '\0';
	return s;
}

void
kp_latch_init(struct kp_latch *l)
{
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	l->open = 0;
}

void
kp_latch_open(struct kp_latch *l)
{
	pthread_mutex_lock(&l->lock);
	l->open = 1;
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

void
kp_latch_wait(struct kp_latch *l)
{
	pthread_mutex_lock(&l->lock);
	while (!l->open)
		pthread_cond_wait(&l->cond, &l->lock);
	pthread_mutex_unlock(&l->lock);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->cond);
}

void
kp_buf_init(struct kp_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->max = max;
	b->overflow = 0;
}

int
kp_buf_append(struct kp_buf *b, const void *p, size_t n)
{
	char *grown;

	if (n > b->max - b->len) {
		b->overflow = 1;
		return -1;
	}
	if ((grown = realloc(b->data, b->len + n + 1)) == NULL)
		return -1;
	b->data = grown;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

char *
kp_buf_steal(struct kp_buf *b, size_t *len)
{
	char *data = b->data;

	if (len != NULL)
		*len = b->len;
	kp_buf_init(b, b->max);
	return data;
}

void
kp_buf_clear(struct kp_buf *b)
{
	free(b->data);
	kp_buf_init(b, b->max);
}

