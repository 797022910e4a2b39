/*
 * auditpages — the pages of the auditor's web view (auditweb.h): written
 * as HTML into the request's buffer, every value from outside escaped,
 * codes shown next to their words.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "apply.h"
#include "audit.h"
#include "log.h"
#include "auditlog.h"
#include "auditweb.h"
#include "auditweb_int.h"
#include "config.h"
#include "escape.h"
#include "gateway.h"
#include "inzage.h"
#include "nlwords.h"
#include "profile.h"
#include "store.h"
#include "util.h"

void
kp_page_text(struct kp_page *p, const char *s)
{
	kp_markup_text(p->out, s != NULL ? s : "");
}

void
kp_page_begin(struct kp_page *p, const char *title, const char *nav)
{
	static const struct { const char *href, *name; } links[] = {
		{ "/", "Overzicht" }, { "/zoeken", "Zoeken" },
		{ "/controle", "Controle" },
	};

	fputs("<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\"><title>", p->out);
	kp_page_text(p, title);
	fputs(" — ketenpoort auditlog</title><link rel=\"stylesheet\" "
	    "href=\"/static/kp.css\"><script src=\"/static/kp.js\" defer>"
	    "</script></head><body>\n<a class=\"skip\" href=\"#inhoud\">Naar de "
	    "inhoud</a>\n<header><p>Auditlog van ", p->out);
	kp_page_text(p, p->gw->cfg->name);
	fprintf(p->out, " (OIN %s)</p><nav aria-label=\"Hoofdmenu\"><ul>",
	    p->gw->cfg->oin);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		fprintf(p->out, "<li><a href=\"%s\"%s>%s</a></li>", links[i].href,
		    nav != NULL && strcmp(nav, links[i].href) == 0 ?
		    " aria-current=\"page\"" : "", links[i].name);
	fputs("</ul></nav></header>\n<main id=\"inhoud\">\n<h1>", p->out);
	kp_page_text(p, title);
	fputs("</h1>\n", p->out);
}

void
kp_page_end(struct kp_page *p)
{
	fputs("</main>\n<footer><p>Ingelogd als ", p->out);
	kp_page_text(p, p->auditor_cn);
	fputs(". Wat u bekijkt over een burger wordt vastgelegd in het "
	    "auditlog.</p></footer>\n</body></html>\n", p->out);
}

void
kp_page_refused(struct kp_page *p, int status, const char *title,
    const char *why)
{
	p->status = status;
	fputs("<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\">"
	    "<title>", p->out);
	kp_page_text(p, title);
	fputs("</title><link rel=\"stylesheet\" href=\"/static/kp.css\"></head>"
	    "<body><main id=\"inhoud\"><h1>", p->out);
	kp_page_text(p, title);
	fputs("</h1><p>", p->out);
	kp_page_text(p, why);
	fputs("</p><p><a href=\"/\">Naar het overzicht</a></p></main></body>"
	    "</html>\n", p->out);
}

/* A partner's name for people, its OIN next to it. */
static void
partner(struct kp_page *p, const char *oin)
{
	const struct kp_profile *pr = oin != NULL ?
	    kp_profiles_by_oin(p->gw->profiles, oin) : NULL;

	if (oin == NULL) {
		fputs("—", p->out);
		return;
	}
	if (pr != NULL) {
		kp_page_text(p, pr->naam);
		fputs(" ", p->out);
	} else if (strcmp(oin, p->gw->cfg->oin) == 0) {
		kp_page_text(p, p->gw->cfg->name);
		fputs(" ", p->out);
	}
	fputs("<small>(", p->out);
	kp_page_text(p, oin);
	fputs(")</small>", p->out);
}

static void
when(struct kp_page *p, const char *iso)
{
	char words[64], local[40];

	kp_nl_when(iso, words, sizeof(words));
	kp_nl_iso(iso, local, sizeof(local));
	fputs("<time datetime=\"", p->out);
	kp_page_text(p, local);
	fputs("\">", p->out);
	kp_page_text(p, words);
	fputs("</time>", p->out);
}

