/*
 * guard — deadlines and caps for the connections of one listener in one
 * event loop, so that sockets which never authenticate, or trickle bytes,
 * can never take the slots of partners.  No byte resets a deadline:
 *
 *   - a TLS listener's handshake is done within handshake_ms of accept;
 *   - a request's line and headers arrive within header_ms of its first
 *     byte;
 *   - its body arrives at min_body_rate bytes/s on average, counted from
 *     the end of the headers after a grace of a second.
 *
 * Caps (0: none): max_unauth connections whose TLS handshake is not done,
 * of which max_unauth_per_address from one source address (beyond it the
 * new one is closed; a full pool closes its oldest to make room), and
 * max_conn authenticated ones (beyond it the one idle longest is closed).
 * Idle between requests is the HTTP layer's idle timeout.
 *
 * A connection the guard closes is shut down, so the HTTP layer (evhttp)
 * sees end of file and frees it; each close is counted in the metrics
 * and logged at most once a minute per peer address.
 *
 * The guard holds a reference on each bufferevent it adopts until evhttp
 * has freed the connection, so a socket is never closed (and its number
 * reused) while the guard may still shut it down.  All of a guard's calls
 * happen in its event loop's thread.
 */
#ifndef KP_GUARD_H
#define KP_GUARD_H

#include <stdint.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "metrics.h"

struct kp_guard_limits {
	enum kp_listener	 listener;	/* metrics label and log lines */
	int			 tls;		/* connections start unauthenticated */
	int			 handshake_ms;
	int			 header_ms;
	int64_t			 min_body_rate;	/* bytes per second; 0: no floor */
	int			 max_conn;
	int			 max_unauth;
	int			 max_unauth_per_address;
};

struct kp_guard;

struct kp_guard	*kp_guard_new(struct event_base *base,
		    const struct kp_guard_limits *limits);
/* After the listener's evhttp is freed. */
void		 kp_guard_free(struct kp_guard *g);

/*
 * Adopt a new connection's bufferevent, from the listener's evhttp bevcb
 * (before evhttp gives it its socket).  closed(arg), when not NULL, runs
 * when evhttp frees the connection.  -1 when out of memory.
 */
int	kp_guard_adopt(struct kp_guard *g, struct bufferevent *bev,
	    void (*closed)(void *arg), void *arg);
/* An evhttp bevcb for plain (not TLS) listeners; arg is the guard. */
struct bufferevent *kp_guard_plain_bevcb(struct event_base *base, void *arg);

/* The TLS handshake on bev is done: the connection is authenticated. */
void	kp_guard_authenticated(struct kp_guard *g, struct bufferevent *bev);
/*
 * The request was read whole (the handler runs).  answer_later: its answer
 * comes after kp_guard_answered(); until then the connection is busy and
 * never closed to make room.
 */
void	kp_guard_request(struct kp_guard *g, struct evhttp_request *req,
	    int answer_later);
void	kp_guard_answered(struct kp_guard *g, struct evhttp_request *req);

/*
 * fn(arg) runs when the connection of req closes (instead of the one given
 * at adoption; NULL: none).  The guard owns evhttp's close callback, so
 * nobody else sets one.
 */
void	kp_guard_on_close(struct kp_guard *g, struct evhttp_request *req,
	    void (*fn)(void *), void *arg);

/* Open connections of the guard: all, and those not yet authenticated. */
int	kp_guard_count(const struct kp_guard *g, int *unauthenticated);

#endif
