/*
 * auditweb — the auditor's web view: its listener, who may look, the
 * routes, the searches kept on the server and the verification run
 * (auditweb.h).  The pages themselves are in auditpages.c.
 */
#include "autoconf.h"

#include <sys/queue.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "audit.h"
#include "auditors.h"
#include "auditweb.h"
#include "auditweb_int.h"
#include "config.h"
#include "gateway.h"
#include "guard.h"
#include "http.h"
#include "inzage.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "tls.h"
#include "searchform.h"
#include "tlshttp.h"
#include "util.h"
#include "wss.h"

#define SEARCHES	128
#define SEARCH_TTL_MS	(30 * 60 * 1000)

struct kp_auditweb {
	struct kp_gateway	*gw;
	struct kp_tlshttp	*listener;
	struct kp_auditors	*auditors;
	unsigned char		 csrf_key[32];
	struct kp_search	 searches[SEARCHES];
	size_t			 next_search;
	/* the verification started from the page */
	pthread_mutex_t		 vlock;
	pthread_t		 vthread;
	int			 vjoinable;
	struct kp_audit_watch	 watch;
	struct kp_verify_state	 vstate;	/* under vlock */
};

static const char css[] =
	"body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;"
	"background:#fff;line-height:1.5}"
	"header,main,footer{padding:.5em 1.5em;max-width:75em}"
	"header{border-bottom:2px solid #154273}"
	"nav ul{list-style:none;padding:0;margin:.3em 0;display:flex;gap:1.5em}"
	"a{color:#154273}a:focus,button:focus,input:focus,select:focus"
	"{outline:3px solid #e17000;outline-offset:2px}"
	"[aria-current]{font-weight:bold}"
	".skip{position:absolute;left:-999em}.skip:focus{left:1em;top:1em;"
	"background:#fff;padding:.3em}"
	"table{border-collapse:collapse;margin:.5em 0}"
	"td,th{border:1px solid #767676;padding:.25em .5em;text-align:left;"
	"vertical-align:top}th{background:#eef2f7}"
	".bad{color:#b00020;font-weight:bold}.good{color:#1b5e20}"
	"label{display:block;margin-top:.5em}"
	"input,select,button{font:inherit;padding:.2em .4em}"
	"button{background:#154273;color:#fff;border:0;padding:.4em 1em;"
	"margin-top:.8em}"
	"code{word-break:break-all}"
	"@media print{header nav,footer,form{display:none}}";

static const char js[] =
	"\"use strict\";\n"
	"(function () {\n"
	"  var el = document.getElementById(\"voortgang\");\n"
	"  if (!el || el.getAttribute(\"data-running\") !== \"1\") return;\n"
	"  var bar = document.getElementById(\"voortgang-balk\");\n"
	"  var text = document.getElementById(\"voortgang-tekst\");\n"
	"  function poll() {\n"
	"    fetch(\"/controle/status\", {credentials: \"same-origin\"})\n"
	"      .then(function (r) { return r.json(); })\n"
	"      .then(function (s) {\n"
	"        if (s.finished) { window.location.reload(); return; }\n"
	"        bar.max = s.total > 0 ? s.total : 1;\n"
	"        bar.value = s.done;\n"
	"        text.textContent = s.done + \" van \" + s.total +\n"
	"          \" regels gecontroleerd\";\n"
	"        setTimeout(poll, 300);\n"
	"      })\n"
	"      .catch(function () { setTimeout(poll, 1000); });\n"
	"  }\n"
	"  setTimeout(poll, 300);\n"
	"})();\n";

/* ---- searches ---- */

const struct kp_search *
kp_auditweb_search(struct kp_auditweb *w, const char *token,
    const char *auditor)
{
	int64_t now = kp_now_ms();

	if (strlen(token) != 32)
		return NULL;
	for (size_t i = 0; i < SEARCHES; i++) {
		struct kp_search *s = &w->searches[i];

		if (s->token[0] != '\0' && CRYPTO_memcmp(s->token, token, 32) == 0)
			return strcmp(s->auditor, auditor) == 0 &&
			    s->expires_ms > now ? s : NULL;
	}
	return NULL;
}

