/*
 * nlwords — what the gateway tells a citizen, in plain Dutch (B1): times
 * in Dutch civil time, kinds of records and their fields in words,
 * purposes, bases and reasons as sentences.  Used by the access report
 * (inzage.h) in every form, and by the auditor's web view, which shows
 * the codes next to these words.
 */
#ifndef KP_NLWORDS_H
#define KP_NLWORDS_H

#include <stddef.h>
#include <time.h>

/*
 * Seconds east of UTC in the Netherlands (Europe/Amsterdam) at t: 7200
 * from the last Sunday of March 01:00 UTC to the last Sunday of October
 * 01:00 UTC (summer time, EU directive 2000/84/EC, the rule since 1996),
 * 3600 otherwise.  The unit test holds it to the system's tz database.
 */
long	kp_nl_offset(time_t t);

/*
 * An ISO 8601 time as the store keeps it ("2026-12-01T23:33:05.123Z", or
 * with an offset) in Dutch time: in words, "2 december 2026, 00:33"
 * (kp_nl_when), or as ISO 8601 with its offset, "2026-12-02T00:33:05+01:00"
 * (kp_nl_iso).  A time that does not parse is copied as it is.
 */
void	kp_nl_when(const char *iso, char *out, size_t outlen);
void	kp_nl_iso(const char *iso, char *out, size_t outlen);
/* The same for a time_t. */
void	kp_nl_when_t(time_t t, char *out, size_t outlen);

/* "2026-12-02" -> "2 december 2026"; copied when it is not a date. */
void	kp_nl_date(const char *ymd, char *out, size_t outlen);

/*
 * A kind of record as a citizen reads it: PRS "uw persoonsgegevens", ZAK
 * "een zaak", KCT "een contact met u", TST "uw toestemming"; the code
 * itself for any other.
 */
const char *kp_nl_kind(const char *entiteittype);

/*
 * One field of a kind in words ("uw telefoonnummer"); NULL when we have
 * no words for it.
 */
const char *kp_nl_field(const char *entiteittype, const char *field);

/*
 * The comma-separated fields of an audit entry in words, each once, the
 * last joined by "en": "uw achternaam, uw telefoonnummer en uw adres".
 * Fields without words keep their name.
 */
void	kp_nl_fields(const char *entiteittype, const char *velden, char *out,
	    size_t outlen);

/* A purpose code ("publieke-gezondheid") as a sentence. */
void	kp_nl_purpose(const char *doel, char *out, size_t outlen);

/*
 * A basis of a disclosure as a sentence: "wet: Wet publieke gezondheid
 * art. 2", "toestemming: TST-1".
 */
void	kp_nl_basis(const char *basis, char *out, size_t outlen);

/* Why a disclosure was withheld (the entry's detail), as a sentence. */
void	kp_nl_withheld(const char *detail, char *out, size_t outlen);

/* Why a request about the citizen was refused (its KP code), a sentence. */
void	kp_nl_refused(const char *code, char *out, size_t outlen);

#endif
