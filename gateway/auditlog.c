#include "autoconf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auditlog.h"
#include "tls.h"
#include "util.h"

/* A reusable digest context and buffer for the canonical form. */
struct kp_audit_hasher {
	EVP_MD_CTX	*ctx;
	EVP_MD		*md;
	char		*buf;
	size_t		 len, cap;
	int		 failed;
};

struct kp_audit_hasher *
kp_audit_hasher_new(void)
{
	struct kp_audit_hasher *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	/* fetched once: OpenSSL 3's implicit fetch per digest costs more */
	if ((h->ctx = EVP_MD_CTX_new()) == NULL ||
	    (h->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		kp_audit_hasher_free(h);
		return NULL;
	}
	return h;
}

void
kp_audit_hasher_free(struct kp_audit_hasher *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	free(h->buf);
	free(h);
}

/* Room for n more bytes in h->buf. */
static int
reserve(struct kp_audit_hasher *h, size_t n)
{
	char *grown;
	size_t cap;

	if (h->len + n <= h->cap)
		return 0;
	cap = h->cap ? h->cap : 512;
	while (cap < h->len + n)
		cap *= 2;
	if ((grown = realloc(h->buf, cap)) == NULL) {
		h->failed = 1;
		return -1;
	}
	h->buf = grown;
	h->cap = cap;
	return 0;
}

/*
 * Append one column: "name=value\n" escaped as kd's fields, or "name\n".
 * One pass over the value: runs without a backslash or newline are
 * copied whole (this is most of audit verify's time outside SHA-256).
 */
static void
column(struct kp_audit_hasher *h, const char *name, size_t namelen,
    const char *value)
{
	if (reserve(h, namelen + 2) != 0)
		return;
	memcpy(h->buf + h->len, name, namelen);
	h->len += namelen;
	if (value != NULL) {
		h->buf[h->len++] = '=';
		for (const char *v = value;; ) {
			size_t run = strcspn(v, "\\\n");

			if (reserve(h, run + 3) != 0)
				return;
			memcpy(h->buf + h->len, v, run);
			h->len += run;
			v += run;
			if (*v == '\0')
				break;
			h->buf[h->len++] = '\\';
			h->buf[h->len++] = *v++ == '\n' ? 'n' : '\\';
		}
	}
	h->buf[h->len++] = '\n';
}

#define COLUMN(h, name, value)	column((h), name, sizeof(name) - 1, (value))

/* The decimal digits of v (>= 0 in the log; a sign otherwise) in out. */
static void
decimal(int64_t v, char out[24])
{
	char rev[24];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t n = 0, i = 0;

	do {
		rev[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		out[i++] = '-';
	while (n > 0)
		out[i++] = rev[--n];
	out[i] = '\0';
}

static void
canonical(struct kp_audit_hasher *h, const struct kp_audit_entry *e)
{
	char seq[24], message[24];

	h->len = 0;
	h->failed = 0;
	decimal(e->seq, seq);
	decimal(e->message, message);
	COLUMN(h, "seq", seq);
	COLUMN(h, "at", e->at);
	COLUMN(h, "direction", e->direction);
	COLUMN(h, "partner", e->partner_oin);
	COLUMN(h, "messageid", e->message_id);
	COLUMN(h, "berichtcode", e->berichtcode);
	COLUMN(h, "entiteittype", e->entiteittype);
	COLUMN(h, "subject", e->subject);
	COLUMN(h, "record", e->record);
	COLUMN(h, "velden", e->velden);
	COLUMN(h, "basis", e->basis);
	COLUMN(h, "doel", e->doel);
	COLUMN(h, "outcome", e->outcome);
	COLUMN(h, "code", e->code);
	COLUMN(h, "sha256", e->bytes_sha256);
	COLUMN(h, "message", e->message > 0 ? message : NULL);
	COLUMN(h, "detail", e->detail);
}

void
kp_audit_record(char *out, size_t outlen, const char *entiteittype,
    const char *bron, const char *identificatie, uint64_t bronversie)
{
	snprintf(out, outlen, "%s|%s|%s|%llu", entiteittype, bron, identificatie,
	    (unsigned long long)bronversie);
}

char *
kp_audit_canonical(const struct kp_audit_entry *e, size_t *len)
{
	struct kp_audit_hasher h = { 0 };
	char *out;

	canonical(&h, e);
	if (h.failed || (out = malloc(h.len + 1)) == NULL) {
		free(h.buf);
		return NULL;
	}
	memcpy(out, h.buf, h.len);
	out[h.len] = '\0';
	*len = h.len;
	free(h.buf);
	return out;
}

/*
 * The value of each lowercase hex digit, plus 1 (0: not one); a table,
 * as audit verify decodes two hashes for every entry.
 */
static const unsigned char hexval[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

/* Exactly 2n lowercase hex digits into n bytes; -1 otherwise. */
static int
unhex(const char *hex, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char hi, lo;

		/* a zero is also the end of a short string: stop there */
		if ((hi = hexval[(unsigned char)hex[2 * i]]) == 0 ||
		    (lo = hexval[(unsigned char)hex[2 * i + 1]]) == 0)
			return -1;
		out[i] = (unsigned char)((hi - 1) << 4 | (lo - 1));
	}
	return hex[2 * n] == '\0' ? 0 : -1;
}

int
kp_audit_hash_parse(const char *hex, unsigned char out[KP_AUDIT_HASH_LEN])
{
	return hex != NULL ? unhex(hex, out, KP_AUDIT_HASH_LEN) : -1;
}

int
kp_audit_digest(struct kp_audit_hasher *h,
    const unsigned char prev[KP_AUDIT_HASH_LEN], const struct kp_audit_entry *e,
    unsigned char md[KP_AUDIT_HASH_LEN])
{
	static const unsigned char start[KP_AUDIT_HASH_LEN];
	struct kp_audit_hasher *own = NULL;
	unsigned int mdlen = 0;
	int ok;

	if (h == NULL && (h = own = kp_audit_hasher_new()) == NULL)
		return -1;
	canonical(h, e);
	ok = !h->failed &&
	    EVP_DigestInit_ex(h->ctx, h->md, NULL) == 1 &&
	    EVP_DigestUpdate(h->ctx, prev != NULL ? prev : start,
	    KP_AUDIT_HASH_LEN) == 1 &&
	    EVP_DigestUpdate(h->ctx, h->buf, h->len) == 1 &&
	    EVP_DigestFinal_ex(h->ctx, md, &mdlen) == 1;
	kp_audit_hasher_free(own);
	return ok ? 0 : -1;
}

int
kp_audit_hash(struct kp_audit_hasher *h, const char *prev_hex,
    const struct kp_audit_entry *e, char out[65])
{
	unsigned char prev[KP_AUDIT_HASH_LEN], md[KP_AUDIT_HASH_LEN];
	int start = prev_hex == NULL || *prev_hex == '\0';

	if (!start && unhex(prev_hex, prev, sizeof(prev)) != 0)
		return -1;
	if (kp_audit_digest(h, start ? NULL : prev, e, md) != 0)
		return -1;
	kp_hex(md, sizeof(md), out);
	return 0;
}

void
kp_audit_pseudonym(const unsigned char key[KP_AUDIT_KEY_LEN], const char *bsn,
    char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	HMAC(EVP_sha256(), key, KP_AUDIT_KEY_LEN, (const unsigned char *)bsn,
	    strlen(bsn), md, &mdlen);
	kp_hex(md, 32, out);
}

int
kp_audit_key_load(const char *path, int create,
    unsigned char key[KP_AUDIT_KEY_LEN], int *created, struct kp_err *err)
{
	struct stat sb;
	char *text = NULL, hex[2 * KP_AUDIT_KEY_LEN + 2];
	size_t len;
	int ret;

	*created = 0;
	if (stat(path, &sb) == -1 && errno == ENOENT && create) {
		if (RAND_bytes(key, KP_AUDIT_KEY_LEN) != 1)
			return kp_fail(err, KP_ERR_CRYPTO, "%s: no randomness for "
			    "a new audit key", path);
		kp_hex(key, KP_AUDIT_KEY_LEN, hex);
		strcat(hex, "\n");
		if ((ret = kp_write_file(path, hex, strlen(hex), 0600, err)) != KP_OK)
			return ret;
		*created = 1;
		return KP_OK;
	}
	if ((ret = kp_key_file_check(path, err)) != KP_OK)
		return ret;
	if ((ret = kp_read_file(path, 256, &text, &len, err)) != KP_OK)
		return ret;
	kp_strip_space(text);
	ret = unhex(text, key, KP_AUDIT_KEY_LEN) == 0 ? KP_OK :
	    kp_fail(err, KP_ERR_CONFIG, "%s: not an audit key (64 hex digits "
	    "expected); restore it from the backup, the pseudonyms in the "
	    "audit log depend on it", path);
	free(text);
	return ret;
}