/* A message id as a link to its page (the id URL-encoded, then escaped). */
static void
message_link(struct kp_page *p, const char *id)
{
	char *enc;

	if (id == NULL) {
		fputs("—", p->out);
		return;
	}
	enc = evhttp_encode_uri(id);
	fputs("<a href=\"/bericht/", p->out);
	kp_page_text(p, enc != NULL ? enc : "");
	fputs("\"><code>", p->out);
	kp_page_text(p, id);
	fputs("</code></a>", p->out);
	free(enc);
}

/*
 * Viewing is audited: an entry that the auditor viewed a citizen's data
 * (bsn, or the pseudonym subject), written before the page is shown.
 */

static int
viewed(struct kp_page *p, const char *bsn, const char *subject, int page)
{
	struct kp_err err;
	char detail[300];

	kp_inzage_view_detail(detail, sizeof(detail), p->auditor_cn,
	    (enum kp_inzage_page)page);
	if (kp_apply_audit(p->gw->store, &(struct kp_audit){
	    .direction = "local", .partner_oin = p->gw->cfg->oin,
	    .bsn = bsn, .subject = bsn == NULL ? subject : NULL,
	    .outcome = "viewed", .detail = detail }, &err) != KP_OK) {
		log_warnx("auditor's view: %s; the page was not shown", err.msg);
		return -1;
	}
	return 0;
}

/* ---- the overview ---- */

struct verif_row {
	struct kp_page	*p;
	int		 n;
};

static int
verification_row(void *arg, const struct kp_verification *v)
{
	struct verif_row *r = arg;
	struct kp_page *p = r->p;

	r->n++;
	fputs("<p>Laatste controle van de keten: ", p->out);
	when(p, v->finished_at);
	fputs(", gestart door ", p->out);
	kp_page_text(p, v->started_by);
	fputs(": ", p->out);
	if (v->error != NULL) {
		fputs("<span class=\"bad\">kon niet worden afgemaakt: ", p->out);
		kp_page_text(p, v->error);
		fputs("</span>", p->out);
	} else if (v->bad > 0) {
		fprintf(p->out, "<span class=\"bad\">%lld %s in %lld regels; "
		    "de eerste bij <a href=\"/regel/%lld\">regel %lld</a>: ",
		    (long long)v->bad, v->bad == 1 ? "fout" : "fouten",
		    (long long)v->entries,
		    (long long)v->first_bad, (long long)v->first_bad);
		kp_page_text(p, v->first);
		fputs("</span>", p->out);
	} else {
		fprintf(p->out, "<span class=\"good\">in orde</span> (%lld regels "
		    "gecontroleerd)", (long long)v->entries);
	}
	fputs(".</p>\n", p->out);
	return 1;
}

void
kp_page_overview(struct kp_page *p)
{
	struct kp_checkpoint_last cp;
	struct verif_row vr = { p, 0 };
	struct kp_err err;
	int64_t first = 0, last = 0, start;
	char since[40];

	kp_page_begin(p, "Overzicht", "/");
	if (kp_store_audit_bounds(p->gw->store, &first, &last, &err) != KP_OK ||
	    kp_store_checkpoint_last(p->gw->store, &cp, &err) != KP_OK) {
		fputs("<p class=\"bad\">Het auditlog kan nu niet worden gelezen: ",
		    p->out);
		kp_page_text(p, err.msg);
		fputs("</p>", p->out);
		kp_page_end(p);
		return;
	}
	fputs("<h2>De keten</h2>\n", p->out);
	fprintf(p->out, "<p>Het auditlog telt <strong>%lld</strong> regels "
	    "(regel %lld tot en met %lld).</p>\n", (long long)(last > 0 ?
	    last - first + 1 : 0), (long long)first, (long long)last);
	if (cp.id == 0)
		fputs("<p>Er is nog geen controlepunt ondertekend.</p>\n", p->out);
	else {
		fprintf(p->out, "<p>Laatste controlepunt: regel <a href=\"/regel/"
		    "%lld\">%lld</a>, ondertekend ", (long long)cp.seq,
		    (long long)cp.seq);
		when(p, cp.at);
		fputs(". ", p->out);
		if (cp.nwitnesses == 0)
			fputs("Nog door geen partner bevestigd (getuige).", p->out);
		else {
			fputs("Verstuurd aan de getuigen: ", p->out);
			for (size_t i = 0; i < cp.nwitnesses; i++) {
				if (i > 0)
					fputs(", ", p->out);
				partner(p, cp.witnesses[i]);
			}
			fputs(".", p->out);
		}
		fputs("</p>\n", p->out);
	}
	if (kp_store_each_verification(p->gw->store, 1, verification_row, &vr,
	    &err) != KP_OK || vr.n == 0)
		fputs("<p>De keten is vanaf deze pagina nog niet gecontroleerd. "
		    "<a href=\"/controle\">Controleer de keten</a>.</p>\n", p->out);
	/* from the start of the day (UTC) thirteen days ago */
	start = (kp_now_ms() / 86400000 - 13) * 86400000;
	kp_time_iso(start, since);
	kp_chart_daily(p, start);
	kp_chart_codes(p, since);
	kp_page_end(p);
}

