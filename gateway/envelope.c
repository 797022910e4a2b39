#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xmlsec/xmlsec.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>
#include <xmlsec/openssl/crypto.h>

#include "envelope.h"
#include "kd.h"
#include "util.h"
#include "xmlsafe.h"

static xmlNodePtr
add_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
	return xmlNewTextChild(parent, ns, (const xmlChar *)name,
	    (const xmlChar *)text);
}

static void
set_id(xmlNodePtr node, xmlNsPtr wsu, const char *id)
{
	xmlNewNsProp(node, wsu, (const xmlChar *)"Id", (const xmlChar *)id);
}

static int
add_reference(xmlNodePtr sig, const char *id)
{
	char uri[64];
	xmlNodePtr ref;

	snprintf(uri, sizeof(uri), "#%s", id);
	ref = xmlSecTmplSignatureAddReference(sig, xmlSecOpenSSLTransformSha256Id,
	    NULL, (const xmlChar *)uri, NULL);
	if (ref == NULL ||
	    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) == NULL)
		return -1;
	return 0;
}

int
kp_env_build(const struct kp_env_params *p, xmlNodePtr body_root,
    struct kp_env *env, struct kp_err *err)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr n, keyinfo, str, ref, copy;
	xmlNsPtr soap, wsa, wsse, wsu, wsse11 = NULL;
	char when[32], msgid[48];

	memset(env, 0, sizeof(*env));
	if ((doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL)
		goto nomem;
	env->doc = doc;
	env->response = p->response;
	env->envelope = xmlNewDocNode(doc, NULL, (const xmlChar *)"Envelope",
	    NULL);
	if (env->envelope == NULL)
		goto nomem;
	xmlDocSetRootElement(doc, env->envelope);
	soap = xmlNewNs(env->envelope, (const xmlChar *)NS_SOAP,
	    (const xmlChar *)"soap");
	wsa = xmlNewNs(env->envelope, (const xmlChar *)NS_WSA,
	    (const xmlChar *)"wsa");
	wsse = xmlNewNs(env->envelope, (const xmlChar *)NS_WSSE,
	    (const xmlChar *)"wsse");
	wsu = xmlNewNs(env->envelope, (const xmlChar *)NS_WSU,
	    (const xmlChar *)"wsu");
	if (p->response)
		wsse11 = xmlNewNs(env->envelope, (const xmlChar *)NS_WSSE11,
		    (const xmlChar *)"wsse11");
	xmlSetNs(env->envelope, soap);

	env->header = add_el(env->envelope, soap, "Header", NULL);
	if (!p->response) {
		env->to = add_el(env->header, wsa, "To", p->to);
		set_id(env->to, wsu, "id-to");
	}
	env->action = add_el(env->header, wsa, "Action", p->action);
	set_id(env->action, wsu, "id-action");
	if (p->message_id == NULL)
		kp_new_message_id(msgid);
	env->message_id = add_el(env->header, wsa, "MessageID",
	    p->message_id != NULL ? p->message_id : msgid);
	set_id(env->message_id, wsu, "id-messageid");
	if (!p->response) {
		env->from = add_el(env->header, wsa, "From", NULL);
		add_el(env->from, wsa, "Address", p->from);
		set_id(env->from, wsu, "id-from");
	} else {
		env->relates_to = add_el(env->header, wsa, "RelatesTo",
		    p->relates_to != NULL ? p->relates_to : WSA_UNSPECIFIED);
		set_id(env->relates_to, wsu, "id-relatesto");
	}
	env->security = add_el(env->header, wsse, "Security", NULL);
	xmlNewNsProp(env->security, soap, (const xmlChar *)"mustUnderstand",
	    (const xmlChar *)"1");
	env->timestamp = add_el(env->security, wsu, "Timestamp", NULL);
	set_id(env->timestamp, wsu, "id-timestamp");
	kp_time_iso(p->created_ms, when);
	env->created = add_el(env->timestamp, wsu, "Created", when);
	kp_time_iso(p->created_ms + (int64_t)p->lifetime_s * 1000, when);
	env->expires = add_el(env->timestamp, wsu, "Expires", when);
	env->bst = add_el(env->security, wsse, "BinarySecurityToken",
	    p->bst_b64);
	xmlNewProp(env->bst, (const xmlChar *)"ValueType",
	    (const xmlChar *)WSS_X509V3);
	xmlNewProp(env->bst, (const xmlChar *)"EncodingType",
	    (const xmlChar *)WSS_BASE64);
	set_id(env->bst, wsu, "id-token");
	if (p->response) {
		env->sigconf = add_el(env->security, wsse11,
		    "SignatureConfirmation", NULL);
		if (p->sigconf_value != NULL)
			xmlNewProp(env->sigconf, (const xmlChar *)"Value",
			    (const xmlChar *)p->sigconf_value);
		set_id(env->sigconf, wsu, "id-sigconf");
	}

	env->signature = xmlSecTmplSignatureCreateNsPref(doc,
	    xmlSecTransformExclC14NId,
	    p->ec ? xmlSecOpenSSLTransformEcdsaSha256Id :
	    xmlSecOpenSSLTransformRsaSha256Id, NULL, (const xmlChar *)"ds");
	if (env->signature == NULL)
		goto nomem;
	xmlAddChild(env->security, env->signature);
	if (add_reference(env->signature, "id-body") != 0 ||
	    add_reference(env->signature, "id-timestamp") != 0 ||
	    (!p->response && add_reference(env->signature, "id-to") != 0) ||
	    add_reference(env->signature, "id-action") != 0 ||
	    add_reference(env->signature, "id-messageid") != 0 ||
	    (!p->response && add_reference(env->signature, "id-from") != 0) ||
	    (p->response && add_reference(env->signature, "id-relatesto") != 0) ||
	    (p->response && add_reference(env->signature, "id-sigconf") != 0))
		goto nomem;
	if ((keyinfo = xmlSecTmplSignatureEnsureKeyInfo(env->signature,
	    NULL)) == NULL)
		goto nomem;
	str = add_el(keyinfo, wsse, "SecurityTokenReference", NULL);
	ref = add_el(str, wsse, "Reference", NULL);
	xmlNewProp(ref, (const xmlChar *)"URI", (const xmlChar *)"#id-token");
	xmlNewProp(ref, (const xmlChar *)"ValueType", (const xmlChar *)WSS_X509V3);

	env->body = add_el(env->envelope, soap, "Body", NULL);
	set_id(env->body, wsu, "id-body");
	if ((copy = xmlDocCopyNode(body_root, doc, 1)) == NULL)
		goto nomem;
	env->body_root = xmlAddChild(env->body, copy);
	/* Keep namespace declarations where exc-c14n wants them. */
	xmlReconciliateNs(doc, env->body_root);
	(void)n;
	return KP_OK;
nomem:
	xmlFreeDoc(doc);
	memset(env, 0, sizeof(*env));
	return kp_fail(err, KP_ERR_XML, "cannot build the SOAP envelope");
}

