/*
 * client — send one signed request to a partner over mutual TLS (libcurl)
 * and verify its signed answer by the rules of §2.1 plus: RelatesTo is our
 * MessageID and SignatureConfirmation/@Value is our SignatureValue.  Only
 * then is a message "delivered".  One kp_client keeps its connection alive
 * across exchanges.
 */
#ifndef KP_CLIENT_H
#define KP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include <libxml/tree.h>

#include "err.h"

struct kp_gateway;
struct kp_profile;
struct kp_client;

struct kp_outcome {
	int		 http_status;
	kp_fault	 fault;			/* KP_F_NONE: Bv03 or La01 */
	char		 omschrijving[256];
	char		 message_id[48];	/* ours */
	char		 answer_root[32];	/* Bv03, Fo03, dosLa01 */
	uint64_t	 verwacht;		/* KP030: verwachtVolgnummer */
	char		*response;		/* the verified signed answer */
	size_t		 response_len;
};

struct kp_client	*kp_client_new(struct kp_gateway *gw,
			    const struct kp_profile *partner, struct kp_err *err);
void			 kp_client_free(struct kp_client *c);
/*
 * Connect to HOST:PORT whatever the endpoint's URL says (its host, the
 * wsa:To, unchanged): the test tools' way to one node of several behind
 * one address.
 */
int	kp_client_connect_to(struct kp_client *c, const char *hostport);

/*
 * Count one exchange in the metrics (metrics.h): its time as curl saw it,
 * a failed TLS handshake, and its outcome (answered: a verified Bv03 or
 * Fo03 came back; fault: which Fo03).
 */
void	kp_client_account(CURL *h, CURLcode rc, const char *berichtcode,
	    int answered, kp_fault fault);

/*
 * Sign body_root, send it, verify the answer, record both and the audit row
 * in the store.  KP_OK when a verified answer (Bv03 or Fo03) came back; the
 * outcome says which.  Transport and verification failures return an error.
 */
int	kp_client_exchange(struct kp_client *c, xmlNodePtr body_root,
	    struct kp_outcome *out, struct kp_err *err);
void	kp_outcome_clear(struct kp_outcome *o);
/*
 * The kd:antwoord of the verified dosLa01 in o->response, in *doc (the
 * caller frees it); NULL with err set when it is not one.
 */
xmlNodePtr kp_outcome_antwoord(const struct kp_outcome *o, xmlDocPtr *doc,
	    struct kp_err *err);

/* What a new connection's TLS context is given (kp_client_configure). */
struct kp_signer;
struct kp_client_tls {
	const char		*oin;		/* the partner's, checked */
	const struct kp_signer	*signer;	/* our certificate, chain, key */
};

/*
 * Set up an easy handle for partner: mutual TLS with our certificate, the
 * protocol's versions and ciphers, the server's OIN checked against the
 * profile, https only, bounded times.  partner and tls (filled in here)
 * must outlive the handle.
 */
void	kp_client_configure(CURL *h, struct kp_gateway *gw,
	    const struct kp_profile *partner, struct kp_client_tls *tls);

/*
 * Put a composed request on h as the POST body with the protocol's
 * headers (Content-Type, the quoted SOAPAction, no 100-continue).  The
 * header list is the caller's to free after the transfer; NULL when out
 * of memory.  req must outlive the transfer.
 */
struct kp_composed;
struct curl_slist *kp_client_post(CURL *h, const struct kp_composed *req);

/* libcurl write callback into the struct kp_buf given as its data. */
size_t	kp_client_collect(char *data, size_t size, size_t nmemb, void *buf);

/*
 * Verify a partner's signed answer to the request we composed; used by the
 * client and by the delivery worker.  Fills out->fault/omschrijving.
 */
struct kp_composed;
int	kp_answer_verify(struct kp_gateway *gw, const struct kp_profile *partner,
	    const struct kp_composed *request, const char *bytes, size_t len,
	    struct kp_outcome *out, struct kp_err *err);

#endif
