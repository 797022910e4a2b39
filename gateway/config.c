#include "autoconf.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditors.h"
#include "config.h"
#include "localauth.h"
#include "subsfile.h"
#include "pkcs11.h"
#include "db.h"
#include "util.h"

#define KP_CONFIG_MAX_SIZE	(1024 * 1024)

enum opt_type { OPT_STRING, OPT_PATH, OPT_INT, OPT_OIN };

struct opt {
	const char	*name;
	enum opt_type	 type;
	size_t		 offset;
	int		 required;
	int64_t		 min, max, def;	/* OPT_INT */
	const char	*def_str;	/* OPT_STRING / OPT_PATH default */
	const char	*help;
};

#define OFF(f) offsetof(struct kp_config, f)

static const struct opt options[] = {
	{ "oin", OPT_OIN, OFF(oin), 1, 0, 0, 0, NULL,
	  "our organisation's OIN (20 digits), as in our certificate" },
	{ "name", OPT_STRING, OFF(name), 1, 0, 0, 0, NULL,
	  "our organisation's name, for people" },
	{ "application", OPT_STRING, OFF(application), 0, 0, 0, 0, "ketenpoort",
	  "zender/applicatie in the messages we send (3 to 50 characters)" },
	{ "listen", OPT_STRING, OFF(listen), 1, 0, 0, 0, NULL,
	  "address:port of the partner listener, e.g. 127.0.0.1:8443" },
	{ "endpoint", OPT_STRING, OFF(endpoint), 1, 0, 0, 0, NULL,
	  "our endpoint URL as partners address it (checked against wsa:To)" },
	{ "cert", OPT_PATH, OFF(cert), 1, 0, 0, 0, NULL,
	  "our certificate (PEM): TLS server, TLS client and signing" },
	{ "key", OPT_PATH, OFF(key), 1, 0, 0, 0, NULL,
	  "our private key (PEM; must not be readable by group or others), or "
	  "an RFC 7512 pkcs11: URI naming it in a token (with pin-source, a PIN "
	  "file of mode 0600, and module-path)" },
	{ "ca", OPT_PATH, OFF(ca), 1, 0, 0, 0, NULL,
	  "trust store: CA certificates (PEM) that partner certificates chain to" },
	{ "crl", OPT_PATH, OFF(crl), 0, 0, 0, 0, NULL,
	  "certificate revocation list (PEM); when set, revoked peers are refused" },
	{ "store", OPT_PATH, OFF(store), 1, 0, 0, 0, NULL,
	  "the SQLite store of this gateway" },
	{ "audit_key", OPT_PATH, OFF(audit_key), 0, 0, 0, 0, NULL,
	  "the key of the citizens' pseudonyms in the audit log (64 hex "
	  "digits, mode 0600; made on first start when absent: keep a backup, "
	  "without it no audit entry can be found by BSN); default: the store's "
	  "path with .audit-key appended" },
	{ "profiles", OPT_PATH, OFF(profiles), 1, 0, 0, 0, NULL,
	  "directory with one partner profile (*.xml) per partner" },
	{ "local_socket", OPT_PATH, OFF(local_socket), 0, 0, 0, 0, NULL,
	  "Unix socket of the local interface for the party's own systems "
	  "(mode 0660: who may write to it may change the dossier)" },
	{ "admin_listen", OPT_STRING, OFF(admin_listen), 0, 0, 0, 0, NULL,
	  "address:port of the operator's listener, plain HTTP: GET /healthz "
	  "(200 ready, 503 with what is wrong) and GET /metrics (Prometheus); "
	  "bind it to loopback or a management network, never to partners" },
	{ "user", OPT_STRING, OFF(user), 0, 0, 0, 0, NULL,
	  "the account to run as when started as root: root is dropped after "
	  "the listeners are bound and the keys read; the store and its "
	  "directory must belong to it" },
	{ "xsd_dir", OPT_PATH, OFF(xsd_dir), 0, 0, 0, 0, KP_XSD_DIR,
	  "directory with ketendossier.xsd and profile.xsd" },
	{ "max_body", OPT_INT, OFF(max_body), 0, 1024, 64 * 1024 * 1024,
	  4 * 1024 * 1024, NULL, "largest request body in bytes (HTTP 413 above)" },
	{ "max_connections", OPT_INT, OFF(max_connections), 0, 1, 65536, 256,
	  NULL, "most partner connections open at once" },
	{ "threads", OPT_INT, OFF(threads), 0, 0, 256, 0, NULL,
	  "worker threads; 0 means one per core" },
	{ "clock_skew", OPT_INT, OFF(clock_skew), 0, 0, 3600, 60, NULL,
	  "seconds a Timestamp's Created may lie in the future" },
	{ "timestamp_lifetime", OPT_INT, OFF(timestamp_lifetime), 0, 10, 3600,
	  300, NULL, "seconds between Created and Expires in what we sign" },
	{ "max_lifetime", OPT_INT, OFF(max_lifetime), 0, 10, 3600, 3600, NULL,
	  "longest Timestamp lifetime we accept, in seconds" },
	{ "timestamp_max_age", OPT_INT, OFF(timestamp_max_age), 0, 10, 3600,
	  300, NULL, "oldest a Timestamp's Created may be, in seconds, when it "
	  "has no Expires (Digikoppeling WB002 makes Expires optional)" },
	{ "idle_timeout", OPT_INT, OFF(idle_timeout), 0, 1, 3600, 60, NULL,
	  "seconds an idle kept-alive connection stays open" },
	{ "handshake_timeout", OPT_INT, OFF(handshake_timeout), 0, 1, 300, 10,
	  NULL, "seconds from accept in which a partner's TLS handshake must be "
	  "done, however many bytes it sends; then the connection is closed" },
	{ "header_timeout", OPT_INT, OFF(header_timeout), 0, 1, 300, 10, NULL,
	  "seconds from a request's first byte in which its request line and "
	  "headers must have arrived (every listener)" },
	{ "min_body_rate", OPT_INT, OFF(min_body_rate), 0, 0, 1073741824, 16384,
	  NULL, "bytes per second a request body must keep up on average after "
	  "its first second (so the largest body, max_body, may take "
	  "max_body / min_body_rate seconds); 0: no floor" },
	{ "max_pending_writes", OPT_INT, OFF(max_pending_writes), 0, 1,
	  1048576, 4096, NULL, "writes waiting for the store beyond which a "
	  "partner's new request is answered 503 with Retry-After (load "
	  "shedding: the partner resends; nothing is lost)" },
	{ "max_unauthenticated_per_address", OPT_INT,
	  OFF(max_unauthenticated_per_address), 0, 1, 65536, 16, NULL,
	  "connections from one source address whose TLS handshake is not done "
	  "yet; more are closed at once.  All connections that are not "
	  "authenticated share a quarter of max_connections besides, so they "
	  "never take a partner's slot" },
	{ "key_process", OPT_INT, OFF(key_process), 0, 0, 1, 1, NULL,
	  "1: the private keys live in a process of their own, which only "
	  "signs digests; the process that reads partners' bytes holds none "
	  "(the default); 0: in that process (only to measure what the key "
	  "process costs: a memory-safety bug in a parser then reaches the keys)" },
	{ "log_level", OPT_INT, OFF(log_level), 0, 0, 2, 1, NULL,
	  "0 warnings only, 1 info, 2 debug" },
	{ "store_max_mb", OPT_INT, OFF(store_max_mb), 0, 0, 1048576, 0, NULL,
	  "largest the store may grow, in MiB; when full, partners get KP050 "
	  "(resend later) and nothing is acknowledged; 0: up to the disk" },
	{ "send_timeout", OPT_INT, OFF(send_timeout), 0, 1, 600, 30, NULL,
	  "seconds one exchange with a partner may take (connect, send, "
	  "answer) before it counts as failed and is retried" },
	{ "node", OPT_STRING, OFF(node), 0, 0, 0, 0, NULL,
	  "this node's name among several sharing one PostgreSQL store (the "
	  "holder of an outgoing stream's lease; each node its own); default "
	  "the host's name" },
	{ "lease_timeout", OPT_INT, OFF(lease_timeout), 0, 5, 3600, 45, NULL,
	  "seconds a node's claim on an outgoing stream lasts unless renewed, "
	  "with several nodes on one PostgreSQL store: when a node dies, "
	  "another continues its streams after this long.  Must exceed "
	  "send_timeout by 2, so that every send ends inside its lease" },
	{ "partitions", OPT_INT, OFF(partitions), 0, 1, 1024, 8, NULL,
	  "streams per partner we send on (P of PROTOCOL.md 4.1); change only "
	  "with an empty outbox" },
	{ "sync_verify_interval", OPT_INT, OFF(sync_verify_interval), 0, 0,
	  31 * 86400, 86400, NULL,
	  "seconds between the daemon's digest checks with each partner we "
	  "send to (PROTOCOL.md 4.3; differences are logged and shown by sync "
	  "status); 0: never" },
	{ "checkpoint_interval", OPT_INT, OFF(checkpoint_interval), 0, 0,
	  7 * 86400, 3600, NULL,
	  "seconds between signed checkpoints of the audit chain's head, sent "
	  "to every partner to witness (also one at shutdown); 0: only at "
	  "shutdown" },
	{ "consent_check_interval", OPT_INT, OFF(consent_check_interval), 0, 0,
	  86400, 86400, NULL,
	  "seconds between full consent checks (besides one at start and one "
	  "when the date changes): consents whose einddatum passed stop, what "
	  "was disclosed on them alone is retracted; those whose ingangsdatum "
	  "came start; 0: only at start and at midnight" },
	{ "context_contacts", OPT_INT, OFF(context_contacts), 0, 0, 10000, 50,
	  NULL, "contacts (KCT) in an answer to a context question: the newest "
	  "this many the asker may see; 0: none" },
	{ "read_listen", OPT_STRING, OFF(read_listen), 0, 0, 0, 0, NULL,
	  "address:port of the local read API for the organisation's own "
	  "systems (HTTPS with our certificate): a record and a citizen's "
	  "dossier as JSON, the subscriptions (abonnementen); every request "
	  "with a JWT of a client in read_clients or a certificate under "
	  "read_client_ca.  Notifications point at it" },
	{ "read_url", OPT_STRING, OFF(read_url), 0, 0, 0, 0, NULL,
	  "the read API's base URL as the organisation's systems reach it, the "
	  "start of every resourceUrl and hoofdObject (default "
	  "https://read_listen/api/v1)" },
	{ "read_clients", OPT_PATH, OFF(read_clients), 0, 0, 0, 0, NULL,
	  "the read API's JWT clients: a JSON list of {\"client_id\", "
	  "\"secret\"} (secrets of 32 characters or more; mode 0600), the "
	  "ZGW way: HS256, iat, client_id" },
	{ "read_client_ca", OPT_PATH, OFF(read_client_ca), 0, 0, 0, 0, NULL,
	  "CA certificates (PEM) of the organisation's own systems: a client "
	  "certificate under it is let in to the read API without a JWT" },
	{ "audit_listen", OPT_STRING, OFF(audit_listen), 0, 0, 0, 0, NULL,
	  "address:port of the auditor's web view (HTTPS with our "
	  "certificate): the audit log in a browser, for auditors with a "
	  "client certificate under auditor_ca whose subject is in auditors" },
	{ "auditor_ca", OPT_PATH, OFF(auditor_ca), 0, 0, 0, 0, NULL,
	  "CA certificates (PEM) of the auditors' client certificates "
	  "(PKIoverheid, UZI or the organisation's own)" },
	{ "auditors", OPT_PATH, OFF(auditors), 0, 0, 0, 0, NULL,
	  "the auditors let in to the web view: one certificate subject a "
	  "line, as openssl x509 -noout -subject -nameopt RFC2253 prints it "
	  "(without \"subject=\"); # starts a comment" },
	{ "subscriptions", OPT_PATH, OFF(subscriptions), 0, 0, 0, 0, NULL,
	  "configured subscriptions: a JSON list of Abonnementen (callbackUrl, "
	  "auth, kanalen with filters) each with a \"naam\" of its own (mode "
	  "0600: auth is a secret); taken into the store at start, those "
	  "removed from the file are removed with what waits for them" },
	{ "notify_park_after", OPT_INT, OFF(notify_park_after), 0, 60,
	  365 * 86400, 7 * 86400, NULL,
	  "seconds a notification is retried before it is parked (with the "
	  "last reason; its citizen's later ones wait behind it until "
	  "ketenpoort queue notify-retry)" },
	{ "notify_timeout", OPT_INT, OFF(notify_timeout), 0, 1, 300, 10, NULL,
	  "seconds a subscriber may take to take one notification" },
};

