/*
 * context — the call-centre moment (PROTOCOL.md 3.3, dosLv01 functie
 * context; section 5 for what may be disclosed).
 *
 * Answering: of the citizen's records we hold (ours and those partners
 * gave us), each one the asker's profile gives it for the purpose asked,
 * with that rule's fields, decided by kp_policy_decide() as every other
 * disclosure is.  Left out without a decision: the asker's own records
 * (it has them), deleted ones, closed cases (einddatum today or before)
 * and contacts beyond the newest context_contacts the asker may see.
 * Every disclosed record and every withheld one becomes an audit entry of
 * its own ("answered" with fields, basis and purpose; "withheld" with
 * KP021 and the reason), committed with the question.
 *
 * Asking: kp_context_ask() sends the question to a partner and returns
 * the records of its verified, signed answer.
 */
#ifndef KP_CONTEXT_H
#define KP_CONTEXT_H

#include <stddef.h>
#include <stdio.h>

#include <libxml/tree.h>

#include "err.h"
#include "kd.h"

struct kp_gateway;
struct kp_profile;
struct kp_reply_params;
struct kp_audit;

/* The decisions of one answer, as audit entries (strings owned). */
struct kp_context_audit {
	struct kp_audit	*v;
	size_t		 n;
	size_t		 disclosed, withheld;
};

/*
 * Answer asker's context question about bsn for doel (the inbound policy
 * stage checked both) with a signed dosLa01 in *out; the decisions go to
 * *audit (free with kp_context_audit_clear).
 */
int	kp_context_answer(struct kp_gateway *gw, const struct kp_profile *asker,
	    const char *bsn, const char *doel, const struct kp_reply_params *rp,
	    char **out, size_t *len, struct kp_context_audit *audit,
	    struct kp_err *err);
void	kp_context_audit_clear(struct kp_context_audit *a);

/* What a partner answered: its records, in the answer's order. */
struct kp_context {
	struct kp_notice	*v;
	size_t			 n;
	char			 message_id[48];	/* our question's */
};

/*
 * Ask partner for the context of bsn for doel.  A refusal (Fo03) is an
 * error of status KP_ERR_PROTOCOL with the partner's code and words.
 */
int	kp_context_ask(struct kp_gateway *gw, const struct kp_profile *partner,
	    const char *bsn, const char *doel, struct kp_context *ctx,
	    struct kp_err *err);
void	kp_context_clear(struct kp_context *ctx);

/* The records readably for an operator: customer, cases, contacts, consents. */
void	kp_context_print(const struct kp_context *ctx, const char *partner_name,
	    const char *bsn, const char *doel, FILE *out);
/* The same as one JSON object (the local interface's answer). */
void	kp_context_json(const struct kp_context *ctx, const char *partner_oin,
	    const char *bsn, const char *doel, FILE *out);

#endif
