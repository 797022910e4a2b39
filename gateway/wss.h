/*
 * wss — WS-Security signatures with xmlsec, restricted as PROTOCOL.md §2.1
 * rules 3 and 4 say.
 *
 * Signing (the test tools only; the gateway's messages are written and
 * signed by envwrite.c): the template from envelope.c, our key, our
 * certificate in the BinarySecurityToken.
 *
 * Verifying: the reference set must be exactly the nodes struct kp_env
 * points at (anti-wrapping); KeyInfo may only point at the
 * BinarySecurityToken; the certificate is checked by us against the
 * trust store and its key handed to xmlsec, which never looks for a key
 * itself; only exc-c14n, SHA-256, RSA-SHA256 (>= 2048 bits) and
 * ECDSA-SHA256 (P-256) are enabled; manifests are ignored.
 */
#ifndef KP_WSS_H
#define KP_WSS_H

#include <stdint.h>

#include <openssl/x509.h>

#include "envelope.h"
#include "err.h"
#include "keyprov.h"

struct kp_signer {
	EVP_PKEY	*pkey;		/* WS-Security */
	EVP_PKEY	*tls_pkey;	/* TLS, server and client side */
	EVP_PKEY	*checkpoint_pkey; /* the audit checkpoints */
	X509		*cert;
	STACK_OF(X509)	*chain;		/* the certificates after it in its file */
	char		*cert_b64;	/* base64 DER for the token */
	int		 ec;
	char		 oin[24];
};

/* allow_weak: accept keys below the protocol's minimum (test tools only). */
struct kp_signer *kp_signer_load(const char *cert_path, const char *key_path,
		    int allow_weak, struct kp_err *err);
/*
 * The same with a key that stays in the key process (keyprov.h): pkey's
 * private operations are ask(arg, ...).  The certificate's public key
 * must be the key process's, or it is refused as not belonging.
 */
struct kp_signer *kp_signer_remote(const char *cert_path, kp_keyask_fn *ask,
		    void *arg, struct kp_err *err);
void		  kp_signer_free(struct kp_signer *s);

/* Register every wsu:Id as an ID; a duplicate is KP010. */
int	kp_wss_register_ids(xmlDocPtr doc, struct kp_err *err);

int	kp_wss_sign(const struct kp_signer *s, struct kp_env *env,
	    struct kp_err *err);

struct kp_certcache;

struct kp_wss_policy {
	X509_STORE	*trust;
	struct kp_certcache *cache;	/* NULL: check every certificate afresh */
	const char	*expected_oin;	/* TLS peer's OIN (request) or partner's */
	int64_t		 at_ms;		/* check the certificate as of; 0: now */
};

struct kp_wss_result {
	X509	*cert;				/* the signer's, checked */
	char	 signer_oin[24];
	char	*signature_value;		/* for SignatureConfirmation */
	char	*body_digest;			/* base64 SHA-256 of the Body */
};

/*
 * Rules 2.1.3 and 2.1.4 on an inspected envelope.  KP010 or KP011 on
 * failure.  *out is filled on success and must be cleared with
 * kp_wss_result_clear().
 */
int	kp_wss_verify(struct kp_env *env, const struct kp_wss_policy *policy,
	    struct kp_wss_result *out, struct kp_err *err);
void	kp_wss_result_clear(struct kp_wss_result *r);

/*
 * xmlsec's part of kp_wss_verify alone: the IDs registered, then the
 * signature and its references verified with pkey, in the context §2.1
 * restricts.  None of our checks around it: it accepts a message whose
 * Body is not signed.  Only for bench_wss, which times it; never to accept
 * a message.  KP010 if it fails.
 */
int	kp_wss_xmlsec_verify(struct kp_env *env, EVP_PKEY *pkey,
	    struct kp_err *err);

/* Key strength check of §2.1.4: RSA >= 2048 or EC P-256. */
int	kp_key_acceptable(EVP_PKEY *pkey, struct kp_err *err);

/* Once per process, in the main thread. */
int	kp_wss_init(struct kp_err *err);
void	kp_wss_cleanup(void);

#endif
