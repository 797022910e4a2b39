/*
 * keyproc — the key process's protocol (issue 16): the gateway's private
 * keys live in a process of their own, which answers a few fixed-size
 * requests over a socketpair and nothing else (OpenSMTPD's ca.c, relayd's
 * ca.c).  The process facing the network holds no private key: it asks.
 *
 *   sign     this digest (SHA-256/384/512) with key K, algorithm A
 *            (RSA PKCS#1 v1.5, RSA-PSS, ECDSA): the signature
 *   hmac     these bytes (at most KP_KEYREQ_DATA) under the audit key
 *   ident    key K's public key (DER SubjectPublicKeyInfo)
 *
 * Every request is one SOCK_SEQPACKET message of exactly
 * sizeof(struct kp_keyreq); the answer one of sizeof(struct kp_keyresp).
 * A request of another size, an unknown operation or key, an algorithm
 * the key cannot do, or a digest of the wrong length is refused with a
 * status saying which, and changes nothing.
 *
 * The serving side (kp_keyproc_serve) links no XML, HTTP, SQLite or
 * libcurl code: only OpenSSL's libcrypto.
 */
#ifndef KP_KEYPROC_H
#define KP_KEYPROC_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define KP_KEYREQ_MAGIC		0x6b706b31u	/* "kpk1" */
#define KP_KEYREQ_DATA		256
#define KP_KEYRESP_DATA		1024

enum kp_key_id {
	KP_KEY_TLS = 1,		/* the TLS key (server and client side) */
	KP_KEY_WSS,		/* the WS-Security signing key */
	KP_KEY_CHECKPOINT,	/* the audit checkpoints' key */
	KP_KEY_AUDIT,		/* the audit pseudonyms' HMAC key */
	KP_KEY_MAX
};

enum kp_key_op {
	KP_KEYOP_SIGN = 1,
	KP_KEYOP_HMAC,
	KP_KEYOP_IDENT,
};

enum kp_key_alg {
	KP_KEYALG_NONE = 0,
	KP_KEYALG_RSA_PKCS1,
	KP_KEYALG_RSA_PSS,	/* salt length = digest length */
	KP_KEYALG_ECDSA,	/* DER-encoded (r, s) */
};

enum kp_key_md {
	KP_KEYMD_NONE = 0,
	KP_KEYMD_SHA256,
	KP_KEYMD_SHA384,
	KP_KEYMD_SHA512,
};

enum kp_key_status {
	KP_KEYST_OK = 0,
	KP_KEYST_SIZE,		/* a request of another size */
	KP_KEYST_MAGIC,		/* not a request of this protocol */
	KP_KEYST_OP,		/* an unknown operation */
	KP_KEYST_KEY,		/* an unknown key, or one not loaded */
	KP_KEYST_ALG,		/* an algorithm this key cannot do */
	KP_KEYST_LEN,		/* data of the wrong length for the digest */
	KP_KEYST_FAIL,		/* the key's own operation failed */
};

struct kp_keyreq {
	uint32_t	magic;
	uint32_t	op;		/* enum kp_key_op */
	uint32_t	key;		/* enum kp_key_id */
	uint32_t	alg;		/* enum kp_key_alg */
	uint32_t	md;		/* enum kp_key_md */
	uint32_t	len;		/* of data */
	unsigned char	data[KP_KEYREQ_DATA];
};

struct kp_keyresp {
	uint32_t	magic;
	uint32_t	status;		/* enum kp_key_status */
	uint32_t	len;		/* of data */
	unsigned char	data[KP_KEYRESP_DATA];
};

/* What the key process holds: one private key per id, the HMAC key. */
struct kp_keyset {
	EVP_PKEY	*pkey[KP_KEY_MAX];
	unsigned char	 hmac[64];
	size_t		 hmac_len;
};

/* What a status means, for logs and errors. */
const char	*kp_key_status_str(uint32_t status);

/*
 * The key process's loop: answer requests on fd until it is closed (0)
 * or cannot be written (-1).  keys stays the caller's.
 */
int	kp_keyproc_serve(int fd, const struct kp_keyset *keys);

/* Answer one request of n bytes (the loop's step; tests drive it). */
void	kp_keyproc_answer(const struct kp_keyset *keys, const void *req,
	    size_t n, struct kp_keyresp *resp);

/*
 * The asking side: one request, one answer, on fd (callers serialise).
 * Returns the status; out gets the answer's data (at most *outlen bytes,
 * *outlen set to its length).
 */
uint32_t kp_keyproc_ask(int fd, uint32_t op, uint32_t key, uint32_t alg,
	    uint32_t md, const void *data, size_t len, void *out,
	    size_t *outlen);

#endif