/* ---- search ---- */

static void
option(struct kp_page *p, const char *value, const char *label,
    const char *chosen)
{
	fputs("<option value=\"", p->out);
	kp_page_text(p, value);
	fprintf(p->out, "\"%s>", chosen != NULL && strcmp(chosen, value) == 0 ?
	    " selected" : "");
	kp_page_text(p, label);
	fputs("</option>", p->out);
}

void
kp_page_search_form(struct kp_page *p, const struct kp_search *s,
    const char *error)
{
	const struct kp_profiles *profs = p->gw->profiles;
	static const char *const outcomes[][2] = {
		{ "", "alle" }, { "accepted", "aangenomen (accepted)" },
		{ "rejected", "afgewezen (rejected)" },
		{ "refused", "geweigerd (refused)" },
		{ "delivered", "afgeleverd (delivered)" },
		{ "withheld", "niet gedeeld (withheld)" },
		{ "answered", "op verzoek getoond (answered)" },
		{ "viewed", "bekeken door een auditor (viewed)" },
	};

	if (s == NULL)
		kp_page_begin(p, "Zoeken in het auditlog", "/zoeken");
	if (error != NULL) {
		fputs("<p class=\"bad\" role=\"alert\">", p->out);
		kp_page_text(p, error);
		fputs("</p>\n", p->out);
	}
	fputs("<form method=\"post\" action=\"/zoeken\">\n", p->out);
	fprintf(p->out, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">\n",
	    p->csrf);
	fputs("<label for=\"bsn\">Burgerservicenummer (wordt niet bewaard of "
	    "getoond in het adres)</label><input id=\"bsn\" name=\"bsn\" "
	    "inputmode=\"numeric\" autocomplete=\"off\" maxlength=\"9\">\n"
	    "<label for=\"partner\">Partner</label><select id=\"partner\" "
	    "name=\"partner\">", p->out);
	option(p, "", "alle", NULL);
	for (size_t i = 0; profs != NULL && i < profs->n; i++) {
		const struct kp_profile *pr = &profs->v[i];
		char label[300];

		snprintf(label, sizeof(label), "%s (%s)", pr->naam, pr->oin);
		option(p, pr->oin, label, s != NULL ? s->partner : NULL);
	}
	fputs("</select>\n<label for=\"van\">Vanaf (jjjj-mm-dd)</label><input "
	    "id=\"van\" name=\"van\" inputmode=\"numeric\" "
	    "maxlength=\"10\" placeholder=\"jjjj-mm-dd\"", p->out);
	if (s != NULL && s->from[0] != '\0') {
		fputs(" value=\"", p->out);
		kp_page_text(p, s->from);
		fputs("\"", p->out);
	}
	fputs(">\n<label for=\"tot\">Tot en met (jjjj-mm-dd)</label><input "
	    "id=\"tot\" name=\"tot\" inputmode=\"numeric\" "
	    "maxlength=\"10\" placeholder=\"jjjj-mm-dd\"", p->out);
	if (s != NULL && s->until[0] != '\0') {
		fputs(" value=\"", p->out);
		kp_page_text(p, s->until);
		fputs("\"", p->out);
	}
	fputs(">\n<label for=\"richting\">Richting</label><select id=\"richting\" "
	    "name=\"richting\">", p->out);
	option(p, "", "alle", NULL);
	option(p, "in", "ontvangen (in)", s != NULL ? s->direction : NULL);
	option(p, "out", "verzonden (out)", s != NULL ? s->direction : NULL);
	option(p, "local", "eigen organisatie (local)", s != NULL ?
	    s->direction : NULL);
	fputs("</select>\n<label for=\"uitkomst\">Uitkomst</label><select "
	    "id=\"uitkomst\" name=\"uitkomst\">", p->out);
	for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		option(p, outcomes[i][0], outcomes[i][1], s != NULL ?
		    s->outcome : NULL);
	fputs("</select>\n<label for=\"soort\">Soort bericht of gegeven (Lk01, "
	    "Lv01, ZAK, KCT, PRS, TST)</label><input id=\"soort\" name=\"soort\" "
	    "maxlength=\"15\"", p->out);
	if (s != NULL && s->kind[0] != '\0') {
		fputs(" value=\"", p->out);
		kp_page_text(p, s->kind);
		fputs("\"", p->out);
	}
	fputs(">\n<button type=\"submit\">Zoeken</button>\n</form>\n", p->out);
	if (s == NULL)
		kp_page_end(p);
}

