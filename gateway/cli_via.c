/*
 * cli_via — the mutating commands through a running gateway (cli_via.h).
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_via.h"
#include "config.h"
#include "consent_cmd.h"
#include "escape.h"
#include "kd.h"
#include "localclient.h"
#include "util.h"
#include "xmlsafe.h"

/* Changes sent at once: enough for the writer to share its fsyncs. */
#define PUT_INFLIGHT	16
/* The largest change file read, as dossier put reads them itself. */
#define PUT_FILE_MAX	(64 * 1024 * 1024)

char *
via_gateway(const char *path, const char *cmd)
{
	struct kp_config *cfg;
	struct kp_err err;
	char *socket = NULL;

	if ((cfg = kp_config_load(path, NULL, &err)) == NULL)
		return NULL;
	if (cfg->local_socket == NULL)
		fprintf(stderr, "ketenpoort %s: no local_socket configured: "
		    "working on the store directly\n", cmd);
	else if (!kp_localc_running(cfg->local_socket))
		fprintf(stderr, "ketenpoort %s: no gateway runs on %s: working "
		    "on the store directly\n", cmd, cfg->local_socket);
	else if ((socket = strdup(cfg->local_socket)) != NULL)
		fprintf(stderr, "ketenpoort %s: through the gateway running on "
		    "%s (its writer stores the change)\n", cmd, socket);
	kp_config_free(cfg);
	return socket;
}

/* An error answer, on stderr as the command's own errors are. */
static void
complain(const char *cmd, const char *reply)
{
	size_t len = strlen(reply);

	while (len > 0 && reply[len - 1] == '\n')
		len--;
	kp_text_line(stderr, "ketenpoort %s: %.*s", cmd, (int)len, reply);
}

/* POST a form; the exit status from the answer (ok_code: 200's). */
static int
post_form(const char *socket, const char *cmd, const char *path, char *form,
    int fail_usage, int fail_other)
{
	struct kp_err err;
	char *reply = NULL;
	long code;
	int ret;

	if (form == NULL) {
		fprintf(stderr, "ketenpoort %s: out of memory\n", cmd);
		return 2;
	}
	if (kp_localc_post(socket, path, form, strlen(form),
	    "application/x-www-form-urlencoded", &code, &reply, &err) != KP_OK) {
		free(form);
		kp_text_line(stderr, "ketenpoort %s: %s", cmd, err.msg);
		return 2;
	}
	free(form);
	if (code == 200) {
		fputs(reply, stdout);
		ret = 0;
	} else {
		complain(cmd, reply);
		ret = code >= 400 && code < 500 ? fail_usage : fail_other;
	}
	free(reply);
	return ret;
}

struct putting {
	char	**files;
	char	(*bsn)[16];	/* each change's citizen, "": not readable */
	int	  ret;
};

/*
 * The changes of one citizen are applied in the order given (a consent
 * before what it allows, a version before the next); different citizens'
 * go at once.
 */
static const char *
put_key(void *arg, size_t i)
{
	struct putting *p = arg;

	return p->bsn[i][0] != '\0' ? p->bsn[i] : NULL;
}

/* The citizen a change file is about, if it reads as one. */
static void
citizen_of(const char *file, char bsn[16])
{
	struct kp_notice n;
	struct kp_err err;
	xmlDocPtr doc = NULL;
	char *text = NULL;
	size_t len;

	bsn[0] = '\0';
	memset(&n, 0, sizeof(n));
	if (kp_read_file(file, PUT_FILE_MAX, &text, &len, &err) == KP_OK &&
	    (doc = kp_xml_parse(text, len, &err)) != NULL &&
	    kp_kd_read_local(xmlDocGetRootElement(doc), &n, &err) == KP_OK)
		snprintf(bsn, 16, "%s", n.bsn);
	kp_notice_clear(&n);
	xmlFreeDoc(doc);
	free(text);
}

static int
put_body(void *arg, size_t i, char **buf, size_t *len, struct kp_err *err)
{
	struct putting *p = arg;

	return kp_read_file(p->files[i], PUT_FILE_MAX, buf, len, err);
}

static void
put_done(void *arg, size_t i, long code, const char *reply)
{
	struct putting *p = arg;

	if (code == 200) {
		printf("%s: %s", p->files[i], reply);
	} else if (code == 422) {
		printf("%s: refused, %s", p->files[i], reply);
		if (p->ret == 0)
			p->ret = 1;
	} else {
		complain("dossier put", reply);
		p->ret = 2;
	}
}

int
via_put(const char *socket, char **files, int nfiles)
{
	struct putting p = { files, NULL, 0 };
	struct kp_err err;

	if ((p.bsn = calloc((size_t)nfiles, sizeof(*p.bsn))) == NULL) {
		fprintf(stderr, "ketenpoort dossier put: out of memory\n");
		return 2;
	}
	for (int i = 0; i < nfiles; i++)
		citizen_of(files[i], p.bsn[i]);
	if (kp_localc_post_many(socket, "/dossier", (size_t)nfiles,
	    PUT_INFLIGHT, put_key, put_body, put_done, &p, &err) != KP_OK) {
		kp_text_line(stderr, "ketenpoort dossier put: %s", err.msg);
		p.ret = 2;
	}
	free(p.bsn);
	return p.ret;
}

int
via_consent(const char *socket, const char *verb,
    const struct kp_consent_request *r)
{
	char path[32];

	snprintf(path, sizeof(path), "/consent/%s", verb);
	return post_form(socket, "consent", path, kp_localc_form("bsn", r->bsn,
	    "partner", r->partner, "doel", r->doel, "from", r->ingangsdatum,
	    "until", r->einddatum, "via", r->via, "id", r->identificatie,
	    (const char *)NULL), 1, 2);
}

int
via_queue(const char *socket, const char *verb, int64_t id, const char *note)
{
	char path[32], number[24];

	snprintf(path, sizeof(path), "/queue/%s", verb);
	snprintf(number, sizeof(number), "%" PRId64, id);
	return post_form(socket, "queue", path, kp_localc_form("id", number,
	    "note", note, (const char *)NULL), 1, 1);
}

int
via_repair(const char *socket, const char *partner, const char *bsn)
{
	return post_form(socket, "sync", "/sync/repair", kp_localc_form(
	    "partner", partner, "bsn", bsn, (const char *)NULL), 2, 2);
}
