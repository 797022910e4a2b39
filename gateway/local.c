#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "abonnement.h"
#include "config.h"
#include "context.h"
#include "dossier.h"
#include "gateway.h"
#include "guard.h"
#include "local.h"
#include "local_int.h"
#include "log.h"
#include "outbound.h"
#include "profile.h"
#include "http.h"
#include "status.h"
#include "store.h"
#include "util.h"

#define LOCAL_MAX_BODY	(1024 * 1024)
/* Connections to the local interface at once (the party's own systems). */
#define LOCAL_MAX_CONN	64

/* One context question: asked on a thread (it waits for the partner). */
struct ask {
	const struct kp_profile	*partner;
	char			*bsn, *doel;
};

/* A request on a thread: answered on the base when it is done. */
struct local_job {
	struct kp_local		*l;
	struct evhttp_request	*req;	/* NULL once its connection is gone */
	local_run_fn		 fn;
	void			*arg;
	void			(*free_arg)(void *);
	int			 code;
	const char		*type;
	char			*text;
	size_t			 len;
};

static void
handle_show(struct kp_local *l, struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evkeyvalq query = { 0 };
	const char *bsn;
	struct kp_err err;
	char *out = NULL;
	size_t len = 0;
	FILE *mem;

	if (evhttp_parse_query_str(evhttp_uri_get_query(uri) != NULL ?
	    evhttp_uri_get_query(uri) : "", &query) != 0 ||
	    (bsn = evhttp_find_header(&query, "bsn")) == NULL) {
		evhttp_clear_headers(&query);
		kp_http_reply_text(req, 400, "Bad Request", "use GET /dossier?bsn=N\n");
		return;
	}
	if ((mem = open_memstream(&out, &len)) == NULL) {
		evhttp_clear_headers(&query);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	if (kp_dossier_show(l->gw, bsn, KP_DOSSIER_JSON, mem, &err) != KP_OK) {
		fclose(mem);
		free(out);
		evhttp_clear_headers(&query);
		kp_http_reply_text(req, err.status == KP_ERR_USAGE ? 400 : 500, "Error",
		    "%s\n", err.msg);
		return;
	}
	fclose(mem);
	kp_http_reply(req, 200, "OK", "application/json", out, len);
	free(out);
	evhttp_clear_headers(&query);
}

/* The query's parameters; 0, or -1 after answering 400. */
static int
query(struct evhttp_request *req, struct evkeyvalq *q, const char *usage)
{
	const char *s = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));

	if (evhttp_parse_query_str(s != NULL ? s : "", q) != 0) {
		evhttp_clear_headers(q);
		kp_http_reply_text(req, 400, "Bad Request", "cannot read the query; use "
		    "%s\n", usage);
		return -1;
	}
	return 0;
}

/* A partner by OIN, file stem or naam; NULL after answering 404. */
static const struct kp_profile *
partner_or_404(struct kp_local *l, struct evhttp_request *req,
    const char *name)
{
	const struct kp_profile *p = kp_profiles_find(l->gw->profiles, name);

	if (p == NULL)
		kp_http_reply_text(req, 404, "Not Found", "no partner %s: give its OIN, "
		    "its profile's file name or its naam (profiles in %s)\n",
		    name, l->gw->cfg->profiles);
	return p;
}

