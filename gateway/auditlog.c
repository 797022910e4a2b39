#include "autoconf.h"

#include <errno.h>
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

/* Append one column: "name=value\n" escaped as kd's fields, or "name\n". */
static void
column(struct kp_audit_hasher *h, const char *name, const char *value)
{
	size_t namelen = strlen(name), vlen = value != NULL ? strlen(value) : 0;
	char *p;

	if (reserve(h, namelen + 2 * vlen + 2) != 0)
		return;
	p = h->buf + h->len;
	memcpy(p, name, namelen);
	p += namelen;
	if (value != NULL) {
		*p++ = '=';
		for (const char *v = value; *v != '\0'; v++) {
			if (*v == '\\' || *v == '\n') {
				*p++ = '\\';
				*p++ = *v == '\n' ? 'n' : '\\';
			} else {
				*p++ = *v;
			}
		}
	}
	*p++ = '\n';
	h->len = (size_t)(p - h->buf);
}

static void
canonical(struct kp_audit_hasher *h, const struct kp_audit_entry *e)
{
	char seq[24], message[24];

	h->len = 0;
	h->failed = 0;
	snprintf(seq, sizeof(seq), "%lld", (long long)e->seq);
	snprintf(message, sizeof(message), "%lld", (long long)e->message);
	column(h, "seq", seq);
	column(h, "at", e->at);
	column(h, "direction", e->direction);
	column(h, "partner", e->partner_oin);
	column(h, "messageid", e->message_id);
	column(h, "berichtcode", e->berichtcode);
	column(h, "entiteittype", e->entiteittype);
	column(h, "subject", e->subject);
	column(h, "record", e->record);
	column(h, "velden", e->velden);
	column(h, "basis", e->basis);
	column(h, "doel", e->doel);
	column(h, "outcome", e->outcome);
	column(h, "code", e->code);
	column(h, "sha256", e->bytes_sha256);
	column(h, "message", e->message > 0 ? message : NULL);
	column(h, "detail", e->detail);
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

static int
unhex(const char *hex, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;

		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + k];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else
				return -1;
		}
		out[i] = (unsigned char)v;
	}
	return hex[2 * n] == '\0' ? 0 : -1;
}

int
kp_audit_hash(struct kp_audit_hasher *h, const char *prev_hex,
    const struct kp_audit_entry *e, char out[65])
{
	struct kp_audit_hasher *own = NULL;
	unsigned char prev[32] = { 0 }, md[32];
	unsigned int mdlen = 0;
	int ok;

	if (prev_hex != NULL && *prev_hex != '\0' &&
	    unhex(prev_hex, prev, sizeof(prev)) != 0)
		return -1;
	if (h == NULL && (h = own = kp_audit_hasher_new()) == NULL)
		return -1;
	canonical(h, e);
	ok = !h->failed &&
	    EVP_DigestInit_ex(h->ctx, h->md, NULL) == 1 &&
	    EVP_DigestUpdate(h->ctx, prev, sizeof(prev)) == 1 &&
	    EVP_DigestUpdate(h->ctx, h->buf, h->len) == 1 &&
	    EVP_DigestFinal_ex(h->ctx, md, &mdlen) == 1;
	kp_audit_hasher_free(own);
	if (!ok)
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
