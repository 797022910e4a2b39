/*
 * inzage — a citizen's access report (inzage.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auditlog.h"
#include "config.h"
#include "escape.h"
#include "gateway.h"
#include "inzage.h"
#include "kd.h"
#include "nlwords.h"
#include "profile.h"
#include "store.h"
#include "util.h"

static const char *const what_codes[] = { "received", "withdrawn", "shown",
	"asked", "withheld", "refused", "viewed" };

const char *
kp_inzage_what_code(enum kp_inzage_what what)
{
	return what_codes[what];
}

void
kp_inzage_view_detail(char *out, size_t outlen, const char *auditor,
    enum kp_inzage_page page)
{
	static const char *const pages[] = { "the access report",
	    "a search by BSN", "a message", "a message's signed bytes" };

	snprintf(out, outlen, "viewed by auditor %s: %s", auditor, pages[page]);
}

/* The auditor and the Dutch for what they viewed, from an entry's detail. */
static void
view_words(const char *detail, char *who, size_t wholen, const char **page)
{
	static const struct { const char *en, *nl; } pages[] = {
		{ "the access report", "dit overzicht van uw gegevens" },
		{ "a search by BSN", "welke berichten over u gaan" },
		{ "a message", "een bericht over u" },
		{ "a message's signed bytes", "een bericht over u" },
	};
	const char *colon;

	*page = "uw gegevens";
	who[0] = '\0';
	if (detail == NULL || strncmp(detail, "viewed by auditor ", 18) != 0 ||
	    (colon = strrchr(detail, ':')) == NULL)
		return;
	snprintf(who, wholen, "%.*s", (int)(colon - detail - 18), detail + 18);
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (strcmp(colon + 2, pages[i].en) == 0)
			*page = pages[i].nl;
}

/* "ZAK|bron|id|versie" -> kind, bron, identificatie, versie. */
static void
split_record(const char *record, char type[8], char bron[24], char id[160],
    char version[24])
{
	char buf[256], *f[4] = { NULL }, *save = NULL;
	int i = 0;

	type[0] = bron[0] = id[0] = version[0] = '\0';
	if (record == NULL)
		return;
	snprintf(buf, sizeof(buf), "%s", record);
	for (char *t = strtok_r(buf, "|", &save); t != NULL && i < 4;
	    t = strtok_r(NULL, "|", &save))
		f[i++] = t;
	if (i == 4) {
		snprintf(type, 8, "%s", f[0]);
		snprintf(bron, 24, "%s", f[1]);
		snprintf(id, 160, "%s", f[2]);
		snprintf(version, 24, "%s", f[3]);
	}
}

struct collecting {
	struct kp_gateway	*gw;
	struct kp_inzage	*z;
	int			 failed;
};

