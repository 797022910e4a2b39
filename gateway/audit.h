/*
 * audit — what an auditor asks of the store: the audit chain and its
 * checkpoints verified (auditlog.h, checkpoint.h); the exact signed bytes
 * of every stored message verified again, with the certificate checked as
 * of the moment the message was stored (a signature stays provable after
 * the certificate expires).
 */
#ifndef KP_AUDIT_H
#define KP_AUDIT_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

struct kp_gateway;

struct kp_reverify {
	int64_t	checked;
	int64_t	verified;
	int64_t	failed;
};

/*
 * Re-verify every stored message of direction ("in", "out" or NULL);
 * each failure is printed to report (if not NULL) as one line.
 */
int	kp_audit_reverify(struct kp_gateway *gw, const char *direction,
	    FILE *report, struct kp_reverify *counts, struct kp_err *err);

struct kp_stored_message;
/*
 * Verify one stored message's signature again, with the certificate as of
 * when it was stored: 1 when it verifies, 0 when not (why in err).
 */
int	kp_audit_reverify_one(struct kp_gateway *gw,
	    const struct kp_stored_message *m, struct kp_err *err);

/* What kp_audit_verify found. */
struct kp_audit_check {
	int64_t	entries;	/* entries read */
	int64_t	bad;		/* problems found (an entry may have two) */
	int64_t	checkpoints;	/* our checkpoints checked */
	int64_t	witnessed;	/* checkpoints from a witness file checked */
	int64_t	first_bad;	/* seq of the first bad entry, 0: none */
	int	ranges;		/* the chain was checked in this many parts */
	int	threads;	/* by this many threads */
	char	first[400];	/* what is wrong there */
};

/*
 * Verify the whole audit chain: every entry's hash over the entry before
 * it, no seq missing; every checkpoint of ours, and every line of
 * witness_file (NULL: none; lines "seq hash at signature cert", as
 * ketenpoort audit witnessed prints them at a partner): signed by us with a
 * certificate valid then, and matching the entry it names, which must
 * still be there.  Each problem is one line on report; progress (NULL:
 * none) gets a running count for a terminal.  KP_OK when the checks ran
 * (look at check->bad), an error when they could not.
 */
int	kp_audit_verify(struct kp_gateway *gw, const char *witness_file,
	    FILE *report, FILE *progress, struct kp_audit_check *check,
	    struct kp_err *err);

/* A verification's progress, for another thread to show. */
struct kp_audit_watch {
	atomic_llong	done;		/* entries checked */
	atomic_llong	total;		/* of about this many */
};
int	kp_audit_verify_watched(struct kp_gateway *gw, const char *witness_file,
	    FILE *report, FILE *progress, struct kp_audit_watch *watch,
	    struct kp_audit_check *check, struct kp_err *err);

enum kp_report_format { KP_REPORT_TABLE, KP_REPORT_CSV, KP_REPORT_JSON,
	KP_REPORT_HTML };

/* What audit query selects; NULL fields select everything. */
struct kp_audit_filter {
	const char	*from, *until;	/* ISO 8601 times or dates, inclusive */
	const char	*partner_oin;
	const char	*direction;	/* in, out, local */
	const char	*outcome;
	const char	*berichtcode;	/* Lk01, Lv01, Di01 … or a root type */
	const char	*bsn;		/* computed to its pseudonym */
};

/*
 * The entries filter selects, as a table, CSV (a header line, RFC 4180) or
 * JSON Lines (KP_REPORT_JSON: one object per line).  --bsn needs the
 * audit key.
 */
int	kp_audit_query(struct kp_gateway *gw, const struct kp_audit_filter *f,
	    enum kp_report_format format, FILE *out, int64_t *count,
	    struct kp_err *err);

/*
 * The pseudonym the audit chain knows bsn by (HMAC-SHA256 with the audit
 * key, auditlog.h) into out; KP_ERR_USAGE when bsn fails the elfproef,
 * KP_ERR_CONFIG when the key cannot be read.
 */
int	kp_audit_pseudonym_of(struct kp_gateway *gw, const char *bsn,
	    char out[65], struct kp_err *err);

/*
 * Everything about one message: its audit entries, the archived signed
 * bytes, and whether its signature still verifies (as of when it was
 * stored).  KP_ERR_USAGE when no entry names it.
 */
int	kp_audit_show(struct kp_gateway *gw, const char *message_id, FILE *out,
	    struct kp_err *err);

#endif
