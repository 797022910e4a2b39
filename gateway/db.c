/*
 * db — the engine for a store address, and the address as it may be shown
 * (db.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

const struct kp_db_ops *
kp_db_engine(const char *where)
{
	return kp_db_is_uri(where) ? &kp_db_pg : &kp_db_sqlite;
}

char *
kp_db_display(const char *where)
{
	const char *scheme = strstr(where, "://"), *at, *colon;
	char *out;

	if (!kp_db_is_uri(where) || scheme == NULL ||
	    (at = strchr(scheme + 3, '@')) == NULL ||
	    (colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3))) == NULL)
		return strdup(where);
	if (asprintf(&out, "%.*s:***%s", (int)(colon - where), where, at) == -1)
		return NULL;
	return out;
}