static char *
dup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int
collect_entry(void *arg, const struct kp_audit_entry *e)
{
	struct collecting *c = arg;
	struct kp_inzage *z = c->z;
	const struct kp_profile *p;
	struct kp_inzage_row *r, *v;
	enum kp_inzage_what what;
	char bron[24], id[160];
	int out, intrekking;

	if (e->outcome == NULL || e->direction == NULL)
		return 0;
	out = strcmp(e->direction, "out") == 0;
	intrekking = e->detail != NULL && strcmp(e->detail, "intrekking") == 0;
	if (out && strcmp(e->outcome, "delivered") == 0 &&
	    e->berichtcode != NULL && strcmp(e->berichtcode, "Lv01") == 0)
		what = KP_INZ_ASKED;		/* BSN and purpose went */
	else if (out && strcmp(e->outcome, "delivered") == 0)
		what = intrekking ? KP_INZ_WITHDRAWN : KP_INZ_RECEIVED;
	else if (out && strcmp(e->outcome, "answered") == 0)
		what = KP_INZ_SHOWN;
	else if (out && strcmp(e->outcome, "withheld") == 0)
		what = KP_INZ_WITHHELD;
	else if (strcmp(e->direction, "in") == 0 &&
	    strcmp(e->outcome, "rejected") == 0)
		what = KP_INZ_REFUSED;
	else if (strcmp(e->direction, "local") == 0 &&
	    strcmp(e->outcome, "viewed") == 0)
		what = KP_INZ_VIEWED;
	else
		return 0;
	if ((v = reallocarray(z->v, z->n + 1, sizeof(*v))) == NULL) {
		c->failed = 1;
		return 1;
	}
	z->v = v;
	r = memset(&z->v[z->n++], 0, sizeof(*r));
	r->seq = e->seq;
	r->what = what;
	snprintf(r->at, sizeof(r->at), "%s", e->at != NULL ? e->at : "");
	snprintf(r->oin, sizeof(r->oin), "%s", e->partner_oin != NULL ?
	    e->partner_oin : "");
	p = kp_profiles_by_oin(c->gw->profiles, r->oin);
	r->org = strdup(p != NULL ? p->naam : strcmp(r->oin,
	    c->gw->cfg->oin) == 0 ? c->gw->cfg->name : r->oin[0] != '\0' ?
	    r->oin : "een onbekende organisatie");
	split_record(e->record, r->type, bron, id, r->version);
	if (r->type[0] == '\0' && e->entiteittype != NULL)
		snprintf(r->type, sizeof(r->type), "%s", e->entiteittype);
	r->identificatie = dup(id[0] != '\0' ? id : NULL);
	r->velden = dup(what == KP_INZ_WITHDRAWN ? NULL : e->velden);
	r->doel = dup(e->doel);
	r->basis = dup(what == KP_INZ_RECEIVED || what == KP_INZ_SHOWN ||
	    what == KP_INZ_WITHDRAWN ? e->basis : NULL);
	r->code = dup(what == KP_INZ_REFUSED || what == KP_INZ_WITHHELD ?
	    e->code : NULL);
	r->detail = dup(what == KP_INZ_WITHHELD || what == KP_INZ_VIEWED ?
	    e->detail : NULL);
	if (r->org == NULL)
		c->failed = 1;
	return c->failed;
}

/* What a record is about, from the record itself when we hold it. */
static int
about_record(void *arg, const struct kp_stored_record *rec)
{
	struct kp_inzage *z = arg;
	const char *name = strcmp(rec->entiteittype, "ZAK") == 0 ? "zaaktype" :
	    strcmp(rec->entiteittype, "KCT") == 0 ? "onderwerp" : NULL;
	char *value;

	if (name == NULL || rec->fields == NULL ||
	    (value = kp_field_get(rec->fields, name)) == NULL)
		return 0;
	for (size_t i = 0; i < z->n; i++)
		if (z->v[i].about == NULL && z->v[i].identificatie != NULL &&
		    strcmp(z->v[i].type, rec->entiteittype) == 0 &&
		    strcmp(z->v[i].identificatie, rec->identificatie) == 0)
			z->v[i].about = strdup(value);
	free(value);
	return 0;
}

int
kp_inzage_collect(struct kp_gateway *gw, const char *bsn, struct kp_inzage *z,
    struct kp_err *err)
{
	struct collecting c = { gw, z, 0 };
	char subject[65];
	struct kp_audit_where w = { .subject = subject };
	int ret;

	memset(z, 0, sizeof(*z));
	if ((ret = kp_audit_pseudonym_of(gw, bsn, subject, err)) != KP_OK)
		return ret;
	snprintf(z->bsn, sizeof(z->bsn), "%s", bsn);
	kp_time_iso(kp_now_ms(), z->made_at);
	if ((ret = kp_store_each_audit(gw->store, &w, collect_entry, &c,
	    err)) == KP_OK && !c.failed)
		ret = kp_store_each_record(gw->store, bsn, NULL, about_record, z,
		    err);
	if (ret == KP_OK && c.failed)
		ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
	if (ret != KP_OK)
		kp_inzage_clear(z);
	return ret;
}

void
kp_inzage_clear(struct kp_inzage *z)
{
	for (size_t i = 0; i < z->n; i++) {
		struct kp_inzage_row *r = &z->v[i];

		free(r->org);
		free(r->identificatie);
		free(r->velden);
		free(r->doel);
		free(r->basis);
		free(r->code);
		free(r->detail);
		free(r->about);
	}
	free(z->v);
	memset(z, 0, sizeof(*z));
}