int
kp_auditweb_search_add(struct kp_auditweb *w, struct kp_search *s)
{
	unsigned char r[16];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(s->token + 2 * i, 3, "%02x", r[i]);
	s->expires_ms = kp_now_ms() + SEARCH_TTL_MS;
	/* the oldest goes: a ring */
	OPENSSL_cleanse(&w->searches[w->next_search], sizeof(*s));
	w->searches[w->next_search] = *s;
	w->next_search = (w->next_search + 1) % SEARCHES;
	return 0;
}

/* ---- the verification run ---- */

static void *
verify_main(void *arg)
{
	struct kp_auditweb *w = arg;
	struct kp_audit_check check;
	struct kp_err err, serr;
	char finished[40];
	int ret;

	ret = kp_audit_verify_watched(w->gw, NULL, NULL, NULL, &w->watch,
	    &check, &err);
	kp_time_iso(kp_now_ms(), finished);
	/* kept first: a page that sees it finished shows the kept result */
	if (kp_store_verification_add(w->gw->store, &(struct kp_verification){
	    .started_at = w->vstate.started_at, .finished_at = finished,
	    .started_by = w->vstate.started_by, .entries = check.entries,
	    .bad = check.bad, .first_bad = check.first_bad,
	    .first = check.bad > 0 ? check.first : NULL,
	    .error = ret != KP_OK ? err.msg : NULL }, &serr) != KP_OK)
		log_warnx("audit verify from the web view: %s", serr.msg);
	pthread_mutex_lock(&w->vlock);
	w->vstate.check = check;
	w->vstate.running = 0;
	w->vstate.finished = 1;
	if (ret != KP_OK)
		snprintf(w->vstate.error, sizeof(w->vstate.error), "%s", err.msg);
	pthread_mutex_unlock(&w->vlock);
	log_info("audit verify started by auditor %s: %lld entries, %lld bad%s",
	    w->vstate.started_by, (long long)check.entries,
	    (long long)check.bad, ret != KP_OK ? " (it could not finish)" : "");
	return NULL;
}

int
kp_auditweb_verify_start(struct kp_auditweb *w, const char *who)
{
	int ret = 0;

	pthread_mutex_lock(&w->vlock);
	if (w->vstate.running) {
		pthread_mutex_unlock(&w->vlock);
		return 0;	/* one at a time: the page shows that one */
	}
	if (w->vjoinable) {
		pthread_join(w->vthread, NULL);
		w->vjoinable = 0;
	}
	memset(&w->vstate, 0, sizeof(w->vstate));
	atomic_store(&w->watch.done, 0);
	atomic_store(&w->watch.total, 0);
	w->vstate.running = 1;
	snprintf(w->vstate.started_by, sizeof(w->vstate.started_by), "%s", who);
	kp_time_iso(kp_now_ms(), w->vstate.started_at);
	if (pthread_create(&w->vthread, NULL, verify_main, w) != 0) {
		w->vstate.running = 0;
		ret = -1;
	} else {
		w->vjoinable = 1;
	}
	pthread_mutex_unlock(&w->vlock);
	return ret;
}

void
kp_auditweb_verify_state(struct kp_auditweb *w, struct kp_verify_state *s)
{
	pthread_mutex_lock(&w->vlock);
	*s = w->vstate;
	pthread_mutex_unlock(&w->vlock);
	s->done = atomic_load(&w->watch.done);
	s->total = atomic_load(&w->watch.total);
	if (s->finished)
		s->done = s->check.entries;
}

/* ---- requests ---- */

static void
csrf_token(struct kp_auditweb *w, const char *auditor, char out[65])
{
	unsigned char md[32];
	unsigned int len = sizeof(md);

	HMAC(EVP_sha256(), w->csrf_key, sizeof(w->csrf_key),
	    (const unsigned char *)auditor, strlen(auditor), md, &len);
	for (unsigned int i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}




/*
 * A POST's body, contiguous (NULL when empty), and whether it came from
 * another site: a browser says so in Sec-Fetch-Site.
 */
static const char *
post_body(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);

	*len = evbuffer_get_length(in);
	return *len > 0 ? (const char *)evbuffer_pullup(in, -1) : NULL;
}

