/*
 * Text for people (escape.h): the exact escapes of each kind of control a
 * partner could send (a window title, a cleared screen, a forged line, C1
 * controls, bidirectional overrides, bytes that are not UTF-8), CSV per
 * RFC 4180 with formulas neutralised, JSON and markup.
 *
 * Then the property: a store whose every text column of a message, its
 * audit entries and its record holds every byte value 1..255; no output
 * mode of audit query, audit show, audit inzage or dossier show writes a
 * control (below 0x20 other than the line end, DEL, a C1 control, a line
 * separator or a bidirectional override) — while the store keeps the bytes.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "audit.h"
#include "inzage.h"
#include "compose.h"
#include "dossier.h"
#include "escape.h"
#include "fixture.h"
#include "gateway.h"
#include "inbound.h"
#include "store.h"
#include "tap.h"
#include "xmlsafe.h"

static struct fixture fx;

typedef void (*writer)(FILE *, const char *);

/* What fn writes for s, in a static buffer. */
static const char *
shown(writer fn, const char *s)
{
	static char *text;
	size_t len = 0;
	FILE *mem;

	free(text);
	text = NULL;
	if ((mem = open_memstream(&text, &len)) == NULL)
		return "";
	fn(mem, s);
	fclose(mem);
	return text;
}

static void
lines(FILE *out, const char *s)
{
	kp_text_write(out, s, strlen(s), KP_TEXT_LINES);
}

/* The first control a person's screen would act on, or NULL. */
static const char *
first_control(const unsigned char *p, size_t len, size_t *at)
{
	static char what[64];

	for (size_t i = 0; i < len; i++) {
		unsigned c = p[i], c1 = i + 1 < len ? p[i + 1] : 0;
		unsigned c2 = i + 2 < len ? p[i + 2] : 0;

		*at = i;
		if ((c < 0x20 && c != '\n') || c == 0x7f) {
			snprintf(what, sizeof(what), "byte 0x%02x", c);
			return what;
		}
		if (c == 0xc2 && c1 >= 0x80 && c1 <= 0x9f) {
			snprintf(what, sizeof(what), "C1 control U+00%02X", c1);
			return what;
		}
		if (c == 0xe2 && ((c1 == 0x80 && ((c2 >= 0xa8 && c2 <= 0xae) ||
		    c2 == 0x8e || c2 == 0x8f)) || (c1 == 0x81 && c2 >= 0xa6 &&
		    c2 <= 0xa9))) {
			snprintf(what, sizeof(what), "separator or bidi control");
			return what;
		}
	}
	return NULL;
}

/* Every byte 1..255, then the UTF-8 of U+0085, U+009B, U+2028, U+202E. */
static char poison[300];

static void
make_poison(void)
{
	size_t n = 0;

	for (int b = 1; b < 256; b++)
		poison[n++] = (char)b;
	memcpy(poison + n, "\xc2\x85\xc2\x9b\xe2\x80\xa8\xe2\x80\xae", 10);
	n += 10;
	poison[n] = '\0';
}

