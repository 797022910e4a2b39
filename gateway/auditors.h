/*
 * auditors — who may open the auditor's web view: a file of certificate
 * subjects, one a line in RFC 2253 form (as `openssl x509 -noout -subject
 * -nameopt RFC2253` prints it, without "subject="), # a comment.  A
 * client certificate that chains to auditor_ca is let in only when its
 * subject is one of them, exactly.
 */
#ifndef KP_AUDITORS_H
#define KP_AUDITORS_H

#include <stddef.h>

#include <openssl/x509.h>

#include "err.h"

struct kp_auditors;

/* Read the file; an empty list, or a line that is no subject, is refused. */
struct kp_auditors *kp_auditors_load(const char *path, struct kp_err *err);
void	kp_auditors_free(struct kp_auditors *a);
size_t	kp_auditors_count(const struct kp_auditors *a);

/* cert's subject in RFC 2253 form into out. */
void	kp_auditor_subject(X509 *cert, char *out, size_t outlen);
/* Is cert's subject one of a's? */
int	kp_auditors_allow(const struct kp_auditors *a, X509 *cert);

#endif
