/*
 * fuzz_keyreq — the key process's requests (keyproc.h kp_keyproc_answer)
 * on arbitrary bytes: what a network process taken over could send it.
 * Every answer is of this protocol; only a request of exactly the right
 * size is ever answered with data; a refusal carries none; every
 * signature given verifies against the key it was made with; every HMAC
 * is HMAC-SHA256 under the audit key.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "fuzz.h"
#include "keyproc.h"

static struct kp_keyset keys;
static int ready;
static long runs, answered, refused, wrong;

static const EVP_MD *
md_of(uint32_t md)
{
	return md == KP_KEYMD_SHA256 ? EVP_sha256() : md == KP_KEYMD_SHA384 ?
	    EVP_sha384() : md == KP_KEYMD_SHA512 ? EVP_sha512() : NULL;
}

/* Does the answer to q hold? */
static int
holds(const struct kp_keyreq *q, const struct kp_keyresp *r)
{
	unsigned char mac[64];
	unsigned int maclen = 0;
	EVP_PKEY_CTX *ctx;
	int ok;

	switch (q->op) {
	case KP_KEYOP_HMAC:
		HMAC(EVP_sha256(), keys.hmac, (int)keys.hmac_len, q->data,
		    q->len, mac, &maclen);
		return r->len == maclen && memcmp(r->data, mac, maclen) == 0;
	case KP_KEYOP_IDENT:
		return r->len > 0;
	case KP_KEYOP_SIGN:
		if ((ctx = EVP_PKEY_CTX_new(keys.pkey[q->key], NULL)) == NULL)
			return 0;
		ok = EVP_PKEY_verify_init(ctx) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(ctx, md_of(q->md)) == 1;
		if (ok && q->alg != KP_KEYALG_ECDSA)
			ok = EVP_PKEY_CTX_set_rsa_padding(ctx, q->alg ==
			    KP_KEYALG_RSA_PSS ? RSA_PKCS1_PSS_PADDING :
			    RSA_PKCS1_PADDING) == 1;
		ok = ok && EVP_PKEY_verify(ctx, r->data, r->len, q->data,
		    q->len) == 1;
		EVP_PKEY_CTX_free(ctx);
		return ok;
	default:
		return 0;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_keyresp r;
	struct kp_keyreq q;

	if (!ready) {
		keys.pkey[KP_KEY_TLS] = keys.pkey[KP_KEY_CHECKPOINT] =
		    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		keys.pkey[KP_KEY_WSS] = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
		    "P-256");
		memset(keys.hmac, 0x5a, 32);
		keys.hmac_len = 32;
		if (keys.pkey[KP_KEY_TLS] == NULL || keys.pkey[KP_KEY_WSS] == NULL)
			abort();
		ready = 1;
	}
	runs++;
	kp_keyproc_answer(&keys, data, size, &r);
	if (r.magic != KP_KEYREQ_MAGIC || (r.status != KP_KEYST_OK &&
	    r.len != 0) || r.len > sizeof(r.data)) {
		wrong++;
		return 0;
	}
	if (r.status != KP_KEYST_OK) {
		refused++;
		return 0;
	}
	memcpy(&q, data, sizeof(q) <= size ? sizeof(q) : size);
	if (size != sizeof(q) || !holds(&q, &r))
		wrong++;
	else
		answered++;
	return 0;
}

int
fuzz_replay_checks(int first)
{
	printf("%sok %d - %ld requests: %ld answered, %ld refused\n",
	    runs > 0 && answered > 0 && refused > 0 ? "" : "not ", first, runs,
	    answered, refused);
	printf("%sok %d - every answer of the protocol, none with data when "
	    "refused, every signature and HMAC right (%ld were not)\n",
	    wrong == 0 ? "" : "not ", first + 1, wrong);
	EVP_PKEY_free(keys.pkey[KP_KEY_TLS]);
	EVP_PKEY_free(keys.pkey[KP_KEY_WSS]);
	return 2;
}
