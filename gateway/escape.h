/*
 * escape — text for people.  Every byte that came from outside and is
 * printed for a person (terminal tables, CSV, log lines, inzage text,
 * dossiers, archived messages) goes through here, so no partner can move
 * a cursor, clear a screen, set a window title or forge a line on an
 * auditor's terminal.  What is stored stays byte-exact; only its display
 * is escaped, visibly and unambiguously:
 *
 *   \\  a backslash          \n \r \t  those controls
 *   \xNN  other C0 controls, DEL, and bytes that are not UTF-8
 *   \uNNNN  C1 controls (U+0080..U+009F), the line and paragraph
 *           separators U+2028/U+2029, and the bidirectional overrides
 *           and isolates (U+200E/F, U+202A..U+202E, U+2066..U+2069)
 *
 * JSON strings and XML/HTML text get the same characters escaped in their
 * own syntax (\u009b; after escaping as above, &lt; and the like).
 */
#ifndef KP_ESCAPE_H
#define KP_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

#define KP_TEXT_LINES	0x1	/* '\n' is a line end, written as it is */

/* len bytes of s, escaped; NULL writes nothing. */
void	kp_text_write(FILE *out, const char *s, size_t len, unsigned flags);
/* A NUL-terminated field on one line. */
void	kp_text_put(FILE *out, const char *s);
/* printf, the whole result escaped as one line, then a line end. */
void	kp_text_line(FILE *out, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* s as a JSON string (NULL: null); bytes that are not UTF-8 as U+FFFD. */
void	kp_json_string(FILE *out, const char *s);
/* s as XML or HTML text, its controls escaped as above first. */
void	kp_markup_text(FILE *out, const char *s);
/*
 * A CSV field (RFC 4180): always quoted, quotes doubled, escaped as above,
 * and a value that a spreadsheet would take for a formula (starting with
 * =, +, - or @) led by an apostrophe.  NULL: an empty field.
 */
void	kp_csv_field(FILE *out, const char *s);
/* s escaped into a new string (NULL: NULL); the caller frees it. */
char	*kp_text_escape(const char *s);

#endif
