/*
 * localclient — the operator's commands as a client of a running
 * gateway's local interface (localclient.h).
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "localclient.h"

int
kp_localc_running(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, ok;

	if (path == NULL || strlen(path) >= sizeof(sun.sun_path))
		return 0;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}

char *
kp_localc_form(const char *name, ...)
{
	va_list ap;
	char *form = NULL;
	size_t len = 0;
	int first = 1;
	FILE *mem;

	if ((mem = open_memstream(&form, &len)) == NULL)
		return NULL;
	va_start(ap, name);
	for (; name != NULL; name = va_arg(ap, const char *)) {
		const char *value = va_arg(ap, const char *);
		char *v;

		if (value == NULL)
			continue;
		if ((v = curl_easy_escape(NULL, value, 0)) == NULL) {
			fclose(mem);
			free(form);
			va_end(ap);
			return NULL;
		}
		fprintf(mem, "%s%s=%s", first ? "" : "&", name, v);
		first = 0;
		curl_free(v);
	}
	va_end(ap);
	if (fclose(mem) != 0) {
		free(form);
		return NULL;
	}
	return form;
}

/* One request's handle and what came back. */
struct call {
	CURL		*h;
	struct curl_slist *headers;
	char		*body;
	FILE		*mem;
	char		*reply;
	size_t		 rlen;
	size_t		 i;
};

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct call *c = arg;

	return fwrite(p, size, n, c->mem) * size;
}

static void
call_clear(struct call *c)
{
	if (c->h != NULL)
		curl_easy_cleanup(c->h);
	curl_slist_free_all(c->headers);
	if (c->mem != NULL)
		fclose(c->mem);
	free(c->body);
	free(c->reply);
	memset(c, 0, sizeof(*c));
}

/* Set up c to POST body (taken over) to path on socket. */
static int
call_setup(struct call *c, const char *socket, const char *path, char *body,
    size_t len, const char *type, struct kp_err *err)
{
	char url[300], header[160];

	memset(c, 0, sizeof(*c));
	c->body = body;
	snprintf(url, sizeof(url), "http://localhost%s", path);
	snprintf(header, sizeof(header), "Content-Type: %s", type);
	if ((c->mem = open_memstream(&c->reply, &c->rlen)) == NULL ||
	    (c->h = curl_easy_init()) == NULL ||
	    (c->headers = curl_slist_append(NULL, header)) == NULL) {
		call_clear(c);
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	}
	curl_easy_setopt(c->h, CURLOPT_UNIX_SOCKET_PATH, socket);
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_POST, 1L);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body != NULL ? body : "");
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)(body != NULL ? len : 0));
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
	return KP_OK;
}

/* The answer, closed off: *code and a NUL-terminated reply. */
static int
call_finish(struct call *c, CURLcode rc, const char *socket, long *code,
    struct kp_err *err)
{
	*code = 0;
	if (fclose(c->mem) != 0) {
		c->mem = NULL;
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	}
	c->mem = NULL;
	if (rc != CURLE_OK)
		return kp_fail(err, KP_ERR_SYS, "the gateway on %s did not "
		    "answer: %s", socket, curl_easy_strerror(rc));
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, code);
	return KP_OK;
}

int
kp_localc_post(const char *socket, const char *path, const char *body,
    size_t len, const char *type, long *code, char **reply,
    struct kp_err *err)
{
	struct call c;
	char *copy;
	int ret;

	*reply = NULL;
	if ((copy = malloc(len + 1)) == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	memcpy(copy, body, len);
	copy[len] = '\0';
	if ((ret = call_setup(&c, socket, path, copy, len, type, err)) != KP_OK)
		return ret;
	ret = call_finish(&c, curl_easy_perform(c.h), socket, code, err);
	if (ret == KP_OK) {
		*reply = c.reply;
		c.reply = NULL;
	}
	call_clear(&c);
	return ret;
}

/* Is a call with i's key in flight? */
static int
key_busy(const struct call *calls, size_t inflight,
    const char *(*key)(void *, size_t), void *arg, size_t i)
{
	const char *k;

	if (key == NULL || (k = key(arg, i)) == NULL)
		return 0;
	for (size_t s = 0; s < inflight; s++) {
		const char *o;

		if (calls[s].h != NULL && (o = key(arg, calls[s].i)) != NULL &&
		    strcmp(o, k) == 0)
			return 1;
	}
	return 0;
}

int
kp_localc_post_many(const char *socket, const char *path, size_t n,
    size_t inflight, const char *(*key)(void *arg, size_t i),
    int (*body)(void *arg, size_t i, char **buf, size_t *len,
    struct kp_err *err), void (*done)(void *arg, size_t i, long code,
    const char *reply), void *arg, struct kp_err *err)
{
	struct call *calls;
	/* answers kept until every one before them is handed on */
	char **replies;
	long *codes;
	CURLM *multi;
	size_t next = 0, answered = 0, handed = 0, running = 0;
	int ret = KP_OK;

	if (inflight == 0)
		inflight = 1;
	calls = calloc(inflight, sizeof(*calls));
	replies = calloc(n + 1, sizeof(*replies));
	codes = calloc(n + 1, sizeof(*codes));
	if (calls == NULL || replies == NULL || codes == NULL ||
	    (multi = curl_multi_init()) == NULL) {
		free(calls);
		free(replies);
		free(codes);
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	}
	while (ret == KP_OK && answered < n) {
		CURLMsg *m;
		int left, still;

		/* fill the free slots */
		for (size_t s = 0; ret == KP_OK && s < inflight && next < n; s++) {
			char *buf;
			size_t len;

			if (calls[s].h != NULL)
				continue;
			if (key_busy(calls, inflight, key, arg, next))
				break;	/* the next waits for its key's answer */
			if ((ret = body(arg, next, &buf, &len, err)) != KP_OK ||
			    (ret = call_setup(&calls[s], socket, path, buf, len,
			    "application/xml", err)) != KP_OK)
				break;
			calls[s].i = next++;
			curl_multi_add_handle(multi, calls[s].h);
			running++;
		}
		if (ret != KP_OK)
			break;
		curl_multi_perform(multi, &still);
		while ((m = curl_multi_info_read(multi, &left)) != NULL) {
			struct call *c;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    (char **)&c);
			curl_multi_remove_handle(multi, c->h);
			running--;
			if ((ret = call_finish(c, m->data.result, socket,
			    &codes[c->i], err)) == KP_OK) {
				replies[c->i] = c->reply;
				c->reply = NULL;
			}
			call_clear(c);
			answered++;
			/* hand on what is complete, in order */
			for (; handed < n && replies[handed] != NULL; handed++) {
				done(arg, handed, codes[handed], replies[handed]);
				free(replies[handed]);
				replies[handed] = NULL;
			}
			if (ret != KP_OK)
				break;
		}
		if (ret == KP_OK && answered < n && running > 0)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	}
	for (size_t s = 0; s < inflight; s++) {
		if (calls[s].h != NULL)
			curl_multi_remove_handle(multi, calls[s].h);
		call_clear(&calls[s]);
	}
	for (size_t i = 0; i < n; i++)
		free(replies[i]);
	curl_multi_cleanup(multi);
	free(calls);
	free(replies);
	free(codes);
	return ret;
}
