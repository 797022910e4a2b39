#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "auditlog.h"
#include "certcache.h"
#include "config.h"
#include "gateway.h"
#include "notifyq.h"
#include "keylink.h"
#include "keyproc.h"
#include "log.h"
#include "profile.h"
#include "schema.h"
#include "store.h"
#include "tls.h"
#include "util.h"
#include "wss.h"
#include "xmlsafe.h"

/* What kp_gateway_renew replaced, and since when. */
struct kp_retired_signer {
	struct kp_signer	*signer;
	struct kp_keylink	*link;		/* its key process's, or NULL */
	time_t			 since;
};

int
kp_libraries_init(struct kp_err *err)
{
	kp_xml_init();
	if (kp_wss_init(err) != KP_OK)
		return KP_ERR_CRYPTO;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return kp_fail(err, KP_ERR_TRANSPORT, "libcurl initialisation failed");
	return KP_OK;
}

void
kp_libraries_cleanup(void)
{
	curl_global_cleanup();
	kp_wss_cleanup();
	kp_xml_cleanup();
}

static struct kp_schema *
load_schema(const struct kp_config *cfg, const char *file, int redact,
    struct kp_err *err)
{
	struct kp_schema *s;
	char *path;

	if (asprintf(&path, "%s/%s", cfg->xsd_dir, file) == -1) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	s = kp_schema_load(path, redact, err);
	free(path);
	return s;
}

/* A step failed with e: tell problems, keep the first in err. */
static void
note(FILE *problems, struct kp_err *err, int *bad, const struct kp_err *e,
    int printed)
{
	if (problems != NULL && !printed)
		fprintf(problems, "%s\n", e->msg);
	if ((*bad)++ == 0 && err != NULL)
		*err = *e;
}

struct kp_gateway *
kp_gateway_open(const char *config_path, int flags, FILE *problems,
    struct kp_err *err)
{
	return kp_gateway_open_store(config_path, NULL, flags, problems, err);
}

static struct kp_gateway *open_gateway(const char *config_path,
    const char *store_path, int flags, struct kp_keyctl *ctl,
    struct kp_keylink *link, FILE *problems, struct kp_err *err);

struct kp_gateway *
kp_gateway_open_store(const char *config_path, const char *store_path,
    int flags, FILE *problems, struct kp_err *err)
{
	return open_gateway(config_path, store_path, flags, NULL, NULL, problems,
	    err);
}

struct kp_gateway *
kp_gateway_open_keys(const char *config_path, struct kp_keyctl *ctl,
    struct kp_keylink *link, FILE *problems, struct kp_err *err)
{
	return open_gateway(config_path, NULL, 0, ctl, link, problems, err);
}

static struct kp_gateway *
open_gateway(const char *config_path, const char *store_path, int flags,
    struct kp_keyctl *ctl, struct kp_keylink *link, FILE *problems,
    struct kp_err *err)
{
	struct kp_gateway *gw;
	struct kp_config *cfg;
	struct kp_profiles *profiles;
	X509_STORE *trust;
	struct kp_signer *signer;
	struct kp_err e;
	int bad = 0;

