/*
 * fuzz_searchform — the auditor's search form (searchform.h) on arbitrary
 * bytes.  Taken only with the page's token; then every field holds only
 * what it may (a BSN that passes the elfproef or none, a partner of 20
 * digits or none, dates of ten characters of digits and dashes, a
 * direction of in, out or local, letters and digits elsewhere); refused
 * fields say why; nothing of a refused form is left in the search.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "kd.h"
#include "searchform.h"
#include "util.h"

static long runs, taken, forged, invalid, wrong;

static int
only(const char *s, const char *allowed)
{
	return strspn(s, allowed) == strlen(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char csrf[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	struct kp_search s, zero;
	char bsn[16];
	const char *why;

	runs++;
	memset(&zero, 0, sizeof(zero));
	switch (kp_search_form((const char *)data, size, csrf, &s, bsn, &why)) {
	case KP_FORM_OK:
		taken++;
		if (why != NULL || (bsn[0] != '\0' && !kp_bsn_valid(bsn)) ||
		    (s.partner[0] != '\0' && (strlen(s.partner) != 20 ||
		    !only(s.partner, "0123456789"))) ||
		    (s.from[0] != '\0' && strlen(s.from) != 10) ||
		    (s.until[0] != '\0' && strlen(s.until) != 10) ||
		    !only(s.from, "0123456789-") || !only(s.until, "0123456789-") ||
		    (s.direction[0] != '\0' && strcmp(s.direction, "in") != 0 &&
		    strcmp(s.direction, "out") != 0 &&
		    strcmp(s.direction, "local") != 0) ||
		    !only(s.outcome, "abcdefghijklmnopqrstuvwxyz") ||
		    !only(s.kind, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
			wrong++;
		break;
	case KP_FORM_FORGED:
		forged++;
		if (memcmp(&s, &zero, sizeof(s)) != 0 || bsn[0] != '\0')
			wrong++;
		break;
	default:
		invalid++;
		if (why == NULL || memcmp(&s, &zero, sizeof(s)) != 0 ||
		    bsn[0] != '\0')
			wrong++;
		break;
	}
	return 0;
}

int
fuzz_replay_checks(int first)
{
	printf("%sok %d - %ld search forms: %ld taken, %ld without the page's "
	    "token, %ld refused saying why\n", runs > 0 && taken > 0 &&
	    forged > 0 && invalid > 0 ? "" : "not ", first, runs, taken, forged,
	    invalid);
	printf("%sok %d - taken only with the token, every field of its own "
	    "bytes; nothing kept of a refused one (%ld were not)\n",
	    wrong == 0 ? "" : "not ", first + 1, wrong);
	return 2;
}
