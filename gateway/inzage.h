/*
 * inzage — a citizen's access report (AVG art. 15) from the audit chain:
 * every disclosure delivered or shown (who, when, which record, which
 * fields, purpose, basis), every copy withdrawn, every disclosure
 * withheld and why, every request about the citizen that was refused,
 * every question we asked a partner about the citizen, and every time an
 * auditor viewed the citizen's data.
 *
 * It goes to a citizen, so it speaks to one, in plain Dutch (nlwords.h):
 * Dutch time, organisations by their full names, kinds and fields in
 * words, grouped by organisation.  The text and HTML forms say the same;
 * CSV and JSON carry the same rows with the codes next to the words.
 */
#ifndef KP_INZAGE_H
#define KP_INZAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "audit.h"
#include "err.h"

struct kp_gateway;

/* What a row says happened, as the machine forms name it. */
enum kp_inzage_what {
	KP_INZ_RECEIVED,	/* "received": a partner got a copy */
	KP_INZ_WITHDRAWN,	/* "withdrawn": told to delete its copy */
	KP_INZ_SHOWN,		/* "shown": shown on request (context) */
	KP_INZ_ASKED,		/* "asked": we asked a partner about you */
	KP_INZ_WITHHELD,	/* "withheld": not shared, and why */
	KP_INZ_REFUSED,		/* "refused": a partner's request refused */
	KP_INZ_VIEWED,		/* "viewed": an auditor viewed your data */
};

/* One row of the report. */
struct kp_inzage_row {
	int64_t			 seq;		/* the audit entry */
	enum kp_inzage_what	 what;
	char			 at[40];	/* as stored (UTC) */
	char			*org;		/* full name */
	char			 oin[24];
	char			 type[8];	/* PRS, ZAK, KCT, TST, or "" */
	char			*identificatie;
	char			 version[24];
	char			*velden;	/* codes, comma-separated */
	char			*doel;		/* code */
	char			*basis;		/* "wet: …", "toestemming: …" */
	char			*code;		/* KP code of a refusal */
	char			*detail;	/* why withheld; who viewed */
	char			*about;		/* zaaktype or onderwerp, or NULL */
};

struct kp_inzage {
	char			 bsn[16];
	char			 made_at[40];	/* UTC */
	struct kp_inzage_row	*v;
	size_t			 n;
};

/* The report's rows for bsn, in the audit chain's order. */
int	kp_inzage_collect(struct kp_gateway *gw, const char *bsn,
	    struct kp_inzage *z, struct kp_err *err);
void	kp_inzage_clear(struct kp_inzage *z);

/* A row's what as the machine forms name it ("received", …). */
const char *kp_inzage_what_code(enum kp_inzage_what what);

/*
 * The report in a format: text and CSV, JSON (one document), HTML: with
 * standalone a whole printable page with its own style, else only what
 * goes inside a page's <main> (the auditor's web view wraps it).
 */
void	kp_inzage_write(struct kp_gateway *gw, const struct kp_inzage *z,
	    enum kp_report_format format, int standalone, FILE *out);

/*
 * The detail of the audit entry an auditor's view of a citizen's data
 * writes (outcome "viewed", direction local): "viewed by auditor WHO:
 * WHAT"; the report lists those entries in words.
 */
enum kp_inzage_page { KP_VIEW_INZAGE, KP_VIEW_SEARCH, KP_VIEW_MESSAGE,
	KP_VIEW_BYTES };
void	kp_inzage_view_detail(char *out, size_t outlen, const char *auditor,
	    enum kp_inzage_page page);

/* collect + write: ketenpoort audit inzage. */
int	kp_audit_inzage(struct kp_gateway *gw, const char *bsn,
	    enum kp_report_format format, FILE *out, int64_t *count,
	    struct kp_err *err);

#endif