	if ((gw = calloc(1, sizeof(*gw))) == NULL) {
		kp_keylink_free(link);
		kp_keyctl_free(ctl);
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	gw->keyctl = ctl;
	gw->keys = link;
	/* the atomic members are set from plain locals (C11 6.5.16.1) */
	if ((cfg = kp_config_load(config_path, problems, err)) == NULL)
		goto fail;
	gw->cfg = cfg;
	/* From here on, report every problem, not just the first. */
	if ((gw->kd_schema = load_schema(gw->cfg, "ketendossier.xsd", 1, &e)) == NULL)
		note(problems, err, &bad, &e, 0);
	if ((gw->profile_schema = load_schema(gw->cfg, "profile.xsd", 0, &e)) == NULL)
		note(problems, err, &bad, &e, 0);
	else if ((profiles = kp_profiles_load(cfg->profiles,
	    gw->profile_schema, problems, &e)) == NULL)
		note(problems, err, &bad, &e, 1);
	else
		gw->profiles = profiles;
	if ((trust = kp_trust_new(cfg->ca, cfg->crl, &e)) == NULL) {
		note(problems, err, &bad, &e, 0);
	} else {
		gw->trust = trust;
		if ((gw->certs = kp_certcache_new(trust,
		    KP_CERT_RECHECK_S)) == NULL) {
			kp_fail(&e, KP_ERR_NOMEM, "out of memory");
			note(problems, err, &bad, &e, 0);
		}
	}
	signer = link != NULL ? kp_signer_remote(gw->cfg->cert, kp_keylink_ask,
	    link, &e) : kp_signer_load(gw->cfg->cert, gw->cfg->key, 0, &e);
	gw->signer = signer;	/* an _Atomic assignment has no value for clang */
	if (signer == NULL) {
		note(problems, err, &bad, &e, 0);
	} else if (strcmp(signer->oin, gw->cfg->oin) != 0) {
		kp_fail(&e, KP_ERR_CONFIG,
		    "%s: certificate %s carries OIN %s, but oin is %s",
		    gw->cfg->path, gw->cfg->cert, signer->oin, gw->cfg->oin);
		note(problems, err, &bad, &e, 0);
	}
	if (bad)
		goto fail;
	if (!(flags & KP_GW_NO_STORE) &&
	    ((gw->store = kp_store_open_mode(store_path != NULL ? store_path :
	    gw->cfg->store, (flags & KP_GW_AUDITOR) != 0, &e)) == NULL ||
	    kp_store_limit(gw->store, gw->cfg->store_max_mb, &e) != KP_OK)) {
		note(problems, err, &bad, &e, 0);
		goto fail;
	}
	/* every change to the dossier, from any process, notifies */
	if (gw->store != NULL && !(flags & KP_GW_AUDITOR) &&
	    gw->cfg->read_url != NULL) {
		if ((gw->notifier = kp_notifier_new(gw->cfg->read_url,
		    gw->cfg->oin, &e)) == NULL) {
			note(problems, err, &bad, &e, 0);
			goto fail;
		}
		kp_notifier_attach(gw->notifier, gw->store);
	}
	if (gw->store != NULL && link != NULL) {
		/* the key process made the audit key file if it was missing */
		kp_store_set_pseudonym(gw->store, kp_keylink_pseudonym, link);
	} else if (gw->store != NULL) {
		unsigned char key[KP_AUDIT_KEY_LEN];
		int created;

		if ((flags & KP_GW_AUDITOR) && access(gw->cfg->audit_key,
		    F_OK) != 0)
			return gw;	/* a look without pseudonyms */
		if (kp_audit_key_load(gw->cfg->audit_key,
		    !(flags & KP_GW_AUDITOR), key, &created, &e) != KP_OK) {
			note(problems, err, &bad, &e, 0);
			goto fail;
		}
		if (created)
			log_warnx("made a new audit key %s: keep a copy of it "
			    "with the store's backups; without it no audit entry "
			    "can be found by BSN", gw->cfg->audit_key);
		kp_store_set_audit_key(gw->store, key);
		OPENSSL_cleanse(key, sizeof(key));
	}
	return gw;
fail:
	kp_gateway_close(gw);
	return NULL;
}

/* Log each line of a memstream's text as a warning of the reload. */
static void
log_lines(char *text)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		kp_log(KP_LOG_WARN, "reload", "%s", line);
}

