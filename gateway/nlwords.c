/*
 * nlwords — plain Dutch for the citizen (nlwords.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nlwords.h"

static const char *const months[] = { "januari", "februari", "maart",
	"april", "mei", "juni", "juli", "augustus", "september", "oktober",
	"november", "december" };

/* 01:00 UTC on the last Sunday of month (0-based) of year. */
static time_t
last_sunday(int year, int month)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = month,
	    .tm_mday = 31, .tm_hour = 1 };
	time_t t = timegm(&tm);

	gmtime_r(&t, &tm);
	return t - (time_t)tm.tm_wday * 86400;
}

long
kp_nl_offset(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return t >= last_sunday(tm.tm_year + 1900, 2) &&
	    t < last_sunday(tm.tm_year + 1900, 9) ? 7200 : 3600;
}

/* "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)" -> t; -1 when it is not. */
static int
parse_iso(const char *iso, time_t *t)
{
	struct tm tm = { 0 };
	const char *p;
	int oh = 0, om = 0, n = 0;
	char sign;

	if (iso == NULL || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &n) != 6 || n != 19)
		return -1;
	p = iso + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (strcmp(p, "Z") == 0)
		sign = '+';
	else if ((*p == '+' || *p == '-') &&
	    sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) == 2 && n == 5 &&
	    p[6] == '\0')
		sign = *p;
	else
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*t = timegm(&tm) - (sign == '-' ? -1 : 1) * (time_t)(oh * 3600 + om * 60);
	return 0;
}

void
kp_nl_when_t(time_t t, char *out, size_t outlen)
{
	struct tm tm;
	time_t local = t + kp_nl_offset(t);

	gmtime_r(&local, &tm);
	snprintf(out, outlen, "%d %s %d, %02d:%02d", tm.tm_mday,
	    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
}

void
kp_nl_when(const char *iso, char *out, size_t outlen)
{
	time_t t;

	if (parse_iso(iso, &t) != 0)
		snprintf(out, outlen, "%s", iso != NULL ? iso : "");
	else
		kp_nl_when_t(t, out, outlen);
}

void
kp_nl_iso(const char *iso, char *out, size_t outlen)
{
	struct tm tm;
	time_t t, local;
	long off;

	if (parse_iso(iso, &t) != 0) {
		snprintf(out, outlen, "%s", iso != NULL ? iso : "");
		return;
	}
	off = kp_nl_offset(t);
	local = t + off;
	gmtime_r(&local, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d+%02ld:00",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, off / 3600);
}

void
kp_nl_date(const char *ymd, char *out, size_t outlen)
{
	int y, m, d, n = 0;

	if (ymd != NULL && sscanf(ymd, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 &&
	    n == 10 && ymd[10] == '\0' && m >= 1 && m <= 12)
		snprintf(out, outlen, "%d %s %d", d, months[m - 1], y);
	else
		snprintf(out, outlen, "%s", ymd != NULL ? ymd : "");
}

const char *
kp_nl_kind(const char *entiteittype)
{
	static const struct { const char *code, *words; } kinds[] = {
		{ "PRS", "uw persoonsgegevens" }, { "ZAK", "een zaak" },
		{ "KCT", "een contact met u" }, { "TST", "uw toestemming" },
	};

	for (size_t i = 0; entiteittype != NULL &&
	    i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].code, entiteittype) == 0)
			return kinds[i].words;
	return entiteittype != NULL ? entiteittype : "";
}

/* The fields of PROTOCOL.md 3.1 in words, by kind. */
static const struct {
	const char *type, *field, *words;
} fields[] = {
	{ "PRS", "geslachtsnaam", "uw achternaam" },
	{ "PRS", "voorvoegsel", "het voorvoegsel van uw achternaam" },
	{ "PRS", "voornamen", "uw voornamen" },
	{ "PRS", "geboortedatum", "uw geboortedatum" },
	{ "PRS", "straat", "uw adres" },
	{ "PRS", "huisnummer", "uw adres" },
	{ "PRS", "postcode", "uw adres" },
	{ "PRS", "woonplaats", "uw woonplaats" },
	{ "PRS", "email", "uw e-mailadres" },
	{ "PRS", "telefoon", "uw telefoonnummer" },
	{ "PRS", "kanaalvoorkeur", "hoe u het liefst contact heeft" },
	{ "ZAK", "zaaktype", "het soort zaak" },
	{ "ZAK", "omschrijving", "de omschrijving van de zaak" },
	{ "ZAK", "toelichting", "de toelichting bij de zaak" },
	{ "ZAK", "status", "hoe ver de zaak is" },
	{ "ZAK", "startdatum", "de datum waarop de zaak begon" },
	{ "ZAK", "einddatumGepland", "wanneer de zaak klaar moet zijn" },
	{ "ZAK", "einddatum", "de datum waarop de zaak klaar was" },
	{ "ZAK", "afdeling", "de afdeling die de zaak behandelt" },
	{ "ZAK", "behandelaar", "wie de zaak behandelt" },
	{ "ZAK", "vertrouwelijkheidaanduiding", "hoe vertrouwelijk de zaak is" },
	{ "KCT", "kanaal", "hoe u contact had (telefoon, e-mail, balie)" },
	{ "KCT", "plaatsgevondenOp", "wanneer u contact had" },
	{ "KCT", "onderwerp", "het onderwerp van het contact" },
	{ "KCT", "inhoud", "wat er besproken is" },
	{ "KCT", "indicatieContactGelukt", "of het contact gelukt is" },
	{ "KCT", "taal", "de taal van het contact" },
	{ "KCT", "vertrouwelijk", "of het contact vertrouwelijk is" },
	{ "KCT", "medewerker", "de medewerker die u sprak" },
	{ "KCT", "zaak", "bij welke zaak het contact hoort" },
	{ "TST", "partner", "aan welke organisatie u toestemming gaf" },
	{ "TST", "doel", "waarvoor u toestemming gaf" },
	{ "TST", "status", "of uw toestemming geldt" },
	{ "TST", "ingangsdatum", "vanaf wanneer uw toestemming geldt" },
	{ "TST", "einddatum", "tot wanneer uw toestemming geldt" },
	{ "TST", "vastgelegdVia", "hoe u uw toestemming gaf" },
};

const char *
kp_nl_field(const char *entiteittype, const char *field)
{
	for (size_t i = 0; entiteittype != NULL && field != NULL &&
	    i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i].type, entiteittype) == 0 &&
		    strcmp(fields[i].field, field) == 0)
			return fields[i].words;
	return NULL;
}

