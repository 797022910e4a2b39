#include "autoconf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlstring.h>

#include "escape.h"

/* A code point a terminal acts on or that reorders or breaks a line. */
static int
invisible(int cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	    cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * The next character of p (< end): its code point and length, or -1 and
 * length 1 for a byte that does not start a UTF-8 sequence (libxml2
 * decodes).
 */
static int
next_char(const unsigned char *p, const unsigned char *end, int *n)
{
	int cp;

	if (*p < 0x80) {
		*n = 1;
		return *p;
	}
	*n = (int)(end - p);
	if ((cp = xmlGetUTF8Char(p, n)) < 0 || *n < 1) {
		*n = 1;
		return -1;
	}
	return cp;
}

void
kp_json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *end;
	int n, cp;

	if (s == NULL) {
		fputs("null", out);
		return;
	}
	end = p + strlen(s);
	fputc('"', out);
	for (; p < end; p += n) {
		cp = next_char(p, end, &n);
		if (cp == '"' || cp == '\\')
			fprintf(out, "\\%c", cp);
		else if (cp == '\n')
			fputs("\\n", out);
		else if (cp < 0)
			fputs("\\ufffd", out);	/* not UTF-8: no JSON for it */
		else if (cp < 0x20 || cp == 0x7f || invisible(cp))
			fprintf(out, "\\u%04x", (unsigned)cp);
		else
			fwrite(p, 1, (size_t)n, out);
	}
	fputc('"', out);
}

void
kp_text_write(FILE *out, const char *s, size_t len, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;

	if (s == NULL)
		return;
	while (p < end) {
		unsigned char c = *p;
		int n, cp;

		if (c >= 0x20 && c < 0x7f) {
			if (c == '\\')
				fputs("\\\\", out);
			else
				fputc(c, out);
			p++;
			continue;
		}
		if (c < 0x80) {
			if (c == '\n' && (flags & KP_TEXT_LINES))
				fputc('\n', out);
			else if (c == '\n')
				fputs("\\n", out);
			else if (c == '\r')
				fputs("\\r", out);
			else if (c == '\t')
				fputs("\\t", out);
			else
				fprintf(out, "\\x%02x", c);
			p++;
			continue;
		}
		if ((cp = next_char(p, end, &n)) < 0) {
			fprintf(out, "\\x%02x", c);
			p++;
		} else if (invisible(cp)) {
			fprintf(out, "\\u%04x", (unsigned)cp);
			p += n;
		} else {
			fwrite(p, 1, (size_t)n, out);
			p += n;
		}
	}
}

void
kp_text_put(FILE *out, const char *s)
{
	if (s != NULL)
		kp_text_write(out, s, strlen(s), 0);
}

void
kp_text_line(FILE *out, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (len >= 0)
		kp_text_write(out, text, (size_t)len, 0);
	fputc('\n', out);
	free(text);
}

void
kp_markup_text(FILE *out, const char *s)
{
	char *text = kp_text_escape(s);

	for (const char *t = text; t != NULL && *t != '\0'; t++) {
		switch (*t) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*t, out); break;
		}
	}
	free(text);
}

void
kp_csv_field(FILE *out, const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	fputc('"', out);
	if (s != NULL && (mem = open_memstream(&text, &len)) != NULL) {
		kp_text_put(mem, s);
		fclose(mem);
		/* a formula would run in the auditor's spreadsheet */
		if (len > 0 && strchr("=+-@", text[0]) != NULL)
			fputc('\'', out);
		for (size_t i = 0; i < len; i++) {
			if (text[i] == '"')
				fputc('"', out);
			fputc(text[i], out);
		}
		free(text);
	}
	fputc('"', out);
}

char *
kp_text_escape(const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	if (s == NULL || (mem = open_memstream(&text, &len)) == NULL)
		return NULL;
	kp_text_put(mem, s);
	fclose(mem);
	return text;
}
