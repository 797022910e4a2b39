#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "apply.h"
#include "client.h"
#include "compose.h"
#include "config.h"
#include "envelope.h"
#include "gateway.h"
#include "kd.h"
#include "log.h"
#include "metrics.h"
#include "profile.h"
#include "schema.h"
#include "store.h"
#include "tls.h"
#include "util.h"
#include "wss.h"
#include "xmlsafe.h"

#define ANSWER_MAX (4 * 1024 * 1024)

struct kp_client {
	struct kp_gateway		*gw;
	const struct kp_profile		*partner;
	CURL				*curl;
	char				 errbuf[CURL_ERROR_SIZE];
	struct kp_buf			 answer;
	struct curl_slist		*connect_to;
	struct kp_client_tls		 tls;
};

size_t
kp_client_collect(char *data, size_t size, size_t nmemb, void *buf)
{
	return kp_buf_append(buf, data, size * nmemb) == 0 ? size * nmemb : 0;
}

/*
 * Our certificate and key, set here rather than by file names given to
 * libcurl: the key may be in the key process (keyprov.h), and libcurl
 * must not read the key file into this process.
 */
static CURLcode
restrict_ssl_ctx(CURL *curl, void *ssl_ctx, void *user)
{
	const struct kp_client_tls *tls = user;

	(void)curl;
	if (kp_tls_use_identity(ssl_ctx, tls->signer->cert, tls->signer->chain,
	    tls->signer->tls_pkey) != 0 ||
	    kp_tls_client_restrict(ssl_ctx, tls->oin, NULL) != KP_OK)
		return CURLE_SSL_CONNECT_ERROR;
	return CURLE_OK;
}

struct curl_slist *
kp_client_post(CURL *h, const struct kp_composed *req)
{
	struct curl_slist *headers = NULL;
	char soapaction[200];
	const char *lines[] = { "Content-Type: text/xml; charset=utf-8",
	    soapaction, "Expect:" };

	snprintf(soapaction, sizeof(soapaction), "SOAPAction: \"%s\"",
	    req->action);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct curl_slist *next = curl_slist_append(headers, lines[i]);

		if (next == NULL) {
			curl_slist_free_all(headers);
			return NULL;
		}
		headers = next;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->bytes);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
	return headers;
}

void
kp_client_configure(CURL *h, struct kp_gateway *gw,
    const struct kp_profile *partner, struct kp_client_tls *tls)
{
	const struct kp_config *cfg = gw->cfg;

	tls->oin = partner->oin;
	tls->signer = gw->signer;
	curl_easy_setopt(h, CURLOPT_URL, partner->endpoint);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca);
	curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	if (cfg->crl != NULL)
		curl_easy_setopt(h, CURLOPT_CRLFILE, cfg->crl);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_SSL_CIPHER_LIST, KP_TLS12_CIPHERS);
	curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, restrict_ssl_ctx);
	curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, tls);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)(cfg->send_timeout < 10 ?
	    cfg->send_timeout : 10));
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)cfg->send_timeout);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
}

struct kp_client *
kp_client_new(struct kp_gateway *gw, const struct kp_profile *partner,
    struct kp_err *err)
{
	struct kp_client *c;
	CURL *h;

	if ((c = calloc(1, sizeof(*c))) == NULL || (h = curl_easy_init()) == NULL) {
		free(c);
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	c->gw = gw;
	c->partner = partner;
	c->curl = h;
	kp_buf_init(&c->answer, ANSWER_MAX);
	kp_client_configure(h, gw, partner, &c->tls);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, kp_client_collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &c->answer);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	return c;
}

void
kp_client_free(struct kp_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->connect_to);
	kp_buf_clear(&c->answer);
	free(c);
}

int
kp_client_connect_to(struct kp_client *c, const char *hostport)
{
	char spec[300];
	struct curl_slist *l;

	/* any host and port of the endpoint's URL, to this one */
	snprintf(spec, sizeof(spec), "::%s", hostport);
	if ((l = curl_slist_append(c->connect_to, spec)) == NULL)
		return -1;
	c->connect_to = l;
	curl_easy_setopt(c->curl, CURLOPT_CONNECT_TO, l);
	return 0;
}

xmlNodePtr
kp_outcome_antwoord(const struct kp_outcome *o, xmlDocPtr *doc,
    struct kp_err *err)
{
	struct kp_env env;
	xmlNodePtr la01, antwoord = NULL;

