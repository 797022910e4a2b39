/*
 * localclient — the operator's commands as a client of a running
 * gateway's local interface (local_write.c), so that while `serve` runs
 * its writer is the store's only writer.  libcurl over the Unix socket.
 */
#ifndef KP_LOCALCLIENT_H
#define KP_LOCALCLIENT_H

#include <stddef.h>

#include "err.h"

/* Does a gateway answer on the Unix socket at path? */
int	kp_localc_running(const char *path);

/*
 * A form, application/x-www-form-urlencoded: name and value pairs (a NULL
 * value leaves its field out), ending with a NULL name.  malloc'd.
 */
char	*kp_localc_form(const char *name, ...);

/*
 * POST body (type: its media type) to the gateway on socket, at path:
 * *code its HTTP status, *reply its body (malloc'd, NUL-terminated).
 */
int	kp_localc_post(const char *socket, const char *path, const char *body,
	    size_t len, const char *type, long *code, char **reply,
	    struct kp_err *err);

/*
 * The same for n bodies at once, at most inflight at a time (so that the
 * gateway's writer takes them in shared commits), started in the order of
 * i, and never two with the same key (key(arg, i); NULL: none) at once, so
 * that the bodies of one key are applied in their order.  body(arg, i,
 * ...) gives the i-th (malloc'd; the call frees it), done(arg, i, code,
 * reply) gets its answer, in the order of i.  KP_OK once every one was
 * answered.
 */
int	kp_localc_post_many(const char *socket, const char *path, size_t n,
	    size_t inflight, const char *(*key)(void *arg, size_t i),
	    int (*body)(void *arg, size_t i, char **buf, size_t *len,
	    struct kp_err *err), void (*done)(void *arg, size_t i, long code,
	    const char *reply), void *arg, struct kp_err *err);

#endif
