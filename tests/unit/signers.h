/*
 * signers — signing keys for tests beside a fixture's gateways.
 */
#ifndef KP_SIGNERS_H
#define KP_SIGNERS_H

#include <sys/types.h>

struct fixture;
struct kp_pki_opts;
struct kp_signer;

/*
 * name's certificate and key under the fixture's pki/, issued first when
 * opts is not NULL (for oin).  NULL on failure.
 */
struct kp_signer *fixture_signer(struct fixture *fx, const char *name,
		    const struct kp_pki_opts *opts, const char *oin);
/*
 * The same with the key in a key process of its own: *pid is that
 * process.  One at a time.
 */
struct kp_signer *fixture_remote_signer(struct fixture *fx, const char *name,
		    const struct kp_pki_opts *opts, const char *oin, pid_t *pid);
void		  fixture_remote_signer_free(struct kp_signer *s, pid_t pid);

#endif
