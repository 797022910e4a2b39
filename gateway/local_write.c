/*
 * local_write — the local interface's writes, so that while `serve` runs
 * its group-commit writer is the store's only writer: the party's own
 * systems and the operator's commands (which come here when a gateway
 * serves the local socket) change the store through it, and changes that
 * arrive together share their fsyncs.  Each runs on a thread of its own
 * (it waits for the writer, or for a partner), the event base serving on.
 *
 *   POST /dossier          body: kd:lokaleWijziging -> 200 what was done,
 *                          422 "KPnnn: what" (nothing stored)
 *   POST /consent/grant    form: bsn, partner, doel[, from, until, via]
 *   POST /consent/withdraw form: bsn, (partner, doel | id)
 *                          -> 200 what was done, 400 what is wrong
 *   POST /queue/retry      form: id[, note]
 *   POST /queue/skip       form: id[, note]
 *                          -> 200 what was done, 404 no such row,
 *                          409 not now (delivered, not its stream's head)
 *   POST /sync/repair      form: partner[, bsn] -> 200 the comparison and
 *                          what was queued, 404 no such partner, 502 the
 *                          partner did not answer
 *
 * Forms are application/x-www-form-urlencoded bodies: a BSN never goes
 * into a URL, where access logs keep it.  The 200 bodies are the text the
 * command prints when it works on the store itself.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "consent_cmd.h"
#include "gateway.h"
#include "kd.h"
#include "local_int.h"
#include "outbound.h"
#include "profile.h"
#include "http.h"
#include "store.h"
#include "sync.h"
#include "util.h"

/* A write's input, copied off the request for its thread. */
struct write {
	char	*body;			/* POST /dossier */
	size_t	 len;
	char	*f[8];			/* the form's fields, by route */
};

static void
write_free(void *arg)
{
	struct write *w = arg;

	free(w->body);
	for (size_t i = 0; i < sizeof(w->f) / sizeof(w->f[0]); i++)
		free(w->f[i]);
	free(w);
}

/* The request's form fields (a POST body, x-www-form-urlencoded). */
static int
local_form(struct evhttp_request *req, struct evkeyvalq *form)
{
	struct evbuffer *b = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(b);
	char *text;
	int ret;

	if ((text = malloc(len + 1)) == NULL)
		return -1;
	evbuffer_copyout(b, text, len);
	text[len] = '\0';
	ret = strlen(text) == len ? evhttp_parse_query_str(text, form) : -1;
	free(text);
	return ret;
}

static int
put_run(struct kp_local *l, void *arg, FILE *out, const char **type)
{
	struct write *w = arg;
	struct kp_put_result res;
	struct kp_err err;

	(void)type;
	if (kp_outbound_put(l->gw, w->body != NULL ? w->body : "", w->len, &res,
	    &err) != KP_OK) {
		fprintf(out, "not stored: %s\n", err.msg);
		return 500;
	}
	if (res.verdict != KP_F_NONE) {
		fprintf(out, "%s: %s\n", kp_fault_code(res.verdict), res.msg);
		return 422;
	}
	fprintf(out, "%s\n", res.msg);
	return 200;
}

/* The consent form's fields, in this order. */
enum { F_BSN, F_PARTNER, F_DOEL, F_FROM, F_UNTIL, F_VIA, F_ID, F_GRANT };

static int
consent_run(struct kp_local *l, void *arg, FILE *out, const char **type)
{
	struct write *w = arg;
	struct kp_consent_request r = { .bsn = w->f[F_BSN],
	    .partner = w->f[F_PARTNER], .doel = w->f[F_DOEL],
	    .ingangsdatum = w->f[F_FROM], .einddatum = w->f[F_UNTIL],
	    .via = w->f[F_VIA], .identificatie = w->f[F_ID] };
	struct kp_err err;
	char msg[400];
	int ret;

	(void)type;
	if (w->f[F_GRANT] != NULL)
		ret = kp_consent_grant(l->gw, &r, msg, sizeof(msg), &err);
	else
		ret = kp_consent_withdraw(l->gw, &r, msg, sizeof(msg), &err);
	if (ret != KP_OK) {
		fprintf(out, "%s\n", err.msg);
		return ret == KP_ERR_USAGE ? 400 : 500;
	}
	fprintf(out, "%s\n", msg);
	return 200;
}

enum { Q_ID, Q_NOTE, Q_SKIP };

static int
queue_run(struct kp_local *l, void *arg, FILE *out, const char **type)
{
	struct write *w = arg;
	struct kp_err err;
	char msg[400], *end;
	long long id;

	(void)type;
	id = strtoll(w->f[Q_ID], &end, 10);
	if (*w->f[Q_ID] == '\0' || *end != '\0' || id <= 0) {
		fprintf(out, "id %s: give an outbox row's number\n", w->f[Q_ID]);
		return 400;
	}
	if (kp_store_outbox_operate(l->gw->store, id, w->f[Q_SKIP] != NULL,
	    w->f[Q_NOTE], msg, sizeof(msg), &err) != KP_OK) {
		fprintf(out, "%s\n", err.msg);
		return err.status == KP_ERR_NOTFOUND ? 404 :
		    err.status == KP_ERR_STORE ? 500 : 409;
	}
	fprintf(out, "%s\n", msg);
	return 200;
}

