#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "envelope.h"
#include "gateway.h"
#include "inbound.h"
#include "kd.h"
#include "log.h"
#include "profile.h"
#include "compose.h"
#include "schema.h"
#include "store.h"
#include "util.h"
#include "wss.h"
#include "xmlsafe.h"

/* What the stages learn about one request, in pipeline order. */
struct inbound {
	struct kp_gateway		*gw;
	const struct kp_request		*req;
	const struct kp_profile		*profile;
	xmlDocPtr			 doc;
	struct kp_env			 env;
	struct kp_wss_result		 sig;
	int				 have_sig;
	struct kp_stuurgegevens		 sg;
	int				 have_sg;
	char				*message_id;
	char				 bytes_sha[KP_SHA256_HEX_LEN + 1];
	struct kp_response		*resp;
};

static int
stage_peer(struct inbound *in, struct kp_err *err)
{
	if (in->req->peer_oin == NULL)
		return kp_reject(err, KP_F_011,
		    "the TLS client certificate carries no OIN");
	in->profile = kp_profiles_by_oin(in->gw->profiles, in->req->peer_oin);
	if (in->profile == NULL)
		return kp_reject(err, KP_F_011,
		    "no partner profile for OIN %s; ask the operator to add one",
		    in->req->peer_oin);
	return KP_OK;
}

static int
stage_parse(struct inbound *in, struct kp_err *err)
{
	in->doc = kp_xml_parse(in->req->body, in->req->len, err);
	return in->doc != NULL ? KP_OK : KP_ERR_PROTOCOL;
}

static int
stage_envelope(struct inbound *in, struct kp_err *err)
{
	if (kp_env_inspect(in->doc, 0, &in->env, err) != KP_OK)
		return KP_ERR_PROTOCOL;
	in->message_id = kp_env_text(in->env.message_id);
	if (in->message_id == NULL || strncmp(in->message_id, "urn:uuid:", 9) ||
	    strlen(in->message_id) != 45)
		return kp_reject(err, KP_F_002,
		    "wsa:MessageID must be urn:uuid: followed by a UUID");
	return KP_OK;
}

static int
stage_signature(struct inbound *in, struct kp_err *err)
{
	struct kp_wss_policy policy = {
		.trust = in->gw->trust,
		.cache = in->gw->certs,
		.expected_oin = in->req->peer_oin,
	};

	if (kp_wss_verify(&in->env, &policy, &in->sig, err) != KP_OK)
		return KP_ERR_PROTOCOL;
	in->have_sig = 1;
	return KP_OK;
}

static int
stage_timestamp(struct inbound *in, struct kp_err *err)
{
	const struct kp_config *cfg = in->gw->cfg;

	return kp_env_check_timestamp(&in->env, kp_now_ms(), cfg->clock_skew,
	    cfg->max_lifetime, err);
}

static int
stage_addressing(struct inbound *in, struct kp_err *err)
{
	return kp_env_check_addressing(&in->env, in->gw->cfg->endpoint,
	    in->gw->cfg->oin, in->req->soapaction, err);
}

/* Rule 7: a known MessageID is answered again or refused. */
static int
stage_replay(struct inbound *in, struct kp_err *err)
{
	enum kp_replay seen;
	char *prior = NULL;
	size_t prior_len = 0;

	if (kp_store_replay_check(in->gw->store, in->req->peer_oin,
	    in->message_id, NULL, in->sig.body_digest, &seen, &prior,
	    &prior_len, err) != KP_OK)
		return kp_reject(err, KP_F_050, "store unavailable; try again");
	if (seen == KP_REPLAY_CONFLICT)
		return kp_reject(err, KP_F_013,
		    "wsa:MessageID %s was used before with another body",
		    in->message_id);
	if (seen == KP_REPLAY_SAME) {
		in->resp->body = prior;
		in->resp->len = prior_len;
		in->resp->duplicate = 1;
	}
	return KP_OK;
}

static int
stage_body(struct inbound *in, struct kp_err *err)
{
	if (kp_schema_validate(in->gw->kd_schema, in->env.body_root, err) != KP_OK)
		return KP_ERR_PROTOCOL;
	if (kp_kd_read_stuurgegevens(in->env.body_root, &in->sg, err) != KP_OK)
		return KP_ERR_PROTOCOL;
	in->have_sg = 1;
	return kp_kd_check(in->env.body_root, &in->sg, err);
}

