/*
 * localauth — who is asking on the local read API (issue 18), the ZGW
 * way: `Authorization: Bearer <JWT>`, HS256, signed with the shared
 * secret of a client the gateway knows, as Open Zaak's clients send it.
 * JWTs through libjwt (Debian libjwt-dev), the clients' file through
 * jansson.
 *
 * The token names its client in the claim client_id (or, failing that,
 * iss); that client's secret must verify it, with HS256 and nothing else
 * (alg none, other algorithms: refused).  iat is required and may be at
 * most max_age seconds old and leeway seconds in the future; an exp, if
 * present, must not have passed.
 *
 * The clients' file is JSON, mode 0600 or stricter (it holds secrets):
 *   [ { "client_id": "zaaksysteem", "secret": "at least 32 characters" } ]
 */
#ifndef KP_LOCALAUTH_H
#define KP_LOCALAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define KP_JWT_SECRET_MIN	32	/* HS256 wants as many bytes as it hashes */
#define KP_JWT_MAX		8192	/* a longer Authorization is refused */

struct kp_jwt_clients;

/* The clients' file; NULL and err naming the file and what is wrong. */
struct kp_jwt_clients *kp_jwt_clients_load(const char *path,
			    struct kp_err *err);
/* The same from JSON text (tests; path only names it in messages). */
struct kp_jwt_clients *kp_jwt_clients_parse(const char *json, size_t len,
			    const char *path, struct kp_err *err);
void			kp_jwt_clients_free(struct kp_jwt_clients *c);
size_t			kp_jwt_clients_count(const struct kp_jwt_clients *c);

/*
 * Check an Authorization header's value at now_s (seconds since the
 * epoch).  0 and *client (the client_id, valid while c lives) when it
 * holds; otherwise 401 with why (for the answer and the log: never the
 * token).
 */
int	kp_jwt_check(const struct kp_jwt_clients *c, const char *authorization,
	    int64_t now_s, int max_age, int leeway, const char **client,
	    char *why, size_t whylen);

#endif