struct listing {
	struct kp_page	*p;
	int64_t		 n, last_seq;
};

static int
list_row(void *arg, const struct kp_audit_entry *e)
{
	struct listing *l = arg;
	struct kp_page *p = l->p;

	if (l->n++ == KP_AUDITWEB_PAGE)
		return 1;	/* one more: there is a next page */
	l->last_seq = e->seq;
	fprintf(p->out, "<tr><td><a href=\"/regel/%lld\">%lld</a></td><td>",
	    (long long)e->seq, (long long)e->seq);
	when(p, e->at);
	fputs("</td><td>", p->out);
	kp_page_text(p, e->direction);
	fputs("</td><td>", p->out);
	partner(p, e->partner_oin);
	fputs("</td><td>", p->out);
	kp_page_text(p, e->berichtcode != NULL ? e->berichtcode : "");
	fputs(" ", p->out);
	kp_page_text(p, e->entiteittype != NULL ? e->entiteittype : "");
	fputs("</td><td>", p->out);
	kp_page_text(p, e->outcome);
	if (e->code != NULL) {
		fputs(" <span class=\"bad\">", p->out);
		kp_page_text(p, e->code);
		fputs("</span>", p->out);
	}
	fputs("</td><td>", p->out);
	message_link(p, e->message_id);
	fputs("</td></tr>\n", p->out);
	return 0;
}

