/*
 * readapi — the local read API over TCP (readapi.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "abonnement.h"
#include "apply.h"
#include "config.h"
#include "gateway.h"
#include "guard.h"
#include "http.h"
#include "kd.h"
#include "localauth.h"
#include "log.h"
#include "notify.h"
#include "readapi.h"
#include "store.h"
#include "store_notify.h"
#include "tls.h"
#include "tlshttp.h"
#include "util.h"
#include "wss.h"

#define API_PREFIX	"/api/v1/"

struct kp_readapi {
	struct kp_gateway	*gw;
	struct kp_tlshttp	*listener;
	struct kp_jwt_clients	*clients;	/* NULL: certificates only */
};

/* Answer with JSON (or nothing), never cached. */
static void
reply(struct evhttp_request *req, int status, const char *json,
    const char *location)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	static const struct { int status; const char *reason; } reasons[] = {
		{ 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 409, "Conflict" },
		{ 413, "Payload Too Large" }, { 500, "Internal Server Error" },
		{ 503, "Service Unavailable" },
	};
	const char *reason = "Error";

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			reason = reasons[i].reason;
	if (location != NULL && location[0] != '\0')
		evhttp_add_header(h, "Location", location);
	if (status == 401)
		evhttp_add_header(h, "WWW-Authenticate", "Bearer");
	if (json == NULL) {
		evhttp_add_header(h, "Cache-Control", "no-store");
		evhttp_send_reply(req, status, reason, NULL);
		return;
	}
	kp_http_reply(req, status, reason, status >= 400 ?
	    "application/problem+json" : "application/json", json,
	    strlen(json));
}

static void
reply_fout(struct evhttp_request *req, int status, const char *code,
    const char *title, const char *detail)
{
	char *json = kp_fout(status, code, title, detail);

	reply(req, status, json != NULL ? json : "{}", NULL);
	free(json);
}

/*
 * Who asks: "certificate CN" when a client certificate under
 * read_client_ca came with the handshake, or the JWT's client; NULL
 * after a 401.
 */
static const char *
authenticate(struct kp_readapi *r, struct evhttp_request *req, char *who,
    size_t wholen)
{
	SSL *ssl = kp_tlshttp_ssl(req);
	const char *auth = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "Authorization"), *client;
	X509 *cert = ssl != NULL ? SSL_get0_peer_certificate(ssl) : NULL;
	char why[300], cn[128] = "", certwhy[200] = "";
	long vr;

	if (cert != NULL && r->gw->cfg->read_client_ca != NULL) {
		X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
		    NID_commonName, cn, sizeof(cn));
		if ((vr = SSL_get_verify_result(ssl)) == X509_V_OK) {
			snprintf(who, wholen, "certificate %s", cn);
			return who;
		}
		snprintf(certwhy, sizeof(certwhy), "the client certificate "
		    "(CN %.60s) is not one of read_client_ca's: %s", cn,
		    X509_verify_cert_error_string(vr));
	}
	if (r->clients == NULL || (auth == NULL && certwhy[0] != '\0')) {
		reply_fout(req, 401, "not_authenticated", "Not authenticated",
		    certwhy[0] != '\0' ? certwhy : "a client certificate "
		    "under read_client_ca is required");
		return NULL;
	}
	if (kp_jwt_check(r->clients, auth, (int64_t)time(NULL),
	    KP_READ_JWT_MAX_AGE, (int)r->gw->cfg->clock_skew, &client, why,
	    sizeof(why)) != 0) {
		reply_fout(req, 401, "not_authenticated", "Not authenticated",
		    why);
		return NULL;
	}
	snprintf(who, wholen, "client %s", client);
	return who;
}

/* An audit entry for what a client read about a citizen. */
static int
audit_read(struct kp_readapi *r, const char *who, const char *bsn,
    const char *record, const char *entiteittype, const char *what)
{
	struct kp_err err;
	char detail[300];

	snprintf(detail, sizeof(detail), "read API: %s read %s", who, what);
	if (kp_apply_audit(r->gw->store, &(struct kp_audit){
	    .direction = "local", .partner_oin = r->gw->cfg->oin,
	    .entiteittype = entiteittype, .bsn = bsn, .record = record,
	    .outcome = "read", .detail = detail }, &err) != KP_OK) {
		log_warnx("%s; the read was refused", err.msg);
		return -1;
	}
	return 0;
}

static void
velden_set(void *arg, const char *name, const char *value)
{
	json_object_set_new(arg, name, json_string(value));
}

