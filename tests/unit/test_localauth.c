/*
 * test_localauth — the local read API's JWT clients (localauth.h):
 * a token of a known client, HS256 with its secret, iat fresh: accepted,
 * naming the client; every other kind refused with 401 and a reason
 * that never holds the token; the clients' file read, and refused when
 * others may read it or a client is wrong.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jwt.h>

#include "localauth.h"
#include "tap.h"

#define SECRET_A "zaaksysteem-secret-of-32-characters-or-more"
#define SECRET_B "crm-secret-also-32-characters-long-at-least"
#define NOW	1796000000L

static char header[9000];

/* "Bearer <token>" with the given claims (-1: left out), alg and key. */
static const char *
bearer(jwt_alg_t alg, const char *key, const char *client_id,
    const char *iss, long iat, long exp)
{
	jwt_t *jwt = NULL;
	char *token;

	if (jwt_new(&jwt) != 0)
		return "";
	if (client_id != NULL)
		jwt_add_grant(jwt, "client_id", client_id);
	if (iss != NULL)
		jwt_add_grant(jwt, "iss", iss);
	if (iat >= 0)
		jwt_add_grant_int(jwt, "iat", iat);
	if (exp >= 0)
		jwt_add_grant_int(jwt, "exp", exp);
	jwt_set_alg(jwt, alg, (const unsigned char *)key, key != NULL ?
	    (int)strlen(key) : 0);
	token = jwt_encode_str(jwt);
	snprintf(header, sizeof(header), "Bearer %s", token != NULL ? token : "");
	free(token);
	jwt_free(jwt);
	return header;
}

static int
refused(const struct kp_jwt_clients *c, const char *auth, const char *says)
{
	const char *client;
	char why[256] = "";
	int st = kp_jwt_check(c, auth, NOW, 3600, 60, &client, why, sizeof(why));

	if (st != 401 || strstr(why, says) == NULL ||
	    (auth != NULL && strlen(auth) > 20 && strstr(why, auth + 7) != NULL))
		diag("status %d, why: %s", st, why);
	return st == 401 && client == NULL && strstr(why, says) != NULL;
}

