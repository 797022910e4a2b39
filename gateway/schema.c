#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlschemas.h>

#include "schema.h"

struct kp_schema {
	xmlSchemaPtr	 schema;
	char		*path;
	int		 redact;
};

struct first_error {
	int	 seen;
	int	 line;
	int	 redact;
	char	 msg[300];
};

/*
 * libxml2 quotes the offending value in its messages ("The value '…' is
 * not accepted").  That value may be a BSN, and the message goes to the
 * audit trail: keep element names ('{ns}name' becomes 'name') and replace
 * every other quoted text with '...'.
 */
static void
redact(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	while (*in != '\0' && o + 8 < outlen) {
		const char *close;

		if (*in != '\'' || (close = strchr(in + 1, '\'')) == NULL) {
			out[o++] = *in++;
			continue;
		}
		if (in[1] == '{' && memchr(in + 1, '}', (size_t)(close - in)) != NULL) {
			const char *local = (const char *)memchr(in + 1, '}',
			    (size_t)(close - in)) + 1;

			out[o++] = '\'';
			while (local < close && o + 8 < outlen)
				out[o++] = *local++;
			out[o++] = '\'';
		} else {
			memcpy(out + o, "'...'", 5);
			o += 5;
		}
		in = close + 1;
	}
	out[o] = '\0';
}

static void
keep_first_error(void *user, xmlErrorPtr e)
{
	struct first_error *fe = user;
	size_t n;

	if (fe->seen++ || e == NULL)
		return;
	fe->line = e->line;
	if (fe->redact)
		redact(e->message != NULL ? e->message : "invalid", fe->msg,
		    sizeof(fe->msg));
	else
		snprintf(fe->msg, sizeof(fe->msg), "%s",
		    e->message != NULL ? e->message : "invalid");
	n = strlen(fe->msg);
	while (n > 0 && (fe->msg[n - 1] == '\n' || fe->msg[n - 1] == ' '))
		fe->msg[--n] = '\0';
}

struct kp_schema *
kp_schema_load(const char *path, int redact_values, struct kp_err *err)
{
	struct kp_schema *s = NULL;
	xmlSchemaParserCtxtPtr pctxt = NULL;
	struct first_error fe = { 0 };

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		goto fail;
	}
	s->redact = redact_values;
	if ((pctxt = xmlSchemaNewParserCtxt(path)) == NULL) {
		kp_fail(err, KP_ERR_CONFIG, "%s: cannot read schema", path);
		goto fail;
	}
	xmlSchemaSetParserStructuredErrors(pctxt, keep_first_error, &fe);
	if ((s->schema = xmlSchemaParse(pctxt)) == NULL) {
		kp_fail(err, KP_ERR_CONFIG, "%s:%d: invalid schema: %s", path,
		    fe.line, fe.seen ? fe.msg : "cannot parse");
		goto fail;
	}
	xmlSchemaFreeParserCtxt(pctxt);
	return s;
fail:
	xmlSchemaFreeParserCtxt(pctxt);
	kp_schema_free(s);
	return NULL;
}

void
kp_schema_free(struct kp_schema *s)
{
	if (s == NULL)
		return;
	if (s->schema != NULL)
		xmlSchemaFree(s->schema);
	free(s->path);
	free(s);
}

static int
validate(struct kp_schema *s, xmlDocPtr doc, xmlNodePtr elem,
    struct kp_err *err)
{
	xmlSchemaValidCtxtPtr vctxt;
	struct first_error fe = { .redact = s->redact };
	int rc;

	if ((vctxt = xmlSchemaNewValidCtxt(s->schema)) == NULL)
		return kp_reject(err, KP_F_050, "out of memory");
	xmlSchemaSetValidStructuredErrors(vctxt, keep_first_error, &fe);
	rc = elem != NULL ? xmlSchemaValidateOneElement(vctxt, elem) :
	    xmlSchemaValidateDoc(vctxt, doc);
	xmlSchemaFreeValidCtxt(vctxt);
	if (rc == 0)
		return KP_OK;
	if (rc < 0)
		return kp_reject(err, KP_F_050, "schema validation failed internally");
	return kp_reject(err, KP_F_002, "line %d: %s", fe.line,
	    fe.seen ? fe.msg : "does not match the schema");
}

int
kp_schema_validate(struct kp_schema *s, xmlNodePtr elem, struct kp_err *err)
{
	return validate(s, NULL, elem, err);
}

int
kp_schema_validate_doc(struct kp_schema *s, xmlDocPtr doc, struct kp_err *err)
{
	return validate(s, doc, NULL, err);
}