xmlNodePtr
kp_env_payload(const struct kp_env *env)
{
	xmlNodePtr detail, fo03;

	if (!kp_xml_is(env->body_root, NS_SOAP, "Fault"))
		return env->body_root;
	detail = kp_xml_child(env->body_root, NULL, "detail");
	fo03 = kp_xml_first(detail);
	if (!kp_xml_is(fo03, KD_NS, "Fo03") || kp_xml_next(fo03) != NULL)
		return NULL;
	return fo03;
}

char *
kp_env_text(xmlNodePtr node)
{
	char *text, *start, *end;

	if (node == NULL || (text = kp_xml_text(node)) == NULL)
		return NULL;
	for (start = text; isspace((unsigned char)*start); start++)
		;
	end = start + strlen(start);
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	memmove(text, start, (size_t)(end - start) + 1);
	return text;
}

int
kp_env_serialize(xmlDocPtr doc, char **out, size_t *len, struct kp_err *err)
{
	xmlChar *mem = NULL;
	int size = 0;

	*out = NULL;
	*len = 0;
	xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	if (mem == NULL)
		return kp_fail(err, KP_ERR_XML, "cannot serialise message");
	if ((*out = malloc((size_t)size + 1)) == NULL) {
		xmlFree(mem);
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	}
	memcpy(*out, mem, (size_t)size + 1);
	*len = (size_t)size;
	xmlFree(mem);
	return KP_OK;
}