/* A row in words: every sentence the citizen reads. */
struct words {
	char	 when[64], iso[40];
	char	 what[400];	/* "heeft gekregen: een zaak: …" */
	char	 fields[700];	/* "Welke gegevens: …" or "" */
	char	 why[600];	/* purpose and basis, or the reason */
};

static void
row_words(const struct kp_inzage_row *r, struct words *w)
{
	static const char *const verbs[] = {
		"heeft gekregen", "moest verwijderen wat het eerder kreeg",
		"heeft op verzoek ingezien", "kreeg van ons een vraag over u",
		"heeft niet gekregen", "vroeg om gegevens over u; dat is geweigerd",
		"een controleur heeft bekeken",
	};
	char kind[300], list[600], purpose[300], basis[300], who[200];
	const char *page;

	kp_nl_when(r->at, w->when, sizeof(w->when));
	kp_nl_iso(r->at, w->iso, sizeof(w->iso));
	w->fields[0] = w->why[0] = '\0';
	if (r->about != NULL)
		snprintf(kind, sizeof(kind), "%s: %s", kp_nl_kind(r->type),
		    r->about);
	else
		snprintf(kind, sizeof(kind), "%s", kp_nl_kind(r->type));
	if (r->identificatie != NULL && r->what != KP_INZ_ASKED)
		snprintf(kind + strlen(kind), sizeof(kind) - strlen(kind),
		    " (kenmerk %s)", r->identificatie);
	switch (r->what) {
	case KP_INZ_ASKED:
		snprintf(w->what, sizeof(w->what), "%s.", verbs[r->what]);
		snprintf(w->fields, sizeof(w->fields), "Wij stuurden uw "
		    "burgerservicenummer mee en waarom wij het vroegen.");
		break;
	case KP_INZ_VIEWED:
		view_words(r->detail, who, sizeof(who), &page);
		snprintf(w->what, sizeof(w->what), "%s: %s.", verbs[r->what],
		    page);
		if (who[0] != '\0')
			snprintf(w->fields, sizeof(w->fields), "Wie: %s.", who);
		snprintf(w->why, sizeof(w->why), "Een controleur kijkt of wij "
		    "zorgvuldig met uw gegevens omgaan.");
		return;
	case KP_INZ_REFUSED:
		snprintf(w->what, sizeof(w->what), "%s.", verbs[r->what]);
		kp_nl_refused(r->code, w->why, sizeof(w->why));
		return;
	default:
		snprintf(w->what, sizeof(w->what), "%s: %s.", verbs[r->what],
		    kind);
		break;
	}
	if (r->velden != NULL && r->velden[0] != '\0') {
		kp_nl_fields(r->type, r->velden, list, sizeof(list));
		snprintf(w->fields, sizeof(w->fields), "Welke gegevens: %s.",
		    list);
	}
	kp_nl_purpose(r->doel, purpose, sizeof(purpose));
	if (r->what == KP_INZ_WITHHELD)
		kp_nl_withheld(r->detail, basis, sizeof(basis));
	else
		kp_nl_basis(r->basis, basis, sizeof(basis));
	snprintf(w->why, sizeof(w->why), "%s%s%s", purpose,
	    purpose[0] != '\0' && basis[0] != '\0' ? " " : "", basis);
}

/*
 * The rows' indexes grouped by organisation, the organisations in the
 * order they first appear, each group in the chain's order (malloc'd;
 * NULL: no memory).
 */
static size_t *
grouped(const struct kp_inzage *z)
{
	size_t *order = calloc(z->n + 1, sizeof(*order)), n = 0;

	for (size_t i = 0; order != NULL && i < z->n; i++) {
		size_t k;

		for (k = 0; k < i && strcmp(z->v[k].org, z->v[i].org) != 0; k++)
			;
		if (k < i)
			continue;	/* its group was taken */
		for (size_t j = i; j < z->n; j++)
			if (strcmp(z->v[j].org, z->v[i].org) == 0)
				order[n++] = j;
	}
	return order;
}

static const char intro[] = "In dit overzicht staat welke organisaties "
	"gegevens over u kregen van %s, wanneer, waarvoor en waarom dat mocht. "
	"Ook staat erin wat wij niet hebben gedeeld, welke vragen over u wij "
	"hebben geweigerd, en wie uw gegevens heeft bekeken.";