/* One record as the API shows it. */
static json_t *
record_json(struct kp_readapi *r, const struct kp_stored_record *rec,
    const char *dossier_ref)
{
	const char *channel = kp_notify_channel(rec->entiteittype);
	char ref[KP_REF_LEN], url[512], durl[512];
	json_t *o, *velden = json_object();
	struct kp_err err;

	if (channel == NULL || velden == NULL ||
	    kp_store_record_ref(r->gw->store, rec->entiteittype, rec->bron,
	    rec->identificatie, ref, &err) != KP_OK) {
		json_decref(velden);
		return NULL;
	}
	snprintf(url, sizeof(url), "%s/%s/%s", r->gw->cfg->read_url, channel,
	    ref);
	snprintf(durl, sizeof(durl), "%s/dossiers/%s", r->gw->cfg->read_url,
	    dossier_ref);
	kp_fields_each(rec->fields, velden_set, velden);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s?, s:s, s:o}",
	    "url", url, "dossier", durl, "entiteittype", rec->entiteittype,
	    "bron", rec->bron, "identificatie", rec->identificatie,
	    "bronversie", (json_int_t)rec->bronversie, "bsn", rec->bsn,
	    "ontvangenVan", rec->received_from, "bijgewerkt", rec->updated_at,
	    "velden", velden);
	return o;
}

/* The records of a citizen, as the API shows them (tombstones not). */
struct gather {
	struct kp_readapi	*r;
	const char		*dossier_ref;
	const struct kp_record_key *only;	/* NULL: all */
	json_t			*list;
	int			 failed;
};

static int
gather_row(void *arg, const struct kp_stored_record *rec)
{
	struct gather *g = arg;
	json_t *o;

	if (rec->deleted || (g->only != NULL && (strcmp(rec->bron,
	    g->only->bron) != 0 || strcmp(rec->identificatie,
	    g->only->identificatie) != 0)))
		return 0;
	if ((o = record_json(g->r, rec, g->dossier_ref)) == NULL ||
	    json_array_append_new(g->list, o) != 0) {
		g->failed = 1;
		return 1;
	}
	return 0;
}

/* Answer with o, which this takes (NULL: out of memory). */
static void
send_json(struct evhttp_request *req, int status, json_t *o)
{
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT |
	    JSON_PRESERVE_ORDER) : NULL;

	if (text == NULL)
		reply_fout(req, 500, "nomem", "Out of memory", NULL);
	else
		reply(req, status, text, NULL);
	free(text);
	json_decref(o);
}

static int
gather(struct kp_readapi *r, struct evhttp_request *req, struct gather *g,
    const char *bsn, const char *entiteittype)
{
	struct kp_err err;

	if ((g->list = json_array()) == NULL ||
	    kp_store_each_record(r->gw->store, bsn, entiteittype, gather_row, g,
	    &err) != KP_OK || g->failed) {
		json_decref(g->list);
		reply_fout(req, 503, "store", "The store cannot be read now; try "
		    "again", NULL);
		return -1;
	}
	return 0;
}

static void
get_dossier(struct kp_readapi *r, struct evhttp_request *req,
    const char *ref, const char *who)
{
	struct gather g = { r, ref, NULL, NULL, 0 };
	char bsn[16], url[512];
	struct kp_err err;

	if (kp_store_dossier_by_ref(r->gw->store, ref, bsn, &err) != KP_OK) {
		reply_fout(req, 503, "store", "The store cannot be read now; try "
		    "again", NULL);
		return;
	}
	if (bsn[0] == '\0') {
		reply_fout(req, 404, "not_found", "No such dossier", ref);
		return;
	}
	if (gather(r, req, &g, bsn, NULL) != 0)
		return;
	if (audit_read(r, who, bsn, NULL, NULL, "a dossier") != 0) {
		json_decref(g.list);
		reply_fout(req, 503, "audit", "The read cannot be audited now; "
		    "try again", NULL);
		return;
	}
	snprintf(url, sizeof(url), "%s/dossiers/%s", r->gw->cfg->read_url, ref);
	send_json(req, 200, json_pack("{s:s, s:s, s:o}", "url", url, "bsn", bsn,
	    "records", g.list));
}