/* Elements that must occur at most once in the whole document. */
static const struct {
	const char *ns, *name, *label;
} unique_elements[] = {
	{ NS_SOAP, "Envelope", "soap:Envelope" },
	{ NS_SOAP, "Header", "soap:Header" },
	{ NS_SOAP, "Body", "soap:Body" },
	{ NS_WSSE, "Security", "wsse:Security" },
	{ NS_DS, "Signature", "ds:Signature" },
	{ NS_WSU, "Timestamp", "wsu:Timestamp" },
	{ NS_WSSE, "BinarySecurityToken", "wsse:BinarySecurityToken" },
	{ NS_WSSE11, "SignatureConfirmation", "wsse11:SignatureConfirmation" },
	{ NS_WSA, "To", "wsa:To" },
	{ NS_WSA, "Action", "wsa:Action" },
	{ NS_WSA, "MessageID", "wsa:MessageID" },
	{ NS_WSA, "From", "wsa:From" },
	{ NS_WSA, "RelatesTo", "wsa:RelatesTo" },
	{ NS_WSA, "ReplyTo", "wsa:ReplyTo" },
	{ NS_WSA, "FaultTo", "wsa:FaultTo" },
	{ NS_WSU, "Created", "wsu:Created" },
	{ NS_WSU, "Expires", "wsu:Expires" },
};
#define N_UNIQUE (sizeof(unique_elements) / sizeof(unique_elements[0]))

static int
count_unique(xmlNodePtr node, int counts[N_UNIQUE], struct kp_err *err)
{
	for (xmlNodePtr c = node; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		for (size_t i = 0; i < N_UNIQUE; i++) {
			if (!kp_xml_is(c, unique_elements[i].ns,
			    unique_elements[i].name))
				continue;
			if (++counts[i] > 1)
				return kp_reject(err, KP_F_002,
				    "more than one %s (line %ld)",
				    unique_elements[i].label,
				    (long)xmlGetLineNo(c));
		}
		if (count_unique(c->children, counts, err) != KP_OK)
			return KP_ERR_PROTOCOL;
	}
	return KP_OK;
}

static int
only_whitespace_text(xmlNodePtr parent)
{
	for (xmlNodePtr c = parent->children; c != NULL; c = c->next) {
		if (c->type == XML_ELEMENT_NODE)
			continue;
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			return 0;
		for (const xmlChar *s = c->content; s != NULL && *s; s++)
			if (!isspace(*s))
				return 0;
	}
	return 1;
}

enum { H_TO, H_ACTION, H_MESSAGEID, H_FROM, H_RELATESTO, H_REPLYTO,
	H_FAULTTO, H_SECURITY, H_MAX };

/*
 * The header blocks, in any order (Digikoppeling fixes none and toolkits
 * differ); count_unique() has refused a second of any.
 */
static int
inspect_header(struct kp_env *env, struct kp_err *err)
{
	static const char *names[H_MAX] = { "To", "Action", "MessageID",
	    "From", "RelatesTo", "ReplyTo", "FaultTo", "Security" };
	xmlNodePtr *slots[H_MAX] = { &env->to, &env->action, &env->message_id,
	    &env->from, &env->relates_to, &env->reply_to, &env->fault_to,
	    &env->security };

	if (!only_whitespace_text(env->header))
		return kp_reject(err, KP_F_002, "text directly in soap:Header");
	for (xmlNodePtr c = kp_xml_first(env->header); c != NULL;
	    c = kp_xml_next(c)) {
		int which = -1;

		for (int i = 0; i < H_MAX; i++)
			if (kp_xml_is(c, i == H_SECURITY ? NS_WSSE : NS_WSA,
			    names[i]))
				which = i;
		if (which < 0)
			return kp_reject(err, KP_F_002,
			    "header block %s on line %ld is not allowed (only "
			    "WS-Addressing and wsse:Security, Digikoppeling WS007)",
			    (const char *)c->name, (long)xmlGetLineNo(c));
		*slots[which] = c;
	}
	if (env->action == NULL || env->message_id == NULL ||
	    env->security == NULL)
		return kp_reject(err, KP_F_002,
		    "header needs wsa:Action, wsa:MessageID and wsse:Security");
	/* wsa:From is optional in a request (Digikoppeling WA001) */
	if (!env->response && (env->to == NULL || env->relates_to != NULL))
		return kp_reject(err, KP_F_002,
		    "a request carries wsa:To and no wsa:RelatesTo");
	if (env->response && (env->to != NULL || env->from != NULL ||
	    env->reply_to != NULL || env->fault_to != NULL ||
	    env->relates_to == NULL))
		return kp_reject(err, KP_F_002, "a response carries "
		    "wsa:RelatesTo and no wsa:To, From, ReplyTo or FaultTo");
	return KP_OK;
}

