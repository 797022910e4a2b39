/*
 * auditchart — the overview's charts (auditweb_int.h): messages from each
 * partner per day, accepted, refused and rejected, and the refusals by KP
 * code; drawn on the server as inline SVG with nothing from elsewhere,
 * each with its numbers in a table next to it (for screen readers, and
 * for whoever wants the figures).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditweb_int.h"
#include "config.h"
#include "escape.h"
#include "gateway.h"
#include "profile.h"
#include "store.h"
#include "util.h"

#define DAYS	14

static const struct {
	const char *outcome, *label, *colour;
} series[] = {
	/* colours of at least 3:1 against white (WCAG 1.4.11) */
	{ "accepted", "aangenomen", "#1b5e20" },
	{ "refused", "geweigerd (400)", "#8a4b00" },
	{ "rejected", "afgewezen (Fo03)", "#b00020" },
};
#define NSERIES (sizeof(series) / sizeof(series[0]))

struct partner_days {
	char	 oin[24];
	int64_t	 n[DAYS][NSERIES];
};

struct daily {
	char			 days[DAYS][11];	/* YYYY-MM-DD */
	struct partner_days	*v;
	size_t			 n;
	int			 failed;
};

static int
daily_row(void *arg, const struct kp_audit_count *c)
{
	struct daily *d = arg;
	struct partner_days *pd = NULL, *v;
	size_t day, s;

	for (day = 0; day < DAYS && strcmp(d->days[day], c->day) != 0; day++)
		;
	for (s = 0; s < NSERIES && strcmp(series[s].outcome, c->outcome) != 0;
	    s++)
		;
	if (day == DAYS || s == NSERIES)
		return 0;
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].oin, c->partner_oin) == 0)
			pd = &d->v[i];
	if (pd == NULL) {
		if ((v = reallocarray(d->v, d->n + 1, sizeof(*v))) == NULL) {
			d->failed = 1;
			return 1;
		}
		d->v = v;
		pd = memset(&d->v[d->n++], 0, sizeof(*pd));
		snprintf(pd->oin, sizeof(pd->oin), "%s", c->partner_oin);
	}
	pd->n[day][s] += c->n;
	return 0;
}

static const char *
name_of(struct kp_page *p, const char *oin)
{
	const struct kp_profile *pr = kp_profiles_by_oin(p->gw->profiles, oin);

	return pr != NULL ? pr->naam : oin;
}

/* One partner's days as stacked bars. */
static void
bars(struct kp_page *p, const struct daily *d, const struct partner_days *pd,
    size_t index)
{
	const int w = 28, h = 120, gap = 6, left = 40, bottom = 20;
	int64_t max = 1;

	for (size_t day = 0; day < DAYS; day++) {
		int64_t sum = 0;

		for (size_t s = 0; s < NSERIES; s++)
			sum += pd->n[day][s];
		if (sum > max)
			max = sum;
	}
	fprintf(p->out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" role=\"img\" aria-labelledby=\"grafiek-%zu\">"
	    "<title id=\"grafiek-%zu\">Berichten van ", left + DAYS * (w + gap),
	    h + bottom + 10, index, index);
	kp_page_text(p, name_of(p, pd->oin));
	fprintf(p->out, " per dag; de getallen staan in de tabel eronder"
	    "</title><text x=\"0\" y=\"12\" font-size=\"11\">%lld</text>"
	    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#767676\"/>",
	    (long long)max, left - 4, h + 10, left + DAYS * (w + gap), h + 10);
	for (size_t day = 0; day < DAYS; day++) {
		int x = left + (int)day * (w + gap), y = h + 10;

		for (size_t s = 0; s < NSERIES; s++) {
			int bh = (int)(pd->n[day][s] * h / max);

			if (pd->n[day][s] == 0)
				continue;
			if (bh < 1)
				bh = 1;
			y -= bh;
			fprintf(p->out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
			    "height=\"%d\" fill=\"%s\"/>", x, y, w, bh,
			    series[s].colour);
		}
		fprintf(p->out, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%.2s"
		    "</text>", x + 6, h + bottom + 6, d->days[day] + 8);
	}
	fputs("</svg>\n", p->out);
}