/* Reply with what fn wrote to a memstream as JSON (500 when it fails). */
static void
reply_json(struct evhttp_request *req, int (*fn)(struct kp_local *, FILE *,
    void *, struct kp_err *), struct kp_local *l, void *arg)
{
	char *text = NULL;
	size_t len = 0;
	struct kp_err err;
	FILE *mem = open_memstream(&text, &len);
	int ret;

	if (mem == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	ret = fn(l, mem, arg, &err);
	fclose(mem);
	if (ret != KP_OK)
		kp_http_reply_text(req, 500, "Internal Server Error", "%s\n", err.msg);
	else
		kp_http_reply(req, 200, "OK", "application/json", text, len);
	free(text);
}

static void
json_field(FILE *out, const char *name, const char *value, int last)
{
	fprintf(out, "\"%s\": ", name);
	if (value != NULL && value[0] != '\0')
		kp_json_string(out, value);
	else
		fputs("null", out);
	fputs(last ? "" : ", ", out);
}

struct rows {
	FILE			*out;
	struct kp_gateway	*gw;
	int			 n;
};

static int
queue_row(void *arg, const struct kp_queue_row *r)
{
	struct rows *j = arg;
	char next[32];

	kp_time_iso(r->next_attempt_ms, next);
	fprintf(j->out, "%s\n  {\"id\": %lld, ", j->n++ ? "," : "",
	    (long long)r->id);
	json_field(j->out, "partner", r->partner_oin, 0);
	fprintf(j->out, "\"partitie\": %lld, \"volgnummer\": %lld, ",
	    (long long)r->partitie, (long long)r->volgnummer);
	json_field(j->out, "mutatiesoort", r->mutatiesoort, 0);
	json_field(j->out, "entiteittype", r->entiteittype, 0);
	json_field(j->out, "bron", r->bron, 0);
	json_field(j->out, "identificatie", r->identificatie, 0);
	fprintf(j->out, "\"bronversie\": %lld, ", (long long)r->bronversie);
	json_field(j->out, "state", r->state, 0);
	fprintf(j->out, "\"attempts\": %d, ", r->attempts);
	json_field(j->out, "next_attempt", strcmp(r->state, "pending") == 0 &&
	    r->next_attempt_ms > 0 ? next : NULL, 0);
	json_field(j->out, "last_error", r->last_error, 0);
	json_field(j->out, "queued", r->created_at, 0);
	json_field(j->out, "delivered", r->delivered_at, 1);
	fputs("}", j->out);
	return 0;
}

struct queue_query {
	const char	*partner_oin, *state;
};

static int
write_queue(struct kp_local *l, FILE *out, void *arg, struct kp_err *err)
{
	struct queue_query *q = arg;
	struct rows j = { out, l->gw, 0 };

	fputs("[", out);
	if (kp_store_outbox_list(l->gw->store, q->partner_oin, q->state, 0,
	    queue_row, &j, err) != KP_OK)
		return KP_ERR_STORE;
	fputs(j.n ? "\n]\n" : "]\n", out);
	return KP_OK;
}

/* GET /queue[?partner=P][&state=pending|parked|delivered] */
static void
handle_queue(struct kp_local *l, struct evhttp_request *req)
{
	struct evkeyvalq q = { 0 };
	struct queue_query qq = { NULL, NULL };
	const char *partner, *state;
	const struct kp_profile *p;

	if (query(req, &q, "GET /queue?partner=P&state=S") != 0)
		return;
	partner = evhttp_find_header(&q, "partner");
	state = evhttp_find_header(&q, "state");
	if (state != NULL && strcmp(state, "pending") != 0 &&
	    strcmp(state, "parked") != 0 && strcmp(state, "delivered") != 0) {
		kp_http_reply_text(req, 400, "Bad Request", "state %s: use pending, "
		    "parked or delivered\n", state);
	} else if (partner == NULL || (p = partner_or_404(l, req,
	    partner)) != NULL) {
		qq.partner_oin = partner != NULL ? p->oin : NULL;
		qq.state = state;
		reply_json(req, write_queue, l, &qq);
	}
	evhttp_clear_headers(&q);
}

static void
link_json(FILE *out, const struct kp_link *s)
{
	json_field(out, "partner", s->partner_oin, 0);
	json_field(out, "naam", s->naam[0] ? s->naam : NULL, 0);
	fprintf(out, "\"out\": {\"streams\": %lld, \"numbered\": %lld, "
	    "\"delivered\": %lld, \"pending\": %lld, \"parked\": %lld, "
	    "\"stream_conflicts\": %lld, ", (long long)s->streams_out,
	    (long long)s->next_out_total, (long long)s->delivered,
	    (long long)s->pending, (long long)s->parked,
	    (long long)s->conflicts);
	json_field(out, "oldest_undelivered", s->oldest_undelivered, 1);
	fprintf(out, "}, \"in\": {\"streams\": %lld, \"applied\": %lld}, "
	    "\"digests\": {", (long long)s->streams_in,
	    (long long)s->next_in_total);
	json_field(out, "compared", s->checked_at, 0);
	json_field(out, "error", s->check_error, 0);
	fprintf(out, "\"citizens\": %lld, \"differ\": %lld, "
	    "\"in_flight\": %lld}", (long long)s->checked_citizens,
	    (long long)s->checked_differ, (long long)s->checked_in_flight);
}

static int
write_sync(struct kp_local *l, FILE *out, void *arg, struct kp_err *err)
{
	struct kp_links links;

	(void)arg;
	if (kp_status_links(l->gw, 0, &links, err) != KP_OK)
		return KP_ERR_STORE;
	fputs("[", out);
	for (size_t i = 0; i < links.n; i++) {
		fprintf(out, "%s\n  {", i > 0 ? "," : "");
		link_json(out, &links.v[i]);
		fputs("}", out);
	}
	fputs(links.n ? "\n]\n" : "]\n", out);
	kp_status_links_clear(&links);
	return KP_OK;
}

static void
job_free(struct local_job *j)
{
	if (j->free_arg != NULL)
		j->free_arg(j->arg);
	free(j->text);
	free(j);
}

/* On the base: the request's connection closed before its answer. */
static void
job_gone(void *arg)
{
	struct local_job *j = arg;

	j->req = NULL;
}

static const char *
reason_of(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 409: return "Conflict";
	case 422: return "Unprocessable Entity";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* On the base: send the answer the thread prepared. */
static void
job_done(evutil_socket_t fd, short what, void *arg)
{
	struct local_job *j = arg;

	(void)fd;
	(void)what;
	if (j->req != NULL) {
		kp_guard_on_close(j->l->guard, j->req, NULL, NULL);
		kp_guard_answered(j->l->guard, j->req);
		if (j->text == NULL)
			evhttp_send_error(j->req, 500, NULL);
		else
			kp_http_reply(j->req, j->code, reason_of(j->code),
			    j->type != NULL ? j->type : "text/plain; charset=utf-8",
			    j->text, j->len);
	}
	job_free(j);
}

static void *
job_main(void *arg)
{
	struct local_job *j = arg;
	struct kp_local *l = j->l;
	struct timeval now = { 0, 0 };
	FILE *mem = open_memstream(&j->text, &j->len);

	if (mem != NULL) {
		j->code = j->fn(l, j->arg, mem, &j->type);
		fclose(mem);
	}
	if (event_base_once(l->base, -1, EV_TIMEOUT, job_done, j, &now) != 0)
		log_warnx("cannot hand a local answer back; dropped");
	pthread_mutex_lock(&l->lock);
	if (--l->running == 0)
		pthread_cond_broadcast(&l->idle);
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

void
local_on_thread(struct kp_local *l, struct evhttp_request *req,
    local_run_fn fn, void *arg, void (*free_arg)(void *))
{
	struct local_job *j;
	pthread_attr_t attr;
	pthread_t thread;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		if (free_arg != NULL)
			free_arg(arg);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	*j = (struct local_job){ .l = l, .req = req, .fn = fn, .arg = arg,
	    .free_arg = free_arg };
	kp_guard_on_close(l->guard, req, job_gone, j);
	kp_guard_request(l->guard, req, 1);
	pthread_mutex_lock(&l->lock);
	l->running++;
	pthread_mutex_unlock(&l->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thread, &attr, job_main, j) != 0) {
		pthread_mutex_lock(&l->lock);
		l->running--;
		pthread_mutex_unlock(&l->lock);
		kp_guard_on_close(l->guard, req, NULL, NULL);
		kp_guard_answered(l->guard, req);
		kp_http_reply_text(req, 503, "Service Unavailable", "cannot "
		    "take it now; try again\n");
		job_free(j);
	}
	pthread_attr_destroy(&attr);
}

static void
ask_free(void *arg)
{
	struct ask *a = arg;

	free(a->bsn);
	free(a->doel);
	free(a);
}

static int
ask_run(struct kp_local *l, void *arg, FILE *out, const char **type)
{
	struct ask *a = arg;
	struct kp_context ctx;
	struct kp_err err;

	if (kp_context_ask(l->gw, a->partner, a->bsn, a->doel, &ctx,
	    &err) == KP_OK) {
		*type = "application/json";
		kp_context_json(&ctx, a->partner->oin, a->bsn, a->doel, out);
		kp_context_clear(&ctx);
		return 200;
	}
	/* refused by the partner (its Fo03), or not asked at all */
	fprintf(out, "%s\n", err.msg);
	return err.status == KP_ERR_PROTOCOL ? 422 :
	    err.status == KP_ERR_USAGE ? 400 : 502;
}

/* GET /context?partner=P&bsn=N&doel=D: ask the partner, during a call. */
static void
handle_context(struct kp_local *l, struct evhttp_request *req)
{
	struct evkeyvalq q = { 0 };
	const char *partner, *bsn, *doel;
	const struct kp_profile *p;
	struct ask *a = NULL;

	if (query(req, &q, "GET /context?partner=P&bsn=N&doel=D") != 0)
		return;
	partner = evhttp_find_header(&q, "partner");
	bsn = evhttp_find_header(&q, "bsn");
	doel = evhttp_find_header(&q, "doel");
	if (partner == NULL || bsn == NULL || doel == NULL) {
		kp_http_reply_text(req, 400, "Bad Request", "missing %s; use GET "
		    "/context?partner=P&bsn=N&doel=D\n", partner == NULL ?
		    "partner" : bsn == NULL ? "bsn" : "doel");
		goto out;
	}
	if ((p = partner_or_404(l, req, partner)) == NULL)
		goto out;
	if (p->endpoint == NULL) {
		kp_http_reply_text(req, 409, "Conflict", "%s has no <endpoint> in %s to "
		    "ask\n", p->naam, p->path);
		goto out;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->bsn = strdup(bsn)) == NULL || (a->doel = strdup(doel)) == NULL) {
		evhttp_send_error(req, 500, NULL);
		goto out;
	}
	a->partner = p;
	local_on_thread(l, req, ask_run, a, ask_free);
	a = NULL;	/* the thread's now */
out:
	if (a != NULL)
		ask_free(a);
	evhttp_clear_headers(&q);
}

static const char usage_text[] =
    "the local interface:\n"
    "  POST /dossier                    a kd:lokaleWijziging\n"
    "  GET  /dossier?bsn=N              a citizen's dossier as held (JSON)\n"
    "  GET  /context?partner=P&bsn=N&doel=D\n"
    "                                   ask a partner for context (JSON)\n"
    "  GET  /queue[?partner=P][&state=S] the outbox (JSON)\n"
    "  GET  /sync                       per partner: streams, backlog, "
    "digests (JSON)\n"
    "  POST /consent/grant              form: bsn, partner, doel[, from, "
    "until, via]\n"
    "  POST /consent/withdraw           form: bsn, (partner, doel | id)\n"
    "  POST /queue/retry, /queue/skip   form: id[, note]\n"
    "  POST /sync/repair                form: partner[, bsn]\n"
    "  GET|POST /abonnement, GET|DELETE /abonnement/UUID   subscriptions "
    "(JSON)\n";

/* The subscriptions (abonnement.h), as on the read API, unauthenticated:
 * who may use this socket may change the dossier. */
static void
handle_abonnement(struct kp_local *l, struct evhttp_request *req,
    const char *uuid)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct kp_answer a;
	char *body;

	if ((body = malloc(len + 1)) == NULL) {
		kp_http_reply_text(req, 500, "Internal Server Error",
		    "out of memory\n");
		return;
	}
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	kp_abonnement_handle(l->gw, cmd == EVHTTP_REQ_GET ? "GET" :
	    cmd == EVHTTP_REQ_POST ? "POST" : cmd == EVHTTP_REQ_DELETE ?
	    "DELETE" : "OTHER", uuid, body, len, "the local socket", &a);
	free(body);
	if (a.location[0] != '\0')
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Location", a.location);
	kp_http_reply(req, a.status, a.status < 300 ? "OK" : "Refused",
	    a.status >= 400 ? "application/problem+json" : "application/json",
	    a.json != NULL ? a.json : "", a.json != NULL ? strlen(a.json) : 0);
	free(a.json);
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct kp_local *l = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	int is_get = cmd == EVHTTP_REQ_GET;

	kp_guard_request(l->guard, req, 0);
	if (kp_http_framing_refused(req))
		return;
	if (path == NULL)
		path = "";
	if (local_write_route(l, req, path))
		return;
	if (strcmp(path, "/abonnement") == 0)
		handle_abonnement(l, req, NULL);
	else if (strncmp(path, "/abonnement/", 12) == 0 && path[12] != '\0')
		handle_abonnement(l, req, path + 12);
	else if (strcmp(path, "/dossier") == 0 && is_get)
		handle_show(l, req);
	else if (strcmp(path, "/context") == 0 && is_get)
		handle_context(l, req);
	else if (strcmp(path, "/queue") == 0 && is_get)
		handle_queue(l, req);
	else if (strcmp(path, "/sync") == 0 && is_get)
		reply_json(req, write_sync, l, NULL);
	else if (strcmp(path, "/dossier") == 0 || strcmp(path, "/context") == 0 ||
	    strcmp(path, "/queue") == 0 || strcmp(path, "/sync") == 0)
		kp_http_reply_text(req, 405, "Method Not Allowed", "%s", usage_text);
	else
		kp_http_reply_text(req, 404, "Not Found", "%s", usage_text);
}