/*
 * What a reload (SIGHUP) changes in the running gateway; cert and key
 * through the renewal that follows it (kp_gateway_renew), which may still
 * refuse them.  Everything else is bound at start: listeners, threads,
 * store, the trust store and CRL, schedules.
 */
static const char *const reloadable[] = {
	"log_level", "context_contacts", "clock_skew", "timestamp_lifetime",
	"max_lifetime", "timestamp_max_age", "send_timeout", "application",
	"name", "cert", "key",
};

static int
is_reloadable(const char *name)
{
	for (size_t i = 0; i < sizeof(reloadable) / sizeof(reloadable[0]); i++)
		if (strcmp(reloadable[i], name) == 0)
			return 1;
	return 0;
}

int
kp_config_keep_running(struct kp_config *next, const struct kp_config *running,
    FILE *notes)
{
	int n = 0;

	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		const struct opt *o = &options[i];
		char *nb = (char *)next;
		const char *rb = (const char *)running;
		int differ;

		if (is_reloadable(o->name))
			continue;
		switch (o->type) {
		case OPT_INT:
			differ = *(int64_t *)(nb + o->offset) !=
			    *(const int64_t *)(rb + o->offset);
			*(int64_t *)(nb + o->offset) =
			    *(const int64_t *)(rb + o->offset);
			break;
		case OPT_OIN:
			differ = strcmp(nb + o->offset, rb + o->offset) != 0;
			memcpy(nb + o->offset, rb + o->offset, KP_OIN_LEN + 1);
			break;
		default: {
			char **np = (char **)(nb + o->offset);
			const char *rv = *(char *const *)(rb + o->offset);

			differ = (*np == NULL) != (rv == NULL) ||
			    (*np != NULL && strcmp(*np, rv) != 0);
			if (differ) {
				free(*np);
				*np = rv != NULL ? strdup(rv) : NULL;
				if (rv != NULL && *np == NULL)
					return -1;
			}
			break;
		}
		}
		if (differ) {
			n++;
			if (notes != NULL)
				fprintf(notes, "%s: %s changed; it takes effect at "
				    "restart, the running value stays until then\n",
				    running->path, o->name);
		}
	}
	return n;
}