static void
get_record(struct kp_readapi *r, struct evhttp_request *req,
    const char *entiteittype, const char *ref, const char *who)
{
	struct kp_record_key key;
	struct gather g = { r, NULL, &key, NULL, 0 };
	char dossier[KP_REF_LEN], record[160];
	struct kp_err err;

	if (kp_store_record_by_ref(r->gw->store, ref, &key, &err) != KP_OK) {
		reply_fout(req, 503, "store", "The store cannot be read now; try "
		    "again", NULL);
		return;
	}
	if (!key.found || strcmp(key.entiteittype, entiteittype) != 0) {
		reply_fout(req, 404, "not_found", "No such record", ref);
		return;
	}
	if (!key.held || key.deleted) {
		reply_fout(req, 404, "not_found", "This record was deleted or "
		    "withdrawn", ref);
		return;
	}
	if (kp_store_dossier_ref(r->gw->store, key.bsn, dossier, &err) !=
	    KP_OK) {
		reply_fout(req, 503, "store", "The store cannot be written now; "
		    "try again", NULL);
		return;
	}
	g.dossier_ref = dossier;
	if (gather(r, req, &g, key.bsn, entiteittype) != 0)
		return;
	if (json_array_size(g.list) != 1) {
		json_decref(g.list);
		reply_fout(req, 404, "not_found", "No such record", ref);
		return;
	}
	snprintf(record, sizeof(record), "%s|%s|%s", key.entiteittype,
	    key.bron, key.identificatie);
	if (audit_read(r, who, key.bsn, record, key.entiteittype,
	    "a record") != 0) {
		json_decref(g.list);
		reply_fout(req, 503, "audit", "The read cannot be audited now; "
		    "try again", NULL);
		return;
	}
	send_json(req, 200, json_incref(json_array_get(g.list, 0)));
	json_decref(g.list);
}

/* The request's body, NUL-terminated (malloc'd); NULL after a reply. */
static char *
body_of(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	char *body;

	*len = evbuffer_get_length(in);
	if (*len > KP_READ_MAX_BODY) {
		reply_fout(req, 413, "too_large", "The body is too large", NULL);
		return NULL;
	}
	if ((body = malloc(*len + 1)) == NULL) {
		reply_fout(req, 500, "nomem", "Out of memory", NULL);
		return NULL;
	}
	evbuffer_copyout(in, body, *len);
	body[*len] = '\0';
	return body;
}

static void
find_dossier(struct kp_readapi *r, struct evhttp_request *req)
{
	char ref[KP_REF_LEN], url[512], *body;
	const char *bsn;
	json_t *doc;
	struct kp_err err;
	size_t len;

	if ((body = body_of(req, &len)) == NULL)
		return;
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	free(body);
	if ((bsn = json_string_value(json_object_get(doc, "bsn"))) == NULL ||
	    !kp_bsn_valid(bsn)) {
		json_decref(doc);
		reply_fout(req, 400, "invalid", "A BSN is required", "send "
		    "{\"bsn\": \"nine digits that pass the elfproef\"}");
		return;
	}
	if (kp_store_dossier_ref(r->gw->store, bsn, ref, &err) != KP_OK) {
		json_decref(doc);
		reply_fout(req, 503, "store", "The store cannot be written now; "
		    "try again", NULL);
		return;
	}
	json_decref(doc);
	snprintf(url, sizeof(url), "%s/dossiers/%s", r->gw->cfg->read_url, ref);
	send_json(req, 200, json_pack("{s:s}", "url", url));
}

static void
abonnement(struct kp_readapi *r, struct evhttp_request *req, const char *uuid,
    const char *who)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *method = cmd == EVHTTP_REQ_GET ? "GET" :
	    cmd == EVHTTP_REQ_POST ? "POST" : cmd == EVHTTP_REQ_DELETE ?
	    "DELETE" : "OTHER";
	struct kp_answer a;
	char *body = NULL;
	size_t len = 0;

	if (cmd == EVHTTP_REQ_POST && (body = body_of(req, &len)) == NULL)
		return;
	kp_abonnement_handle(r->gw, method, uuid, body, len, who, &a);
	free(body);
	reply(req, a.status, a.json, a.location);
	free(a.json);
}

