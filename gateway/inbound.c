#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apply.h"
#include "checkpoint.h"
#include "config.h"
#include "consent.h"
#include "context.h"
#include "envelope.h"
#include "gateway.h"
#include "inbound.h"
#include "kd.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "profile.h"
#include "compose.h"
#include "schema.h"
#include "store.h"
#include "sync.h"
#include "util.h"
#include "wss.h"
#include "xmlsafe.h"

/*
 * One request from its first stage to its answer: what the stages learn,
 * in pipeline order, and the store job that makes the outcome durable.
 */
struct kp_inbound_call {
	struct kp_gateway		*gw;
	const struct kp_request		*req;
	const struct kp_profile		*profile;
	xmlDocPtr			 doc;
	struct kp_env			 env;
	struct kp_wss_result		 sig;
	int				 have_sig;
	struct kp_stuurgegevens		 sg;
	int				 have_sg;
	struct kp_notice		 notice;
	int				 have_notice;
	struct kp_checkpoint		 checkpoint;	/* ckpDi01 */
	char				*ckp_text[4];	/* its strings */
	int				 have_checkpoint;
	struct kp_fanout		*fanout;	/* where it goes on to */
	size_t				 nfanout;
	char				*q_bsn, *q_doel;	/* dosLv01 */
	struct kp_context_audit		 context;	/* its decisions */
	char				*message_id;
	char				 bytes_sha[KP_SHA256_HEX_LEN + 1];
	struct kp_response		*resp;
	struct kp_response		 own_resp;
	struct kp_err			 err;
	struct kp_write			 w;
	kp_inbound_stored		 stored;
	void				*stored_arg;
};

static int
stage_peer(struct kp_inbound_call *in, struct kp_err *err)
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
stage_parse(struct kp_inbound_call *in, struct kp_err *err)
{
	in->doc = kp_xml_parse(in->req->body, in->req->len, err);
	return in->doc != NULL ? KP_OK : KP_ERR_PROTOCOL;
}

static int
stage_envelope(struct kp_inbound_call *in, struct kp_err *err)
{
	if (kp_env_inspect(in->doc, 0, &in->env, err) != KP_OK)
		return KP_ERR_PROTOCOL;
	in->message_id = kp_env_text(in->env.message_id);
	if (in->message_id == NULL || !kp_message_id_valid(in->message_id))
		return kp_reject(err, KP_F_002, "wsa:MessageID must be urn:uuid: "
		    "followed by an RFC 4122 UUID");
	return KP_OK;
}

static int
stage_signature(struct kp_inbound_call *in, struct kp_err *err)
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
stage_timestamp(struct kp_inbound_call *in, struct kp_err *err)
{
	const struct kp_config *cfg = in->gw->cfg;

	return kp_env_check_timestamp(&in->env, kp_now_ms(), cfg->clock_skew,
	    cfg->max_lifetime, cfg->timestamp_max_age, err);
}

static int
stage_addressing(struct kp_inbound_call *in, struct kp_err *err)
{
	return kp_env_check_addressing(&in->env, in->gw->cfg->endpoint,
	    in->gw->cfg->oin, in->req->soapaction, err);
}

/* Rule 7: a known MessageID is answered again or refused. */
static int
stage_replay(struct kp_inbound_call *in, struct kp_err *err)
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
stage_body(struct kp_inbound_call *in, struct kp_err *err)
{
	if (kp_schema_validate(in->gw->kd_schema, in->env.body_root, err) != KP_OK)
		return KP_ERR_PROTOCOL;
	if (kp_kd_read_stuurgegevens(in->env.body_root, &in->sg, err) != KP_OK)
		return KP_ERR_PROTOCOL;
	in->have_sg = 1;
	if (kp_kd_check(in->env.body_root, &in->sg, err) != KP_OK)
		return KP_ERR_PROTOCOL;
	if (kp_kd_is_notice((const char *)in->env.body_root->name)) {
		if (kp_kd_read_notice(in->env.body_root, &in->notice, err) != KP_OK)
			return KP_ERR_PROTOCOL;
		in->have_notice = 1;
	}
	return KP_OK;
}

/*
 * wsa:From is optional (WA001); when its Address names an OIN
 * (?OIN=...), it is the sender's.
 */
static int
from_oin_check(struct kp_inbound_call *in, struct kp_err *err)
{
	char *address, *oin;
	int ret = KP_OK;

	if (in->env.from == NULL)
		return KP_OK;
	address = kp_env_text(kp_xml_child(in->env.from, NS_WSA, "Address"));
	if (address != NULL && (oin = strstr(address, "?OIN=")) != NULL &&
	    strcmp(oin + 5, in->req->peer_oin) != 0)
		ret = kp_reject(err, KP_F_011, "wsa:From names OIN %.24s, not "
		    "the connecting partner %s", oin + 5, in->req->peer_oin);
	free(address);
	return ret;
}