void
kp_chart_daily(struct kp_page *p, int64_t start)
{
	struct daily d = { 0 };
	struct kp_err err;
	char iso[40], since[40];

	/* the days, oldest first, from start */
	kp_time_iso(start, since);
	for (size_t day = 0; day < DAYS; day++) {
		kp_time_iso(start + (int64_t)day * 86400 * 1000, iso);
		snprintf(d.days[day], sizeof(d.days[day]), "%.10s", iso);
	}
	fprintf(p->out, "<h2>Berichten van partners, de afgelopen %d dagen</h2>\n"
	    "<p>Legenda:", DAYS);
	for (size_t s = 0; s < NSERIES; s++) {
		fprintf(p->out, " <svg width=\"12\" height=\"12\" aria-hidden=\"true\">"
		    "<rect width=\"12\" height=\"12\" fill=\"%s\"/></svg> %s",
		    series[s].colour, series[s].label);
		fputs(s + 1 < NSERIES ? "," : ".", p->out);
	}
	fputs(" Dagen in UTC, zoals het auditlog ze bewaart.</p>\n", p->out);
	if (kp_store_audit_daily(p->gw->store, since, daily_row, &d,
	    &err) != KP_OK || d.failed) {
		fputs("<p class=\"bad\">De cijfers kunnen nu niet worden gelezen."
		    "</p>\n", p->out);
		free(d.v);
		return;
	}
	if (d.n == 0)
		fputs("<p>Geen berichten van partners in deze periode.</p>\n",
		    p->out);
	for (size_t i = 0; i < d.n; i++) {
		const struct partner_days *pd = &d.v[i];

		fputs("<h3>", p->out);
		kp_page_text(p, name_of(p, pd->oin));
		fputs(" <small>(", p->out);
		kp_page_text(p, pd->oin);
		fputs(")</small></h3>\n", p->out);
		bars(p, &d, pd, i);
		fputs("<table class=\"cijfers\">\n<caption>Berichten van ", p->out);
		kp_page_text(p, name_of(p, pd->oin));
		fputs(" per dag</caption>\n<thead><tr><th scope=\"col\">Dag</th>",
		    p->out);
		for (size_t s = 0; s < NSERIES; s++)
			fprintf(p->out, "<th scope=\"col\">%s (%s)</th>",
			    series[s].label, series[s].outcome);
		fputs("</tr></thead>\n<tbody>\n", p->out);
		for (size_t day = 0; day < DAYS; day++) {
			int64_t sum = 0;

			for (size_t s = 0; s < NSERIES; s++)
				sum += pd->n[day][s];
			if (sum == 0)
				continue;
			fprintf(p->out, "<tr><th scope=\"row\">%s</th>",
			    d.days[day]);
			for (size_t s = 0; s < NSERIES; s++)
				fprintf(p->out, "<td>%lld</td>",
				    (long long)pd->n[day][s]);
			fputs("</tr>\n", p->out);
		}
		fputs("</tbody>\n</table>\n", p->out);
	}
	free(d.v);
}

/* PROTOCOL.md 3.4's codes, for people. */
static const char *
code_words(const char *code)
{
	static const struct { const char *code, *words; } codes[] = {
		{ "KP001", "geen geldige XML, DTD of te groot" },
		{ "KP002", "envelop of schema klopt niet" },
		{ "KP003", "adres of actie klopt niet" },
		{ "KP010", "handtekening ongeldig of onbekende sleutel" },
		{ "KP011", "afzender, certificaat en profiel verschillen" },
		{ "KP012", "tijdstempel buiten het venster" },
		{ "KP013", "bericht-ID hergebruikt met een andere inhoud" },
		{ "KP020", "partner mag dit bericht niet sturen" },
		{ "KP021", "geen wet of toestemming voor deze verstrekking" },
		{ "KP022", "afzender is niet de eigenaar van het record" },
		{ "KP023", "verouderde versie" },
		{ "KP030", "gat in de volgnummers" },
		{ "KP031", "volgnummer al gebruikt door een ander bericht" },
		{ "KP040", "ongeldig burgerservicenummer" },
		{ "KP050", "interne fout: niet opgeslagen" },
		{ "KP051", "overbelast" },
	};

	for (size_t i = 0; code != NULL && i < sizeof(codes) / sizeof(codes[0]);
	    i++)
		if (strcmp(codes[i].code, code) == 0)
			return codes[i].words;
	return "";
}

struct codes {
	struct kp_page	*p;
	int64_t		 n;
};

static int
code_row(void *arg, const struct kp_audit_count *c)
{
	struct codes *k = arg;
	struct kp_page *p = k->p;

	if (k->n++ == 0)
		fputs("<table>\n<caption>Geweigerde en afgewezen berichten per "
		    "code</caption>\n<thead><tr><th scope=\"col\">Code</th><th "
		    "scope=\"col\">Betekenis</th><th scope=\"col\">Aantal</th></tr>"
		    "</thead>\n<tbody>\n", p->out);
	fputs("<tr><th scope=\"row\">", p->out);
	kp_page_text(p, c->code);
	fputs("</th><td>", p->out);
	kp_page_text(p, code_words(c->code));
	fprintf(p->out, "</td><td>%lld <svg width=\"%lld\" height=\"10\" "
	    "aria-hidden=\"true\"><rect width=\"%lld\" height=\"10\" "
	    "fill=\"#b00020\"/></svg></td></tr>\n", (long long)c->n,
	    (long long)(c->n > 300 ? 300 : c->n),
	    (long long)(c->n > 300 ? 300 : c->n));
	return 0;
}

void
kp_chart_codes(struct kp_page *p, const char *since)
{
	struct codes k = { p, 0 };
	struct kp_err err;

	fprintf(p->out, "<h2>Weigeringen per code, de afgelopen %d dagen</h2>\n",
	    DAYS);
	if (kp_store_audit_codes(p->gw->store, since, code_row, &k, &err) !=
	    KP_OK)
		fputs("<p class=\"bad\">De cijfers kunnen nu niet worden gelezen."
		    "</p>\n", p->out);
	else if (k.n == 0)
		fputs("<p>Geen berichten geweigerd of afgewezen.</p>\n", p->out);
	else
		fputs("</tbody>\n</table>\n", p->out);
}