struct kp_local *
kp_local_start(struct kp_gateway *gw, struct event_base *base,
    struct kp_err *err)
{
	const char *path = gw->cfg->local_socket;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct evconnlistener *lev;
	struct kp_local *l;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		kp_fail(err, KP_ERR_CONFIG, "local_socket %s: path too long", path);
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	l->gw = gw;
	l->base = base;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->idle, NULL);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	unlink(path);	/* a socket left by an earlier run */
	if ((l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 || bind(l->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0660) == -1 || listen(l->fd, 64) == -1) {
		kp_fail(err, KP_ERR_SYS, "local_socket %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if ((l->http = evhttp_new(base)) == NULL ||
	    (l->guard = kp_http_plain_guard(l->http, base, KP_LISTENER_LOCAL,
	    LOCAL_MAX_CONN, gw->cfg)) == NULL ||
	    (lev = evconnlistener_new(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE, -1,
	    l->fd)) == NULL || evhttp_bind_listener(l->http, lev) == NULL) {
		kp_fail(err, KP_ERR_SYS, "local_socket %s: cannot listen", path);
		goto fail;
	}
	l->fd = -1;	/* the listener owns it now */
	evhttp_set_max_body_size(l->http, LOCAL_MAX_BODY);
	evhttp_set_timeout(l->http, 30);
	evhttp_set_gencb(l->http, handle, l);
	log_info("local interface on %s", path);
	return l;
fail:
	kp_local_stop(l);
	return NULL;
}

void
kp_local_stop(struct kp_local *l)
{
	if (l == NULL)
		return;
	/* Questions still out: wait for them, then send their answers. */
	pthread_mutex_lock(&l->lock);
	while (l->running > 0)
		pthread_cond_wait(&l->idle, &l->lock);
	pthread_mutex_unlock(&l->lock);
	event_base_loop(l->base, EVLOOP_NONBLOCK);
	if (l->http != NULL)
		evhttp_free(l->http);
	kp_guard_free(l->guard);
	if (l->fd != -1)
		close(l->fd);
	unlink(l->gw->cfg->local_socket);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->idle);
	free(l);
}