/* The body wiped (it may hold a BSN) and let go. */
static void
post_done(struct evhttp_request *req, const char *body, size_t len)
{
	if (body != NULL)
		OPENSSL_cleanse((void *)body, len);
	evbuffer_drain(evhttp_request_get_input_buffer(req), len);
}

static int
cross_site(struct evhttp_request *req)
{
	const char *site = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "Sec-Fetch-Site");

	return site != NULL && strcmp(site, "same-origin") != 0;
}

static void
post_search(struct kp_page *p, struct evhttp_request *req)
{
	struct kp_search s;
	struct kp_err err;
	char bsn[16];
	const char *error = NULL, *body;
	enum kp_form_verdict v;
	size_t len;

	body = post_body(req, &len);
	v = kp_search_form(body != NULL ? body : "", len, p->csrf, &s, bsn,
	    &error);
	post_done(req, body, len);
	if (v == KP_FORM_FORGED || cross_site(req)) {
		kp_page_refused(p, 403, "Niet verzonden", "Het formulier kwam niet "
		    "van deze pagina. Open de zoekpagina opnieuw en zoek nog eens.");
		return;
	}
	if (error == NULL && bsn[0] != '\0') {
		if (kp_store_pseudonym(p->gw->store, bsn, s.subject, &err) !=
		    KP_OK) {
			log_warnx("auditor's view: a search by BSN: %s", err.msg);
			error = "Zoeken op burgerservicenummer kan nu niet: de "
			    "sleutel van het auditlog is niet beschikbaar.";
		}
		memcpy(s.bsn, bsn, sizeof(s.bsn));
	}
	OPENSSL_cleanse(bsn, sizeof(bsn));
	if (error != NULL) {
		OPENSSL_cleanse(&s, sizeof(s));
		kp_page_search_form(p, NULL, error);
		p->status = 400;
		return;
	}
	snprintf(s.auditor, sizeof(s.auditor), "%s", p->auditor);
	if (kp_auditweb_search_add(p->web, &s) != 0) {
		kp_page_refused(p, 503, "Probeer het opnieuw", "De zoekopdracht "
		    "kon niet worden bewaard.");
		return;
	}
	p->status = 303;
	fprintf(p->out, "zie /zoeken/%s", s.token);
	snprintf(p->where, sizeof(p->where), "/zoeken/%s", s.token);
	p->location = p->where;
	OPENSSL_cleanse(&s, sizeof(s));
}

static void
post_verify(struct kp_page *p, struct evhttp_request *req)
{
	size_t len;
	const char *body = post_body(req, &len);
	int ok = kp_form_token(body != NULL ? body : "", len, p->csrf) ==
	    KP_FORM_OK && !cross_site(req);

	post_done(req, body, len);
	if (!ok) {
		kp_page_refused(p, 403, "Niet gestart", "Het verzoek kwam niet van "
		    "deze pagina. Open de controlepagina opnieuw en start de "
		    "controle daar.");
		return;
	}
	if (kp_auditweb_verify_start(p->web, p->auditor_cn) != 0) {
		kp_page_refused(p, 503, "Niet gestart", "De controle kon niet "
		    "worden gestart; probeer het opnieuw.");
		return;
	}
	p->status = 303;
	p->location = "/controle";
	fputs("zie /controle", p->out);
}

static void
static_file(struct kp_page *p, const char *path)
{
	if (strcmp(path, "/static/kp.css") == 0) {
		p->type = "text/css; charset=utf-8";
		fputs(css, p->out);
	} else {
		p->type = "text/javascript; charset=utf-8";
		fputs(js, p->out);
	}
}

/* A path segment after prefix, or NULL. */
static const char *
after(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 && path[n] != '\0' ? path + n : NULL;
}