static int
stage_identities(struct inbound *in, struct kp_err *err)
{
	if (strcmp(in->sg.zender_oin, in->req->peer_oin) != 0)
		return kp_reject(err, KP_F_011,
		    "zender/organisatie %s is not the connecting partner %s",
		    in->sg.zender_oin, in->req->peer_oin);
	if (strcmp(in->sg.ontvanger_oin, in->gw->cfg->oin) != 0)
		return kp_reject(err, KP_F_003,
		    "ontvanger/organisatie %s is not this gateway (%s)",
		    in->sg.ontvanger_oin, in->gw->cfg->oin);
	return KP_OK;
}

static int
stage_policy(struct inbound *in, struct kp_err *err)
{
	const char *root = (const char *)in->env.body_root->name;

	if (!kp_profile_may_send(in->profile, root))
		return kp_reject(err, KP_F_020,
		    "partner %s may not send %s (profile %s)", in->profile->naam,
		    root, in->profile->path);
	if (!kp_kd_is_notice(root))
		return kp_reject(err, KP_F_020,
		    "%s is not served by this gateway version", root);
	return KP_OK;
}

static int
stage_commit(struct inbound *in, struct kp_err *err)
{
	struct kp_reply_params rp = {
		.relates_to = in->message_id,
		.signature_value = in->sig.signature_value,
		.to_oin = in->req->peer_oin,
		.to_app = in->sg.zender_app,
		.crossref = in->sg.referentienummer,
	};
	struct kp_inbound_commit c = {
		.partner_oin = in->req->peer_oin,
		.message_id = in->message_id,
		.referentienummer = in->sg.referentienummer,
		.berichtcode = in->sg.berichtcode,
		.entiteittype = in->sg.entiteittype,
		.root = (const char *)in->env.body_root->name,
		.bytes = in->req->body,
		.len = in->req->len,
		.bytes_sha256 = in->bytes_sha,
		.body_digest = in->sig.body_digest,
	};
	enum kp_replay race;
	char *prior = NULL;
	size_t prior_len = 0;

	/* The answer is signed first: the store keeps it for resends. */
	if (kp_reply_build(in->gw, &rp, KP_F_NONE, NULL, &in->resp->body,
	    &in->resp->len, err) != KP_OK)
		return kp_reject(err, KP_F_050, "cannot sign the answer");
	c.response = in->resp->body;
	c.response_len = in->resp->len;
	if (kp_store_commit_inbound(in->gw->store, &c, &race, &prior,
	    &prior_len, err) != KP_OK) {
		log_warnx("store: %s", err->msg);
		return kp_reject(err, KP_F_050,
		    "could not store the message; resend later");
	}
	if (race == KP_REPLAY_CONFLICT)
		return kp_reject(err, KP_F_013,
		    "wsa:MessageID or referentienummer %s was used before with "
		    "another body", in->sg.referentienummer);
	if (race == KP_REPLAY_SAME) {
		free(in->resp->body);
		in->resp->body = prior;
		in->resp->len = prior_len;
		in->resp->duplicate = 1;
	}
	return KP_OK;
}

typedef int (*stage_fn)(struct inbound *, struct kp_err *);

static const struct {
	const char	*name;
	stage_fn	 fn;
} stages[] = {
	{ "peer", stage_peer },
	{ "parse", stage_parse },
	{ "envelope", stage_envelope },
	{ "signature", stage_signature },
	{ "timestamp", stage_timestamp },
	{ "addressing", stage_addressing },
	{ "replay", stage_replay },
	{ "body", stage_body },
	{ "identities", stage_identities },
	{ "policy", stage_policy },
	{ "commit", stage_commit },
};

/* Text/xml with no charset or charset=utf-8? */
static int
content_type_ok(const char *ct, int *charset_bad)
{
	const char *params;

	*charset_bad = 0;
	if (ct == NULL || strncasecmp(ct, "text/xml", 8) != 0 ||
	    (ct[8] != '\0' && ct[8] != ';' && ct[8] != ' '))
		return 0;
	if ((params = strcasestr(ct, "charset=")) != NULL) {
		params += 8;
		if (*params == '"')
			params++;
		if (strncasecmp(params, "utf-8", 5) != 0)
			*charset_bad = 1;
	}
	return 1;
}