void
kp_page_search(struct kp_page *p, const struct kp_search *s, int64_t before)
{
	struct listing l = { p, 0, 0 };
	struct kp_audit_where w = {
		.subject = s->bsn[0] != '\0' ? s->subject : NULL,
		.partner_oin = s->partner[0] != '\0' ? s->partner : NULL,
		.direction = s->direction[0] != '\0' ? s->direction : NULL,
		.outcome = s->outcome[0] != '\0' ? s->outcome : NULL,
		.kind = s->kind[0] != '\0' ? s->kind : NULL,
		.seq_before = before, .newest_first = 1,
		.limit = KP_AUDITWEB_PAGE + 1,
	};
	char from[40], until[40];
	struct kp_err err;

	if (s->from[0] != '\0') {
		snprintf(from, sizeof(from), "%s", s->from);
		w.at_from = from;
	}
	if (s->until[0] != '\0') {
		snprintf(until, sizeof(until), "%sT99", s->until);
		w.at_until = until;
	}
	if (s->bsn[0] != '\0' && viewed(p, s->bsn, NULL,
	    KP_VIEW_SEARCH) != 0) {
		kp_page_refused(p, 503, "Probeer het opnieuw", "Wat u bekijkt kan "
		    "nu niet worden vastgelegd; daarom wordt het niet getoond.");
		return;
	}
	kp_page_begin(p, "Zoekresultaten", "/zoeken");
	if (s->bsn[0] != '\0')
		fprintf(p->out, "<p>Gezocht op een burgerservicenummer (eindigend "
		    "op %s). <a href=\"/inzage/%s\">Inzage voor deze burger (AVG "
		    "art. 15)</a>.</p>\n", s->bsn + 6, s->token);
	fputs("<table>\n<caption>Regels van het auditlog, nieuwste eerst"
	    "</caption>\n<thead><tr><th scope=\"col\">Regel</th><th scope=\"col\">"
	    "Wanneer</th><th scope=\"col\">Richting</th><th scope=\"col\">Partner"
	    "</th><th scope=\"col\">Soort</th><th scope=\"col\">Uitkomst</th>"
	    "<th scope=\"col\">Bericht</th></tr></thead>\n<tbody>\n", p->out);
	if (kp_store_each_audit(p->gw->store, &w, list_row, &l, &err) != KP_OK) {
		fputs("</tbody></table><p class=\"bad\">", p->out);
		kp_page_text(p, err.msg);
		fputs("</p>", p->out);
	} else {
		fputs("</tbody>\n</table>\n", p->out);
		fprintf(p->out, "<p>%lld regels op deze pagina.", (long long)(l.n >
		    KP_AUDITWEB_PAGE ? KP_AUDITWEB_PAGE : l.n));
		if (l.n > KP_AUDITWEB_PAGE)
			fprintf(p->out, " <a href=\"/zoeken/%s?voor=%lld\">Oudere "
			    "regels</a>", s->token, (long long)l.last_seq);
		fputs("</p>\n", p->out);
	}
	fputs("<h2>Opnieuw zoeken</h2>\n", p->out);
	kp_page_search_form(p, s, NULL);
	kp_page_end(p);
}

/* ---- one entry ---- */

struct one_entry {
	struct kp_page	*p;
	int		 found;
	char		 subject[65];
	struct kp_audit_entry e;
	char		*copy[18];
};

static int
keep_entry(void *arg, const struct kp_audit_entry *e)
{
	struct one_entry *o = arg;
	const char *const v[] = { e->at, e->direction, e->partner_oin,
	    e->message_id, e->berichtcode, e->entiteittype, e->subject,
	    e->record, e->velden, e->basis, e->doel, e->outcome, e->code,
	    e->bytes_sha256, e->detail, e->hash };

	o->found = 1;
	o->e = *e;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		o->copy[i] = v[i] != NULL ? strdup(v[i]) : NULL;
	o->e.at = o->copy[0]; o->e.direction = o->copy[1];
	o->e.partner_oin = o->copy[2]; o->e.message_id = o->copy[3];
	o->e.berichtcode = o->copy[4]; o->e.entiteittype = o->copy[5];
	o->e.subject = o->copy[6]; o->e.record = o->copy[7];
	o->e.velden = o->copy[8]; o->e.basis = o->copy[9];
	o->e.doel = o->copy[10]; o->e.outcome = o->copy[11];
	o->e.code = o->copy[12]; o->e.bytes_sha256 = o->copy[13];
	o->e.detail = o->copy[14]; o->e.hash = o->copy[15];
	return 1;
}

static void
row(struct kp_page *p, const char *name, const char *value, const char *words)
{
	fputs("<tr><th scope=\"row\">", p->out);
	kp_page_text(p, name);
	fputs("</th><td>", p->out);
	if (value != NULL) {
		fputs("<code>", p->out);
		kp_page_text(p, value);
		fputs("</code>", p->out);
	} else
		fputs("—", p->out);
	if (words != NULL && words[0] != '\0') {
		fputs(" — ", p->out);
		kp_page_text(p, words);
	}
	fputs("</td></tr>\n", p->out);
}

