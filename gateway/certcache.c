#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "certcache.h"
#include "tls.h"
#include "util.h"

struct entry {
	unsigned char	 sha[32];
	X509		*cert;
	int64_t		 checked_ms;
};

struct kp_certcache {
	pthread_mutex_t	 lock;
	X509_STORE	*trust;
	int64_t		 ttl_ms;
	struct entry	 e[KP_CERTCACHE_SIZE];
};

struct kp_certcache *
kp_certcache_new(X509_STORE *trust, int ttl_s)
{
	struct kp_certcache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->trust = trust;
	c->ttl_ms = (int64_t)ttl_s * 1000;
	return c;
}

void
kp_certcache_free(struct kp_certcache *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < KP_CERTCACHE_SIZE; i++)
		X509_free(c->e[i].cert);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void
kp_certcache_set_trust(struct kp_certcache *c, X509_STORE *trust)
{
	pthread_mutex_lock(&c->lock);
	c->trust = trust;
	for (int i = 0; i < KP_CERTCACHE_SIZE; i++) {
		X509_free(c->e[i].cert);
		memset(&c->e[i], 0, sizeof(c->e[i]));
	}
	pthread_mutex_unlock(&c->lock);
}

X509 *
kp_certcache_check(struct kp_certcache *c, const unsigned char *der,
    size_t len, struct kp_err *err)
{
	unsigned char sha[32];
	unsigned int shalen = sizeof(sha);
	const unsigned char *p = der;
	int64_t now = kp_now_ms();
	X509 *cert = NULL;
	X509_STORE *trust;
	int oldest = 0;

	EVP_Digest(der, len, sha, &shalen, EVP_sha256(), NULL);
	pthread_mutex_lock(&c->lock);
	trust = c->trust;
	for (int i = 0; i < KP_CERTCACHE_SIZE; i++) {
		struct entry *e = &c->e[i];

		if (e->cert != NULL && memcmp(e->sha, sha, 32) == 0 &&
		    now - e->checked_ms < c->ttl_ms) {
			X509_up_ref(e->cert);
			pthread_mutex_unlock(&c->lock);
			return e->cert;
		}
		if (e->checked_ms < c->e[oldest].checked_ms)
			oldest = i;
	}
	pthread_mutex_unlock(&c->lock);

	cert = d2i_X509(NULL, &p, (long)len);
	if (cert == NULL || p != der + len) {
		X509_free(cert);
		kp_fail(err, KP_ERR_CRYPTO, "not one DER certificate");
		return NULL;
	}
	for (;;) {
		if (kp_trust_check(trust, cert, 0, err) != KP_OK) {
			X509_free(cert);
			return NULL;
		}
		pthread_mutex_lock(&c->lock);
		if (c->trust == trust)
			break;
		/* A reload replaced the store meanwhile: check against it. */
		trust = c->trust;
		pthread_mutex_unlock(&c->lock);
	}
	/* Replace a stale copy of the same certificate, else the oldest. */
	for (int i = 0; i < KP_CERTCACHE_SIZE; i++)
		if (c->e[i].cert != NULL && memcmp(c->e[i].sha, sha, 32) == 0)
			oldest = i;
	X509_free(c->e[oldest].cert);
	memcpy(c->e[oldest].sha, sha, 32);
	X509_up_ref(cert);
	c->e[oldest].cert = cert;
	c->e[oldest].checked_ms = now;
	pthread_mutex_unlock(&c->lock);
	return cert;
}
