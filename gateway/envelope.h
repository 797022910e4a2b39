/*
 * envelope — SOAP 1.1 + WS-Addressing + the WS-Security header, as
 * PROTOCOL.md §2 lays them out.
 *
 * What the gateway sends is written and signed by envwrite.c;
 * kp_env_build() makes an unsigned message with an xmlsec signature
 * template for wss.c to sign, which only the test tools that forge bad
 * messages (and test_envwrite's comparison) still do.
 *
 * kp_env_inspect() checks an untrusted document's shape (rule 2.1.2,
 * KP002) and points a struct kp_env at the very nodes that the rest of
 * the pipeline processes; wss.c then proves that the signature covers
 * exactly those nodes.  The timestamp (KP012) and addressing (KP003)
 * checks live here too.
 */
#ifndef KP_ENVELOPE_H
#define KP_ENVELOPE_H

#include <stdint.h>

#include <libxml/tree.h>

#include "err.h"

#define NS_SOAP	"http://schemas.xmlsoap.org/soap/envelope/"
#define NS_WSA	"http://www.w3.org/2005/08/addressing"
#define NS_WSSE	"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
#define NS_WSU	"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
#define NS_WSSE11 "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
#define NS_DS	"http://www.w3.org/2000/09/xmldsig#"
#define NS_EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_EXC_C14N	NS_EXC_C14N
#define ALG_RSA_SHA256	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define ALG_ECDSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
#define ALG_SHA256	"http://www.w3.org/2001/04/xmlenc#sha256"
#define WSS_X509V3 "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
#define WSS_BASE64 "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
#define WSA_UNSPECIFIED "http://www.w3.org/2005/08/addressing/unspecified"
#define WSA_ANONYMOUS	"http://www.w3.org/2005/08/addressing/anonymous"
#define WSA_NONE	"http://www.w3.org/2005/08/addressing/none"

/* Pointers into doc; doc owns everything. */
struct kp_env {
	xmlDocPtr	doc;
	int		response;
	xmlNodePtr	envelope, header, body, body_root;
	xmlNodePtr	to, action, message_id, from, relates_to;
	xmlNodePtr	reply_to, fault_to;	/* requests, tolerated (§2) */
	xmlNodePtr	security, timestamp, created, expires, bst, sigconf;
						/* expires: NULL when absent */
	xmlNodePtr	signature;
};

struct kp_env_params {
	int		 response;
	const char	*to;		/* request */
	const char	*from;		/* request: sender URL ending ?OIN=… */
	const char	*action;
	const char	*message_id;	/* NULL: a fresh urn:uuid */
	const char	*relates_to;	/* response */
	const char	*sigconf_value;	/* response; NULL: no Value (unsigned request) */
	int64_t		 created_ms;
	int		 lifetime_s;
	const char	*bst_b64;	/* signer certificate, base64 DER */
	int		 ec;		/* ecdsa-sha256 instead of rsa-sha256 */
};

/*
 * Build an unsigned message around a copy of body_root, with a signature
 * template that references exactly the set of §2.  env->doc is the caller's
 * to free.
 */
int	kp_env_build(const struct kp_env_params *p, xmlNodePtr body_root,
	    struct kp_env *env, struct kp_err *err);

/*
 * Rule 2.1.2: shape and counts; header blocks in any order, each known
 * block at most once, nothing else (WS007).  KP002 on failure.
 */
int	kp_env_inspect(xmlDocPtr doc, int response, struct kp_env *env,
	    struct kp_err *err);

/*
 * Rule 2.1.5: KP012 on failure.  Without wsu:Expires, Created may be at
 * most max_age_s old.
 */
int	kp_env_check_timestamp(const struct kp_env *env, int64_t now_ms,
	    int64_t skew_s, int64_t max_lifetime_s, int64_t max_age_s,
	    struct kp_err *err);

/*
 * Rule 2.1.6 for requests: To is our endpoint (optionally ?OIN=our_oin),
 * Action names the body root, a non-empty SOAPAction equals Action,
 * ReplyTo and FaultTo (when present) have the anonymous or none address.
 * For responses only the Action rule.  KP003 on failure.
 */
int	kp_env_check_addressing(const struct kp_env *env, const char *endpoint,
	    const char *our_oin, const char *soapaction, struct kp_err *err);

/*
 * The kd element a message carries: the Body's child, or for a SOAP Fault
 * the kd:Fo03 in its detail.  NULL for a Fault without one.
 */
xmlNodePtr kp_env_payload(const struct kp_env *env);

/* Trimmed text of a header field, NULL if absent; free(). */
char	*kp_env_text(xmlNodePtr node);

/* Serialise as UTF-8 with an XML declaration; free() the result. */
int	kp_env_serialize(xmlDocPtr doc, char **out, size_t *len,
	    struct kp_err *err);

#endif
