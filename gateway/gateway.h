/*
 * gateway — everything one running gateway holds, loaded once: its
 * configuration, partner profiles, trust store, signing key, the body schema
 * and the store.  Read-only after kp_gateway_open() apart from the store,
 * which serialises itself; shared by all worker threads.
 */
#ifndef KP_GATEWAY_H
#define KP_GATEWAY_H

#include <stdio.h>

#include <openssl/x509.h>

#include "err.h"

struct kp_certcache;
struct kp_config;
struct kp_profiles;
struct kp_schema;
struct kp_signer;
struct kp_store;
struct kp_notifier;

struct kp_gateway {
	struct kp_config *_Atomic cfg;	/* like profiles */
	/*
	 * Swapped whole by kp_gateway_reload(): read it once per operation
	 * (the atomic load), and keep using that generation.
	 */
	struct kp_profiles *_Atomic profiles;
	/*
	 * The CA certificates and CRL, read again by each reload; the stores
	 * replaced stay in retired until kp_gateway_close (a check may be
	 * using one).  TLS handshakes, signatures and checkpoints use it.
	 */
	X509_STORE *_Atomic	 trust;
	X509_STORE		**retired;
	size_t			 nretired;
	struct kp_certcache	*certs;		/* partner certificates checked */
	/*
	 * Replaced whole by kp_gateway_renew(): load it once per message or
	 * handshake and use that one (its certificate and key go together).
	 * Those replaced stay in old_signers until 15 minutes after.
	 */
	struct kp_signer *_Atomic signer;
	struct kp_retired_signer *old_signers;
	size_t			 nold_signers;
	struct kp_schema	*kd_schema;
	struct kp_schema	*profile_schema;
	struct kp_store		*store;		/* NULL when opened without */
	struct kp_notifier	*notifier;	/* with a read API (notifyq.h) */
	struct kp_keyctl	*keyctl;	/* from the parent; NULL: keys here */
	struct kp_keylink *_Atomic keys;	/* the key process in use */
};

/*
 * NO_STORE: without the store.  AUDITOR: the store read-only (store_path
 * when given: a copy) and the audit key only if it exists.
 */
enum { KP_GW_NO_STORE = 1, KP_GW_AUDITOR = 2 };

/* A partner certificate that passed is checked again after this long. */
#define KP_CERT_RECHECK_S	60

/*
 * Load configuration and everything it names; problems go to problems (if
 * not NULL) one per line, and the first to err.
 */
struct kp_gateway	*kp_gateway_open(const char *config_path, int flags,
			    FILE *problems, struct kp_err *err);
/* The same, with the store at store_path instead of the configured one. */
struct kp_gateway	*kp_gateway_open_store(const char *config_path,
			    const char *store_path, int flags, FILE *problems,
			    struct kp_err *err);
/*
 * The network process's (issue 16): no private key read here; the
 * signing keys and the audit pseudonyms are asked of the key process
 * through link (keylink.h).  The gateway takes ctl and link, also when it
 * fails to open.
 */
struct kp_keylink;
struct kp_keyctl;
struct kp_gateway	*kp_gateway_open_keys(const char *config_path,
			    struct kp_keyctl *ctl, struct kp_keylink *link,
			    FILE *problems, struct kp_err *err);
/*
 * SIGHUP, after the configuration: a renewed certificate and key.  With a
 * key process: the one the parent started on SIGHUP if the key file
 * changed (else the running one), with the certificate file as it is now;
 * without: both files read again.  New handshakes and signatures use them
 * from here on; those in flight finish with the old.  1 renewed, 0
 * unchanged, -1 refused (logged: the running ones stay).
 */
int			 kp_gateway_renew(struct kp_gateway *gw);
void			 kp_gateway_close(struct kp_gateway *gw);

/*
 * SIGHUP: read the configuration file, the profiles, and the CA and CRL
 * files again.  When any has a problem, every problem is logged as
 * "file:line: what" (or "file: what") and the running ones stay; otherwise
 * the new ones replace them (the old stay in memory: threads may be using
 * them).  Options a reload cannot change keep
 * their running values, each logged.  Connections are not touched.
 */
int			 kp_gateway_reload(struct kp_gateway *gw,
			    struct kp_err *err);

/* One-time library set-up and tear-down for a process. */
int			 kp_libraries_init(struct kp_err *err);
void			 kp_libraries_cleanup(void);

#endif