static int
inspect_security(struct kp_env *env, struct kp_err *err)
{
	char *mu;
	int ok;

	mu = kp_xml_attr(env->security, NS_SOAP, "mustUnderstand");
	ok = mu != NULL && (strcmp(mu, "1") == 0 || strcmp(mu, "true") == 0);
	free(mu);
	if (!ok)
		return kp_reject(err, KP_F_002,
		    "wsse:Security needs soap:mustUnderstand=\"1\"");
	if (!only_whitespace_text(env->security))
		return kp_reject(err, KP_F_002, "text directly in wsse:Security");
	for (xmlNodePtr c = kp_xml_first(env->security); c != NULL;
	    c = kp_xml_next(c)) {
		if (kp_xml_is(c, NS_WSU, "Timestamp"))
			env->timestamp = c;
		else if (kp_xml_is(c, NS_WSSE, "BinarySecurityToken"))
			env->bst = c;
		else if (kp_xml_is(c, NS_WSSE11, "SignatureConfirmation") &&
		    env->response)
			env->sigconf = c;
		else if (kp_xml_is(c, NS_DS, "Signature"))
			env->signature = c;
		else
			return kp_reject(err, KP_F_002,
			    "wsse:Security may not contain %s (line %ld)",
			    (const char *)c->name, (long)xmlGetLineNo(c));
	}
	if (env->timestamp == NULL || env->bst == NULL ||
	    env->signature == NULL || (env->response && env->sigconf == NULL))
		return kp_reject(err, KP_F_002,
		    "wsse:Security needs one wsu:Timestamp, one "
		    "BinarySecurityToken%s and one ds:Signature",
		    env->response ? ", one SignatureConfirmation" : "");
	/* Expires is optional (Digikoppeling WB002) */
	env->created = kp_xml_first(env->timestamp);
	env->expires = kp_xml_next(env->created);
	if (!kp_xml_is(env->created, NS_WSU, "Created") ||
	    (env->expires != NULL && (!kp_xml_is(env->expires, NS_WSU,
	    "Expires") || kp_xml_next(env->expires) != NULL)))
		return kp_reject(err, KP_F_002, "wsu:Timestamp holds wsu:Created "
		    "and maybe then wsu:Expires, nothing else");
	return KP_OK;
}

int
kp_env_inspect(xmlDocPtr doc, int response, struct kp_env *env,
    struct kp_err *err)
{
	int counts[N_UNIQUE] = { 0 };
	xmlNodePtr c;

	memset(env, 0, sizeof(*env));
	env->doc = doc;
	env->response = response;
	env->envelope = xmlDocGetRootElement(doc);
	if (!kp_xml_is(env->envelope, NS_SOAP, "Envelope"))
		return kp_reject(err, KP_F_002,
		    "root element is not a SOAP 1.1 soap:Envelope");
	if (count_unique(env->envelope, counts, err) != KP_OK)
		return KP_ERR_PROTOCOL;
	c = kp_xml_first(env->envelope);
	if (!kp_xml_is(c, NS_SOAP, "Header"))
		return kp_reject(err, KP_F_002,
		    "soap:Envelope must start with soap:Header");
	env->header = c;
	c = kp_xml_next(c);
	if (!kp_xml_is(c, NS_SOAP, "Body") || kp_xml_next(c) != NULL)
		return kp_reject(err, KP_F_002,
		    "soap:Envelope holds soap:Header then soap:Body, nothing else");
	env->body = c;
	if (!only_whitespace_text(env->envelope) || !only_whitespace_text(env->body))
		return kp_reject(err, KP_F_002, "text outside the body element");
	env->body_root = kp_xml_first(env->body);
	if (env->body_root == NULL || kp_xml_next(env->body_root) != NULL)
		return kp_reject(err, KP_F_002,
		    "soap:Body must hold exactly one element");
	if (inspect_header(env, err) != KP_OK ||
	    inspect_security(env, err) != KP_OK)
		return KP_ERR_PROTOCOL;
	return KP_OK;
}

int
kp_env_check_timestamp(const struct kp_env *env, int64_t now_ms,
    int64_t skew_s, int64_t max_lifetime_s, int64_t max_age_s,
    struct kp_err *err)
{
	char *created = kp_env_text(env->created);
	char *expires = env->expires != NULL ? kp_env_text(env->expires) : NULL;
	int64_t c_ms, e_ms;
	int ret = KP_OK;

