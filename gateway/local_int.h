/*
 * local_int — what the local interface's files share (local.c: the
 * listener, the routes and the reads; local_write.c: the writes): the
 * listener's state and the way a request that waits (for a partner, for
 * the store's writer) runs on a thread of its own while the event base
 * goes on serving, its answer handed back to the base.
 */
#ifndef KP_LOCAL_INT_H
#define KP_LOCAL_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

struct event_base;
struct evhttp;
struct evhttp_request;
struct kp_gateway;
struct kp_guard;

struct kp_local {
	struct kp_gateway	*gw;
	struct event_base	*base;
	struct evhttp		*http;
	struct kp_guard		*guard;
	int			 fd;
	/* requests on threads of their own; stop waits for them */
	pthread_mutex_t		 lock;
	pthread_cond_t		 idle;
	int			 running;
};

/*
 * run writes the answer's body to out and returns its HTTP status; type
 * is the body's media type (NULL: text/plain).  arg is the request's own,
 * freed with free_arg after the answer went out (or its connection
 * closed).
 */
typedef int (*local_run_fn)(struct kp_local *l, void *arg, FILE *out,
    const char **type);

/* Run fn on a thread; 503 at once when no thread can be started. */
void	local_on_thread(struct kp_local *l, struct evhttp_request *req,
	    local_run_fn fn, void *arg, void (*free_arg)(void *));

/* Routes of local_write.c; 1 when path was one of them. */
int	local_write_route(struct kp_local *l, struct evhttp_request *req,
	    const char *path);

#endif