static void
audit_and_log(struct inbound *in, const struct kp_err *err)
{
	struct kp_response *resp = in->resp;
	const char *outcome = resp->fault != KP_F_NONE ? "rejected" :
	    resp->duplicate ? "duplicate" : "accepted";
	struct kp_audit a = {
		.direction = "in",
		.partner_oin = in->req->peer_oin,
		.message_id = in->message_id,
		.berichtcode = in->have_sg ? in->sg.berichtcode : NULL,
		.entiteittype = in->have_sg && in->sg.entiteittype[0] ?
		    in->sg.entiteittype : NULL,
		.outcome = outcome,
		.code = kp_fault_code(resp->fault),
		.bytes_sha256 = in->bytes_sha,
		.detail = resp->fault != KP_F_NONE || resp->http_status == 400 ?
		    err->msg : NULL,
	};
	struct kp_err aerr;

	if (resp->http_status == 400)
		a.outcome = "refused";
	/* Accepted messages were audited inside their own transaction. */
	if (strcmp(outcome, "accepted") != 0 || resp->http_status == 400)
		if (kp_store_audit(in->gw->store, &a, &aerr) != KP_OK)
			log_warnx("audit row not written: %s", aerr.msg);
	if (resp->fault != KP_F_NONE || resp->http_status == 400)
		log_info("in %s from %s: %s %s: %s",
		    in->message_id != NULL ? in->message_id : "-",
		    in->req->peer_oin != NULL ? in->req->peer_oin : "-", a.outcome,
		    a.code != NULL ? a.code : "", err->msg);
	else
		log_debug("in %s from %s: %s", in->message_id,
		    in->req->peer_oin, outcome);
}

void
kp_inbound_handle(struct kp_gateway *gw, const struct kp_request *req,
    struct kp_response *resp)
{
	struct inbound in = { .gw = gw, .req = req, .resp = resp };
	struct kp_err err;
	int charset_bad;

	memset(resp, 0, sizeof(*resp));
	kp_err_clear(&err);
	kp_sha256_hex(req->body, req->len, in.bytes_sha);
	resp->content_type = "text/xml; charset=utf-8";

	if (!content_type_ok(req->content_type, &charset_bad)) {
		static const char msg[] = "not a SOAP request: send POST /wus/v1 "
		    "with Content-Type: text/xml; charset=utf-8\n";

		kp_fail(&err, KP_ERR_PROTOCOL, "Content-Type is %s, not text/xml",
		    req->content_type != NULL ? req->content_type : "absent");
		resp->http_status = 400;
		resp->content_type = "text/plain; charset=utf-8";
		resp->body = strdup(msg);
		resp->len = resp->body != NULL ? strlen(msg) : 0;
		audit_and_log(&in, &err);
		return;
	}
	if (charset_bad) {
		kp_reject(&err, KP_F_001, "Content-Type charset is not utf-8");
	} else {
		for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
			if (stages[i].fn(&in, &err) != KP_OK) {
				/* A stage that failed without a code failed us. */
				if (err.status != KP_ERR_PROTOCOL) {
					log_warnx("stage %s: %s", stages[i].name,
					    err.msg[0] ? err.msg : "failed");
					kp_reject(&err, KP_F_050, "internal error in "
					    "stage %s; try again later", stages[i].name);
				}
				break;
			}
			if (resp->duplicate)
				break;
		}
	}
	if (err.status == KP_ERR_PROTOCOL) {
		struct kp_reply_params rp = {
			.relates_to = in.message_id,
			.signature_value = in.have_sig ?
			    in.sig.signature_value : NULL,
			.to_oin = req->peer_oin != NULL ? req->peer_oin :
			    "00000000000000000000",
			.to_app = in.have_sg ? in.sg.zender_app : NULL,
			.crossref = in.have_sg ? in.sg.referentienummer : NULL,
		};
		struct kp_err rerr;

		resp->fault = err.fault;
		resp->http_status = 500;
		free(resp->body);
		resp->body = NULL;
		resp->duplicate = 0;
		if (kp_reply_build(gw, &rp, err.fault, err.msg, &resp->body,
		    &resp->len, &rerr) != KP_OK)
			log_warnx("cannot build fault: %s", rerr.msg);
	} else {
		resp->http_status = 200;
	}
	audit_and_log(&in, &err);
	kp_wss_result_clear(&in.sig);
	free(in.message_id);
	xmlFreeDoc(in.doc);
}

void
kp_response_clear(struct kp_response *resp)
{
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}