int
kp_gateway_reload(struct kp_gateway *gw, struct kp_err *err)
{
	struct kp_config *running = gw->cfg, *next;
	struct kp_profiles *profiles = NULL;
	X509_STORE *trust = NULL, **retired;
	char *text = NULL;
	size_t len = 0;
	FILE *notes;
	int changed;

	if ((notes = open_memstream(&text, &len)) == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	if ((next = kp_config_load(running->path, notes, err)) != NULL &&
	    (profiles = kp_profiles_load(next->profiles, gw->profile_schema,
	    notes, err)) == NULL) {
		kp_config_free(next);
		next = NULL;
	}
	if (next == NULL) {
		fclose(notes);
		log_lines(text);
		free(text);
		log_warnx("reload refused: the running configuration and "
		    "profiles stay; correct the problems above and send SIGHUP "
		    "again");
		return err->status;
	}
	changed = kp_config_keep_running(next, running, notes);
	fclose(notes);
	log_lines(text);
	free(text);
	/* ca and crl keep their paths (bound at start); their files are new. */
	if (changed < 0 || (trust = kp_trust_new(next->ca, next->crl,
	    err)) == NULL || (retired = reallocarray(gw->retired,
	    gw->nretired + 1, sizeof(*retired))) == NULL) {
		if (trust != NULL) {
			X509_STORE_free(trust);
			kp_fail(err, KP_ERR_NOMEM, "out of memory");
		} else if (changed < 0)
			kp_fail(err, KP_ERR_NOMEM, "out of memory");
		kp_profiles_free(profiles);
		kp_config_free(next);
		log_warnx("%s", err->msg);
		log_warnx("reload refused: the running configuration, profiles "
		    "and trust store stay; correct the problem and send SIGHUP "
		    "again");
		return err->status;
	}
	next->older = running;
	profiles->older = gw->profiles;
	gw->retired = retired;
	gw->retired[gw->nretired++] = gw->trust;
	gw->cfg = next;
	gw->profiles = profiles;
	gw->trust = trust;
	kp_certcache_set_trust(gw->certs, trust);
	kp_log_set_level((enum kp_log_level)next->log_level);
	log_info("reloaded %s: %zu partner profiles; CA certificates%s read "
	    "again", next->path, profiles->n, next->crl != NULL ?
	    " and CRL" : "");
	return KP_OK;
}

void
kp_gateway_close(struct kp_gateway *gw)
{
	if (gw == NULL)
		return;
	kp_notifier_free(gw->notifier, gw->store);
	kp_store_close(gw->store);
	kp_signer_free(gw->signer);
	for (size_t i = 0; i < gw->nold_signers; i++) {
		kp_signer_free(gw->old_signers[i].signer);
		kp_keylink_free(gw->old_signers[i].link);
	}
	free(gw->old_signers);
	kp_keylink_free(gw->keys);
	kp_keyctl_free(gw->keyctl);
	kp_certcache_free(gw->certs);
	X509_STORE_free(gw->trust);
	for (size_t i = 0; i < gw->nretired; i++)
		X509_STORE_free(gw->retired[i]);
	free(gw->retired);
	kp_profiles_free(gw->profiles);
	kp_schema_free(gw->kd_schema);
	kp_schema_free(gw->profile_schema);
	kp_config_free(gw->cfg);
	free(gw);
}


/* In-flight uses end within send_timeout (at most 10 min): 15 is ample. */
#define KP_RETIRED_KEEP_S	(15 * 60)

/* Keep s and link until KP_RETIRED_KEEP_S from now; free older ones. */
static int
retire(struct kp_gateway *gw, struct kp_signer *s, struct kp_keylink *link)
{
	struct kp_retired_signer *v;
	time_t now = time(NULL);
	size_t kept = 0;

	for (size_t i = 0; i < gw->nold_signers; i++) {
		struct kp_retired_signer *r = &gw->old_signers[i];

		if (now - r->since > KP_RETIRED_KEEP_S) {
			kp_signer_free(r->signer);
			kp_keylink_free(r->link);
		} else
			gw->old_signers[kept++] = *r;
	}
	gw->nold_signers = kept;
	if ((v = reallocarray(gw->old_signers, kept + 1, sizeof(*v))) == NULL)
		return -1;
	gw->old_signers = v;
	v[kept] = (struct kp_retired_signer){ s, link, now };
	gw->nold_signers++;
	return 0;
}

/* A certificate's serial (hex) and end of validity, for the log. */
static void
cert_facts(X509 *cert, char *serial, size_t len, char until[32])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	struct tm tm;

	snprintf(serial, len, "%s", hex != NULL ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
		strftime(until, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(until, 32, "?");
}

int
kp_gateway_renew(struct kp_gateway *gw)
{
	const struct kp_config *cfg = gw->cfg;
	struct kp_signer *now = gw->signer, *next;
	struct kp_keylink *link = NULL, *use = gw->keys;
	struct kp_err e;
	char serial[64] = "?", until[32] = "?";
	pid_t pid = 0;
	int fd;

	if (gw->keyctl != NULL && (fd = kp_keyctl_take_renewal(gw->keyctl,
	    &pid)) != -1 && (use = link = kp_keylink_new(fd, pid,
	    gw->keyctl)) == NULL) {
		log_warnx("SIGHUP: the key process started for the renewal "
		    "does not answer; the running certificate and key stay");
		return -1;
	}
	next = use != NULL ? kp_signer_remote(cfg->cert, kp_keylink_ask, use,
	    &e) : kp_signer_load(cfg->cert, cfg->key, 0, &e);
	if (next == NULL) {
		log_warnx("SIGHUP: %s; the running certificate and key stay "
		    "(renew both files, then SIGHUP again)", e.msg);
		kp_keylink_free(link);
		return -1;
	}
	if (strcmp(next->oin, cfg->oin) != 0) {
		log_warnx("SIGHUP: the certificate %s carries OIN %s, but oin is "
		    "%s: partners know us by that one; the running certificate "
		    "and key stay", cfg->cert, next->oin, cfg->oin);
		kp_signer_free(next);
		kp_keylink_free(link);
		return -1;
	}
	if (X509_cmp(now->cert, next->cert) == 0) {
		kp_signer_free(next);	/* the same certificate: the same key */
		kp_keylink_free(link);
		return 0;
	}
	if (retire(gw, now, link != NULL ? gw->keys : NULL) != 0) {
		log_warnx("SIGHUP: out of memory; the running certificate and "
		    "key stay");
		kp_signer_free(next);
		kp_keylink_free(link);
		return -1;
	}
	if (link != NULL) {
		gw->keys = link;
		if (gw->store != NULL)
			kp_store_set_pseudonym(gw->store, kp_keylink_pseudonym,
			    link);
	}
	gw->signer = next;
	cert_facts(next->cert, serial, sizeof(serial), until);
	log_info("SIGHUP: renewed: certificate %s (serial %s, valid until %s)%s; "
	    "new handshakes and signatures use it, those in flight finish "
	    "with the old", cfg->cert, serial, until, link != NULL ?
	    ", with a new key in a new key process" : "");
	return 1;
}