	if (created == NULL || (env->expires != NULL && expires == NULL) ||
	    kp_time_parse_iso(created, &c_ms) != 0 ||
	    (expires != NULL && kp_time_parse_iso(expires, &e_ms) != 0)) {
		ret = kp_reject(err, KP_F_012,
		    "wsu:Created and wsu:Expires must be UTC "
		    "YYYY-MM-DDThh:mm:ss(.sss)Z");
	} else if (c_ms > now_ms + skew_s * 1000) {
		ret = kp_reject(err, KP_F_012,
		    "wsu:Created %s lies more than %llds in the future; check "
		    "the sender's clock", created, (long long)skew_s);
	} else if (expires == NULL) {
		/* no Expires (WB002): our own limit on Created's age */
		if (now_ms - c_ms > max_age_s * 1000)
			ret = kp_reject(err, KP_F_012, "wsu:Created %s is more "
			    "than %llds old and no wsu:Expires says longer",
			    created, (long long)max_age_s);
	} else if (e_ms <= now_ms) {
		ret = kp_reject(err, KP_F_012, "message expired at %s", expires);
	} else if (e_ms <= c_ms) {
		ret = kp_reject(err, KP_F_012, "wsu:Expires is not after wsu:Created");
	} else if (e_ms - c_ms > max_lifetime_s * 1000) {
		ret = kp_reject(err, KP_F_012,
		    "timestamp lifetime %llds exceeds the maximum of %llds",
		    (long long)((e_ms - c_ms) / 1000), (long long)max_lifetime_s);
	}
	free(created);
	free(expires);
	return ret;
}

/*
 * A request's ReplyTo or FaultTo (what toolkits cannot leave out): only
 * the anonymous or none address, as for a synchronous exchange over the
 * same connection; nothing but the wsa:Address.
 */
static int
reply_address(xmlNodePtr block, const char *label, struct kp_err *err)
{
	xmlNodePtr address;
	char *a;
	int ret = KP_OK;

	if (block == NULL)
		return KP_OK;
	address = kp_xml_first(block);
	if (!kp_xml_is(address, NS_WSA, "Address") || kp_xml_next(address) != NULL)
		return kp_reject(err, KP_F_002, "%s holds one wsa:Address, "
		    "nothing else", label);
	a = kp_env_text(address);
	if (a == NULL || (strcmp(a, WSA_ANONYMOUS) != 0 &&
	    strcmp(a, WSA_NONE) != 0))
		ret = kp_reject(err, KP_F_003, "%s must be the anonymous (or "
		    "none) address: answers come on this connection, not to "
		    "%.80s", label, a != NULL ? a : "(empty)");
	free(a);
	return ret;
}

int
kp_env_check_addressing(const struct kp_env *env, const char *endpoint,
    const char *our_oin, const char *soapaction, struct kp_err *err)
{
	char *action = kp_env_text(env->action), *to = NULL;
	char expected[256];
	int ret = KP_OK;

	xmlNodePtr payload = kp_env_payload(env);

	if (payload == NULL) {
		ret = kp_reject(err, KP_F_002, "soap:Fault without a kd:Fo03");
		goto out;
	}
	snprintf(expected, sizeof(expected), KD_ACTION_PREFIX "%s",
	    (const char *)payload->name);
	if (action == NULL || strcmp(action, expected) != 0 ||
	    !kp_xml_is(payload, KD_NS, (const char *)payload->name)) {
		ret = kp_reject(err, KP_F_003,
		    "wsa:Action does not match the body element %s (expected %s)",
		    (const char *)payload->name, expected);
		goto out;
	}
	if (soapaction != NULL && soapaction[0] != '\0' &&
	    strcmp(soapaction, "\"\"") != 0) {
		size_t n = strlen(soapaction);

		if (n < 2 || soapaction[0] != '"' || soapaction[n - 1] != '"' ||
		    n - 2 != strlen(action) ||
		    strncmp(soapaction + 1, action, n - 2) != 0) {
			ret = kp_reject(err, KP_F_003,
			    "SOAPAction header does not equal wsa:Action (quoted)");
			goto out;
		}
	}
	if (!env->response &&
	    ((ret = reply_address(env->reply_to, "wsa:ReplyTo", err)) != KP_OK ||
	    (ret = reply_address(env->fault_to, "wsa:FaultTo", err)) != KP_OK))
		goto out;
	if (!env->response) {
		size_t elen = strlen(endpoint);

		to = kp_env_text(env->to);
		if (to == NULL || strncmp(to, endpoint, elen) != 0 ||
		    (to[elen] != '\0' && (strncmp(to + elen, "?OIN=", 5) != 0 ||
		    strcmp(to + elen + 5, our_oin) != 0))) {
			ret = kp_reject(err, KP_F_003,
			    "wsa:To is not this gateway's endpoint %s", endpoint);
			goto out;
		}
	}
out:
	free(action);
	free(to);
	return ret;
}