static int
is_hex32(const char *s)
{
	return strlen(s) == 32 && strspn(s, "0123456789abcdef") == 32;
}

static void
route(struct kp_page *p, struct evhttp_request *req, const char *path,
    const struct evhttp_uri *uri)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *query = evhttp_uri_get_query(uri), *rest;
	struct evkeyvalq q;
	const struct kp_search *s;
	char token[40];
	int64_t n = 0;

	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) != 0) {
		kp_page_refused(p, 400, "Onbekend adres", "Dit adres klopt niet.");
		return;
	}
	if (cmd == EVHTTP_REQ_POST && strcmp(path, "/zoeken") == 0)
		post_search(p, req);
	else if (cmd == EVHTTP_REQ_POST && strcmp(path, "/controle") == 0)
		post_verify(p, req);
	else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD)
		kp_page_refused(p, 405, "Niet toegestaan", "Deze pagina kan "
		    "alleen worden bekeken.");
	else if (strcmp(path, "/") == 0)
		kp_page_overview(p);
	else if (strcmp(path, "/zoeken") == 0)
		kp_page_search_form(p, NULL, NULL);
	else if ((rest = after(path, "/zoeken/")) != NULL) {
		const char *voor = evhttp_find_header(&q, "voor");

		if (voor != NULL)
			n = strtoll(voor, NULL, 10);
		if (!is_hex32(rest) || (s = kp_auditweb_search(p->web, rest,
		    p->auditor)) == NULL)
			kp_page_refused(p, 404, "Zoekopdracht verlopen", "Deze "
			    "zoekopdracht bestaat niet (meer): zoekopdrachten "
			    "blijven een half uur bewaard. Zoek opnieuw.");
		else
			kp_page_search(p, s, n > 0 ? n : 0);
	} else if ((rest = after(path, "/regel/")) != NULL &&
	    strspn(rest, "0123456789") == strlen(rest) && strlen(rest) < 19)
		kp_page_entry(p, strtoll(rest, NULL, 10));
	else if ((rest = after(path, "/bericht/")) != NULL) {
		char id[256];
		size_t len = strlen(rest);
		int bytes = len > 6 && strcmp(rest + len - 6, "/bytes") == 0;
		char *decoded;

		snprintf(id, sizeof(id), "%.*s", (int)(bytes ? len - 6 : len),
		    rest);
		decoded = evhttp_uridecode(id, 0, NULL);
		if (decoded == NULL || strchr(decoded, '/') != NULL)
			kp_page_refused(p, 404, "Onbekend bericht", "Dit bericht "
			    "bestaat niet.");
		else
			kp_page_message(p, decoded, evhttp_find_header(&q,
			    "controleer") != NULL, bytes);
		free(decoded);
	} else if ((rest = after(path, "/inzage/")) != NULL) {
		int format = KP_REPORT_HTML;

		snprintf(token, sizeof(token), "%.32s", rest);
		if (strcmp(rest + strlen(token), ".csv") == 0)
			format = KP_REPORT_CSV;
		else if (strcmp(rest + strlen(token), ".json") == 0)
			format = KP_REPORT_JSON;
		else if (rest[strlen(token)] != '\0')
			token[0] = '\0';
		if (!is_hex32(token) || (s = kp_auditweb_search(p->web, token,
		    p->auditor)) == NULL || s->bsn[0] == '\0')
			kp_page_refused(p, 404, "Zoekopdracht verlopen", "Een "
			    "inzage hoort bij een zoekopdracht op "
			    "burgerservicenummer van het afgelopen half uur. "
			    "Zoek opnieuw.");
		else
			kp_page_inzage(p, s, format);
	} else if (strcmp(path, "/controle") == 0 ||
	    strcmp(path, "/controle/status") == 0) {
		struct kp_verify_state v;

		kp_auditweb_verify_state(p->web, &v);
		if (strcmp(path, "/controle") == 0)
			kp_page_verify(p, &v);
		else
			kp_page_verify_status(p, &v);
	} else
		kp_page_refused(p, 404, "Niet gevonden", "Deze pagina bestaat "
		    "niet.");
	evhttp_clear_headers(&q);
}