enum { S_PARTNER, S_BSN };

static int
repair_run(struct kp_local *l, void *arg, FILE *out, const char **type)
{
	struct write *w = arg;
	const struct kp_profile *p;
	struct kp_sync_report rep = { 0 };
	struct kp_err err;
	size_t queued = 0;
	int code = 200;

	(void)type;
	if ((p = kp_profiles_find(l->gw->profiles, w->f[S_PARTNER])) == NULL) {
		fprintf(out, "no partner \"%s\" (an OIN, a profile file name or "
		    "naam)\n", w->f[S_PARTNER]);
		return 404;
	}
	if (w->f[S_BSN] != NULL && !kp_bsn_valid(w->f[S_BSN])) {
		fprintf(out, "\"%s\" is not a BSN: nine digits that pass the "
		    "elfproef\n", w->f[S_BSN]);
		return 400;
	}
	if (kp_sync_verify(l->gw, p, w->f[S_BSN], &rep, &err) != KP_OK) {
		fprintf(out, "%s\n", err.msg);
		return 502;
	}
	kp_sync_report_print(out, p, &rep);
	if (kp_sync_repair(l->gw, p, &rep, &queued, &err) != KP_OK) {
		fprintf(out, "sync repair: %s\n", err.msg);
		code = 500;
	} else {
		fprintf(out, "repair: %zu notices queued for %s about %zu "
		    "citizens; the running gateway delivers them\n", queued,
		    p->naam, rep.ndiffs);
	}
	kp_sync_report_clear(&rep);
	return code;
}

static const struct {
	const char	*path;
	local_run_fn	 fn;
	/* the form's fields, by the run's index; NULL: the body is the input */
	const char	*fields[8];
	int		 required;	/* how many of them, from the first */
	int		 flag;		/* set this field's index to "1" */
} routes[] = {
	{ "/dossier", put_run, { NULL }, 0, -1 },
	{ "/consent/grant", consent_run, { "bsn", "partner", "doel", "from",
	    "until", "via" }, 3, F_GRANT },
	{ "/consent/withdraw", consent_run, { "bsn", "partner", "doel", "from",
	    "until", "via", "id" }, 1, -1 },
	{ "/queue/retry", queue_run, { "id", "note" }, 1, -1 },
	{ "/queue/skip", queue_run, { "id", "note" }, 1, Q_SKIP },
	{ "/sync/repair", repair_run, { "partner", "bsn" }, 1, -1 },
};

int
local_write_route(struct kp_local *l, struct evhttp_request *req,
    const char *path)
{
	struct evkeyvalq form = { 0 };
	struct evbuffer *b;
	struct write *w;
	size_t r, i;

	for (r = 0; r < sizeof(routes) / sizeof(routes[0]); r++)
		if (strcmp(routes[r].path, path) == 0)
			break;
	if (r == sizeof(routes) / sizeof(routes[0]))
		return 0;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		if (strcmp(path, "/dossier") != 0)
			kp_http_reply_text(req, 405, "Method Not Allowed", "use "
			    "POST %s\n", path);
		return strcmp(path, "/dossier") != 0;	/* GET /dossier: a read */
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return 1;
	}
	if (routes[r].fields[0] == NULL) {
		b = evhttp_request_get_input_buffer(req);
		w->len = evbuffer_get_length(b);
		if ((w->body = malloc(w->len + 1)) == NULL)
			goto nomem;
		evbuffer_copyout(b, w->body, w->len);
		w->body[w->len] = '\0';
	} else {
		if (local_form(req, &form) != 0) {
			kp_http_reply_text(req, 400, "Bad Request", "cannot read "
			    "the form: send application/x-www-form-urlencoded "
			    "fields\n");
			goto done;
		}
		for (i = 0; i < 8 && routes[r].fields[i] != NULL; i++) {
			const char *v = evhttp_find_header(&form,
			    routes[r].fields[i]);

			if (v == NULL && (int)i < routes[r].required) {
				kp_http_reply_text(req, 400, "Bad Request", "%s "
				    "needs the field %s\n", path,
				    routes[r].fields[i]);
				goto done;
			}
			if (v != NULL && (w->f[i] = strdup(v)) == NULL)
				goto nomem;
		}
		if (routes[r].flag >= 0 &&
		    (w->f[routes[r].flag] = strdup("1")) == NULL)
			goto nomem;
	}
	evhttp_clear_headers(&form);
	local_on_thread(l, req, routes[r].fn, w, write_free);
	return 1;
nomem:
	evhttp_send_error(req, 500, NULL);
done:
	evhttp_clear_headers(&form);
	write_free(w);
	return 1;
}