	if ((*doc = kp_xml_parse(o->response, o->response_len, err)) == NULL)
		return NULL;
	if (kp_env_inspect(*doc, 1, &env, err) == KP_OK) {
		la01 = kp_env_payload(&env);
		if (la01 == NULL || !kp_xml_is(la01, KD_NS, "dosLa01") ||
		    (antwoord = kp_xml_child(la01, KD_NS, "antwoord")) == NULL)
			kp_fail(err, KP_ERR_PROTOCOL, "the partner's answer is not "
			    "a dosLa01 with an antwoord");
	}
	if (antwoord == NULL) {
		xmlFreeDoc(*doc);
		*doc = NULL;
	}
	return antwoord;
}

void
kp_outcome_clear(struct kp_outcome *o)
{
	free(o->response);
	memset(o, 0, sizeof(*o));
}

int
kp_answer_verify(struct kp_gateway *gw, const struct kp_profile *partner,
    const struct kp_composed *request, const char *bytes, size_t len,
    struct kp_outcome *out, struct kp_err *err)
{
	struct kp_wss_policy policy = {
		.trust = gw->trust, .cache = gw->certs, .expected_oin = partner->oin,
	};
	struct kp_wss_result sig = { 0 };
	struct kp_stuurgegevens sg;
	struct kp_env env;
	xmlDocPtr doc;
	xmlNodePtr payload;
	char *relates = NULL, *value = NULL;
	int ret = KP_ERR_PROTOCOL;

	if ((doc = kp_xml_parse(bytes, len, err)) == NULL)
		return KP_ERR_PROTOCOL;
	if (kp_env_inspect(doc, 1, &env, err) != KP_OK ||
	    kp_wss_verify(&env, &policy, &sig, err) != KP_OK ||
	    kp_env_check_timestamp(&env, kp_now_ms(), gw->cfg->clock_skew,
	    gw->cfg->max_lifetime, gw->cfg->timestamp_max_age, err) != KP_OK ||
	    kp_env_check_addressing(&env, NULL, NULL, NULL, err) != KP_OK)
		goto out;
	relates = kp_env_text(env.relates_to);
	value = kp_strip_space(kp_xml_attr(env.sigconf, NULL, "Value"));
	if (relates == NULL || strcmp(relates, request->message_id) != 0) {
		kp_reject(err, KP_F_010, "answer's wsa:RelatesTo is not our "
		    "MessageID %s", request->message_id);
		goto out;
	}
	payload = kp_env_payload(&env);
	/*
	 * A partner that could not verify our signature (a revoked or
	 * untrusted certificate, a broken digest) confirms none: its Fo03's
	 * SignatureConfirmation has no Value (README).  Signed by it and
	 * naming our MessageID, that is its refusal; it never counts as a
	 * delivery.  Any other answer must confirm our very signature.
	 */
	if (value != NULL ? strcmp(value, request->signature_value) != 0 :
	    !kp_xml_is(payload, KD_NS, "Fo03")) {
		kp_reject(err, KP_F_010, "answer's SignatureConfirmation does "
		    "not confirm our signature");
		goto out;
	}
	if (kp_schema_validate(gw->kd_schema, payload, err) != KP_OK ||
	    kp_kd_read_stuurgegevens(payload, &sg, err) != KP_OK ||
	    kp_kd_check(payload, &sg, err) != KP_OK)
		goto out;
	if (strcmp(sg.zender_oin, partner->oin) != 0) {
		kp_reject(err, KP_F_011, "answer's zender %s is not partner %s",
		    sg.zender_oin, partner->oin);
		goto out;
	}
	snprintf(out->answer_root, sizeof(out->answer_root), "%s",
	    (const char *)payload->name);
	out->fault = KP_F_NONE;
	if (kp_xml_is(payload, KD_NS, "Fo03")) {
		xmlNodePtr body = kp_xml_child(payload, KD_NS, "body");
		char *code = kp_xml_text(kp_xml_child(body, KD_NS, "code"));
		char *text = kp_xml_text(kp_xml_child(body, KD_NS, "omschrijving"));

		char *verwacht = kp_xml_text(kp_xml_child(kp_xml_child(body, KD_NS,
		    "detailsXML"), KD_NS, "verwachtVolgnummer"));

		out->fault = kp_fault_from_code(code);
		if (out->fault == KP_F_NONE)
			out->fault = KP_F_050;
		out->verwacht = verwacht != NULL ? strtoull(verwacht, NULL, 10) : 0;
		free(verwacht);
		snprintf(out->omschrijving, sizeof(out->omschrijving), "%s",
		    text != NULL ? text : "");
		free(code);
		free(text);
	}
	ret = KP_OK;
out:
	free(relates);
	free(value);
	kp_wss_result_clear(&sig);
	xmlFreeDoc(doc);
	return ret;
}