static const char nothing[] = "Wij hebben geen gegevens over u gedeeld, en "
	"niemand heeft om gegevens over u gevraagd.";

static void
write_text(struct kp_gateway *gw, const struct kp_inzage *z, FILE *out)
{
	size_t *order = grouped(z);
	char made[64];

	kp_nl_when(z->made_at, made, sizeof(made));
	fputs("Inzage in uw gegevens (AVG artikel 15)\n\n", out);
	kp_text_line(out, "Uw burgerservicenummer: %s", z->bsn);
	kp_text_line(out, "Gemaakt door %s op %s (Nederlandse tijd).",
	    gw->cfg->name, made);
	fputc('\n', out);
	kp_text_line(out, intro, gw->cfg->name);
	fputc('\n', out);
	if (z->n == 0 || order == NULL) {
		fprintf(out, "%s\n", z->n == 0 ? nothing : "(geen geheugen)");
		free(order);
		return;
	}
	for (size_t k = 0; k < z->n; k++) {
		const struct kp_inzage_row *r = &z->v[order[k]];
		struct words w;

		if (k == 0 || strcmp(r->org, z->v[order[k - 1]].org) != 0) {
			if (k > 0)
				fputc('\n', out);
			kp_text_line(out, "%s (OIN %s)", r->org, r->oin);
		}
		row_words(r, &w);
		kp_text_line(out, "- %s: %s", w.when, w.what);
		if (w.fields[0] != '\0')
			kp_text_line(out, "    %s", w.fields);
		if (w.why[0] != '\0')
			kp_text_line(out, "    %s", w.why);
	}
	free(order);
}

static void
html_text(FILE *out, const char *tag, const char *s)
{
	fprintf(out, "<%s>", tag);
	kp_markup_text(out, s);
	fprintf(out, "</%s>", tag);
}

static void
write_html(struct kp_gateway *gw, const struct kp_inzage *z, int standalone,
    FILE *out)
{
	size_t *order = grouped(z);
	char made[64], line[600];

	if (standalone)
		fputs("<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset="
		    "\"utf-8\"><title>Inzage in uw gegevens</title><style>body{"
		    "font-family:sans-serif;margin:2em;max-width:60em;line-height:"
		    "1.5}table{border-collapse:collapse;width:100%}td,th{border:1px"
		    " solid #767676;padding:.3em .5em;text-align:left;vertical-"
		    "align:top}th{background:#eee}@media print{body{margin:0}}"
		    "</style></head><body><main>\n", out);
	kp_nl_when(z->made_at, made, sizeof(made));
	/* inside a page, the page's own heading says it */
	fputs(standalone ? "<h1>Inzage in uw gegevens (AVG artikel 15)</h1>\n<p>" :
	    "<p>", out);
	snprintf(line, sizeof(line), "Uw burgerservicenummer: %s. Gemaakt door "
	    "%s op %s (Nederlandse tijd).", z->bsn, gw->cfg->name, made);
	kp_markup_text(out, line);
	fputs("</p>\n<p>", out);
	snprintf(line, sizeof(line), intro, gw->cfg->name);
	kp_markup_text(out, line);
	fputs("</p>\n", out);
	if (z->n == 0 || order == NULL) {
		html_text(out, "p", z->n == 0 ? nothing : "(geen geheugen)");
		fputc('\n', out);
	}
	for (size_t k = 0; order != NULL && k < z->n; k++) {
		const struct kp_inzage_row *r = &z->v[order[k]];
		struct words w;

		if (k == 0 || strcmp(r->org, z->v[order[k - 1]].org) != 0) {
			if (k > 0)
				fputs("</tbody>\n</table>\n</section>\n", out);
			fputs("<section>\n", out);
			html_text(out, "h2", r->org);
			fputs("\n<table>\n<caption>OIN ", out);
			kp_markup_text(out, r->oin);
			fputs("</caption>\n<thead><tr><th scope=\"col\">Wanneer"
			    "</th><th scope=\"col\">Wat</th><th scope=\"col\">"
			    "Welke gegevens</th><th scope=\"col\">Waarom</th>"
			    "</tr></thead>\n<tbody>\n", out);
		}
		row_words(r, &w);
		fputs("<tr><td><time datetime=\"", out);
		kp_markup_text(out, w.iso);
		fputs("\">", out);
		kp_markup_text(out, w.when);
		fputs("</time></td>", out);
		html_text(out, "td", w.what);
		html_text(out, "td", w.fields);
		html_text(out, "td", w.why);
		fputs("</tr>\n", out);
	}
	if (order != NULL && z->n > 0)
		fputs("</tbody>\n</table>\n</section>\n", out);
	fprintf(out, "<p>%zu regels.</p>\n", z->n);
	if (standalone)
		fputs("</main></body></html>\n", out);
	free(order);
}

