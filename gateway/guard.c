#include "autoconf.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "guard.h"
#include "log.h"
#include "util.h"

#define BODY_GRACE_MS	1000
#define LIVE_CHECK_MS	1000	/* a body's rate, looked at this often */
#define LOG_EVERY_MS	60000	/* one log line per address per minute */

enum gstate {
	G_NEW,		/* accepted; the guard has not looked yet */
	G_HANDSHAKE,	/* TLS handshake under way */
	G_IDLE,		/* between requests (the HTTP layer's idle timeout) */
	G_HEADERS,	/* request line and headers arriving */
	G_BODY,		/* the body arriving */
	G_CLOSING,	/* shut down by the guard, waiting for evhttp */
	G_GONE,		/* evhttp freed it: only our reference is left */
};

struct gconn {
	struct kp_guard	*g;
	struct bufferevent *bev;
	struct event	*timer;
	struct gconn	*prev, *next;	/* the guard's list, oldest first */
	enum gstate	 st;
	int		 authenticated;
	int		 busy;		/* answers still to come */
	int		 prev_lf;	/* the headers' last byte was a line end */
	int64_t		 since_ms;	/* when st began */
	int64_t		 active_ms;	/* last byte or answer */
	int64_t		 body_bytes;
	char		 addr[64];	/* the peer, "" until known */
	void		(*closed)(void *);
	void		*closed_arg;
};

struct kp_guard {
	struct event_base	*base;
	struct kp_guard_limits	 lim;
	struct gconn		*head, *tail;
	struct gconn		*gone;	/* freed by evhttp, our reference left */
	int			 nconn, nunauth;
};

static void	on_timer(evutil_socket_t, short, void *);

struct kp_guard *
kp_guard_new(struct event_base *base, const struct kp_guard_limits *limits)
{
	struct kp_guard *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->base = base;
	g->lim = *limits;
	return g;
}

static void
unlink_conn(struct gconn *c)
{
	struct kp_guard *g = c->g;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		g->tail = c->prev;
	c->prev = c->next = NULL;
	g->nconn--;
	if (!c->authenticated)
		g->nunauth--;
}

/* Our reference goes: the socket closes now (CLOSE_ON_FREE). */
static void
release(struct gconn *c)
{
	if (c->st == G_GONE) {
		if (c->prev != NULL)
			c->prev->next = c->next;
		else
			c->g->gone = c->next;
		if (c->next != NULL)
			c->next->prev = c->prev;
	}
	event_free(c->timer);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	bufferevent_decref(c->bev);
	free(c);
}

void
kp_guard_free(struct kp_guard *g)
{
	if (g == NULL)
		return;
	/* evhttp_free closed every connection: what is left is ours. */
	while (g->gone != NULL)
		release(g->gone);
	while (g->head != NULL) {
		struct gconn *c = g->head;

		unlink_conn(c);
		release(c);
	}
	free(g);
}

static void
arm(struct gconn *c, int64_t at_ms)
{
	int64_t wait = at_ms - kp_now_ms();
	struct timeval tv;

	if (wait < 0)
		wait = 0;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

static void
set_state(struct gconn *c, enum gstate st)
{
	c->st = st;
	c->since_ms = kp_now_ms();
	switch (st) {
	case G_HANDSHAKE:
		arm(c, c->since_ms + c->g->lim.handshake_ms);
		break;
	case G_HEADERS:
		arm(c, c->since_ms + c->g->lim.header_ms);
		break;
	case G_BODY:
		if (c->g->lim.min_body_rate > 0)
			arm(c, c->since_ms + BODY_GRACE_MS + LIVE_CHECK_MS);
		else
			evtimer_del(c->timer);
		break;
	default:
		evtimer_del(c->timer);
		break;
	}
}

/* At most one line a minute per peer address, across all guards. */
static int
may_log(const char *addr)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct { char addr[64]; int64_t at; } seen[64];
	int64_t now = kp_now_ms();
	int oldest = 0, ret = 1;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < 64; i++) {
		if (strcmp(seen[i].addr, addr) == 0) {
			ret = now - seen[i].at >= LOG_EVERY_MS;
			if (ret)
				seen[i].at = now;
			goto out;
		}
		if (seen[i].at < seen[oldest].at)
			oldest = i;
	}
	snprintf(seen[oldest].addr, sizeof(seen[oldest].addr), "%s", addr);
	seen[oldest].at = now;
out:
	pthread_mutex_unlock(&lock);
	return ret;
}

