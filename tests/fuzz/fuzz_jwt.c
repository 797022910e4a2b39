/*
 * fuzz_jwt — the local read API's Authorization header (localauth.h
 * kp_jwt_check) on arbitrary bytes.  Accepted only as a client we know,
 * and only when the bytes are "Bearer " and a token that verifies with
 * that client's secret; every refusal is 401 with a reason that does not
 * repeat the token.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>

#include "fuzz.h"
#include "localauth.h"

#define SECRET	"zaaksysteem-secret-of-32-characters-or-more"
#define NOW	1796000000L

static struct kp_jwt_clients *clients;
static long runs, accepted, refused, wrong;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char json[] = "[{\"client_id\":\"zaaksysteem\","
	    "\"secret\":\"" SECRET "\"}]";
	struct kp_err err;
	const char *client;
	char why[256], *text;
	int st;

	if (clients == NULL &&
	    (clients = kp_jwt_clients_parse(json, strlen(json), "fuzz", &err)) ==
	    NULL)
		abort();
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	runs++;
	st = kp_jwt_check(clients, text, NOW, 3600, 60, &client, why,
	    sizeof(why));
	if (st == 0) {
		jwt_t *jwt = NULL;

		/* it must verify with the secret, independently */
		if (client == NULL || strcmp(client, "zaaksysteem") != 0 ||
		    strncmp(text, "Bearer ", 7) != 0 ||
		    jwt_decode(&jwt, text + 7, (const unsigned char *)SECRET,
		    (int)strlen(SECRET)) != 0 || jwt_get_alg(jwt) != JWT_ALG_HS256)
			wrong++;
		else
			accepted++;
		jwt_free(jwt);
	} else if (st != 401 || client != NULL || why[0] == '\0' ||
	    (size > 40 && strstr(why, text + 7) != NULL))
		wrong++;
	else
		refused++;
	free(text);
	return 0;
}

int
fuzz_replay_checks(int first)
{
	printf("%sok %d - %ld headers: %ld accepted, %ld refused with 401\n",
	    runs > 0 && accepted > 0 && refused > 0 ? "" : "not ", first, runs,
	    accepted, refused);
	printf("%sok %d - accepted only with the client's secret, HS256; "
	    "refusals say why without the token (%ld did not)\n",
	    wrong == 0 ? "" : "not ", first + 1, wrong);
	kp_jwt_clients_free(clients);
	return 2;
}