/* Who is asking: the auditor's subject, or a refusal page and NULL. */
static int
authenticate(struct kp_auditweb *w, struct evhttp_request *req,
    struct kp_page *p, char *subject, size_t subjectlen, char *cn,
    size_t cnlen)
{
	SSL *ssl = kp_tlshttp_ssl(req);
	X509 *cert = ssl != NULL ? SSL_get0_peer_certificate(ssl) : NULL;
	long vr;
	char why[700];

	if (cert == NULL) {
		kp_page_refused(p, 403, "Geen toegang", "Uw browser stuurde geen "
		    "certificaat mee. Deze pagina's zijn alleen voor auditors met "
		    "een certificaat (PKIoverheid of UZI-pas) dat in de "
		    "configuratie staat.");
		return -1;
	}
	kp_auditor_subject(cert, subject, subjectlen);
	X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName,
	    cn, (int)cnlen);
	if ((vr = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(why, sizeof(why), "Uw certificaat (%.300s) is niet "
		    "uitgegeven door een CA die hier is ingesteld (auditor_ca): "
		    "%s.", subject, X509_verify_cert_error_string(vr));
		kp_page_refused(p, 403, "Geen toegang", why);
		log_info("auditor's view: refused %s: %s", subject,
		    X509_verify_cert_error_string(vr));
		return -1;
	}
	if (!kp_auditors_allow(w->auditors, cert)) {
		snprintf(why, sizeof(why), "Uw certificaat (%.300s) staat niet "
		    "op de lijst van auditors van deze gateway. Vraag de "
		    "beheerder u toe te voegen.", subject);
		kp_page_refused(p, 403, "Geen toegang", why);
		log_info("auditor's view: refused %s: not in auditors", subject);
		return -1;
	}
	return 0;
}

static void
send_page(struct evhttp_request *req, struct kp_page *p, char *body,
    size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evbuffer_new();
	static const struct { int status; const char *reason; } reasons[] = {
		{ 200, "OK" }, { 303, "See Other" }, { 400, "Bad Request" },
		{ 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 503, "Service Unavailable" },
	};
	const char *reason = "Error";

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == p->status)
			reason = reasons[i].reason;
	evhttp_add_header(h, "Content-Type", p->type != NULL ? p->type :
	    "text/html; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'; "
	    "script-src 'self'; style-src 'self'; img-src 'self'; "
	    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
	    "base-uri 'none'");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Strict-Transport-Security", "max-age=31536000");
	if (p->location != NULL)
		evhttp_add_header(h, "Location", p->location);
	if (p->disposition != NULL)
		evhttp_add_header(h, "Content-Disposition", p->disposition);
	if (out != NULL)
		evbuffer_add(out, body, len);
	evhttp_send_reply(req, p->status, reason, out);
	if (out != NULL)
		evbuffer_free(out);
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct kp_auditweb *w = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = evhttp_uri_get_path(uri);
	struct kp_page p = { .web = w, .gw = w->gw, .status = 200 };
	char subject[512] = "", cn[128] = "", csrf[65];
	char *body = NULL;
	size_t len = 0;

	kp_guard_request(kp_tlshttp_guard(w->listener), req, 0);
	if (kp_http_framing_refused(req))
		return;
	if ((p.out = open_memstream(&body, &len)) == NULL) {
		evhttp_send_error(req, 503, NULL);
		return;
	}
	if (path != NULL && (strcmp(path, "/static/kp.css") == 0 ||
	    strcmp(path, "/static/kp.js") == 0)) {
		/* no data in them: a refusal page is styled too */
		static_file(&p, path);
	} else if (authenticate(w, req, &p, subject, sizeof(subject), cn,
	    sizeof(cn)) == 0) {
		csrf_token(w, subject, csrf);
		p.auditor = subject;
		p.auditor_cn = cn[0] != '\0' ? cn : subject;
		p.csrf = csrf;
		route(&p, req, path != NULL ? path : "/", uri);
	}
	fclose(p.out);
	/* the access log: who, what, the answer; paths never hold a BSN */
	log_info("auditor's view: %s %s %s %d", subject[0] != '\0' ? subject :
	    "-", evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" :
	    "GET", path != NULL ? path : "/", p.status);
	send_page(req, &p, body, len);
	free(body);
}