/* Close c: evhttp reads end of file and frees the connection. */
static void
shut(struct gconn *c, enum kp_close_reason why)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	kp_metrics_conn_closed(c->g->lim.listener, why);
	if (may_log(c->addr))
		log_info("%s listener: closed a connection from %s: %s (at most "
		    "one such line a minute per address)",
		    kp_listener_name(c->g->lim.listener),
		    c->addr[0] ? c->addr : "an unknown address",
		    kp_close_reason_name(why));
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	c->st = G_CLOSING;
	evtimer_del(c->timer);
}

static void
peer_address(struct gconn *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	c->addr[0] = '\0';
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    c->addr, sizeof(c->addr));
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    c->addr, sizeof(c->addr));
	else
		snprintf(c->addr, sizeof(c->addr), "the local socket");
}

/* evhttp frees the connection; our reference goes in the next turn. */
static void
on_close(struct evhttp_connection *evcon, void *arg)
{
	struct gconn *c = arg;
	struct timeval now = { 0, 0 };

	(void)evcon;
	if (c->closed != NULL)
		c->closed(c->closed_arg);
	c->closed = NULL;
	if (c->st != G_GONE) {
		unlink_conn(c);
		c->st = G_GONE;
		c->next = c->g->gone;
		if (c->next != NULL)
			c->next->prev = c;
		c->g->gone = c;
	}
	evtimer_add(c->timer, &now);
}

/* The first look at a new connection: where from, and is there room? */
static void
admit(struct gconn *c)
{
	struct kp_guard *g = c->g;
	struct evhttp_connection *evcon = NULL;
	bufferevent_data_cb readcb, writecb;
	bufferevent_event_cb eventcb;
	int same = 0;

	bufferevent_getcb(c->bev, &readcb, &writecb, &eventcb, (void **)&evcon);
	if (eventcb == NULL || evcon == NULL) {
		/* evhttp freed it before we looked */
		unlink_conn(c);
		release(c);
		return;
	}
	evhttp_connection_set_closecb(evcon, on_close, c);
	peer_address(c);
	c->active_ms = kp_now_ms();
	if (c->authenticated) {	/* plain, or a handshake done already */
		set_state(c, G_IDLE);
		return;
	}
	for (struct gconn *o = g->head; o != NULL; o = o->next)
		if (o != c && !o->authenticated && o->st != G_CLOSING &&
		    strcmp(o->addr, c->addr) == 0)
			same++;
	if (g->lim.max_unauth_per_address > 0 &&
	    same >= g->lim.max_unauth_per_address) {
		shut(c, KP_CLOSE_ADDRESS_CAP);
		return;
	}
	if (g->lim.max_unauth > 0 && g->nunauth > g->lim.max_unauth) {
		/* the oldest handshake has had the most time: it goes */
		for (struct gconn *o = g->head; o != NULL; o = o->next)
			if (o != c && !o->authenticated && o->st == G_HANDSHAKE) {
				shut(o, KP_CLOSE_UNAUTH_EVICTED);
				break;
			}
	}
	set_state(c, G_HANDSHAKE);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct gconn *c = arg;
	int64_t now = kp_now_ms(), elapsed;

	(void)fd;
	(void)what;
	switch (c->st) {
	case G_NEW:
		admit(c);
		break;
	case G_GONE:
		release(c);
		break;
	case G_HANDSHAKE:
		shut(c, KP_CLOSE_HANDSHAKE_TIMEOUT);
		break;
	case G_HEADERS:
		shut(c, KP_CLOSE_HEADER_TIMEOUT);
		break;
	case G_BODY:
		elapsed = now - c->since_ms - BODY_GRACE_MS;
		if (elapsed > 0 &&
		    c->body_bytes * 1000 < elapsed * c->g->lim.min_body_rate)
			shut(c, KP_CLOSE_BODY_TOO_SLOW);
		else
			arm(c, now + LIVE_CHECK_MS);
		break;
	default:
		break;
	}
}

/* Bytes arrive: a request begins, its headers end, its body grows. */
static void
on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct gconn *c = arg;
	struct evbuffer_ptr p;
	size_t len, left;
	char chunk[1024];

	if (info->n_added == 0)
		return;
	c->active_ms = kp_now_ms();
	/* (before admission the timer is the admission's: leave it) */
	if (c->st == G_IDLE) {
		c->prev_lf = 0;
		set_state(c, G_HEADERS);
	}
	if (c->st == G_BODY) {
		c->body_bytes += (int64_t)info->n_added;
		return;
	}
	if (c->st != G_HEADERS)
		return;
	/*
	 * Not an HTTP parser: only where the headers end, an empty line
	 * (evhttp takes LF or CRLF as a line end), to start the body's clock.
	 */
	len = evbuffer_get_length(buf);
	if (info->n_added > len ||
	    evbuffer_ptr_set(buf, &p, len - info->n_added, EVBUFFER_PTR_SET) != 0)
		return;
	for (left = info->n_added; left > 0;) {
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);

		if (evbuffer_copyout_from(buf, &p, chunk, n) != (ev_ssize_t)n)
			return;
		for (size_t i = 0; i < n; i++) {
			if (chunk[i] == '\n') {
				if (c->prev_lf) {
					set_state(c, G_BODY);
					c->body_bytes = (int64_t)(left - i - 1);
					return;
				}
				c->prev_lf = 1;
			} else if (chunk[i] != '\r') {
				c->prev_lf = 0;
			}
		}
		left -= n;
		evbuffer_ptr_set(buf, &p, n, EVBUFFER_PTR_ADD);
	}
}

