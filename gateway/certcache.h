/*
 * certcache — certificates already checked against the trust store.
 *
 * Every message of a partner carries the same certificate; decoding it and
 * checking its chain and CRL is a large part of verifying a message under
 * OpenSSL 3.  A cache entry, keyed by the SHA-256 of the DER bytes, holds
 * the decoded certificate and is trusted for ttl seconds after its check;
 * then it is checked again.  Only certificates that passed are kept, at
 * most KP_CERTCACHE_SIZE of them (the oldest goes).  Thread-safe.
 */
#ifndef KP_CERTCACHE_H
#define KP_CERTCACHE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "err.h"

#define KP_CERTCACHE_SIZE	64

struct kp_certcache;

struct kp_certcache	*kp_certcache_new(X509_STORE *trust, int ttl_s);
void			 kp_certcache_free(struct kp_certcache *c);
/*
 * Check against this trust store from now on (a reload read the CA and CRL
 * again): every certificate is checked again, and a check that began
 * against the old store is not cached.  The old store stays the caller's.
 */
void			 kp_certcache_set_trust(struct kp_certcache *c,
			    X509_STORE *trust);

/*
 * The certificate with this DER encoding, checked (chain, validity, CRL) no
 * more than ttl seconds ago: a new reference, or NULL with err filled
 * (KP_ERR_CRYPTO, the reason in the message).
 */
X509	*kp_certcache_check(struct kp_certcache *c, const unsigned char *der,
	    size_t len, struct kp_err *err);

#endif