int
main(void)
{
	const char *json = "[{\"client_id\":\"zaaksysteem\",\"secret\":\""
	    SECRET_A "\"},{\"client_id\":\"crm\",\"secret\":\"" SECRET_B "\"}]";
	char dir[] = "/tmp/kp-localauth.XXXXXX", path[300];
	struct kp_jwt_clients *c;
	struct kp_err err;
	const char *client = NULL;
	char why[256];
	FILE *f;

	c = kp_jwt_clients_parse(json, strlen(json), "clients.json", &err);
	ok(c != NULL && kp_jwt_clients_count(c) == 2, "two clients read");
	if (c == NULL)
		return done_testing();
	ok(kp_jwt_check(c, bearer(JWT_ALG_HS256, SECRET_A, "zaaksysteem", NULL,
	    NOW - 10, -1), NOW, 3600, 60, &client, why, sizeof(why)) == 0 &&
	    client != NULL && strcmp(client, "zaaksysteem") == 0,
	    "a fresh HS256 token of a client with its secret: accepted, naming "
	    "it");
	ok(kp_jwt_check(c, bearer(JWT_ALG_HS256, SECRET_B, NULL, "crm", NOW,
	    NOW + 60), NOW, 3600, 60, &client, why, sizeof(why)) == 0 &&
	    strcmp(client, "crm") == 0, "iss naming the client will do too");
	ok(refused(c, NULL, "no Authorization"), "no header: 401");
	ok(refused(c, "Basic emFhazpzZWNyZXQ=", "no Authorization: Bearer"),
	    "Basic: 401");
	ok(refused(c, "Bearer not.a.jwt", "not a JWT"), "not a JWT: 401");
	ok(refused(c, bearer(JWT_ALG_HS256, SECRET_B, "zaaksysteem", NULL,
	    NOW, -1), "not signed HS256 with client zaaksysteem's secret"),
	    "signed with another client's secret: 401");
	ok(refused(c, bearer(JWT_ALG_NONE, NULL, "zaaksysteem", NULL, NOW, -1),
	    "not signed HS256"), "alg none: 401");
	ok(refused(c, bearer(JWT_ALG_HS512, SECRET_A, "zaaksysteem", NULL, NOW,
	    -1), "not signed HS256"), "HS512: 401 (HS256 only)");
	ok(refused(c, bearer(JWT_ALG_HS256, SECRET_A, "stranger", NULL, NOW,
	    -1), "not one of ours"), "an unknown client: 401");
	ok(refused(c, bearer(JWT_ALG_HS256, SECRET_A, NULL, NULL, NOW, -1),
	    "not one of ours"), "no client named: 401");
	ok(refused(c, bearer(JWT_ALG_HS256, SECRET_A, "zaaksysteem", NULL, -1,
	    -1), "no iat"), "no iat: 401");
	ok(refused(c, bearer(JWT_ALG_HS256, SECRET_A, "zaaksysteem", NULL,
	    NOW - 3601, -1), "too long ago"), "iat older than max_age: 401");
	ok(refused(c, bearer(JWT_ALG_HS256, SECRET_A, "zaaksysteem", NULL,
	    NOW + 61, -1), "in the future"), "iat past the leeway ahead: 401");
	ok(refused(c, bearer(JWT_ALG_HS256, SECRET_A, "zaaksysteem", NULL,
	    NOW - 100, NOW - 61), "expired"), "exp passed: 401");
	{
		char big[KP_JWT_MAX + 32];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		memcpy(big, "Bearer ", 7);
		ok(refused(c, big, "longer than"), "a token over %d bytes: 401",
		    KP_JWT_MAX);
	}
	kp_jwt_clients_free(c);

	ok(kp_jwt_clients_parse("{}", 2, "c.json", &err) == NULL &&
	    strstr(err.msg, "a list of clients") != NULL,
	    "not a list: refused (%s)", err.msg);
	json = "[{\"client_id\":\"x\",\"secret\":\"short\"}]";
	ok(kp_jwt_clients_parse(json, strlen(json), "c.json", &err) == NULL &&
	    strstr(err.msg, "at least 32") != NULL,
	    "a short secret: refused (%s)", err.msg);
	json = "[{\"client_id\":\"x\",\"secret\":\"" SECRET_A "\"},"
	    "{\"client_id\":\"x\",\"secret\":\"" SECRET_B "\"}]";
	ok(kp_jwt_clients_parse(json, strlen(json), "c.json", &err) == NULL &&
	    strstr(err.msg, "given twice") != NULL, "a client twice: refused");
	ok(kp_jwt_clients_parse("[{\"secret\":\"" SECRET_A "\"}]",
	    strlen("[{\"secret\":\"" SECRET_A "\"}]"), "c.json", &err) == NULL &&
	    strstr(err.msg, "client_id") != NULL, "no client_id: refused");

	if (mkdtemp(dir) == NULL)
		return done_testing();
	snprintf(path, sizeof(path), "%s/clients.json", dir);
	json = "[{\"client_id\":\"zaaksysteem\",\"secret\":\"" SECRET_A "\"}]";
	if ((f = fopen(path, "w")) != NULL) {
		fputs(json, f);
		fclose(f);
	}
	chmod(path, 0644);
	ok((c = kp_jwt_clients_load(path, &err)) == NULL &&
	    strstr(err.msg, "chmod 600") != NULL,
	    "a clients' file others may read: refused (%s)", err.msg);
	chmod(path, 0600);
	ok((c = kp_jwt_clients_load(path, &err)) != NULL &&
	    kp_jwt_clients_count(c) == 1, "mode 0600: read");
	kp_jwt_clients_free(c);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