/* An entry's facts, codes next to words (the disclosure decision too). */
static void
entry_table(struct kp_page *p, const struct kp_audit_entry *e)
{
	char words[700];

	fprintf(p->out, "<table>\n<caption>Regel %lld</caption>\n<tbody>\n",
	    (long long)e->seq);
	fputs("<tr><th scope=\"row\">Wanneer</th><td>", p->out);
	when(p, e->at);
	fputs(" <code>", p->out);
	kp_page_text(p, e->at);
	fputs("</code></td></tr>\n<tr><th scope=\"row\">Partner</th><td>", p->out);
	partner(p, e->partner_oin);
	fputs("</td></tr>\n", p->out);
	row(p, "Richting", e->direction, e->direction == NULL ? NULL :
	    strcmp(e->direction, "in") == 0 ? "ontvangen" :
	    strcmp(e->direction, "out") == 0 ? "verzonden" : "eigen organisatie");
	row(p, "Berichtcode", e->berichtcode, NULL);
	row(p, "Soort gegeven", e->entiteittype, e->entiteittype != NULL ?
	    kp_nl_kind(e->entiteittype) : NULL);
	row(p, "Record", e->record, NULL);
	kp_nl_fields(e->entiteittype, e->velden, words, sizeof(words));
	row(p, "Gedeelde velden", e->velden, words);
	kp_nl_purpose(e->doel, words, sizeof(words));
	row(p, "Doel", e->doel, words);
	kp_nl_basis(e->basis, words, sizeof(words));
	row(p, "Grondslag", e->basis, words);
	row(p, "Uitkomst", e->outcome, NULL);
	row(p, "Foutcode", e->code, NULL);
	row(p, "Toelichting", e->detail, NULL);
	row(p, "Burger (pseudoniem)", e->subject, NULL);
	row(p, "SHA-256 van de bytes", e->bytes_sha256, NULL);
	row(p, "Hash in de keten", e->hash, NULL);
	fputs("<tr><th scope=\"row\">Bericht</th><td>", p->out);
	message_link(p, e->message_id);
	fputs("</td></tr>\n</tbody>\n</table>\n", p->out);
}

void
kp_page_entry(struct kp_page *p, int64_t seq)
{
	struct one_entry o = { .p = p };
	struct kp_audit_where w = { .seq_from = seq, .seq_before = seq + 1 };
	struct kp_err err;
	char title[64];

	if (seq <= 0 || kp_store_each_audit(p->gw->store, &w, keep_entry, &o,
	    &err) != KP_OK || !o.found) {
		kp_page_refused(p, 404, "Onbekende regel", "Deze regel staat niet "
		    "in het auditlog.");
		goto out;
	}
	if (o.e.subject != NULL && viewed(p, NULL, o.e.subject,
	    KP_VIEW_MESSAGE) != 0) {
		kp_page_refused(p, 503, "Probeer het opnieuw", "Wat u bekijkt kan "
		    "nu niet worden vastgelegd; daarom wordt het niet getoond.");
		goto out;
	}
	snprintf(title, sizeof(title), "Regel %lld", (long long)seq);
	kp_page_begin(p, title, NULL);
	entry_table(p, &o.e);
	fprintf(p->out, "<p><a href=\"/regel/%lld\">Volgende regel</a></p>\n",
	    (long long)seq + 1);
	if (seq > 1)
		fprintf(p->out, "<p><a href=\"/regel/%lld\">Vorige regel</a></p>\n",
		    (long long)seq - 1);
	kp_page_end(p);
out:
	for (size_t i = 0; i < 18; i++)
		free(o.copy[i]);
}

/* ---- one message ---- */

struct message_entries {
	struct kp_page	*p;
	int64_t		 n, message;
	char		 subject[65];
};

static int
message_entry(void *arg, const struct kp_audit_entry *e)
{
	struct message_entries *m = arg;

	m->n++;
	if (e->message > 0)
		m->message = e->message;
	if (e->subject != NULL && m->subject[0] == '\0')
		snprintf(m->subject, sizeof(m->subject), "%s", e->subject);
	if (m->p != NULL)
		entry_table(m->p, e);
	return 0;
}

struct message_shown {
	struct kp_page	*p;
	int		 verify, bytes, found;
};

