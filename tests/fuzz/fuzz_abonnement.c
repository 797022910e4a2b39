/*
 * fuzz_abonnement — an Abonnement as a client POSTs it (notify.h
 * kp_subscription_parse, abonnement.h) on arbitrary bytes.  Accepted only
 * with an http(s) callbackUrl of at most 200 characters, an auth of 1 to
 * 1000 and at least one known channel, none holding a control character
 * (they become a request's lines); what is shown again never holds the
 * auth; matching a notification never fails.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "notify.h"

static long runs, accepted, refused, wrong;

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char message[] = "{\"kanaal\":\"zaken\",\"kenmerken\":"
	    "{\"bron\":\"00000001001000000000\",\"herkomst\":\"partner\"}}";
	struct kp_subscription *s;
	struct kp_err err;
	const char *cb, *auth;
	char *shown;

	runs++;
	if ((s = kp_subscription_parse((const char *)data, size, &err)) ==
	    NULL) {
		if (err.msg[0] == '\0')
			wrong++;
		else
			refused++;
		return 0;
	}
	accepted++;
	cb = kp_subscription_callback(s);
	auth = kp_subscription_auth(s);
	if (cb == NULL || auth == NULL || (strncmp(cb, "http://", 7) != 0 &&
	    strncmp(cb, "https://", 8) != 0) || strlen(cb) > 200 ||
	    auth[0] == '\0' || strlen(auth) > 1000 || has_control(cb) ||
	    has_control(auth))
		wrong++;
	shown = kp_subscription_shown(s, "https://read.test/api/v1/abonnement/x");
	if (shown == NULL || (strlen(auth) >= 8 && strstr(shown, auth) != NULL))
		wrong++;
	free(shown);
	(void)kp_subscription_matches(s, message);
	kp_subscription_free(s);
	return 0;
}

int
fuzz_replay_checks(int first)
{
	printf("%sok %d - %ld abonnementen: %ld accepted, %ld refused saying "
	    "why\n", runs > 0 && accepted > 0 && refused > 0 ? "" : "not ",
	    first, runs, accepted, refused);
	printf("%sok %d - accepted only with an http(s) callbackUrl and an auth "
	    "without control characters; auth never shown again (%ld were "
	    "not)\n", wrong == 0 ? "" : "not ", first + 1, wrong);
	return 2;
}
