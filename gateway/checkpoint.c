#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "checkpoint.h"
#include "client.h"
#include "config.h"
#include "gateway.h"
#include "kd.h"
#include "log.h"
#include "profile.h"
#include "store.h"
#include "tls.h"
#include "util.h"
#include "wss.h"

int
kp_checkpoint_text(const char *oin, int64_t seq, const char *hash,
    const char *at, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "ketenpoort-checkpoint:1\n%s\n%lld\n%s\n"
	    "%s\n", oin, (long long)seq, hash, at);

	return KP_TRUNCATED(n, outlen) ? -1 : n;
}

/* The seq of the last checkpoint we made: has the head moved since? */
static int
note_last(void *arg, const struct kp_checkpoint *c)
{
	*(int64_t *)arg = c->seq;
	return 0;
}

int
kp_checkpoint_make(struct kp_gateway *gw, int *made, struct kp_err *err)
{
	unsigned char sig[1024];
	char text[256], hash[65], at[32], sig_b64[1400];
	struct kp_checkpoint c = { 0 };
	const struct kp_signer *signer = gw->signer;	/* once: see compose.c */
	EVP_MD_CTX *ctx;
	size_t siglen = sizeof(sig);
	int64_t seq, last = -1;
	int n, ok, ret;

	*made = 0;
	if ((ret = kp_store_newest_checkpoint(gw->store, note_last, &last,
	    err)) != KP_OK ||
	    (ret = kp_store_audit_head(gw->store, &seq, hash, err)) != KP_OK)
		return ret;
	/* Nothing new since the last one but its own audit entry: no news. */
	if (seq == 0 || seq <= last + 1)
		return KP_OK;
	kp_time_iso(kp_now_ms(), at);
	if ((n = kp_checkpoint_text(gw->cfg->oin, seq, hash, at, text,
	    sizeof(text))) < 0)
		return kp_fail(err, KP_ERR_CRYPTO, "checkpoint text too long");
	ok = (ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    signer->checkpoint_pkey) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)text,
	    (size_t)n) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return kp_fail(err, KP_ERR_CRYPTO, "cannot sign the checkpoint");
	EVP_EncodeBlock((unsigned char *)sig_b64, sig, (int)siglen);
	c.seq = seq;
	c.hash = hash;
	c.at = at;
	c.signature = sig_b64;
	c.cert = signer->cert_b64;
	if ((ret = kp_store_checkpoint_add(gw->store, &c, err)) != KP_OK)
		return ret;
	*made = 1;
	return KP_OK;
}

/* Decode base64 into a malloc'd buffer; NULL when it is not base64. */
static unsigned char *
unbase64(const char *b64, size_t *len)
{
	size_t in = strlen(b64), pad = 0;
	unsigned char *out;
	int n;

	if (in == 0 || in % 4 != 0 || (out = malloc(in / 4 * 3 + 1)) == NULL)
		return NULL;
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)in)) < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as data */
	while (pad < 2 && in > pad && b64[in - 1 - pad] == '=')
		pad++;
	*len = (size_t)n - pad;
	return out;
}

int
kp_checkpoint_verify(X509_STORE *trust, const char *oin,
    const struct kp_checkpoint *c, struct kp_err *err)
{
	unsigned char *der = NULL, *sig = NULL;
	const unsigned char *p;
	char text[256], signer_oin[21];
	size_t derlen = 0, siglen = 0;
	int64_t at_ms;
	X509 *cert = NULL;
	EVP_MD_CTX *ctx = NULL;
	int n, ret;

	if (c->at == NULL || kp_time_parse_iso(c->at, &at_ms) != 0)
		return kp_fail(err, KP_ERR_CRYPTO, "its time \"%s\" is not a "
		    "time", c->at != NULL ? c->at : "");
	if ((n = kp_checkpoint_text(oin, c->seq, c->hash != NULL ? c->hash : "",
	    c->at, text, sizeof(text))) < 0)
		return kp_fail(err, KP_ERR_CRYPTO, "its fields are too long");
	if (c->cert == NULL || (der = unbase64(c->cert, &derlen)) == NULL) {
		ret = kp_fail(err, KP_ERR_CRYPTO, "its certificate is not base64");
		goto out;
	}
	p = der;
	if ((cert = d2i_X509(NULL, &p, (long)derlen)) == NULL ||
	    p != der + derlen) {
		ret = kp_fail(err, KP_ERR_CRYPTO, "its certificate is not one DER "
		    "certificate");
		goto out;
	}
	if (kp_cert_oin(cert, signer_oin) != 0 || strcmp(signer_oin, oin) != 0) {
		ret = kp_fail(err, KP_ERR_CRYPTO, "it was signed by another "
		    "organisation than %s", oin);
		goto out;
	}
	if ((ret = kp_trust_check(trust, cert, at_ms, err)) != KP_OK) {
		char why[sizeof(err->msg)];

		memcpy(why, err->msg, sizeof(why));
		ret = kp_fail(err, KP_ERR_CRYPTO, "its certificate was not valid "
		    "at %s: %s", c->at, why);
		goto out;
	}
	if (c->signature == NULL ||
	    (sig = unbase64(c->signature, &siglen)) == NULL) {
		ret = kp_fail(err, KP_ERR_CRYPTO, "its signature is not base64");
		goto out;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
	    X509_get0_pubkey(cert)) != 1 ||
	    EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)text,
	    (size_t)n) != 1)
		ret = kp_fail(err, KP_ERR_CRYPTO, "its signature does not match "
		    "entry %lld with hash %s at %s", (long long)c->seq,
		    c->hash != NULL ? c->hash : "", c->at);
	else
		ret = KP_OK;
