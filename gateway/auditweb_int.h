/*
 * auditweb_int.h — what the web view's listener (auditweb.c) and its
 * pages (auditpages.c, auditchart.c) share: the request being answered
 * and the searches kept on the server.
 */
#ifndef KP_AUDITWEB_INT_H
#define KP_AUDITWEB_INT_H

#include <stdint.h>
#include <stdio.h>

#include "audit.h"
#include "err.h"

struct kp_gateway;
struct kp_auditweb;

/* A search kept on the server, named by a random token. */
struct kp_search {
	char	 token[33];		/* "": free */
	char	 auditor[512];		/* only its maker may use it */
	int64_t	 expires_ms;
	char	 bsn[16];		/* "": none */
	char	 subject[65];		/* its pseudonym */
	char	 partner[24], from[16], until[16];
	char	 direction[8], outcome[16], kind[16];
};

/* The request being answered. */
struct kp_page {
	struct kp_auditweb	*web;
	struct kp_gateway	*gw;
	const char		*auditor;	/* subject, RFC 2253 */
	const char		*auditor_cn;	/* for people */
	const char		*csrf;		/* the auditor's token */
	FILE			*out;		/* the body */
	int			 status;
	const char		*type;		/* default text/html */
	const char		*disposition;	/* attachment; filename=… */
	const char		*location;	/* 303 */
	char			 where[64];	/* a location made here */
};

/* The search named by token, the auditor's own and not expired; NULL. */
const struct kp_search *kp_auditweb_search(struct kp_auditweb *w,
	    const char *token, const char *auditor);
/* Keep s as a new search; its token into s->token. -1: no room. */
int	kp_auditweb_search_add(struct kp_auditweb *w, struct kp_search *s);


/* The verification run from the page: start it, or read how it goes. */
struct kp_verify_state {
	int	running, finished;
	int64_t	done, total;
	struct kp_audit_check check;
	char	started_by[200], started_at[40], error[520];
};
int	kp_auditweb_verify_start(struct kp_auditweb *w, const char *who);
void	kp_auditweb_verify_state(struct kp_auditweb *w,
	    struct kp_verify_state *s);

/* Pages (auditpages.c); each writes p->out and sets p->status. */
void	kp_page_overview(struct kp_page *p);
void	kp_page_search_form(struct kp_page *p, const struct kp_search *s,
	    const char *error);
void	kp_page_search(struct kp_page *p, const struct kp_search *s,
	    int64_t before);
void	kp_page_entry(struct kp_page *p, int64_t seq);
void	kp_page_message(struct kp_page *p, const char *message_id,
	    int verify, int bytes);
void	kp_page_inzage(struct kp_page *p, const struct kp_search *s,
	    int format);
void	kp_page_verify(struct kp_page *p, const struct kp_verify_state *v);
void	kp_page_verify_status(struct kp_page *p,
	    const struct kp_verify_state *v);
void	kp_page_refused(struct kp_page *p, int status, const char *title,
	    const char *why);

/* Layout (auditpages.c). */
void	kp_page_begin(struct kp_page *p, const char *title, const char *nav);
void	kp_page_end(struct kp_page *p);
void	kp_page_text(struct kp_page *p, const char *s);

/* The charts of the overview (auditchart.c), as inline SVG and a table. */
void	kp_chart_daily(struct kp_page *p, int64_t start_ms);
void	kp_chart_codes(struct kp_page *p, const char *since);

#endif
