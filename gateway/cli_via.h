/*
 * cli_via — the mutating commands (dossier put, consent grant|withdraw,
 * queue retry|skip, sync repair) through a running gateway: when one
 * serves the configured local_socket, they are sent to it (local_write.c)
 * and its group-commit writer stays the store's only writer; without one
 * the command works on the store itself, as before.  Each says on stderr
 * which it did.  The output and exit statuses are the same either way.
 */
#ifndef KP_CLI_VIA_H
#define KP_CLI_VIA_H

#include <stdint.h>

struct kp_consent_request;

/*
 * The socket of the gateway running for the configuration at path
 * (malloc'd), or NULL: none runs (or no local_socket is configured, or the
 * configuration does not load: the command's own loading says why).
 */
char	*via_gateway(const char *path, const char *cmd);

int	via_put(const char *socket, char **files, int nfiles);
int	via_consent(const char *socket, const char *verb,
	    const struct kp_consent_request *r);
int	via_queue(const char *socket, const char *verb, int64_t id,
	    const char *note);
int	via_repair(const char *socket, const char *partner, const char *bsn);

#endif