static int
message_shown(void *arg, const struct kp_stored_message *m)
{
	struct message_shown *s = arg;
	struct kp_page *p = s->p;
	struct kp_err err;
	char *enc;

	s->found = 1;
	if (s->bytes) {
		p->type = "application/xml";
		p->disposition = "attachment; filename=\"bericht.xml\"";
		fwrite(m->bytes, 1, m->len, p->out);
		return 1;
	}
	fprintf(p->out, "<h2>Het bericht</h2>\n<p>%s bericht, %zu bytes, "
	    "bewaard ", strcmp(m->direction, "in") == 0 ? "Ontvangen" :
	    "Verzonden", m->len);
	when(p, m->at);
	enc = evhttp_encode_uri(m->message_id);
	fputs(". <a href=\"/bericht/", p->out);
	kp_page_text(p, enc);
	fputs("/bytes\" download>De ondertekende bytes downloaden</a></p>\n",
	    p->out);
	if (!s->verify) {
		fputs("<p><a href=\"/bericht/", p->out);
		kp_page_text(p, enc);
		fputs("?controleer=1\">De handtekening opnieuw controleren</a> "
		    "(met het certificaat zoals het gold toen het bericht werd "
		    "bewaard)</p>\n", p->out);
	} else if (kp_audit_reverify_one(p->gw, m, &err))
		fputs("<p class=\"good\" role=\"status\">De handtekening klopt: "
		    "het bericht is ondertekend door wie het zegt, met een "
		    "certificaat dat toen geldig was, en sindsdien niet "
		    "veranderd.</p>\n", p->out);
	else {
		fputs("<p class=\"bad\" role=\"alert\">De handtekening klopt NIET: ",
		    p->out);
		kp_page_text(p, err.msg);
		fputs("</p>\n", p->out);
	}
	free(enc);
	return 1;
}

void
kp_page_message(struct kp_page *p, const char *message_id, int verify,
    int bytes)
{
	struct message_entries first = { NULL, 0, 0, "" };
	struct message_entries shown = { p, 0, 0, "" };
	struct message_shown ms = { p, verify, bytes, 0 };
	struct kp_audit_where w = { .message_id = message_id };
	struct kp_err err;

	/* who it is about, to audit the view before anything is shown */
	if (kp_store_each_audit(p->gw->store, &w, message_entry, &first,
	    &err) != KP_OK || first.n == 0) {
		kp_page_refused(p, 404, "Onbekend bericht", "Geen regel van het "
		    "auditlog noemt dit bericht.");
		return;
	}
	if (first.subject[0] != '\0' && viewed(p, NULL,
	    first.subject, bytes ? KP_VIEW_BYTES : KP_VIEW_MESSAGE) != 0) {
		kp_page_refused(p, 503, "Probeer het opnieuw", "Wat u bekijkt kan "
		    "nu niet worden vastgelegd; daarom wordt het niet getoond.");
		return;
	}
	if (bytes) {
		if (first.message == 0 || kp_store_message(p->gw->store,
		    first.message, message_shown, &ms, &err) != KP_OK ||
		    !ms.found)
			kp_page_refused(p, 404, "Geen bewaard bericht", "Van dit "
			    "bericht zijn geen bytes bewaard.");
		return;
	}
	kp_page_begin(p, "Bericht", NULL);
	fputs("<p>Bericht <code>", p->out);
	kp_page_text(p, message_id);
	fputs("</code></p>\n<h2>Regels in het auditlog</h2>\n", p->out);
	kp_store_each_audit(p->gw->store, &w, message_entry, &shown, &err);
	if (first.message == 0)
		fputs("<p>Van dit bericht zijn geen bytes bewaard: het is "
		    "geweigerd voordat het werd opgeslagen (de SHA-256 staat in de "
		    "regel).</p>\n", p->out);
	else if (kp_store_message(p->gw->store, first.message, message_shown,
	    &ms, &err) != KP_OK || !ms.found)
		fputs("<p class=\"bad\">De regel noemt een bewaard bericht, maar "
		    "de opslag heeft het niet meer. Controleer de keten.</p>\n",
		    p->out);
	kp_page_end(p);
}

