/*
 * util — the few helpers every module needs: reading a file with a size
 * limit, SHA-256 in hex, UTC timestamps in the two formats of the protocol,
 * and fresh message identifiers.
 */
#ifndef KP_UTIL_H
#define KP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

/* Read a whole file of at most max bytes; *data is NUL-terminated. */
int	kp_read_file(const char *path, size_t max, char **data, size_t *len,
	    struct kp_err *err);
/* The line of the first NUL byte in text, 0 when there is none. */
int	kp_nul_line(const char *text, size_t len);
/*
 * A file that decides who may receive what (configuration, profiles, their
 * directory) must not be writable by group or others: KP_ERR_CONFIG with
 * the mode and the chmod that fixes it.
 */
int	kp_check_not_writable(const char *path, struct kp_err *err);
/*
 * A file that holds secrets (what is in it, for the message: "the "
 * "clients' secrets"): accessible to its owner alone, or KP_ERR_CONFIG
 * with the mode and the chmod that fixes it; then read like
 * kp_read_file().
 */
int	kp_read_secret_file(const char *path, const char *what, size_t max,
	    char **data, size_t *len, struct kp_err *err);
/* Write a file atomically (temp + rename) with the given mode. */
int	kp_write_file(const char *path, const void *data, size_t len,
	    unsigned mode, struct kp_err *err);

#define KP_SHA256_HEX_LEN 64
/* SHA-256 of no bytes, in hex. */
#define KP_SHA256_EMPTY \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
void	kp_sha256_hex(const void *data, size_t len,
	    char out[KP_SHA256_HEX_LEN + 1]);
void	kp_hex(const unsigned char *in, size_t len, char *out);

/* Milliseconds since the epoch, wall clock. */
int64_t	kp_now_ms(void);
/* "YYYY-MM-DDThh:mm:ss.sssZ" (24 chars + NUL). */
void	kp_time_iso(int64_t ms, char out[32]);
/* "yyyyMMddHHmmssSSS" (17 chars + NUL), StUF tijdstipBericht. */
void	kp_time_stuf(int64_t ms, char out[32]);
/* Parse "YYYY-MM-DDThh:mm:ss(.s{1,9})?Z" strictly; 0 or -1. */
int	kp_time_parse_iso(const char *s, int64_t *ms);

/* "urn:uuid:" + RFC 4122 version 4 UUID (45 chars + NUL). */
void	kp_new_message_id(char out[48]);
/* "urn:uuid:" and an RFC 4122 UUID (PROTOCOL.md 2: wsa:MessageID)? */
int	kp_message_id_valid(const char *s);
/* A bare RFC 4122 UUID (36 chars + NUL). */
void	kp_new_uuid(char out[40]);

/*
 * A bounded byte buffer: every byte read from the network goes into one of
 * these, with a maximum size it never exceeds.  Always NUL-terminated.
 */
struct kp_buf {
	char	*data;
	size_t	 len;
	size_t	 max;
	int	 overflow;	/* an append would have passed max */
};

void	kp_buf_init(struct kp_buf *b, size_t max);
/* 0, or -1 (nothing appended) when out of memory or past max. */
int	kp_buf_append(struct kp_buf *b, const void *p, size_t n);
/* Hand the bytes over (caller frees) and start empty again. */
char	*kp_buf_steal(struct kp_buf *b, size_t *len);
void	kp_buf_clear(struct kp_buf *b);

/* Remove every space, tab, CR and LF in place (wrapped base64); returns s. */
char	*kp_strip_space(char *s);

/*
 * A one-shot latch: one thread waits until another opens it.  For the few
 * places that turn an asynchronous completion back into a plain call.
 */
#include <pthread.h>

struct kp_latch {
	pthread_mutex_t	lock;
	pthread_cond_t	cond;
	int		open;
};

void	kp_latch_init(struct kp_latch *l);
void	kp_latch_open(struct kp_latch *l);
/* Wait until opened, then release the latch's resources. */
void	kp_latch_wait(struct kp_latch *l);

/* Text for people, JSON, CSV and markup: escape.h. */
#include "escape.h"

/* Portable "does not fit" check for snprintf results. */
#define KP_TRUNCATED(n, size)	((n) < 0 || (size_t)(n) >= (size))

#endif