static SSL_CTX *
make_ctx(struct kp_auditweb *w, struct kp_err *err)
{
	const struct kp_signer *s = w->gw->signer;

	return kp_tls_local_ctx(s->cert, s->chain, s->tls_pkey,
	    w->gw->cfg->auditor_ca, err);
}

struct kp_auditweb *
kp_auditweb_start(struct kp_gateway *gw, struct event_base *base,
    struct kp_err *err)
{
	const struct kp_config *cfg = gw->cfg;
	struct kp_tlshttp_conf conf = {
		.listen = cfg->audit_listen, .what = "audit_listen",
		.limits = {
			.listener = KP_LISTENER_AUDIT, .tls = 1,
			.handshake_ms = (int)cfg->handshake_timeout * 1000,
			.header_ms = (int)cfg->header_timeout * 1000,
			.min_body_rate = cfg->min_body_rate,
			.max_conn = KP_AUDITWEB_MAX_CONN,
			.max_unauth = KP_AUDITWEB_MAX_CONN / 4,
			.max_unauth_per_address = 8,
		},
		.max_body = KP_AUDITWEB_MAX_BODY,
		.idle_timeout = (int)cfg->idle_timeout,
		/* others reach route(), which answers 405 */
		.methods = EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
		    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH,
	};
	struct kp_auditweb *w;
	SSL_CTX *ctx;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	w->gw = gw;
	pthread_mutex_init(&w->vlock, NULL);
	atomic_init(&w->watch.done, 0);
	atomic_init(&w->watch.total, 0);
	if (RAND_bytes(w->csrf_key, sizeof(w->csrf_key)) != 1 ||
	    (w->auditors = kp_auditors_load(cfg->auditors, err)) == NULL ||
	    (ctx = make_ctx(w, err)) == NULL ||
	    (w->listener = kp_tlshttp_start(base, &conf, ctx, handle, w,
	    err)) == NULL) {
		kp_auditweb_stop(w);
		return NULL;
	}
	log_info("auditor's view on https://%s/ (%zu auditors)",
	    cfg->audit_listen, kp_auditors_count(w->auditors));
	return w;
}

void
kp_auditweb_renew(struct kp_auditweb *w)
{
	SSL_CTX *ctx;
	struct kp_err err;

	if (w == NULL)
		return;
	if ((ctx = make_ctx(w, &err)) == NULL) {
		log_warnx("SIGHUP: the auditor's view keeps its certificate: %s",
		    err.msg);
		return;
	}
	kp_tlshttp_renew(w->listener, ctx);
}

void
kp_auditweb_reload(struct kp_auditweb *w)
{
	struct kp_auditors *a;
	struct kp_err err;

	if (w == NULL)
		return;
	/* the listener's thread: no request is being answered meanwhile */
	if ((a = kp_auditors_load(w->gw->cfg->auditors, &err)) == NULL) {
		log_warnx("SIGHUP: the auditor's view keeps its %zu auditors: %s",
		    kp_auditors_count(w->auditors), err.msg);
		return;
	}
	kp_auditors_free(w->auditors);
	w->auditors = a;
	log_info("SIGHUP: the auditor's view lets in %zu auditors",
	    kp_auditors_count(a));
}

void
kp_auditweb_stop(struct kp_auditweb *w)
{
	if (w == NULL)
		return;
	if (w->vjoinable)
		pthread_join(w->vthread, NULL);
	kp_tlshttp_stop(w->listener);
	kp_auditors_free(w->auditors);
	pthread_mutex_destroy(&w->vlock);
	OPENSSL_cleanse(w, sizeof(*w));
	free(w);
}