/* ---- the citizen's access report ---- */

void
kp_page_inzage(struct kp_page *p, const struct kp_search *s, int format)
{
	struct kp_inzage z;
	struct kp_err err;

	if (viewed(p, s->bsn, NULL, KP_VIEW_INZAGE) != 0 ||
	    kp_inzage_collect(p->gw, s->bsn, &z, &err) != KP_OK) {
		kp_page_refused(p, 503, "Probeer het opnieuw", "De inzage kan nu "
		    "niet worden gemaakt.");
		return;
	}
	if (format == KP_REPORT_CSV || format == KP_REPORT_JSON) {
		p->type = format == KP_REPORT_CSV ? "text/csv; charset=utf-8" :
		    "application/json";
		p->disposition = format == KP_REPORT_CSV ?
		    "attachment; filename=\"inzage.csv\"" :
		    "attachment; filename=\"inzage.json\"";
		kp_inzage_write(p->gw, &z, format, 0, p->out);
	} else {
		kp_page_begin(p, "Inzage in uw gegevens (AVG artikel 15)", NULL);
		fprintf(p->out, "<p><a href=\"/inzage/%s.csv\" download>Download "
		    "als CSV</a> · <a href=\"/inzage/%s.json\" download>Download "
		    "als JSON</a></p>\n", s->token, s->token);
		kp_inzage_write(p->gw, &z, KP_REPORT_HTML, 0, p->out);
		kp_page_end(p);
	}
	kp_inzage_clear(&z);
}

/* ---- verification ---- */

void
kp_page_verify(struct kp_page *p, const struct kp_verify_state *vs)
{
	const struct kp_verify_state v = *vs;
	struct verif_row vr = { p, 0 };
	struct kp_err err;

	kp_page_begin(p, "Controle van de keten", "/controle");
	fputs("<p>De controle rekent elke regel van het auditlog na: de hash "
	    "over de regel ervoor, geen regel weg, elk controlepunt ondertekend "
	    "en nog in de keten.</p>\n", p->out);
	if (v.running) {
		fprintf(p->out, "<div id=\"voortgang\" data-running=\"1\" "
		    "role=\"status\" aria-live=\"polite\"><p>Gestart door ");
		kp_page_text(p, v.started_by);
		fprintf(p->out, ".</p><progress id=\"voortgang-balk\" max=\"%lld\" "
		    "value=\"%lld\" aria-label=\"Voortgang\"></progress> <span "
		    "id=\"voortgang-tekst\">%lld van %lld regels gecontroleerd"
		    "</span></div>\n", (long long)(v.total > 0 ? v.total : 1),
		    (long long)v.done, (long long)v.done, (long long)v.total);
	} else {
		if (v.finished)
			fprintf(p->out, "<div id=\"voortgang\" data-running=\"0\" "
			    "role=\"status\"><p>Klaar: %lld van %lld regels "
			    "gecontroleerd.</p></div>\n", (long long)v.done,
			    (long long)v.total);
		if (kp_store_each_verification(p->gw->store, 1,
		    verification_row, &vr, &err) != KP_OK || vr.n == 0)
			fputs("<p>De keten is vanaf deze pagina nog niet "
			    "gecontroleerd.</p>\n", p->out);
		fprintf(p->out, "<form method=\"post\" action=\"/controle\">"
		    "<input type=\"hidden\" name=\"csrf\" value=\"%s\"><button "
		    "type=\"submit\">Controleer de keten nu</button></form>\n",
		    p->csrf);
	}
	kp_page_end(p);
}

void
kp_page_verify_status(struct kp_page *p, const struct kp_verify_state *vs)
{
	const struct kp_verify_state v = *vs;

	p->type = "application/json";
	fprintf(p->out, "{\"running\": %s, \"finished\": %s, \"done\": %lld, "
	    "\"total\": %lld, \"bad\": %lld, \"first_bad\": %lld}\n",
	    v.running ? "true" : "false", v.finished ? "true" : "false",
	    (long long)v.done, (long long)v.total, (long long)v.check.bad,
	    (long long)v.check.first_bad);
}