int
kp_oin_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return i == KP_OIN_LEN;
}

void
kp_config_describe(FILE *out)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		const struct opt *o = &options[i];

		fprintf(out, "  %-20s %s%s\n", o->name, o->help,
		    o->required ? " (required)" : "");
	}
}

static char *
resolve_path(const char *cfgdir, const char *value)
{
	char *p;

	if (value[0] == '/' || cfgdir == NULL)
		return strdup(value);
	if (asprintf(&p, "%s/%s", cfgdir, value) == -1)
		return NULL;
	return p;
}

struct loader {
	const char	*path;
	FILE		*problems;
	struct kp_err	*err;
	int		 nproblems;
};

static void
problem(struct loader *ld, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct loader *ld, int line, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ld->problems != NULL) {
		if (line > 0)
			fprintf(ld->problems, "%s:%d: %s\n", ld->path, line, what);
		else
			fprintf(ld->problems, "%s: %s\n", ld->path, what);
	}
	if (ld->nproblems++ == 0) {
		if (line > 0)
			kp_fail(ld->err, KP_ERR_CONFIG, "%s:%d: %s", ld->path,
			    line, what);
		else
			kp_fail(ld->err, KP_ERR_CONFIG, "%s: %s", ld->path, what);
	}
}

static const struct opt *
find_option(const char *name)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