static int
stage_identities(struct kp_inbound_call *in, struct kp_err *err)
{
	if (strcmp(in->sg.zender_oin, in->req->peer_oin) != 0)
		return kp_reject(err, KP_F_011,
		    "zender/organisatie %s is not the connecting partner %s",
		    in->sg.zender_oin, in->req->peer_oin);
	if (strcmp(in->sg.ontvanger_oin, in->gw->cfg->oin) != 0)
		return kp_reject(err, KP_F_003,
		    "ontvanger/organisatie %s is not this gateway (%s)",
		    in->sg.ontvanger_oin, in->gw->cfg->oin);
	return from_oin_check(in, err);
}

/*
 * A partner's audit checkpoint (ckpDi01): any partner with a profile may
 * send us its own to witness; its inner signature must be its own, with a
 * certificate valid at the checkpoint's time (KP010 otherwise).
 */
static int
read_checkpoint(struct kp_inbound_call *in, struct kp_err *err)
{
	static const char *const names[] = { "hash", "tijdstip", "handtekening",
	    "certificaat" };
	xmlNodePtr params = kp_xml_child(in->env.body_root, KD_NS, "parameters");
	struct kp_checkpoint *c = &in->checkpoint;
	struct kp_err cerr;
	char *seq;

	for (size_t i = 0; i < 4; i++)
		if ((in->ckp_text[i] = kp_xml_text(kp_xml_child(params, KD_NS,
		    names[i]))) == NULL)
			return kp_reject(err, KP_F_002, "ckpDi01: %s unreadable",
			    names[i]);
	if ((seq = kp_xml_text(kp_xml_child(params, KD_NS, "volgnummer"))) ==
	    NULL)
		return kp_reject(err, KP_F_002, "ckpDi01: volgnummer unreadable");
	c->seq = strtoll(seq, NULL, 10);
	free(seq);
	c->hash = in->ckp_text[0];
	c->at = in->ckp_text[1];
	c->signature = in->ckp_text[2];
	c->cert = in->ckp_text[3];
	c->partner_oin = in->req->peer_oin;
	if (kp_checkpoint_verify(in->gw->trust, in->req->peer_oin, c,
	    &cerr) != KP_OK)
		return kp_reject(err, KP_F_010, "audit checkpoint of entry %lld: "
		    "%s", (long long)c->seq, cerr.msg);
	in->have_checkpoint = 1;
	return KP_OK;
}

static int
stage_policy(struct kp_inbound_call *in, struct kp_err *err)
{
	const char *root = (const char *)in->env.body_root->name;

	if (strcmp(root, "ckpDi01") == 0)
		return read_checkpoint(in, err);
	if (strcmp(root, "dosLv01") == 0) {
		xmlNodePtr params = kp_xml_child(in->env.body_root, KD_NS,
		    "parameters");

		in->q_bsn = kp_xml_text(kp_xml_child(params, KD_NS, "bsn"));
		in->q_doel = kp_xml_text(kp_xml_child(params, KD_NS, "doel"));
		/* Questions: the profile's <vragen> name functie and doel. */
		if (!kp_profile_may_ask(in->profile, in->sg.functie, NULL))
			return kp_reject(err, KP_F_020, "partner %s may not ask "
			    "dosLv01 functie %s (profile %s, <vragen>)",
			    in->profile->naam, in->sg.functie, in->profile->path);
		if (strcmp(in->sg.functie, "digest") == 0)
			return KP_OK;
		if (strcmp(in->sg.functie, "context") != 0)
			return kp_reject(err, KP_F_020, "dosLv01 functie %s is "
			    "not served by this gateway version (context and "
			    "digest are)", in->sg.functie);
		/* (doel NULL would mean "any purpose" to may_ask) */
		if (in->q_bsn == NULL || in->q_doel == NULL)
			return kp_reject(err, KP_F_002, "a context question "
			    "needs the citizen's bsn and a doel in its parameters");
		if (!kp_profile_may_ask(in->profile, "context", in->q_doel))
			return kp_reject(err, KP_F_020, "partner %s may not ask "
			    "context for doel %s (profile %s, <vragen>)",
			    in->profile->naam, in->q_doel, in->profile->path);
		return KP_OK;
	}
	if (!kp_profile_may_send(in->profile, root))
		return kp_reject(err, KP_F_020,
		    "partner %s may not send %s (profile %s)", in->profile->naam,
		    root, in->profile->path);
	if (!kp_kd_is_notice(root))
		return kp_reject(err, KP_F_020,
		    "%s is not served by this gateway version", root);
	/* Only the owner changes a record; a relay needs its profile's leave. */
	if (strcmp(in->notice.bron, in->gw->cfg->oin) == 0)
		return kp_reject(err, KP_F_022,
		    "%s %s is ours (bron %s): only we change it",
		    in->notice.entiteittype, in->notice.identificatie,
		    in->notice.bron);
	/*
	 * A retraction comes from whoever delivered the copy (owner or
	 * relay); the store checks that it is the partner we got it from.
	 */
	if (in->notice.intrekking)
		return KP_OK;
	if (strcmp(in->notice.bron, in->sg.zender_oin) != 0 &&
	    !kp_profile_may_relay(in->profile, root))
		return kp_reject(err, KP_F_022,
		    "%s %s belongs to %s, not to sender %s, and profile %s does "
		    "not let it relay %s", in->notice.entiteittype,
		    in->notice.identificatie, in->notice.bron, in->sg.zender_oin,
		    in->profile->path, root);
	return KP_OK;
}

