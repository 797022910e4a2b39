#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "config.h"
#include "envelope.h"
#include "envwrite.h"
#include "gateway.h"
#include "kd.h"
#include "profile.h"
#include "util.h"
#include "wss.h"
#include "xmlsafe.h"

/* A child element in no namespace (xmlNewChild would inherit the parent's). */
static xmlNodePtr
add_unqualified(xmlNodePtr parent, const char *name, const char *text)
{
	xmlNodePtr el = xmlNewDocNode(parent->doc, NULL, (const xmlChar *)name,
	    NULL);

	if (el == NULL)
		return NULL;
	if (text != NULL)
		xmlAddChild(el, xmlNewDocText(parent->doc, (const xmlChar *)text));
	return xmlAddChild(parent, el);
}

/* soap:Fault around a Fo03; returns the Fault element in a new doc. */
static xmlNodePtr
wrap_fault(xmlDocPtr fo03_doc, kp_fault fault, const char *omschrijving)
{
	xmlNodePtr fo03 = xmlDocGetRootElement(fo03_doc), fault_el, detail;
	xmlNsPtr soap;
	char text[201];

	fault_el = xmlNewDocNode(fo03_doc, NULL, (const xmlChar *)"Fault", NULL);
	soap = xmlNewNs(fault_el, (const xmlChar *)NS_SOAP,
	    (const xmlChar *)"soap");
	xmlSetNs(fault_el, soap);
	/* SOAP 1.1: faultcode, faultstring and detail are unqualified. */
	add_unqualified(fault_el, "faultcode",
	    strcmp(kp_fault_plek(fault), "server") == 0 ?
	    "soap:Server" : "soap:Client");
	snprintf(text, sizeof(text), "%s: %s", kp_fault_code(fault),
	    omschrijving != NULL ? omschrijving : "");
	add_unqualified(fault_el, "faultstring", text);
	detail = add_unqualified(fault_el, "detail", NULL);
	xmlUnlinkNode(fo03);
	xmlAddChild(detail, fo03);
	xmlDocSetRootElement(fo03_doc, fault_el);
	return fault_el;
}

/* Wrap body_root (in body, freed here) as an answer and sign it. */
static int
sign_answer(struct kp_gateway *gw, const struct kp_reply_params *p,
    xmlDocPtr body, xmlNodePtr body_root, const char *action, char **out,
    size_t *len, struct kp_err *err)
{
	const struct kp_config *cfg = gw->cfg;
	const struct kp_signer *s = gw->signer;
	struct kp_env_params ep = {
		.response = 1,
		.action = action,
		.relates_to = p->relates_to,
		.sigconf_value = p->signature_value,
		.created_ms = kp_now_ms(),
		.lifetime_s = (int)cfg->timestamp_lifetime,
		.bst_b64 = s->cert_b64,
		.ec = s->ec,
	};
	int ret;

	/* s: one load of gw->signer per message, which a renewal may replace */
	ret = kp_env_write(&ep, body_root, s, out, len, NULL, err);
	xmlFreeDoc(body);
	return ret;
}

int
kp_reply_build(struct kp_gateway *gw, const struct kp_reply_params *p,
    kp_fault fault, const char *omschrijving, char **out, size_t *len,
    struct kp_err *err)
{
	const struct kp_config *cfg = gw->cfg;
	struct kp_kd_reply r = {
		.our_oin = cfg->oin, .our_app = cfg->application,
		.to_oin = p->to_oin, .to_app = p->to_app, .crossref = p->crossref,
	};
	xmlDocPtr body;

	*out = NULL;
	*len = 0;
	if (fault == KP_F_NONE) {
		if ((body = kp_kd_bv03(&r, err)) == NULL)
			return KP_ERR_NOMEM;
		return sign_answer(gw, p, body, xmlDocGetRootElement(body),
		    KD_ACTION_PREFIX "Bv03", out, len, err);
	}
	if ((body = kp_kd_fo03(&r, fault, omschrijving, NULL,
	    p->verwacht_volgnummer, err)) == NULL)
		return KP_ERR_NOMEM;
	return sign_answer(gw, p, body, wrap_fault(body, fault, omschrijving),
	    KD_ACTION_PREFIX "Fo03", out, len, err);
}

int
kp_reply_build_answer(struct kp_gateway *gw, const struct kp_reply_params *p,
    xmlDocPtr body, char **out, size_t *len, struct kp_err *err)
{
	xmlNodePtr root = xmlDocGetRootElement(body);
	char action[128];

	*out = NULL;
	*len = 0;
	snprintf(action, sizeof(action), KD_ACTION_PREFIX "%s",
	    (const char *)root->name);
	return sign_answer(gw, p, body, root, action, out, len, err);
}

int
kp_request_build(struct kp_gateway *gw, const struct kp_profile *partner,
    xmlNodePtr body_root, struct kp_composed *out, struct kp_err *err)
{
	const struct kp_config *cfg = gw->cfg;
	const struct kp_signer *s = gw->signer;
	char to[1024], from[1024];
	struct kp_env_params ep = {
		.response = 0,
		.to = to,
		.from = from,
		.action = out->action,
		.message_id = out->message_id,
		.created_ms = kp_now_ms(),
		.lifetime_s = (int)cfg->timestamp_lifetime,
		.bst_b64 = s->cert_b64,
		.ec = s->ec,
	};
	int ret;

	memset(out, 0, sizeof(*out));
	if (partner->endpoint == NULL)
		return kp_fail(err, KP_ERR_CONFIG, "%s: partner %s has no "
		    "<endpoint>: nothing can be sent to it", partner->path,
		    partner->naam);
	if (KP_TRUNCATED(snprintf(to, sizeof(to), "%s?OIN=%s", partner->endpoint,
	    partner->oin), sizeof(to)) ||
	    KP_TRUNCATED(snprintf(from, sizeof(from), "%s?OIN=%s", cfg->endpoint,
	    cfg->oin), sizeof(from)))
		return kp_fail(err, KP_ERR_CONFIG, "endpoint URL too long");
	snprintf(out->action, sizeof(out->action), KD_ACTION_PREFIX "%s",
	    (const char *)body_root->name);
	kp_new_message_id(out->message_id);
	if ((ret = kp_env_write(&ep, body_root, s, &out->bytes, &out->len,
	    &out->signature_value, err)) != KP_OK)
		kp_composed_clear(out);
	return ret;
}

void
kp_composed_clear(struct kp_composed *c)
{
	free(c->bytes);
	free(c->signature_value);
	memset(c, 0, sizeof(*c));
}