static int
set_option(struct kp_config *cfg, const struct opt *o, const char *value,
    const char *cfgdir, struct loader *ld, int line)
{
	char *base = (char *)cfg;

	switch (o->type) {
	case OPT_OIN:
		if (!kp_oin_valid(value)) {
			problem(ld, line, "%s must be 20 digits, not \"%s\"",
			    o->name, value);
			return -1;
		}
		memcpy(base + o->offset, value, KP_OIN_LEN + 1);
		return 0;
	case OPT_STRING:
	case OPT_PATH: {
		char **slot = (char **)(base + o->offset);
		/* a store may be a database server's URI: not a path */
		char *v = o->type == OPT_PATH && !(strcmp(o->name, "store") == 0 &&
		    kp_db_is_uri(value)) && !(strcmp(o->name, "key") == 0 &&
		    kp_pkcs11_is_uri(value)) ? resolve_path(cfgdir, value) :
		    strdup(value);

		if (v == NULL) {
			problem(ld, line, "out of memory");
			return -1;
		}
		free(*slot);
		*slot = v;
		return 0;
	}
	case OPT_INT: {
		int64_t *slot = (int64_t *)(base + o->offset);
		char *end;
		long long v;

		errno = 0;
		v = strtoll(value, &end, 10);
		if (errno != 0 || *end != '\0' || end == value) {
			problem(ld, line, "%s must be a whole number, not \"%s\"",
			    o->name, value);
			return -1;
		}
		if (v < o->min || v > o->max) {
			problem(ld, line, "%s must be between %lld and %lld, not %lld",
			    o->name, (long long)o->min, (long long)o->max, v);
			return -1;
		}
		*slot = v;
		return 0;
	}
	}
	return -1;
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* The local read API and the subscriptions (issue 18). */
static void
check_read_api(struct kp_config *cfg, struct loader *ld)
{
	struct kp_configured_sub *subs;
	struct kp_jwt_clients *clients;
	struct kp_err err;
	size_t n;

	if (cfg->audit_listen != NULL && strrchr(cfg->audit_listen, ':') == NULL)
		problem(ld, 0, "audit_listen must be address:port, not \"%s\"",
		    cfg->audit_listen);
	if (cfg->audit_listen != NULL && (cfg->auditor_ca == NULL ||
	    cfg->auditors == NULL))
		problem(ld, 0, "audit_listen needs auditor_ca (the CA of the "
		    "auditors' certificates) and auditors (who may look)");
	if (cfg->auditors != NULL) {
		struct kp_auditors *a = kp_auditors_load(cfg->auditors, &err);

		if (a == NULL)
			problem(ld, 0, "auditors: %s", err.msg);
		kp_auditors_free(a);
	}
	if (cfg->read_listen != NULL && strrchr(cfg->read_listen, ':') == NULL)
		problem(ld, 0, "read_listen must be address:port, not \"%s\"",
		    cfg->read_listen);
	if (cfg->read_listen != NULL && cfg->read_clients == NULL &&
	    cfg->read_client_ca == NULL)
		problem(ld, 0, "read_listen needs read_clients (JWT clients) or "
		    "read_client_ca (client certificates): nobody could read");
	if (cfg->read_url == NULL && cfg->read_listen != NULL &&
	    asprintf(&cfg->read_url, "https://%s/api/v1", cfg->read_listen) ==
	    -1) {
		cfg->read_url = NULL;
		problem(ld, 0, "out of memory");
	}
	if (cfg->read_url != NULL && strncmp(cfg->read_url, "https://", 8) != 0 &&
	    strncmp(cfg->read_url, "http://", 7) != 0)
		problem(ld, 0, "read_url must be an https:// (or http://) URL, "
		    "not \"%s\"", cfg->read_url);
	if (cfg->read_url != NULL && cfg->read_listen == NULL)
		problem(ld, 0, "read_url without read_listen: notifications "
		    "would point at a read API this gateway does not serve");
	if (cfg->read_clients != NULL) {
		if ((clients = kp_jwt_clients_load(cfg->read_clients, &err)) ==
		    NULL)
			problem(ld, 0, "read_clients: %s", err.msg);
		kp_jwt_clients_free(clients);
	}
	if (cfg->subscriptions == NULL)
		return;
	if (cfg->read_listen == NULL)
		problem(ld, 0, "subscriptions need read_listen: every "
		    "notification's resourceUrl points at the read API");
	if (kp_configured_subs_load(cfg->subscriptions, &subs, &n, &err) !=
	    KP_OK)
		problem(ld, 0, "subscriptions: %s", err.msg);
	else
		kp_configured_subs_free(subs, n);
}

/* Checks that need several options or the file system. */
static void
check_config(struct kp_config *cfg, struct loader *ld, const int *seen_line)
{
	struct stat st;
	size_t n;

	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		const struct opt *o = &options[i];
		char *base = (char *)cfg;

		if (o->required && seen_line[i] == 0) {
			problem(ld, 0, "required option \"%s\" is missing (%s)",
			    o->name, o->help);
			continue;
		}
		if (o->type == OPT_PATH && seen_line[i] != 0) {
			char *p = *(char **)(base + o->offset);

			if (strcmp(o->name, "store") == 0 ||
			    strcmp(o->name, "audit_key") == 0 ||
			    strcmp(o->name, "local_socket") == 0)
				continue;	/* created on first use */
			if (strcmp(o->name, "key") == 0 && kp_pkcs11_is_uri(p)) {
				struct kp_err perr;

				/* its parts and PIN file; the token at start */
				if (kp_pkcs11_check(p, &perr) != KP_OK)
					problem(ld, seen_line[i], "%s", perr.msg);
				continue;
			}
			if (stat(p, &st) == -1)
				problem(ld, seen_line[i], "%s: %s: %s", o->name,
				    p, strerror(errno));
		}
	}
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (strcmp(options[i].name, "user") == 0 && cfg->user != NULL &&
		    getpwnam(cfg->user) == NULL)
			problem(ld, seen_line[i], "user %s: no such account; "
			    "create it (useradd --system %s) or name another",
			    cfg->user, cfg->user);
	if (cfg->audit_key == NULL && cfg->store != NULL &&
	    kp_db_is_uri(cfg->store))
		problem(ld, 0, "audit_key is required with a store on a database "
		    "server: every node needs the same key file, kept with the "
		    "database's backups");
	else if (cfg->audit_key == NULL && cfg->store != NULL &&
	    asprintf(&cfg->audit_key, "%s.audit-key", cfg->store) == -1) {
		cfg->audit_key = NULL;
		problem(ld, 0, "out of memory");
	}
	if (cfg->store != NULL && kp_db_is_uri(cfg->store) &&
	    cfg->lease_timeout < cfg->send_timeout + 2)
		problem(ld, 0, "lease_timeout (%lld s) must exceed send_timeout "
		    "(%lld s) by 2 seconds at least, so that a send ends before "
		    "another node may take its stream over; raise lease_timeout "
		    "or lower send_timeout", (long long)cfg->lease_timeout,
		    (long long)cfg->send_timeout);
	if (cfg->node != NULL && (strlen(cfg->node) > 63 ||
	    strspn(cfg->node, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_") != strlen(cfg->node)))
		problem(ld, 0, "node must be 1 to 63 letters, digits, dots, "
		    "hyphens or underscores, not \"%s\"", cfg->node);
	if (cfg->application != NULL) {
		n = strlen(cfg->application);
		if (n < 3 || n > 50)
			problem(ld, 0, "application must be 3 to 50 characters");
	}
	if (cfg->endpoint != NULL && strncmp(cfg->endpoint, "https://", 8) != 0)
		problem(ld, 0, "endpoint must be an https:// URL, not \"%s\"",
		    cfg->endpoint);
	if (cfg->listen != NULL && strrchr(cfg->listen, ':') == NULL)
		problem(ld, 0, "listen must be address:port, not \"%s\"",
		    cfg->listen);
	check_read_api(cfg, ld);
}

struct kp_config *
kp_config_load(const char *path, FILE *problems, struct kp_err *err)
{
	struct kp_config *cfg = NULL, *ret = NULL;
	struct loader ld = { path, problems, err, 0 };
	int seen_line[sizeof(options) / sizeof(options[0])] = { 0 };
	char *text = NULL, *line, *next, *cfgdir = NULL, *slash;
	struct kp_err rerr;
	size_t textlen;
	int lineno = 0, nul;

	if (kp_read_file(path, KP_CONFIG_MAX_SIZE, &text, &textlen,
	    &rerr) != KP_OK) {
		problem(&ld, 0, "%s", rerr.msg);
		goto out;
	}
	if (kp_check_not_writable(path, &rerr) != KP_OK)
		problem(&ld, 0, "%s", rerr.msg + strlen(path) + 1);
	/* a NUL would end the text there, and every line after it unread */
	if ((nul = kp_nul_line(text, textlen)) > 0)
		problem(&ld, nul, "a NUL byte: a configuration is text; remove "
		    "it (the lines after it were not read)");
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL ||
	    (cfg->path = strdup(path)) == NULL ||
	    (cfgdir = strdup(path)) == NULL) {
		problem(&ld, 0, "out of memory");
		goto out;
	}
	if ((slash = strrchr(cfgdir, '/')) != NULL)
		*slash = '\0';
	else
		strcpy(cfgdir, ".");

	/* defaults */
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		const struct opt *o = &options[i];

		if (o->type == OPT_INT)
			*(int64_t *)((char *)cfg + o->offset) = o->def;
		else if (o->def_str != NULL)
			*(char **)((char *)cfg + o->offset) = strdup(o->def_str);
	}

	for (line = text; line != NULL; line = next) {
		const struct opt *o;
		char *name, *value, *hash;

		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		name = trim(line);
		if (*name == '\0')
			continue;
		for (value = name; *value != '\0' && !isspace((unsigned char)*value);
		    value++)
			;
		if (*value != '\0')
			*value++ = '\0';
		value = trim(value);
		if ((o = find_option(name)) == NULL) {
			problem(&ld, lineno, "unknown option \"%s\"", name);
			continue;
		}
		if (seen_line[o - options] != 0) {
			problem(&ld, lineno, "option \"%s\" given twice (first on line %d)",
			    name, seen_line[o - options]);
			continue;
		}
		if (*value == '\0') {
			problem(&ld, lineno, "option \"%s\" needs a value", name);
			continue;
		}
		if (set_option(cfg, o, value, cfgdir, &ld, lineno) == 0)
			seen_line[o - options] = lineno;
	}
	check_config(cfg, &ld, seen_line);
	if (ld.nproblems == 0) {
		ret = cfg;
		cfg = NULL;
	}
out:
	kp_config_free(cfg);
	free(text);
	free(cfgdir);
	return ret;
}

void
kp_config_free(struct kp_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		const struct opt *o = &options[i];

		if (o->type == OPT_STRING || o->type == OPT_PATH)
			free(*(char **)((char *)cfg + o->offset));
	}
	kp_config_free(cfg->older);
	free(cfg->path);
	free(cfg);
}