int
kp_guard_adopt(struct kp_guard *g, struct bufferevent *bev,
    void (*closed)(void *), void *arg)
{
	struct gconn *c = calloc(1, sizeof(*c));
	struct timeval now = { 0, 0 };

	if (c == NULL || (c->timer = evtimer_new(g->base, on_timer, c)) == NULL ||
	    evbuffer_add_cb(bufferevent_get_input(bev), on_input, c) == NULL) {
		if (c != NULL && c->timer != NULL)
			event_free(c->timer);
		free(c);
		return -1;
	}
	c->g = g;
	c->bev = bev;
	c->st = G_NEW;
	c->authenticated = !g->lim.tls;
	c->closed = closed;
	c->closed_arg = arg;
	bufferevent_incref(bev);
	c->prev = g->tail;
	if (g->tail != NULL)
		g->tail->next = c;
	else
		g->head = c;
	g->tail = c;
	g->nconn++;
	if (!c->authenticated)
		g->nunauth++;
	/* evhttp gives it its socket when this bevcb returns: look then */
	evtimer_add(c->timer, &now);
	return 0;
}

struct bufferevent *
kp_guard_plain_bevcb(struct event_base *base, void *arg)
{
	struct bufferevent *bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE);

	if (bev != NULL && kp_guard_adopt(arg, bev, NULL, NULL) != 0) {
		bufferevent_free(bev);
		return NULL;
	}
	return bev;
}

static struct gconn *
find(struct kp_guard *g, struct bufferevent *bev)
{
	for (struct gconn *c = g->head; c != NULL; c = c->next)
		if (c->bev == bev)
			return c;
	return NULL;
}

static struct gconn *
find_req(struct kp_guard *g, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);

	return evcon != NULL ?
	    find(g, evhttp_connection_get_bufferevent(evcon)) : NULL;
}

void
kp_guard_authenticated(struct kp_guard *g, struct bufferevent *bev)
{
	struct gconn *c = find(g, bev), *idlest = NULL;

	if (c == NULL || c->authenticated)
		return;
	c->authenticated = 1;
	g->nunauth--;
	if (c->st == G_HANDSHAKE)
		set_state(c, G_IDLE);
	c->active_ms = kp_now_ms();
	if (g->lim.max_conn <= 0 || g->nconn - g->nunauth <= g->lim.max_conn)
		return;
	/* Full: the authenticated connection idle longest makes room. */
	for (struct gconn *o = g->head; o != NULL; o = o->next)
		if (o != c && o->authenticated && o->st == G_IDLE &&
		    o->busy == 0 && (idlest == NULL ||
		    o->active_ms < idlest->active_ms))
			idlest = o;
	shut(idlest != NULL ? idlest : c, KP_CLOSE_IDLE_EVICTED);
}

void
kp_guard_request(struct kp_guard *g, struct evhttp_request *req,
    int answer_later)
{
	struct gconn *c = find_req(g, req);

	if (c == NULL || c->st == G_CLOSING)
		return;
	if (answer_later)
		c->busy++;
	c->active_ms = kp_now_ms();
	if (c->st != G_NEW)	/* the admission, still to come, sets it */
		set_state(c, G_IDLE);
}

void
kp_guard_answered(struct kp_guard *g, struct evhttp_request *req)
{
	struct gconn *c = find_req(g, req);

	if (c != NULL && c->busy > 0) {
		c->busy--;
		c->active_ms = kp_now_ms();
	}
}

void
kp_guard_on_close(struct kp_guard *g, struct evhttp_request *req,
    void (*fn)(void *), void *arg)
{
	struct gconn *c = find_req(g, req);

	if (c != NULL) {
		c->closed = fn;
		c->closed_arg = arg;
	}
}

int
kp_guard_count(const struct kp_guard *g, int *unauthenticated)
{
	if (unauthenticated != NULL)
		*unauthenticated = g->nunauth;
	return g->nconn;
}