/*
 * A notice we apply goes on to the partners entitled to it (PROTOCOL.md
 * 4.2, relaying), decided now by the same rule as our own changes; the
 * store queues them only if the record is applied.
 */
static int
stage_fanout(struct kp_inbound_call *in, struct kp_err *err)
{
	struct kp_consents consents;
	int ret;

	if (!in->have_notice)
		return KP_OK;
	if (kp_consents_load(in->gw, &in->notice, &consents, err) != KP_OK)
		return kp_reject(err, KP_F_050, "cannot read the citizen's "
		    "consents; try again");
	ret = kp_policy_fanout(in->gw->profiles, &in->notice, in->req->peer_oin,
	    NULL, (uint32_t)in->gw->cfg->partitions, &consents, &in->fanout,
	    &in->nfanout, err);
	kp_consents_clear(&consents);
	if (ret != KP_OK)
		return kp_reject(err, KP_F_050, "cannot decide where the record "
		    "goes on to; try again");
	return KP_OK;
}

/*
 * Sign the answer now (a Bv03, or the dosLa01 of a digest question): the
 * store keeps it with the message for resends.
 */
static int
stage_answer(struct kp_inbound_call *in, struct kp_err *err)
{
	struct kp_reply_params rp = {
		.relates_to = in->message_id,
		.signature_value = in->sig.signature_value,
		.to_oin = in->req->peer_oin,
		.to_app = in->sg.zender_app,
		.crossref = in->sg.referentienummer,
	};
	struct kp_inbound_commit *c = &in->w.commit;

	if (kp_xml_is(in->env.body_root, KD_NS, "dosLv01") &&
	    strcmp(in->sg.functie, "context") == 0) {
		if (kp_context_answer(in->gw, in->profile, in->q_bsn, in->q_doel,
		    &rp, &in->resp->body, &in->resp->len, &in->context,
		    err) != KP_OK)
			return kp_reject(err, KP_F_050, "cannot read the dossier "
			    "or sign the answer; try again");
	} else if (kp_xml_is(in->env.body_root, KD_NS, "dosLv01")) {
		if (kp_sync_answer_digest(in->gw, in->req->peer_oin,
		    in->env.body_root, &rp, &in->resp->body, &in->resp->len,
		    err) != KP_OK)
			return kp_reject(err, KP_F_050, "cannot compute or sign "
			    "the digests; try again");
	} else if (kp_reply_build(in->gw, &rp, KP_F_NONE, NULL, &in->resp->body,
	    &in->resp->len, err) != KP_OK)
		return kp_reject(err, KP_F_050, "cannot sign the answer");
	in->w.kind = KP_WRITE_COMMIT;
	c->notice = in->have_notice ? &in->notice : NULL;
	c->partner_oin = in->req->peer_oin;
	c->message_id = in->message_id;
	c->referentienummer = in->sg.referentienummer;
	c->berichtcode = in->sg.berichtcode;
	c->entiteittype = in->sg.entiteittype;
	c->root = (const char *)in->env.body_root->name;
	c->bytes = in->req->body;
	c->len = in->req->len;
	c->bytes_sha256 = in->bytes_sha;
	c->body_digest = in->sig.body_digest;
	c->response = in->resp->body;
	c->response_len = in->resp->len;
	c->fanout = in->fanout;
	c->nfanout = in->nfanout;
	c->checkpoint = in->have_checkpoint ? &in->checkpoint : NULL;
	c->bsn = in->q_bsn;
	c->doel = in->q_doel;
	c->decisions = in->context.v;
	c->ndecisions = in->context.n;
	return KP_OK;
}

