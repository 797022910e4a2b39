/*
 * config — the gateway configuration file.
 *
 * One option a line, "name value", '#' starts a comment.  Every option is
 * declared once in a table (config.c) with its type, range, default and
 * check.  Relative paths are taken relative to the file's own directory.
 * kp_config_load() reports every problem it finds as "file:line: what".
 */
#ifndef KP_CONFIG_H
#define KP_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"

#define KP_OIN_LEN 20

struct kp_config {
	char	*path;			/* the file itself */
	char	 oin[KP_OIN_LEN + 1];	/* our organisation */
	char	*name;
	char	*application;		/* zender/applicatie */
	char	*listen;		/* host:port of the partner listener */
	char	*endpoint;		/* our wsa:To as partners address us */
	char	*cert, *key, *ca, *crl;
	char	*store;
	char	*audit_key;		/* pseudonym key file */
	char	*profiles;		/* directory of partner profiles */
	char	*xsd_dir;
	char	*local_socket;		/* Unix socket of the local interface */
	char	*admin_listen;		/* host:port of /healthz and /metrics */
	char	*user;			/* who to run as after binding, as root */
	int64_t	 max_body;
	int64_t	 max_connections;
	int64_t	 threads;
	int64_t	 clock_skew;		/* seconds */
	int64_t	 timestamp_lifetime;	/* seconds, what we put in Expires */
	int64_t	 max_lifetime;		/* seconds, the most we accept */
	int64_t	 idle_timeout;		/* seconds for a kept-alive connection */
	int64_t	 handshake_timeout;	/* seconds for a TLS handshake */
	int64_t	 header_timeout;	/* seconds for a request's headers */
	int64_t	 min_body_rate;		/* bytes/s a body keeps up on average */
	int64_t	 max_unauthenticated_per_address;
	int64_t	 max_pending_writes;	/* then 503 (load shedding) */
	int64_t	 timestamp_max_age;	/* seconds, a Created without Expires */
	int64_t	 log_level;
	int64_t	 key_process;		/* 1: keys in a process of their own */
	int64_t	 partitions;		/* P: streams per partner we send on */
	int64_t	 send_timeout;		/* seconds for one exchange with a partner */
	char	*node;			/* among nodes on one store; NULL: host */
	int64_t	 lease_timeout;		/* seconds an outgoing stream's claim lasts */
	int64_t	 store_max_mb;		/* 0: the disk is the limit */
	int64_t	 sync_verify_interval;	/* seconds between digest checks, 0: off */
	int64_t	 checkpoint_interval;	/* seconds between signed chain heads */
	int64_t	 consent_check_interval; /* seconds between expiry checks */
	int64_t	 context_contacts;	/* newest KCT in a context answer */
	char	*read_listen;		/* host:port of the local read API */
	char	*read_url;		/* its base URL as clients reach it */
	char	*read_clients;		/* its JWT clients (localauth.h) */
	char	*read_client_ca;	/* CA of clients with certificates */
	char	*audit_listen;		/* host:port of the auditor's view */
	char	*auditor_ca;		/* CA of the auditors' certificates */
	char	*auditors;		/* file: the subjects let in */
	char	*subscriptions;		/* configured Abonnementen (JSON) */
	int64_t	 notify_park_after;	/* seconds before parking */
	int64_t	 notify_timeout;	/* seconds for one POST */
	struct kp_config *older;	/* replaced at a reload, kept till close */
};

/*
 * Load and check a configuration.  On failure every problem is written to
 * problems (if not NULL) as one "file:line: what" line, and err holds the
 * first.  Returns NULL on failure.
 */
struct kp_config *kp_config_load(const char *path, FILE *problems,
		    struct kp_err *err);
void		  kp_config_free(struct kp_config *cfg);

/*
 * For a reload: give next the running values of every option a reload
 * cannot change (listeners, store, keys, ...), writing one line to notes
 * (may be NULL) for each that the file changed.  Returns how many did, or
 * -1 when out of memory.
 */
int		  kp_config_keep_running(struct kp_config *next,
		    const struct kp_config *running, FILE *notes);

/* 20 digits? */
int		  kp_oin_valid(const char *s);

/*
 * Print the option table, an option a line (name, help): test_config checks
 * that ketenpoort.conf(5) and the example configuration name each one.
 */
void		  kp_config_describe(FILE *out);

#endif
