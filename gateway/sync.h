/*
 * sync — digests and repair (PROTOCOL.md 4.3).
 *
 * A citizen's digest on a link (sender -> receiver) is the SHA-256, hex, of
 * the lines "entiteittype|bron|identificatie|bronversie|sha256(fields)"
 * sorted bytewise and joined with "\n".  The sender computes it over what
 * it disclosed (the newest outbox row of each record it queued for that
 * partner), the receiver over the records that partner delivered to it,
 * tombstones included.
 *
 * kp_sync_verify() asks the partner for its digests (dosLv01 functie
 * digest, in pages of KP_DIGEST_PAGE citizens) and compares them with ours;
 * a citizen with a notice not yet acknowledged is "in flight", not
 * different.  kp_sync_repair() queues the records of the citizens that
 * differ again, as fresh notices on their streams.  The daemon runs verify
 * on a schedule (sync_verify_interval) and keeps each outcome for
 * `sync status`.
 */
#ifndef KP_SYNC_H
#define KP_SYNC_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "err.h"

#define KP_DIGEST_PAGE	5000		/* citizens in one dosLa01 */
#define KP_DIGEST_DOEL	"synchronisatie"

struct kp_gateway;
struct kp_profile;
struct kp_reply_params;

/*
 * Answer partner's dosLv01 functie=digest (question is its root): the
 * digests of what partner delivered to us, for its bsn or a page of all
 * citizens after its vanaf, signed into *out.
 */
int	kp_sync_answer_digest(struct kp_gateway *gw, const char *partner_oin,
	    xmlNodePtr question, const struct kp_reply_params *rp, char **out,
	    size_t *len, struct kp_err *err);

struct kp_sync_diff {
	char		bsn[16];
	int64_t		ours, theirs;	/* records in each digest; -1: none */
};

struct kp_sync_report {
	int64_t			 citizens;	/* on either side */
	int64_t			 same, in_flight;
	struct kp_sync_diff	*diffs;
	size_t			 ndiffs;
};

/*
 * Compare our digests for partner (of bsn, or of everyone) with its own.
 * The outcome of a whole-link comparison (bsn NULL), or its failure, is
 * kept in the store for sync status.
 */
int	kp_sync_verify(struct kp_gateway *gw, const struct kp_profile *partner,
	    const char *bsn, struct kp_sync_report *rep, struct kp_err *err);
void	kp_sync_report_clear(struct kp_sync_report *rep);
/* The comparison as sync verify and sync repair print it. */
void	kp_sync_report_print(FILE *out, const struct kp_profile *partner,
	    const struct kp_sync_report *rep);
/*
 * Queue again, for partner, every record we hold about each citizen in
 * rep->diffs that partner is entitled to (W, or V for a tombstone), with
 * its projection as the profile says now; *queued counts the notices.
 */
int	kp_sync_repair(struct kp_gateway *gw, const struct kp_profile *partner,
	    const struct kp_sync_report *rep, size_t *queued, struct kp_err *err);

/*
 * One scheduled round (arg: the gateway): verify every partner we have sent
 * notices to; differences are logged as counts, never a BSN.
 */
void	kp_sync_verify_all(void *gw);

#endif
