/*
 * metrics — what the daemon counts for the admin listener (admin.h).
 *
 * Counters are process-wide C11 atomics with fixed label sets (a message
 * type outside the protocol's set counts as "unknown"), so a hostile peer
 * cannot grow them and the hot path takes no lock.  Values that are state
 * rather than counts (outbox backlog, parked rows, certificate expiry) are
 * read from the store and the certificates when /metrics is asked.
 *
 * Partner certificates are not in the profiles: the gateway learns each
 * partner's certificate from its TLS handshakes (as client and as server),
 * including a certificate refused because it expired, and remembers the
 * newest it saw per OIN.  Health and expiry warnings use that.
 */
#ifndef KP_METRICS_H
#define KP_METRICS_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <openssl/x509.h>

#include "err.h"

struct kp_gateway;

enum kp_metric_dir { KP_METRIC_IN = 0, KP_METRIC_OUT = 1 };

/* Inbound outcomes: accepted, duplicate, rejected (Fo03), refused (HTTP 400). */
void	kp_metrics_in(const char *berichtcode, int accepted, int duplicate,
	    kp_fault fault, int http_status);
/* Outbound outcomes: delivered, fault (a Fo03 back), failed (no answer). */
void	kp_metrics_out(const char *berichtcode, int delivered, kp_fault fault);
void	kp_metrics_handshake_failed(enum kp_metric_dir dir);
/* A partner's request answered 503: too many writes waited for the store. */
void	kp_metrics_shed(void);
/* What came of one notification's attempt (notifyd.h). */
enum kp_notify_outcome_kind {
	KP_NOTIFY_DELIVERED, KP_NOTIFY_FAILED, KP_NOTIFY_PARKED, KP_NOTIFY_MAX
};
void	kp_metrics_notification(enum kp_notify_outcome_kind k);
/* The listeners, and why a connection guard (guard.h) closed a connection. */
enum kp_listener {
	KP_LISTENER_PARTNER, KP_LISTENER_ADMIN, KP_LISTENER_LOCAL,
	KP_LISTENER_READ, KP_LISTENER_AUDIT, KP_LISTENER_MAX
};
enum kp_close_reason {
	KP_CLOSE_HANDSHAKE_TIMEOUT,	/* no TLS handshake in time */
	KP_CLOSE_HEADER_TIMEOUT,	/* request line and headers not in time */
	KP_CLOSE_BODY_TOO_SLOW,		/* body below min_body_rate */
	KP_CLOSE_ADDRESS_CAP,		/* too many handshakes from one address */
	KP_CLOSE_UNAUTH_EVICTED,	/* the oldest handshake, making room */
	KP_CLOSE_IDLE_EVICTED,		/* the longest idle, making room */
	KP_CLOSE_MAX
};
const char	*kp_listener_name(enum kp_listener l);
const char	*kp_close_reason_name(enum kp_close_reason r);
void	kp_metrics_conn_closed(enum kp_listener l, enum kp_close_reason r);
/* One request (in) or exchange (out) took this long. */
void	kp_metrics_latency(enum kp_metric_dir dir, double seconds);

/*
 * A partner's certificate, seen in a handshake (also one refused because it
 * expired).  Only certificates that chain to our trust store come here.
 */
void	kp_metrics_peer_cert(X509 *cert);
/* The newest certificate seen of this partner: notAfter, 0 if none seen. */
time_t	kp_metrics_peer_not_after(const char *oin);

/* A certificate's notAfter as time_t (0 when unreadable). */
time_t	kp_cert_not_after(const X509 *cert);

/* The Prometheus text exposition of everything (version 0.0.4). */
int	kp_metrics_write(struct kp_gateway *gw, FILE *out, struct kp_err *err);

#endif