void
kp_nl_fields(const char *entiteittype, const char *velden, char *out,
    size_t outlen)
{
	const char *words[64];
	char buf[1024], names[64][48], *save = NULL;
	size_t n = 0, o = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (velden == NULL)
		return;
	snprintf(buf, sizeof(buf), "%s", velden);
	for (char *f = strtok_r(buf, ", ", &save); f != NULL && n < 64;
	    f = strtok_r(NULL, ", ", &save)) {
		const char *w = kp_nl_field(entiteittype, f);
		size_t k;

		if (w == NULL) {	/* no words for it: its name */
			snprintf(names[n], sizeof(names[n]), "%s", f);
			w = names[n];
		}
		for (k = 0; k < n && strcmp(words[k], w) != 0; k++)
			;
		if (k == n)
			words[n++] = w;
	}
	for (size_t i = 0; i < n && o < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%s", i == 0 ? "" :
		    i + 1 == n ? " en " : ", ", words[i]);
}

void
kp_nl_purpose(const char *doel, char *out, size_t outlen)
{
	static const struct { const char *code, *words; } purposes[] = {
		{ "publieke-gezondheid",
		  "om de gezondheid van inwoners te beschermen" },
		{ "klantcontact",
		  "om u goed te helpen als u contact met ons opneemt" },
		{ "vroegsignalering",
		  "om geldproblemen vroeg te zien en u hulp aan te bieden" },
		{ "schuldhulp", "om u te helpen met schulden" },
	};

	if (doel == NULL || doel[0] == '\0') {
		out[0] = '\0';
		return;
	}
	for (size_t i = 0; i < sizeof(purposes) / sizeof(purposes[0]); i++)
		if (strcmp(purposes[i].code, doel) == 0) {
			snprintf(out, outlen, "Dit was nodig %s.",
			    purposes[i].words);
			return;
		}
	snprintf(out, outlen, "Het doel was: %s.", doel);
}

void
kp_nl_basis(const char *basis, char *out, size_t outlen)
{
	if (basis == NULL || basis[0] == '\0')
		out[0] = '\0';
	else if (strncmp(basis, "wet: ", 5) == 0)
		snprintf(out, outlen, "Dit mag volgens de wet (%s).", basis + 5);
	else if (strncmp(basis, "toestemming: ", 13) == 0)
		snprintf(out, outlen, "U heeft hiervoor toestemming gegeven "
		    "(toestemming %s).", basis + 13);
	else
		snprintf(out, outlen, "De grondslag was: %s.", basis);
}

void
kp_nl_withheld(const char *detail, char *out, size_t outlen)
{
	const char *on;
	char date[40];

	if (detail == NULL)
		detail = "";
	if (strstr(detail, "no consent of the citizen") != NULL)
		snprintf(out, outlen, "Niet gedeeld: er was geen wet die dit "
		    "toestaat, en u had er geen toestemming voor gegeven.");
	else if (strstr(detail, " is ingetrokken") != NULL)
		snprintf(out, outlen, "Niet gedeeld: u had uw toestemming "
		    "ingetrokken.");
	else if ((on = strstr(detail, " starts on ")) != NULL) {
		kp_nl_date(on + 11, date, sizeof(date));
		snprintf(out, outlen, "Niet gedeeld: uw toestemming gold toen nog "
		    "niet (pas vanaf %s).", date);
	} else if ((on = strstr(detail, " ended on ")) != NULL) {
		kp_nl_date(on + 10, date, sizeof(date));
		snprintf(out, outlen, "Niet gedeeld: uw toestemming was toen "
		    "afgelopen (op %s).", date);
	} else if (strstr(detail, "the case is ") != NULL)
		snprintf(out, outlen, "Niet gedeeld: de zaak is te vertrouwelijk "
		    "voor dit doel.");
	else
		snprintf(out, outlen, "Niet gedeeld: er was geen grond om dit te "
		    "delen.");
}

void
kp_nl_refused(const char *code, char *out, size_t outlen)
{
	if (code != NULL && strcmp(code, "KP021") == 0)
		snprintf(out, outlen, "Geweigerd: er was geen wet of toestemming "
		    "die dit toestaat.");
	else if (code != NULL && strcmp(code, "KP020") == 0)
		snprintf(out, outlen, "Geweigerd: deze organisatie mag dit niet "
		    "vragen.");
	else
		snprintf(out, outlen, "Geweigerd: het verzoek voldeed niet aan de "
		    "regels.");
}
