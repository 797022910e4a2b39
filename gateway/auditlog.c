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
#include "kd.h"
#include "tls.h"
#include "util.h"

/* Append one column: "name=value\n" escaped, or "name\n" for NULL. */
static char *
column(char *buf, size_t *len, const char *name, const char *value)
{
	char *grown;

	if (buf == NULL || value != NULL)
		return buf == NULL ? NULL : kp_field_append(buf, len, name, value);
	if ((grown = realloc(buf, *len + strlen(name) + 2)) == NULL) {
		free(buf);
		return NULL;
	}
	*len += (size_t)sprintf(grown + *len, "%s\n", name);
	return grown;
}

char *
kp_audit_canonical(const struct kp_audit_entry *e, size_t *len)
{
	char seq[24], message[24], *buf = strdup("");

	*len = 0;
	snprintf(seq, sizeof(seq), "%lld", (long long)e->seq);
	snprintf(message, sizeof(message), "%lld", (long long)e->message);
	buf = column(buf, len, "seq", seq);
	buf = column(buf, len, "at", e->at);
	buf = column(buf, len, "direction", e->direction);
	buf = column(buf, len, "partner", e->partner_oin);
	buf = column(buf, len, "messageid", e->message_id);
	buf = column(buf, len, "berichtcode", e->berichtcode);
	buf = column(buf, len, "entiteittype", e->entiteittype);
	buf = column(buf, len, "subject", e->subject);
	buf = column(buf, len, "record", e->record);
	buf = column(buf, len, "velden", e->velden);
	buf = column(buf, len, "basis", e->basis);
	buf = column(buf, len, "doel", e->doel);
	buf = column(buf, len, "outcome", e->outcome);
	buf = column(buf, len, "code", e->code);
	buf = column(buf, len, "sha256", e->bytes_sha256);
	buf = column(buf, len, "message", e->message > 0 ? message : NULL);
	buf = column(buf, len, "detail", e->detail);
	return buf;
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
kp_audit_hash(const char *prev_hex, const struct kp_audit_entry *e,
    char out[65])
{
	unsigned char prev[32] = { 0 }, md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	size_t len;
	char *canon;
	int ok;

	if (prev_hex != NULL && *prev_hex != '\0' &&
	    unhex(prev_hex, prev, sizeof(prev)) != 0)
		return -1;
	if ((canon = kp_audit_canonical(e, &len)) == NULL)
		return -1;
	ok = (ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, prev, sizeof(prev)) == 1 &&
	    EVP_DigestUpdate(ctx, canon, len) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	EVP_MD_CTX_free(ctx);
	free(canon);
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
