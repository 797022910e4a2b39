/*
 * test_nlwords — plain Dutch for the citizen (nlwords.h): Dutch time held
 * to the system's tz database (Europe/Amsterdam) for every hour from 1996
 * to 2040, the changes to and from summer time to the second, times in
 * words and as ISO 8601 with their offset, fields in words, and every
 * reason the policy gives as a sentence.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nlwords.h"
#include "tap.h"

static char buf[1024];

static const char *
when(const char *iso)
{
	kp_nl_when(iso, buf, sizeof(buf));
	return buf;
}

static const char *
iso(const char *s)
{
	kp_nl_iso(s, buf, sizeof(buf));
	return buf;
}

static const char *
fields(const char *type, const char *velden)
{
	kp_nl_fields(type, velden, buf, sizeof(buf));
	return buf;
}

static const char *
sentence(void (*fn)(const char *, char *, size_t), const char *s)
{
	fn(s, buf, sizeof(buf));
	return buf;
}

int
main(void)
{
	long bad = 0, hours = 0;
	time_t t, first_bad = 0;
	struct tm tm = { .tm_year = 96, .tm_mday = 1 };

	/* the rule against the tz database, every hour for 45 years */
	if (access("/usr/share/zoneinfo/Europe/Amsterdam", R_OK) != 0) {
		ok(0, "the tz database has Europe/Amsterdam (Debian: tzdata)");
	} else {
		setenv("TZ", "Europe/Amsterdam", 1);
		tzset();
		for (t = timegm(&tm); t < 2240611200; t += 3600) {
			struct tm lt;

			localtime_r(&t, &lt);
			hours++;
			if (lt.tm_gmtoff != kp_nl_offset(t) && bad++ == 0)
				first_bad = t;
			/* and the second before each hour */
			localtime_r(&(time_t){ t - 1 }, &lt);
			if (lt.tm_gmtoff != kp_nl_offset(t - 1) && bad++ == 0)
				first_bad = t - 1;
		}
		ok(bad == 0 && hours > 390000, "Dutch time is the tz database's for "
		    "%ld hours from 1996 to 2040, and the second before each "
		    "(%ld differ, first at %lld)", hours, bad,
		    (long long)first_bad);
	}

	is_str(when("2026-12-01T23:33:05.123Z"), "2 december 2026, 00:33",
	    "winter: UTC + 1, the next day");
	is_str(when("2026-07-01T10:00:00Z"), "1 juli 2026, 12:00",
	    "summer: UTC + 2");
	is_str(when("2026-03-29T00:59:59Z"), "29 maart 2026, 01:59",
	    "the second before summer time");
	is_str(when("2026-03-29T01:00:00Z"), "29 maart 2026, 03:00",
	    "summer time begins at 01:00 UTC on the last Sunday of March");
	is_str(when("2026-10-25T00:59:59Z"), "25 oktober 2026, 02:59",
	    "the second before winter time");
	is_str(when("2026-10-25T01:00:00Z"), "25 oktober 2026, 02:00",
	    "winter time from 01:00 UTC on the last Sunday of October");
	is_str(when("2026-12-01T10:00:00+02:00"), "1 december 2026, 09:00",
	    "a time with an offset is read with it");
	is_str(when("2026-12-01T10:00:00-05:30"), "1 december 2026, 16:30",
	    "and a negative one");
	is_str(when("gisteren"), "gisteren", "what is not a time is copied");
	is_str(when("2026-12-01T10:00:00"), "2026-12-01T10:00:00",
	    "a time without its zone is not guessed");
	is_str(when("2026-12-01T10:00:00Zx"), "2026-12-01T10:00:00Zx",
	    "nor one with bytes after it");
	is_str(iso("2026-12-01T23:33:05.123Z"), "2026-12-02T00:33:05+01:00",
	    "ISO 8601 in Dutch time with its offset (winter)");
	is_str(iso("2026-08-01T23:33:05Z"), "2026-08-02T01:33:05+02:00",
	    "and in summer");
	kp_nl_when_t(1796083200, buf, sizeof(buf));
	is_str(buf, "1 december 2026, 01:00", "a time_t in words");
	kp_nl_date("2027-01-05", buf, sizeof(buf));
	is_str(buf, "5 januari 2027", "a date in words");
	kp_nl_date("2027-13-05", buf, sizeof(buf));
	is_str(buf, "2027-13-05", "a month that does not exist is copied");

	is_str(kp_nl_kind("ZAK"), "een zaak", "a case in words");
	is_str(kp_nl_kind("PRS"), "uw persoonsgegevens", "a person in words");
	is_str(kp_nl_kind("KCT"), "een contact met u", "a contact in words");
	is_str(kp_nl_kind("TST"), "uw toestemming", "a consent in words");
	is_str(kp_nl_kind("XYZ"), "XYZ", "another code stays itself");
	is_str(kp_nl_field("PRS", "telefoon"), "uw telefoonnummer",
	    "a field in words");
	ok(kp_nl_field("ZAK", "telefoon") == NULL, "words belong to a kind");
	is_str(fields("PRS", "geslachtsnaam,telefoon,straat,huisnummer,postcode"),
	    "uw achternaam, uw telefoonnummer en uw adres",
	    "fields in words: the address once, the last joined by 'en'");
	is_str(fields("KCT", "kanaal"), "hoe u contact had (telefoon, e-mail, "
	    "balie)", "one field alone");
	is_str(fields("ZAK", "zaaktype, geheimcode"), "het soort zaak en "
	    "geheimcode", "a field without words keeps its name");
	is_str(fields("ZAK", ""), "", "no fields, no words");

	is_str(sentence(kp_nl_purpose, "publieke-gezondheid"), "Dit was nodig om "
	    "de gezondheid van inwoners te beschermen.", "a purpose we know");
	is_str(sentence(kp_nl_purpose, "ketentest"), "Het doel was: ketentest.",
	    "a purpose we have no words for");
	is_str(sentence(kp_nl_basis, "wet: Wet publieke gezondheid art. 2"),
	    "Dit mag volgens de wet (Wet publieke gezondheid art. 2).",
	    "a legal basis as a sentence");
	is_str(sentence(kp_nl_basis, "toestemming: TST-7"), "U heeft hiervoor "
	    "toestemming gegeven (toestemming TST-7).", "consent as a sentence");
	/* the reasons policy.c and fanout.c write into the detail */
	is_str(sentence(kp_nl_withheld, "local change: no consent of the citizen "
	    "for doel schuldhulp"), "Niet gedeeld: er was geen wet die dit "
	    "toestaat, en u had er geen toestemming voor gegeven.",
	    "withheld: no consent");
	is_str(sentence(kp_nl_withheld, "local change: consent TST-1 for doel "
	    "schuldhulp is ingetrokken"), "Niet gedeeld: u had uw toestemming "
	    "ingetrokken.", "withheld: consent withdrawn");
	is_str(sentence(kp_nl_withheld, "relay: consent TST-1 for doel schuldhulp "
	    "starts on 2027-01-05"), "Niet gedeeld: uw toestemming gold toen "
	    "nog niet (pas vanaf 5 januari 2027).", "withheld: not yet");
	is_str(sentence(kp_nl_withheld, "consent TST-1 for doel schuldhulp ended "
	    "on 2026-01-05"), "Niet gedeeld: uw toestemming was toen afgelopen "
	    "(op 5 januari 2026).", "withheld: ended");
	is_str(sentence(kp_nl_withheld, "local change: the case is geheim, above "
	    "the vertrouwelijk that doel publieke-gezondheid allows"),
	    "Niet gedeeld: de zaak is te vertrouwelijk voor dit doel.",
	    "withheld: too confidential");
	is_str(sentence(kp_nl_withheld, NULL), "Niet gedeeld: er was geen grond "
	    "om dit te delen.", "withheld, no reason kept");
	is_str(sentence(kp_nl_refused, "KP021"), "Geweigerd: er was geen wet of "
	    "toestemming die dit toestaat.", "refused: KP021");
	is_str(sentence(kp_nl_refused, "KP020"), "Geweigerd: deze organisatie mag "
	    "dit niet vragen.", "refused: KP020");
	is_str(sentence(kp_nl_refused, "KP010"), "Geweigerd: het verzoek voldeed "
	    "niet aan de regels.", "refused: another code");
	return done_testing();
}