void
kp_client_account(CURL *h, CURLcode rc, const char *berichtcode,
    int answered, kp_fault fault)
{
	curl_off_t us = 0;

	if (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION)
		kp_metrics_handshake_failed(KP_METRIC_OUT);
	if (curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &us) == CURLE_OK)
		kp_metrics_latency(KP_METRIC_OUT, (double)us / 1e6);
	kp_metrics_out(berichtcode, answered, fault);
}

int
kp_client_exchange(struct kp_client *c, xmlNodePtr body_root,
    struct kp_outcome *out, struct kp_err *err)
{
	struct kp_gateway *gw = c->gw;
	struct kp_composed req;
	struct curl_slist *headers = NULL;
	struct kp_stuurgegevens sg;
	xmlNodePtr params;
	char *bsn = NULL, *doel = NULL;
	CURLcode rc;
	long status = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&sg, 0, sizeof(sg));
	kp_kd_read_stuurgegevens(body_root, &sg, NULL);
	if ((ret = kp_request_build(gw, c->partner, body_root, &req, err)) != KP_OK)
		return ret;
	snprintf(out->message_id, sizeof(out->message_id), "%s", req.message_id);
	kp_buf_clear(&c->answer);
	c->errbuf[0] = '\0';
	if ((headers = kp_client_post(c->curl, &req)) == NULL) {
		kp_composed_clear(&req);
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	}
	rc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	out->http_status = (int)status;
	if (rc != CURLE_OK) {
		ret = kp_fail(err, KP_ERR_TRANSPORT, "%s: %s%s",
		    c->partner->endpoint, c->answer.overflow ? "answer too large" :
		    c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc),
		    kp_tls_alert_hint(c->errbuf));
	} else if (status != 200 && status != 500) {
		ret = kp_fail(err, KP_ERR_TRANSPORT, "%s answered HTTP %ld%s",
		    c->partner->endpoint, status, status == 413 ?
		    " (message larger than the partner accepts)" : status == 503 ?
		    " (partner overloaded or stopping; try later)" : "");
	} else {
		ret = kp_answer_verify(gw, c->partner, &req, c->answer.data,
		    c->answer.len, out, err);
		if (ret == KP_OK)
			out->response = kp_buf_steal(&c->answer, &out->response_len);
	}
	kp_client_account(c->curl, rc, sg.berichtcode, ret == KP_OK,
	    out->fault);
	/* a question is audited with its citizen and purpose */
	if (kp_xml_is(body_root, KD_NS, "dosLv01") &&
	    (params = kp_xml_child(body_root, KD_NS, "parameters")) != NULL) {
		bsn = kp_xml_text(kp_xml_child(params, KD_NS, "bsn"));
		doel = kp_xml_text(kp_xml_child(params, KD_NS, "doel"));
	}
	{
		struct kp_outbound_record r = {
			.partner_oin = c->partner->oin,
			.message_id = req.message_id,
			.referentienummer = sg.referentienummer,
			.berichtcode = sg.berichtcode,
			.entiteittype = sg.entiteittype[0] ? sg.entiteittype : NULL,
			.root = (const char *)body_root->name,
			.bytes = req.bytes, .len = req.len,
			.response = out->response,
			.response_len = out->response_len,
			.outcome = ret != KP_OK ? "failed" :
			    out->fault != KP_F_NONE ? "fault" : "delivered",
			.code = ret == KP_OK ? kp_fault_code(out->fault) :
			    err->status == KP_ERR_PROTOCOL ?
			    kp_fault_code(err->fault) : NULL,
			.detail = ret != KP_OK ? err->msg :
			    out->fault != KP_F_NONE ? out->omschrijving : NULL,
			.bsn = bsn, .doel = doel,
		};
		struct kp_err serr;

		if (gw->store != NULL &&
		    kp_apply_sent(gw->store, &r, &serr) != KP_OK)
			log_warnx("could not record outbound %s: %s",
			    req.message_id, serr.msg);
	}
	curl_slist_free_all(headers);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	kp_composed_clear(&req);
	free(bsn);
	free(doel);
	return ret;
}
