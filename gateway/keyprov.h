/*
 * keyprov — private keys the process does not hold (issue 16): an
 * OpenSSL 3 provider ("kpkey", built in) whose RSA and EC keys are a
 * public key plus a way to ask for signatures.  libssl (server and client
 * side), xmlsec and EVP_DigestSign use such a key like any other; every
 * private operation becomes one kp_keyask_fn call with the digest, and
 * the answer is the signature.
 *
 * Why a provider and not RSA_METHOD/EC_KEY_METHOD: those are deprecated in
 * OpenSSL 3, and for TLS 1.3's RSA-PSS they hand over an already padded
 * block, so the key process would have to offer a raw RSA operation (a
 * decryption oracle).  A provider's signature operation receives the
 * digest and the padding by name, which is exactly what keyproc.h asks.
 *
 * The provider's keys are only ever made by kp_keyprov_key: decoders and
 * key generation keep using OpenSSL's default provider, which fetches
 * prefer (kp_keyprov_init sets "?provider=default").  A kpkey key cannot
 * be exported: there is nothing private to export.
 */
#ifndef KP_KEYPROV_H
#define KP_KEYPROV_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "err.h"

/* keyproc.h's question: op, key, alg, md, data → status, answer. */
typedef uint32_t kp_keyask_fn(void *arg, uint32_t op, uint32_t key,
		    uint32_t alg, uint32_t md, const void *data, size_t len,
		    void *out, size_t *outlen);

/* Once per process, before the first kp_keyprov_key, in the main thread. */
int		kp_keyprov_init(struct kp_err *err);
/* After the last key is freed. */
void		kp_keyprov_cleanup(void);

/*
 * A key whose public half is pub (up-referenced) and whose private
 * operations are ask(arg, KP_KEYOP_SIGN, key_id, ...).  arg must outlive
 * the key.  NULL and err if pub is neither RSA nor EC.
 */
EVP_PKEY	*kp_keyprov_key(EVP_PKEY *pub, uint32_t key_id, kp_keyask_fn *ask,
		    void *arg, struct kp_err *err);

/* Is pkey one of this provider's keys? */
int		kp_keyprov_is_remote(const EVP_PKEY *pkey);

#endif
