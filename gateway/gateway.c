#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "auditlog.h"
#include "certcache.h"
#include "config.h"
#include "gateway.h"
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

/* A pseudonym from the key process (kp_store_set_pseudonym). */
static int
asked_pseudonym(void *link, const char *bsn, char out[65])
{
	unsigned char mac[32];
	size_t len = sizeof(mac);

	if (kp_keylink_ask(link, KP_KEYOP_HMAC, KP_KEY_AUDIT, KP_KEYALG_NONE,
	    KP_KEYMD_SHA256, bsn, strlen(bsn), mac, &len) != KP_KEYST_OK ||
	    len != sizeof(mac))
		return -1;
	kp_hex(mac, sizeof(mac), out);
	return 0;
}

static struct kp_gateway *open_gateway(const char *config_path,
    const char *store_path, int flags, struct kp_keylink *link,
    FILE *problems, struct kp_err *err);

struct kp_gateway *
kp_gateway_open_store(const char *config_path, const char *store_path,
    int flags, FILE *problems, struct kp_err *err)
{
	return open_gateway(config_path, store_path, flags, NULL, problems, err);
}

struct kp_gateway *
kp_gateway_open_keys(const char *config_path, struct kp_keylink *link,
    FILE *problems, struct kp_err *err)
{
	return open_gateway(config_path, NULL, 0, link, problems, err);
}

static struct kp_gateway *
open_gateway(const char *config_path, const char *store_path, int flags,
    struct kp_keylink *link, FILE *problems, struct kp_err *err)
{
	struct kp_gateway *gw;
	struct kp_config *cfg;
	struct kp_profiles *profiles;
	X509_STORE *trust;
	struct kp_err e;
	int bad = 0;

	if ((gw = calloc(1, sizeof(*gw))) == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
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
	gw->keys = link;
	if ((gw->signer = link != NULL ? kp_signer_remote(gw->cfg->cert,
	    kp_keylink_ask, link, &e) : kp_signer_load(gw->cfg->cert,
	    gw->cfg->key, 0, &e)) == NULL) {
		note(problems, err, &bad, &e, 0);
	} else if (strcmp(gw->signer->oin, gw->cfg->oin) != 0) {
		kp_fail(&e, KP_ERR_CONFIG,
		    "%s: certificate %s carries OIN %s, but oin is %s",
		    gw->cfg->path, gw->cfg->cert, gw->signer->oin, gw->cfg->oin);
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
	if (gw->store != NULL && link != NULL) {
		/* the key process made the audit key file if it was missing */
		kp_store_set_pseudonym(gw->store, asked_pseudonym, link);
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
	kp_store_close(gw->store);
	kp_signer_free(gw->signer);
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
