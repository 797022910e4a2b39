/*
 * pki — a demo public key infrastructure for tests and the demo chain.
 *
 * A directory holds ca.key/ca.crt/ca.crl and, per organisation, NAME.key and
 * NAME.crt whose subject serialNumber is the organisation's OIN, usable as
 * TLS server, TLS client and signing certificate.  Private keys are written
 * mode 0600.  Not for production: a real gateway uses PKIoverheid.
 */
#ifndef KP_PKI_H
#define KP_PKI_H

#include "err.h"

struct kp_pki_opts {
	int		 ec;		/* P-256 instead of RSA */
	int		 bits;		/* RSA size, default 2048 */
	int		 days;		/* validity, default 825 */
	int		 start_days;	/* notBefore offset in days (may be < 0) */
	int		 self_signed;	/* not issued by the CA (tests) */
	const char	*pkcs11;	/* make the key in this token (URI) */
};

int	kp_pki_init(const char *dir, const struct kp_pki_opts *opts,
	    struct kp_err *err);
int	kp_pki_issue(const char *dir, const char *name, const char *oin,
	    const char *org, const struct kp_pki_opts *opts, struct kp_err *err);
int	kp_pki_revoke(const char *dir, const char *name, struct kp_err *err);

#endif