static const char *const machine_names[] = { "wanneer", "organisatie", "oin",
	"wat", "gegevens", "waarom", "soort_code", "wat_code", "entiteittype",
	"identificatie", "bronversie", "velden", "doel", "grondslag",
	"code", "toelichting" };
#define NMACHINE (sizeof(machine_names) / sizeof(machine_names[0]))

static void
write_machine(struct kp_gateway *gw, const struct kp_inzage *z,
    enum kp_report_format format, FILE *out)
{
	if (format == KP_REPORT_CSV) {
		for (size_t i = 0; i < NMACHINE; i++)
			fprintf(out, "%s%s", machine_names[i],
			    i + 1 < NMACHINE ? "," : "\n");
	} else {
		fputs("{\"bsn\": ", out);
		kp_json_string(out, z->bsn);
		fputs(", \"gemaakt_door\": ", out);
		kp_json_string(out, gw->cfg->name);
		fputs(", \"oin\": ", out);
		kp_json_string(out, gw->cfg->oin);
		fprintf(out, ", \"gemaakt_op\": \"%s\", \"regels\": [", z->made_at);
	}
	for (size_t i = 0; i < z->n; i++) {
		const struct kp_inzage_row *r = &z->v[i];
		struct words w;
		const char *v[NMACHINE];

		row_words(r, &w);
		v[0] = w.iso; v[1] = r->org; v[2] = r->oin; v[3] = w.what;
		v[4] = w.fields; v[5] = w.why; v[6] = kp_nl_kind(r->type);
		v[7] = kp_inzage_what_code(r->what);
		v[8] = r->type[0] != '\0' ? r->type : NULL;
		v[9] = r->identificatie;
		v[10] = r->version[0] != '\0' ? r->version : NULL;
		v[11] = r->velden; v[12] = r->doel; v[13] = r->basis;
		v[14] = r->code; v[15] = r->detail;
		if (format == KP_REPORT_CSV) {
			for (size_t k = 0; k < NMACHINE; k++) {
				kp_csv_field(out, v[k]);
				fputc(k + 1 < NMACHINE ? ',' : '\n', out);
			}
			continue;
		}
		fprintf(out, "%s\n  {", i > 0 ? "," : "");
		for (size_t k = 0; k < NMACHINE; k++) {
			fprintf(out, "%s\"%s\": ", k ? ", " : "", machine_names[k]);
			kp_json_string(out, v[k]);
		}
		fputc('}', out);
	}
	if (format == KP_REPORT_JSON)
		fputs(z->n > 0 ? "\n]}\n" : "]}\n", out);
}

void
kp_inzage_write(struct kp_gateway *gw, const struct kp_inzage *z,
    enum kp_report_format format, int standalone, FILE *out)
{
	switch (format) {
	case KP_REPORT_CSV:
	case KP_REPORT_JSON:
		write_machine(gw, z, format, out);
		break;
	case KP_REPORT_HTML:
		write_html(gw, z, standalone, out);
		break;
	default:
		write_text(gw, z, out);
		break;
	}
}

int
kp_audit_inzage(struct kp_gateway *gw, const char *bsn,
    enum kp_report_format format, FILE *out, int64_t *count,
    struct kp_err *err)
{
	struct kp_inzage z;
	int ret;

	*count = 0;
	if ((ret = kp_inzage_collect(gw, bsn, &z, err)) != KP_OK)
		return ret;
	kp_inzage_write(gw, &z, format, 1, out);
	*count = (int64_t)z.n;
	kp_inzage_clear(&z);
	return KP_OK;
}
