/*
 * keyproc — the key process's protocol (keyproc.h): the answering loop
 * and the asking call.  Only libcrypto here.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "keyproc.h"

const char *
kp_key_status_str(uint32_t status)
{
	switch (status) {
	case KP_KEYST_OK:	return "ok";
	case KP_KEYST_SIZE:	return "a request of the wrong size";
	case KP_KEYST_MAGIC:	return "not a key request";
	case KP_KEYST_OP:	return "an unknown operation";
	case KP_KEYST_KEY:	return "an unknown key, or one not loaded";
	case KP_KEYST_ALG:	return "an algorithm the key cannot do";
	case KP_KEYST_LEN:	return "data of the wrong length";
	case KP_KEYST_FAIL:	return "the key's operation failed";
	default:		return "no answer from the key process";
	}
}

static const EVP_MD *
md_of(uint32_t md, size_t *len)
{
	switch (md) {
	case KP_KEYMD_SHA256:	*len = 32; return EVP_sha256();
	case KP_KEYMD_SHA384:	*len = 48; return EVP_sha384();
	case KP_KEYMD_SHA512:	*len = 64; return EVP_sha512();
	default:		*len = 0; return NULL;
	}
}

static uint32_t
sign(const struct kp_keyset *keys, const struct kp_keyreq *q,
    struct kp_keyresp *r)
{
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *ctx;
	const EVP_MD *md;
	size_t mdlen, siglen = sizeof(r->data);
	int type, ok;

	if (q->key == KP_KEY_AUDIT || (pkey = keys->pkey[q->key]) == NULL)
		return KP_KEYST_KEY;
	type = EVP_PKEY_get_base_id(pkey);
	if (q->alg == KP_KEYALG_ECDSA ? type != EVP_PKEY_EC :
	    (q->alg != KP_KEYALG_RSA_PKCS1 && q->alg != KP_KEYALG_RSA_PSS) ||
	    type != EVP_PKEY_RSA)
		return KP_KEYST_ALG;
	if ((md = md_of(q->md, &mdlen)) == NULL || q->len != mdlen)
		return KP_KEYST_LEN;
	if ((ctx = EVP_PKEY_CTX_new(pkey, NULL)) == NULL)
		return KP_KEYST_FAIL;
	ok = EVP_PKEY_sign_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, md) == 1;
	if (ok && q->alg != KP_KEYALG_ECDSA)
		ok = EVP_PKEY_CTX_set_rsa_padding(ctx, q->alg == KP_KEYALG_RSA_PSS ?
		    RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) == 1 &&
		    (q->alg != KP_KEYALG_RSA_PSS ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST)
		    == 1);
	ok = ok && EVP_PKEY_sign(ctx, r->data, &siglen, q->data, q->len) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		return KP_KEYST_FAIL;
	r->len = (uint32_t)siglen;
	return KP_KEYST_OK;
}

static uint32_t
hmac(const struct kp_keyset *keys, const struct kp_keyreq *q,
    struct kp_keyresp *r)
{
	unsigned int len = 0;

	if (q->key != KP_KEY_AUDIT || keys->hmac_len == 0)
		return KP_KEYST_KEY;
	if (q->alg != KP_KEYALG_NONE || q->md != KP_KEYMD_SHA256)
		return KP_KEYST_ALG;
	if (q->len == 0 || q->len > KP_KEYREQ_DATA)
		return KP_KEYST_LEN;
	if (HMAC(EVP_sha256(), keys->hmac, (int)keys->hmac_len, q->data,
	    q->len, r->data, &len) == NULL)
		return KP_KEYST_FAIL;
	r->len = len;
	return KP_KEYST_OK;
}

static uint32_t
ident(const struct kp_keyset *keys, const struct kp_keyreq *q,
    struct kp_keyresp *r)
{
	unsigned char *p = r->data;
	int n;

	if (q->key == KP_KEY_AUDIT || keys->pkey[q->key] == NULL)
		return KP_KEYST_KEY;
	if (q->len != 0)
		return KP_KEYST_LEN;
	if ((n = i2d_PUBKEY(keys->pkey[q->key], NULL)) <= 0 ||
	    n > KP_KEYRESP_DATA)
		return KP_KEYST_FAIL;
	i2d_PUBKEY(keys->pkey[q->key], &p);
	r->len = (uint32_t)n;
	return KP_KEYST_OK;
}

void
kp_keyproc_answer(const struct kp_keyset *keys, const void *req, size_t n,
    struct kp_keyresp *r)
{
	struct kp_keyreq q;

	memset(r, 0, sizeof(*r));
	r->magic = KP_KEYREQ_MAGIC;
	if (n != sizeof(q)) {
		r->status = KP_KEYST_SIZE;
		return;
	}
	memcpy(&q, req, sizeof(q));
	if (q.magic != KP_KEYREQ_MAGIC)
		r->status = KP_KEYST_MAGIC;
	else if (q.key == 0 || q.key >= KP_KEY_MAX)
		r->status = q.op >= KP_KEYOP_SIGN && q.op <= KP_KEYOP_IDENT ?
		    KP_KEYST_KEY : KP_KEYST_OP;
	else if (q.len > KP_KEYREQ_DATA)
		r->status = KP_KEYST_LEN;
	else if (q.op == KP_KEYOP_SIGN)
		r->status = sign(keys, &q, r);
	else if (q.op == KP_KEYOP_HMAC)
		r->status = hmac(keys, &q, r);
	else if (q.op == KP_KEYOP_IDENT)
		r->status = ident(keys, &q, r);
	else
		r->status = KP_KEYST_OP;
	if (r->status != KP_KEYST_OK)
		r->len = 0;
	OPENSSL_cleanse(&q, sizeof(q));
}

int
kp_keyproc_serve(int fd, const struct kp_keyset *keys)
{
	/* one more than a request: a longer message shows as too long */
	unsigned char buf[sizeof(struct kp_keyreq) + 1];
	struct kp_keyresp resp;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_TRUNC);

		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		kp_keyproc_answer(keys, buf, (size_t)n, &resp);
		OPENSSL_cleanse(buf, sizeof(buf));
		if (send(fd, &resp, sizeof(resp), MSG_NOSIGNAL) !=
		    (ssize_t)sizeof(resp))
			return -1;
	}
}

uint32_t
kp_keyproc_ask(int fd, uint32_t op, uint32_t key, uint32_t alg, uint32_t md,
    const void *data, size_t len, void *out, size_t *outlen)
{
	struct kp_keyreq q;
	struct kp_keyresp r;
	ssize_t n;

	if (len > sizeof(q.data))
		return KP_KEYST_LEN;
	memset(&q, 0, sizeof(q));
	q.magic = KP_KEYREQ_MAGIC;
	q.op = op;
	q.key = key;
	q.alg = alg;
	q.md = md;
	q.len = (uint32_t)len;
	if (len > 0)
		memcpy(q.data, data, len);
	n = send(fd, &q, sizeof(q), MSG_NOSIGNAL);
	OPENSSL_cleanse(&q, sizeof(q));
	if (n != (ssize_t)sizeof(q))
		return UINT32_MAX;
	do
		n = recv(fd, &r, sizeof(r), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(r) || r.magic != KP_KEYREQ_MAGIC)
		return UINT32_MAX;
	if (r.status == KP_KEYST_OK) {
		if (r.len > *outlen || r.len > sizeof(r.data))
			return KP_KEYST_LEN;
		memcpy(out, r.data, r.len);
		*outlen = r.len;
	}
	return r.status;
}