static int
sql(const char *stmt)
{
	char path[300];
	sqlite3 *db;
	sqlite3_stmt *st;
	int rc;

	snprintf(path, sizeof(path), "%s/self.db", fx.dir);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, stmt, -1, &st, NULL) != SQLITE_OK) {
		printf("# %s: %s\n", stmt, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	for (int i = 1; i <= sqlite3_bind_parameter_count(st); i++)
		sqlite3_bind_text(st, i, poison, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		printf("# %.60s...: %s\n", stmt, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* One output: how long, and whether it is clean. */
static void
check_output(const char *what, char *text, size_t len, int ret)
{
	const char *bad;
	size_t at = 0;

	ok(ret == KP_OK && len > 200, "%s: written (%zu bytes)", what, len);
	bad = first_control((const unsigned char *)text, len, &at);
	if (!ok(bad == NULL, "%s: no control reaches the screen", what))
		printf("#   %s at byte %zu: ...%.40s\n", bad, at,
		    text + (at > 20 ? at - 20 : 0));
	free(text);
}

#define RUN(what, call) do {						\
	char *text_ = NULL;						\
	size_t len_ = 0;						\
	FILE *out = open_memstream(&text_, &len_);			\
	int ret_ = (call);						\
	fclose(out);							\
	check_output(what, text_, len_, ret_);				\
} while (0)

static void
property(void)
{
	struct kp_audit_filter all = { 0 };
	struct kp_composed req;
	struct kp_request kreq = { OIN_PARTNER, "text/xml", NULL, NULL, 0 };
	struct kp_response resp;
	struct kp_err err;
	xmlDocPtr body;
	int64_t n;
	static const char *const formats[] = { "table", "CSV", "JSON", "HTML" };

	body = fixture_body("zakLk01", OIN_PARTNER, OIN_SELF, "esc-1",
	    "111222333");
	if (body == NULL || kp_request_build(fx.partner, fx.self_at_partner,
	    xmlDocGetRootElement(body), &req, &err) != KP_OK) {
		ok(0, "a notice to poison");
		return;
	}
	kreq.body = req.bytes;
	kreq.len = req.len;
	kp_inbound_handle(fx.self, &kreq, &resp);
	ok(resp.fault == KP_F_NONE, "a notice accepted: message, audit, record");
	kp_response_clear(&resp);
	kp_composed_clear(&req);
	xmlFreeDoc(body);

	/* an entry of each kind the inzage lists, then every text poisoned */
	ok(sql("INSERT INTO audit (at, direction, partner_oin, message_id, "
	    "berichtcode, entiteittype, outcome, code, bytes_sha256, detail, "
	    "subject, record, velden, basis, doel, message, hash) SELECT ?1, "
	    "'out', ?1, message_id, ?1, ?1, 'delivered', ?1, ?1, ?1, subject, ?1, "
	    "?1, ?1, ?1, message, ?1 FROM audit") == 0 &&
	    sql("INSERT INTO audit (at, direction, partner_oin, message_id, "
	    "outcome, code, detail, subject, record, doel) SELECT ?1, 'out', ?1, "
	    "?1, 'withheld', ?1, ?1, subject, ?1, ?1 FROM audit WHERE seq = 1") == 0 &&
	    sql("INSERT INTO audit (at, direction, partner_oin, message_id, "
	    "outcome, code, detail, subject, record) SELECT ?1, 'in', ?1, ?1, "
	    "'rejected', ?1, ?1, subject, ?1 FROM audit WHERE seq = 1") == 0 &&
	    sql("UPDATE audit SET at = ?1, partner_oin = ?1, berichtcode = ?1, "
	    "entiteittype = ?1, record = ?1, velden = ?1, basis = ?1, doel = ?1, "
	    "code = ?1, bytes_sha256 = ?1, detail = ?1, hash = ?1 WHERE seq = 1") == 0 &&
	    sql("UPDATE message SET partner_oin = ?1, at = ?1, "
	    "bytes = CAST(?1 AS BLOB)") == 0 &&
	    sql("UPDATE record SET identificatie = ?1, bron = ?1, "
	    "received_from = ?1, updated_at = ?1, fields = 'zaaktype=' || ?1 || "
	    "char(10) || 'status=' || ?1 || char(10) || ?1 || '=x'") == 0,
	    "every text of the message, its audit entries and its record: "
	    "every byte 1..255");

	for (int f = KP_REPORT_TABLE; f <= KP_REPORT_JSON; f++) {
		char what[64];

		snprintf(what, sizeof(what), "audit query, %s", formats[f]);
		RUN(what, kp_audit_query(fx.self, &all, f, out, &n, &err));
	}
	for (int f = KP_REPORT_TABLE; f <= KP_REPORT_HTML; f++) {
		char what[64];

		snprintf(what, sizeof(what), "audit inzage, %s", formats[f]);
		RUN(what, kp_audit_inzage(fx.self, "111222333", f, out, &n, &err));
	}
	{
		char mid[80] = "";
		char path[300];
		sqlite3 *db;
		sqlite3_stmt *st;

		snprintf(path, sizeof(path), "%s/self.db", fx.dir);
		sqlite3_open(path, &db);
		if (sqlite3_prepare_v2(db, "SELECT message_id FROM audit WHERE "
		    "seq = 2", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			snprintf(mid, sizeof(mid), "%s", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		sqlite3_close(db);
		RUN("audit show (entries and the archived bytes)",
		    kp_audit_show(fx.self, mid, out, &err));
	}
	RUN("dossier show, text", kp_dossier_show(fx.self, "111222333",
	    KP_DOSSIER_TEXT, out, &err));
	RUN("dossier show, JSON", kp_dossier_show(fx.self, "111222333",
	    KP_DOSSIER_JSON, out, &err));
	RUN("dossier show, XML", kp_dossier_show(fx.self, "111222333",
	    KP_DOSSIER_XML, out, &err));
	{
		char path[300];
		sqlite3 *db;
		sqlite3_stmt *st;
		int same = 0;

		snprintf(path, sizeof(path), "%s/self.db", fx.dir);
		sqlite3_open(path, &db);
		if (sqlite3_prepare_v2(db, "SELECT detail FROM audit WHERE seq = 1",
		    -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			same = strcmp((const char *)sqlite3_column_text(st, 0),
			    poison) == 0;
		sqlite3_finalize(st);
		sqlite3_close(db);
		ok(same, "the store still holds the bytes exactly");
	}
}

int
main(void)
{
	make_poison();

	/* the three reproductions of issue 13, and each kind */
	is_str(shown(kp_text_put, "text/xml\x1b]0;all entries verified OK\a"
	    "\x1b[2J"), "text/xml\\x1b]0;all entries verified OK\\x07\\x1b[2J",
	    "a window title and a cleared screen: visible, inert");
	is_str(shown(kp_text_put, "Bijstand\n  ZAK FAKE-1  bron 0000"),
	    "Bijstand\\n  ZAK FAKE-1  bron 0000",
	    "a field's newline cannot start a forged line");
	is_str(shown(kp_text_put, "a\xc2\x85" "b\xc2\x9b" "2J"),
	    "a\\u0085b\\u009b2J", "C1 controls NEL and CSI: visible");
	is_str(shown(kp_text_put, "x\xe2\x80\xa8y\xe2\x80\xaez\xe2\x81\xa6w"),
	    "x\\u2028y\\u202ez\\u2066w",
	    "a line separator and bidirectional overrides: visible");
	is_str(shown(kp_text_put, "\x7f\x01\t\r\\"), "\\x7f\\x01\\t\\r\\\\",
	    "DEL, SOH, tab, CR, and a backslash (so escapes are unambiguous)");
	is_str(shown(kp_text_put, "caf\xc3\xa9 \xe2\x82\xac \xff\xfe \xc3"),
	    "caf\xc3\xa9 \xe2\x82\xac \\xff\\xfe \\xc3",
	    "UTF-8 stays; bytes that are not UTF-8 are shown as bytes");
	is_str(shown(lines, "line 1\nline 2\x1b[A\n"), "line 1\nline 2\\x1b[A\n",
	    "in an archived message, line ends stay line ends");
	is_str(shown(kp_csv_field, "=HYPERLINK(\"http://x\")"),
	    "\"'=HYPERLINK(\"\"http://x\"\")\"",
	    "CSV: a formula led by an apostrophe, quotes doubled");
	is_str(shown(kp_csv_field, "+1"), "\"'+1\"", "CSV: + neutralised");
	is_str(shown(kp_csv_field, "-1"), "\"'-1\"", "CSV: - neutralised");
	is_str(shown(kp_csv_field, "@SUM(A1)"), "\"'@SUM(A1)\"",
	    "CSV: @ neutralised");
	is_str(shown(kp_csv_field, "a,b\nc"), "\"a,b\\nc\"",
	    "CSV: quoted, its newline escaped");
	is_str(shown(kp_csv_field, NULL), "\"\"", "CSV: NULL is empty");
	is_str(shown(kp_json_string, "\x1b\xc2\x9b\xe2\x80\xa8\x7f\"\\\n\xff"),
	    "\"\\u001b\\u009b\\u2028\\u007f\\\"\\\\\\n\\ufffd\"",
	    "JSON: the same controls as JSON escapes, not UTF-8 as U+FFFD");
	is_str(shown(kp_markup_text, "<b>\x1b[2J&\"</b>"),
	    "&lt;b&gt;\\x1b[2J&amp;&quot;&lt;/b&gt;",
	    "markup: escaped, controls visible");

	if (fixture_setup(&fx) != 0) {
		ok(0, "fixture");
		return done_testing();
	}
	property();
	fixture_teardown(&fx);
	return done_testing();
}
