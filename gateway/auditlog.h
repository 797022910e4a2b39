/*
 * auditlog — the audit trail as a hash chain (PROTOCOL.md 6).
 *
 * Every entry has a canonical form (its columns as "name=value" lines in a
 * fixed order, values escaped as in kd's canonical fields, a NULL column as
 * a bare "name" line) and hash = SHA-256(previous hash || canonical entry),
 * the first entry chaining from 32 zero bytes.  The citizen appears only as
 * a pseudonym, HMAC-SHA256(BSN) with the gateway's audit key, which lives
 * in a file of its own (64 hex digits, mode 0600).
 */
#ifndef KP_AUDITLOG_H
#define KP_AUDITLOG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define KP_AUDIT_KEY_LEN	32
#define KP_AUDIT_HASH_LEN	32	/* SHA-256 */

/* One entry as stored. */
struct kp_audit_entry {
	int64_t		 seq;
	const char	*at;
	const char	*direction;
	const char	*partner_oin;
	const char	*message_id;
	const char	*berichtcode;
	const char	*entiteittype;
	const char	*subject;	/* the citizen's pseudonym, or NULL */
	const char	*record;	/* "ZAK|bron|identificatie|bronversie" */
	const char	*velden;	/* fields disclosed, comma-separated */
	const char	*basis;		/* "wet: ..." or "toestemming: TST id" */
	const char	*doel;
	const char	*outcome;
	const char	*code;
	const char	*bytes_sha256;
	int64_t		 message;	/* archived message (message.id), 0: none */
	const char	*detail;
	const char	*hash;		/* hex */
};

/*
 * The record column of an entry, "TYPE|bron|identificatie|bronversie"
 * (the form the chain hashes and the inzage reads back), into out.
 */
void	kp_audit_record(char *out, size_t outlen, const char *entiteittype,
	    const char *bron, const char *identificatie, uint64_t bronversie);

/* The canonical bytes of e (without its hash), malloc'd; NULL: no memory. */
char	*kp_audit_canonical(const struct kp_audit_entry *e, size_t *len);

/* A digest context and buffer kept across entries (one thread at a time). */
struct kp_audit_hasher;
struct kp_audit_hasher *kp_audit_hasher_new(void);
void	kp_audit_hasher_free(struct kp_audit_hasher *h);
/*
 * hash of e after prev_hex (NULL or "": the chain's start) into out, with
 * h (NULL: a hasher for this call only); -1 when out of memory or prev_hex
 * is not 64 hex digits.
 */
int	kp_audit_hash(struct kp_audit_hasher *h, const char *prev_hex,
	    const struct kp_audit_entry *e, char out[65]);
/* The same in binary: prev NULL is the chain's start; -1: out of memory. */
int	kp_audit_digest(struct kp_audit_hasher *h,
	    const unsigned char prev[KP_AUDIT_HASH_LEN],
	    const struct kp_audit_entry *e, unsigned char md[KP_AUDIT_HASH_LEN]);
/* A stored hash (64 lowercase hex digits) into out; -1: it is not one. */
int	kp_audit_hash_parse(const char *hex,
	    unsigned char out[KP_AUDIT_HASH_LEN]);
/* The pseudonym of bsn under key, 64 hex digits. */
void	kp_audit_pseudonym(const unsigned char key[KP_AUDIT_KEY_LEN],
	    const char *bsn, char out[65]);

/*
 * Read the audit key at path; with create, make it (random, 0600) when the
 * file does not exist, and say so in *created.  A key file that group or
 * others may read is refused, like a private key.
 */
int	kp_audit_key_load(const char *path, int create,
	    unsigned char key[KP_AUDIT_KEY_LEN], int *created, struct kp_err *err);

#endif
