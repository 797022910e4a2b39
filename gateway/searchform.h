/*
 * searchform — the auditor's search form as the browser sends it (POST
 * /zoeken, application/x-www-form-urlencoded, auditweb.h), read into a
 * search: each field only of the bytes it may hold (a BSN nine digits
 * passing the elfproef, a partner an OIN, dates jjjj-mm-dd, the choices
 * from their lists), the form's token the one the page gave.
 */
#ifndef KP_SEARCHFORM_H
#define KP_SEARCHFORM_H

#include <stddef.h>

#include "auditweb_int.h"

enum kp_form_verdict { KP_FORM_OK, KP_FORM_FORGED, KP_FORM_INVALID };

/*
 * body (len bytes, any) into s and bsn ("" when none typed); csrf: the
 * token the page carried (64 hex digits).  KP_FORM_FORGED: the token is
 * not it; KP_FORM_INVALID: *why says, in Dutch, which field and how.
 * The body's copy is wiped (it may hold a BSN).
 */
enum kp_form_verdict kp_search_form(const char *body, size_t len,
	    const char *csrf, struct kp_search *s, char bsn[16],
	    const char **why);

/* A form with no fields but its token (POST /controle): OK or FORGED. */
enum kp_form_verdict kp_form_token(const char *body, size_t len,
	    const char *csrf);

#endif