typedef int (*stage_fn)(struct kp_inbound_call *, struct kp_err *);

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
	{ "fanout", stage_fanout },
	{ "answer", stage_answer },
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

/* Sign a Fault for err into resp (replacing any answer built so far). */
static void
build_fault(struct kp_inbound_call *in, const struct kp_err *err,
    uint64_t verwacht)
{
	struct kp_reply_params rp = {
		.verwacht_volgnummer = verwacht,
		.relates_to = in->message_id,
		.signature_value = in->have_sig ? in->sig.signature_value : NULL,
		.to_oin = in->req->peer_oin != NULL ? in->req->peer_oin :
		    "00000000000000000000",
		.to_app = in->have_sg ? in->sg.zender_app : NULL,
		.crossref = in->have_sg ? in->sg.referentienummer : NULL,
	};
	struct kp_response *resp = in->resp;
	struct kp_err rerr;

	resp->fault = err->fault;
	resp->http_status = 500;
	resp->duplicate = 0;
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
	if (kp_reply_build(in->gw, &rp, err->fault, err->msg, &resp->body,
	    &resp->len, &rerr) != KP_OK)
		log_warnx("cannot build fault: %s", rerr.msg);
}

static void
on_stored(struct kp_store_job *job, void *arg)
{
	struct kp_inbound_call *in = arg;

	(void)job;
	if (in->stored != NULL)
		in->stored(in, in->stored_arg);
}

struct kp_inbound_call *
kp_inbound_start(struct kp_gateway *gw, const struct kp_request *req,
    kp_inbound_stored stored, void *arg)
{
	struct kp_inbound_call *in;
	struct kp_response *resp;
	struct kp_audit *a;
	int charset_bad;

	if ((in = calloc(1, sizeof(*in))) == NULL)
		return NULL;
	in->gw = gw;
	in->req = req;
	in->resp = resp = &in->own_resp;
	in->stored = stored;
	in->stored_arg = arg;
	kp_err_clear(&in->err);
	kp_sha256_hex(req->body, req->len, in->bytes_sha);
	resp->content_type = "text/xml; charset=utf-8";

	if (!content_type_ok(req->content_type, &charset_bad)) {
		static const char msg[] = "not a SOAP request: send POST /wus/v1 "
		    "with Content-Type: text/xml; charset=utf-8\n";

		kp_fail(&in->err, KP_ERR_USAGE, "Content-Type is %s, not text/xml",
		    req->content_type != NULL ? req->content_type : "absent");
		resp->http_status = 400;
		resp->content_type = "text/plain; charset=utf-8";
		resp->body = strdup(msg);
		resp->len = resp->body != NULL ? strlen(msg) : 0;
	} else if (charset_bad) {
		kp_reject(&in->err, KP_F_001, "Content-Type charset is not utf-8");
	} else {
		for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
			if (stages[i].fn(in, &in->err) != KP_OK) {
				/* A stage that failed without a code failed us. */
				if (in->err.status != KP_ERR_PROTOCOL) {
					log_warnx("stage %s: %s", stages[i].name,
					    in->err.msg[0] ? in->err.msg : "failed");
					kp_reject(&in->err, KP_F_050, "internal error "
					    "in stage %s; try again later",
					    stages[i].name);
				}
				break;
			}
			if (resp->duplicate)
				break;
		}
	}
	if (in->err.status == KP_ERR_PROTOCOL)
		build_fault(in, &in->err, 0);
	else if (resp->http_status != 400)
		resp->http_status = 200;

	/* Everything but an accepted message is one audit row. */
	if (in->w.kind != KP_WRITE_COMMIT || resp->fault != KP_F_NONE ||
	    resp->duplicate) {
		in->w.kind = KP_WRITE_AUDIT;
		a = &in->w.audit;
		a->direction = "in";
		a->partner_oin = req->peer_oin;
		a->message_id = in->message_id;
		a->berichtcode = in->have_sg ? in->sg.berichtcode : NULL;
		a->entiteittype = in->have_sg && in->sg.entiteittype[0] ?
		    in->sg.entiteittype : NULL;
		a->outcome = resp->http_status == 400 ? "refused" :
		    resp->fault != KP_F_NONE ? "rejected" : "duplicate";
		a->code = kp_fault_code(resp->fault);
		a->bytes_sha256 = in->bytes_sha;
		/* the citizen it was about, when that was read (inzage) */
		a->bsn = in->have_notice ? in->notice.bsn : in->q_bsn;
		a->doel = in->q_doel;
		a->detail = resp->http_status == 400 || resp->fault != KP_F_NONE ?
		    in->err.msg : NULL;
	}
	/* the writer's entries will name the citizen: ask here, in parallel */
	kp_store_pseudonym_warm(gw->store, in->have_notice ? in->notice.bsn :
	    in->q_bsn);
	in->w.job.done = on_stored;
	in->w.job.arg = in;
	kp_apply_submit(gw->store, &in->w);
	return in;
}