/* A reference in a path: a UUID, nothing else. */
static int
is_ref(const char *s)
{
	return strlen(s) == 36 && strspn(s, "0123456789abcdef-") == 36;
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct kp_readapi *r = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char who[160], kind[32];
	const char *slash, *rest, *type;

	kp_guard_request(kp_tlshttp_guard(r->listener), req, 0);
	if (kp_http_framing_refused(req))
		return;
	if (authenticate(r, req, who, sizeof(who)) == NULL)
		return;
	if (path == NULL || strncmp(path, API_PREFIX, strlen(API_PREFIX)) != 0) {
		reply_fout(req, 404, "not_found", "Not found", "the API is under "
		    API_PREFIX);
		return;
	}
	path += strlen(API_PREFIX);
	slash = strchr(path, '/');
	snprintf(kind, sizeof(kind), "%.*s", slash != NULL ?
	    (int)(slash - path) : (int)strlen(path), path);
	rest = slash != NULL ? slash + 1 : NULL;
	if (strcmp(kind, "abonnement") == 0 && (rest == NULL || is_ref(rest)))
		abonnement(r, req, rest, who);
	else if (strcmp(kind, "dossiers") == 0 && rest != NULL &&
	    strcmp(rest, "_zoek") == 0 && cmd == EVHTTP_REQ_POST)
		find_dossier(r, req);
	else if (strcmp(kind, "dossiers") == 0 && rest != NULL && is_ref(rest) &&
	    cmd == EVHTTP_REQ_GET)
		get_dossier(r, req, rest, who);
	else if ((type = kp_notify_entiteittype(kind)) != NULL && rest != NULL &&
	    is_ref(rest) && cmd == EVHTTP_REQ_GET)
		get_record(r, req, type, rest, who);
	else if ((strcmp(kind, "dossiers") == 0 ||
	    kp_notify_entiteittype(kind) != NULL) && rest != NULL &&
	    is_ref(rest))
		reply_fout(req, 405, "method", "Method not allowed", "GET");
	else
		reply_fout(req, 404, "not_found", "Not found", "dossiers/REF, "
		    "dossiers/_zoek, zaken|personen|klantcontacten|toestemmingen/"
		    "REF, abonnement[/UUID]");
}

static SSL_CTX *
make_ctx(struct kp_readapi *r, struct kp_err *err)
{
	const struct kp_signer *s = r->gw->signer;

	return kp_tls_local_ctx(s->cert, s->chain, s->tls_pkey,
	    r->gw->cfg->read_client_ca, err);
}

struct kp_readapi *
kp_readapi_start(struct kp_gateway *gw, struct event_base *base,
    struct kp_err *err)
{
	const struct kp_config *cfg = gw->cfg;
	struct kp_tlshttp_conf conf = {
		.listen = cfg->read_listen, .what = "read_listen",
		.limits = {
			.listener = KP_LISTENER_READ, .tls = 1,
			.handshake_ms = (int)cfg->handshake_timeout * 1000,
			.header_ms = (int)cfg->header_timeout * 1000,
			.min_body_rate = cfg->min_body_rate,
			.max_conn = KP_READ_MAX_CONN,
			.max_unauth = KP_READ_MAX_CONN / 4,
			.max_unauth_per_address = 16,
		},
		.max_body = KP_READ_MAX_BODY,
		.idle_timeout = (int)cfg->idle_timeout,
		.methods = EVHTTP_REQ_GET | EVHTTP_REQ_POST |
		    EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT,
	};
	struct kp_readapi *r;
	SSL_CTX *ctx;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	r->gw = gw;
	if (cfg->read_clients != NULL &&
	    (r->clients = kp_jwt_clients_load(cfg->read_clients, err)) == NULL) {
		free(r);
		return NULL;
	}
	if ((ctx = make_ctx(r, err)) == NULL ||
	    (r->listener = kp_tlshttp_start(base, &conf, ctx, handle, r,
	    err)) == NULL) {
		kp_readapi_stop(r);
		return NULL;
	}
	log_info("read API on %s as %s (%zu JWT clients%s)", cfg->read_listen,
	    cfg->read_url, r->clients != NULL ?
	    kp_jwt_clients_count(r->clients) : 0, cfg->read_client_ca != NULL ?
	    ", client certificates" : "");
	return r;
}

void
kp_readapi_renew(struct kp_readapi *r)
{
	SSL_CTX *ctx;
	struct kp_err err;

	if (r == NULL)
		return;
	if ((ctx = make_ctx(r, &err)) == NULL) {
		log_warnx("SIGHUP: the read API keeps its certificate: %s",
		    err.msg);
		return;
	}
	kp_tlshttp_renew(r->listener, ctx);
}

void
kp_readapi_stop(struct kp_readapi *r)
{
	if (r == NULL)
		return;
	kp_tlshttp_stop(r->listener);
	kp_jwt_clients_free(r->clients);
	free(r);
}