out:
	EVP_MD_CTX_free(ctx);
	X509_free(cert);
	free(der);
	free(sig);
	return ret;
}

/* The newest checkpoint of ours, copied out. */
struct newest {
	int64_t	id, seq;
	char	hash[65], at[32], *signature, *cert;
};

static int
note_newest(void *arg, const struct kp_checkpoint *c)
{
	struct newest *n = arg;

	n->id = c->id;
	n->seq = c->seq;
	snprintf(n->hash, sizeof(n->hash), "%s", c->hash);
	snprintf(n->at, sizeof(n->at), "%s", c->at);
	n->signature = strdup(c->signature);
	n->cert = strdup(c->cert);
	return n->signature == NULL || n->cert == NULL;
}

int
kp_checkpoint_send(struct kp_gateway *gw, size_t *sent, struct kp_err *err)
{
	struct newest n = { 0 };
	int ret;

	*sent = 0;
	if ((ret = kp_store_newest_checkpoint(gw->store, note_newest, &n,
	    err)) != KP_OK || n.id == 0)
		goto out;
	const struct kp_profiles *ps = gw->profiles;	/* one generation */

	for (size_t i = 0; i < ps->n; i++) {
		const struct kp_profile *p = &ps->v[i];
		struct kp_kd_reply r = { gw->cfg->oin, gw->cfg->application,
		    p->oin, NULL, NULL };
		struct kp_outcome o = { 0 };
		struct kp_client *client;
		struct kp_err e;
		xmlDocPtr doc;
		int done = 0;

		if (p->endpoint == NULL || kp_store_checkpoint_was_sent(gw->store,
		    n.id, p->oin, &done, &e) != KP_OK || done)
			continue;
		if ((doc = kp_kd_checkpoint(&r, n.seq, n.hash, n.at, n.signature,
		    n.cert, &e)) == NULL ||
		    (client = kp_client_new(gw, p, &e)) == NULL) {
			xmlFreeDoc(doc);
			log_warnx("checkpoint %lld to %s: %s", (long long)n.id,
			    p->naam, e.msg);
			continue;
		}
		if (kp_client_exchange(client, xmlDocGetRootElement(doc), &o,
		    &e) != KP_OK)
			log_warnx("checkpoint %lld to %s (%s): %s; sent again "
			    "later", (long long)n.id, p->naam, p->oin, e.msg);
		else if (o.fault != KP_F_NONE)
			log_warnx("checkpoint %lld to %s (%s): %s %s",
			    (long long)n.id, p->naam, p->oin,
			    kp_fault_code(o.fault), o.omschrijving);
		else if (kp_store_checkpoint_mark_sent(gw->store, n.id, p->oin,
		    &e) == KP_OK)
			(*sent)++;
		kp_outcome_clear(&o);
		kp_client_free(client);
		xmlFreeDoc(doc);
	}
out:
	free(n.signature);
	free(n.cert);
	return ret;
}

void
kp_checkpoint_tick(void *arg)
{
	struct kp_gateway *gw = arg;
	struct kp_err err;
	size_t sent;
	int made;

	/* one node of those sharing the store runs it */
	if (!kp_store_leader(gw->store, "checkpoint"))
		return;
	if (kp_checkpoint_make(gw, &made, &err) != KP_OK)
		log_warnx("audit checkpoint: %s", err.msg);
	else if (kp_checkpoint_send(gw, &sent, &err) != KP_OK)
		log_warnx("audit checkpoint: %s", err.msg);
	else if (made || sent > 0)
		log_info("audit checkpoint: %s, sent to %zu partners to witness",
		    made ? "signed the chain's head" : "no new entries", sent);
}