void
kp_inbound_finish(struct kp_inbound_call *in, struct kp_response *out)
{
	struct kp_response *resp = in->resp;
	struct kp_err err;

	if (in->w.job.status != KP_OK) {
		/* Nothing of it is durable: never acknowledge. */
		log_warnx("in %s from %s: could not store; answered KP050",
		    in->message_id != NULL ? in->message_id : "-",
		    in->req->peer_oin != NULL ? in->req->peer_oin : "-");
		kp_reject(&err, KP_F_050, "could not store the message; resend "
		    "later");
		build_fault(in, &err, 0);
	} else if (in->w.kind == KP_WRITE_COMMIT &&
	    in->w.race == KP_REPLAY_SAME) {
		/* A copy committed first: its answer is the answer. */
		free(resp->body);
		resp->body = in->w.prior;
		resp->len = in->w.prior_len;
		in->w.prior = NULL;
		resp->duplicate = 1;
	} else if (in->w.kind == KP_WRITE_COMMIT &&
	    in->w.race == KP_REPLAY_CONFLICT) {
		kp_reject(&err, KP_F_013, "wsa:MessageID or referentienummer %s "
		    "was used before with another body", in->sg.referentienummer);
		build_fault(in, &err, 0);
	} else if (in->w.kind == KP_WRITE_COMMIT &&
	    in->w.verdict != KP_F_NONE) {
		/* The stream or the record refused it (KP030, KP023). */
		kp_reject(&err, in->w.verdict, "%s", in->w.verdict_msg);
		build_fault(in, &err, in->w.expected);
	}
	if (resp->fault != KP_F_NONE || resp->http_status == 400)
		log_info("in %s from %s: %s %s: %s",
		    in->message_id != NULL ? in->message_id : "-",
		    in->req->peer_oin != NULL ? in->req->peer_oin : "-",
		    resp->http_status == 400 ? "refused" : "rejected",
		    resp->fault != KP_F_NONE ? kp_fault_code(resp->fault) : "",
		    in->w.kind == KP_WRITE_AUDIT ? in->err.msg :
		    in->w.verdict != KP_F_NONE ? in->w.verdict_msg : "replay");
	else
		log_debug("in %s from %s: %s", in->message_id, in->req->peer_oin,
		    resp->duplicate ? "duplicate" : "accepted");
	kp_metrics_in(in->have_sg ? in->sg.berichtcode : NULL,
	    in->w.kind == KP_WRITE_COMMIT, resp->duplicate, resp->fault,
	    resp->http_status);
	*out = *resp;
	kp_notice_clear(&in->notice);
	for (size_t i = 0; i < 4; i++)
		free(in->ckp_text[i]);
	kp_fanout_free(in->fanout, in->nfanout);
	kp_context_audit_clear(&in->context);
	free(in->q_bsn);
	free(in->q_doel);
	free(in->w.prior);
	kp_wss_result_clear(&in->sig);
	free(in->message_id);
	xmlFreeDoc(in->doc);
	free(in);
}

static void
open_latch(struct kp_inbound_call *call, void *arg)
{
	(void)call;
	kp_latch_open(arg);
}

/* The synchronous form: start, wait until durable, finish. */
void
kp_inbound_handle(struct kp_gateway *gw, const struct kp_request *req,
    struct kp_response *resp)
{
	struct kp_inbound_call *call;
	struct kp_latch latch;

	memset(resp, 0, sizeof(*resp));
	kp_latch_init(&latch);
	if ((call = kp_inbound_start(gw, req, open_latch, &latch)) == NULL) {
		kp_latch_open(&latch);
		kp_latch_wait(&latch);
		resp->http_status = 500;
		resp->fault = KP_F_050;
		return;
	}
	kp_latch_wait(&latch);
	kp_inbound_finish(call, resp);
}

void
kp_response_clear(struct kp_response *resp)
{
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}
