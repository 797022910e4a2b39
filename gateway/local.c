#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "config.h"
#include "dossier.h"
#include "gateway.h"
#include "local.h"
#include "log.h"

#define LOCAL_MAX_BODY	(1024 * 1024)

struct kp_local {
	struct kp_gateway	*gw;
	struct evhttp		*http;
	int			 fd;
};

static void
reply(struct evhttp_request *req, int code, const char *reason,
    const char *type, const char *text, size_t len)
{
	struct evbuffer *out = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    type);
	if (out != NULL)
		evbuffer_add(out, text, len);
	evhttp_send_reply(req, code, reason, out);
	if (out != NULL)
		evbuffer_free(out);
}

static void
reply_text(struct evhttp_request *req, int code, const char *reason,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
reply_text(struct evhttp_request *req, int code, const char *reason,
    const char *fmt, ...)
{
	struct evbuffer *out = evbuffer_new();
	va_list ap;

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; charset=utf-8");
	if (out != NULL) {
		va_start(ap, fmt);
		evbuffer_add_vprintf(out, fmt, ap);
		va_end(ap);
	}
	evhttp_send_reply(req, code, reason, out);
	if (out != NULL)
		evbuffer_free(out);
}

static void
handle_put(struct kp_local *l, struct evhttp_request *req)
{
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(body);
	struct kp_put_result res;
	struct kp_err err;

	if (kp_dossier_put(l->gw, len > 0 ? (const char *)evbuffer_pullup(body,
	    -1) : "", len, &res, &err) != KP_OK)
		reply_text(req, 500, "Internal Server Error", "not stored: %s\n",
		    err.msg);
	else if (res.verdict != KP_F_NONE)
		reply_text(req, 422, "Unprocessable Entity", "%s: %s\n",
		    kp_fault_code(res.verdict), res.msg);
	else
		reply_text(req, 200, "OK", "%s\n", res.msg);
}

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
		reply_text(req, 400, "Bad Request", "use GET /dossier?bsn=N\n");
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
		reply_text(req, err.status == KP_ERR_USAGE ? 400 : 500, "Error",
		    "%s\n", err.msg);
		return;
	}
	fclose(mem);
	reply(req, 200, "OK", "application/json", out, len);
	free(out);
	evhttp_clear_headers(&query);
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct kp_local *l = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (path == NULL || strcmp(path, "/dossier") != 0) {
		reply_text(req, 404, "Not Found",
		    "POST /dossier or GET /dossier?bsn=N\n");
		return;
	}
	if (cmd == EVHTTP_REQ_POST)
		handle_put(l, req);
	else if (cmd == EVHTTP_REQ_GET)
		handle_show(l, req);
	else
		reply_text(req, 405, "Method Not Allowed", "POST or GET\n");
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
	if (l->http != NULL)
		evhttp_free(l->http);
	if (l->fd != -1)
		close(l->fd);
	unlink(l->gw->cfg->local_socket);
	free(l);
}
