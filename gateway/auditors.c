/*
 * auditors — the subjects let in to the auditor's web view (auditors.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>

#include "auditors.h"

struct kp_auditors {
	char	**v;
	size_t	  n;
};

void
kp_auditors_free(struct kp_auditors *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	free(a);
}

size_t
kp_auditors_count(const struct kp_auditors *a)
{
	return a != NULL ? a->n : 0;
}

struct kp_auditors *
kp_auditors_load(const char *path, struct kp_err *err)
{
	struct kp_auditors *a = calloc(1, sizeof(*a));
	char *line = NULL, **v;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int lineno = 0;

	if (a == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if ((f = fopen(path, "r")) == NULL) {
		kp_fail(err, KP_ERR_CONFIG, "%s: cannot read it", path);
		free(a);
		return NULL;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		char *s = line;

		lineno++;
		while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' ||
		    s[len - 1] == ' ' || s[len - 1] == '\t'))
			s[--len] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if (strncmp(s, "subject=", 8) == 0)
			s += 8;
		/* an RFC 2253 name: attribute=value pairs */
		if (strchr(s, '=') == NULL) {
			kp_fail(err, KP_ERR_CONFIG, "%s:%d: \"%.80s\" is not a "
			    "certificate subject (CN=…,O=…,C=NL)", path, lineno,
			    s);
			goto fail;
		}
		if ((v = reallocarray(a->v, a->n + 1, sizeof(*v))) == NULL ||
		    (v[a->n] = strdup(s)) == NULL) {
			if (v != NULL)
				a->v = v;
			kp_fail(err, KP_ERR_NOMEM, "out of memory");
			goto fail;
		}
		a->v = v;
		a->n++;
	}
	if (a->n == 0) {
		kp_fail(err, KP_ERR_CONFIG, "%s names no auditor: nobody could "
		    "look", path);
		goto fail;
	}
	free(line);
	fclose(f);
	return a;
fail:
	free(line);
	fclose(f);
	kp_auditors_free(a);
	return NULL;
}

void
kp_auditor_subject(X509 *cert, char *out, size_t outlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, X509_get_subject_name(cert), 0,
	    XN_FLAG_RFC2253) >= 0 && (n = BIO_read(b, out,
	    (int)outlen - 1)) > 0)
		out[n] = '\0';
	BIO_free(b);
}

int
kp_auditors_allow(const struct kp_auditors *a, X509 *cert)
{
	char subject[512];

	if (a == NULL || cert == NULL)
		return 0;
	kp_auditor_subject(cert, subject, sizeof(subject));
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], subject) == 0)
			return 1;
	return 0;
}
