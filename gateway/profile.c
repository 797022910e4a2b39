#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "kd.h"
#include "schema.h"
#include "util.h"
#include "xmlsafe.h"

#define NS_PROFILE	"urn:ketenpoort:profiel:1"
#define PROFILE_MAX_SIZE (256 * 1024)

static void
problem(FILE *problems, struct kp_err *err, int *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
problem(FILE *problems, struct kp_err *err, int *n, const char *fmt, ...)
{
	char what[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (problems != NULL)
		fprintf(problems, "%s\n", what);
	if ((*n)++ == 0)
		kp_fail(err, KP_ERR_CONFIG, "%s", what);
}

static void
profile_clear(struct kp_profile *p)
{
	free(p->path);
	free(p->stem);
	free(p->naam);
	free(p->endpoint);
	free(p->rol);
	for (size_t i = 0; i < p->nzenden; i++)
		free(p->zenden[i]);
	free(p->zenden);
	free(p->relay);
	for (size_t i = 0; i < p->nontvangen; i++) {
		for (size_t v = 0; v < p->ontvangen[i].nvelden; v++)
			free(p->ontvangen[i].velden[v]);
		free(p->ontvangen[i].velden);
		free(p->ontvangen[i].wet);
	}
	free(p->ontvangen);
	free(p->vragen);
	memset(p, 0, sizeof(*p));
}

/* Read one validated profile document into p. */
static int
read_profile(xmlDocPtr doc, struct kp_profile *p)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), zenden;
	char *oin, *text;

	if ((oin = kp_xml_text(kp_xml_child(root, NS_PROFILE, "oin"))) == NULL)
		return -1;
	snprintf(p->oin, sizeof(p->oin), "%s", oin);
	free(oin);
	p->naam = kp_xml_text(kp_xml_child(root, NS_PROFILE, "naam"));
	p->endpoint = kp_xml_text(kp_xml_child(root, NS_PROFILE, "endpoint"));
	p->rol = kp_xml_text(kp_xml_child(root, NS_PROFILE, "rol"));
	if (p->naam == NULL || p->rol == NULL)
		return -1;
	zenden = kp_xml_child(root, NS_PROFILE, "zenden");
	for (xmlNodePtr b = kp_xml_first(zenden); b != NULL; b = kp_xml_next(b)) {
		char **nv = realloc(p->zenden, (p->nzenden + 1) * sizeof(char *));
		int *nr;
		char *relay;

		if (nv == NULL)
			return -1;
		p->zenden = nv;
		if ((nr = realloc(p->relay, (p->nzenden + 1) * sizeof(int))) == NULL)
			return -1;
		p->relay = nr;
		if ((p->zenden[p->nzenden] = kp_xml_text(b)) == NULL)
			return -1;
		relay = kp_xml_attr(b, NULL, "relay");
		p->relay[p->nzenden] = relay != NULL &&
		    (strcmp(relay, "true") == 0 || strcmp(relay, "1") == 0);
		free(relay);
		p->nzenden++;
	}
	for (xmlNodePtr e = kp_xml_first(kp_xml_child(root, NS_PROFILE,
	    "ontvangen")); e != NULL; e = kp_xml_next(e)) {
		struct kp_receive_rule *nr = realloc(p->ontvangen,
		    (p->nontvangen + 1) * sizeof(*nr)), *r;
		char *type;

		if (nr == NULL)
			return -1;
		p->ontvangen = nr;
		r = &p->ontvangen[p->nontvangen++];
		memset(r, 0, sizeof(*r));
		if ((type = kp_xml_attr(e, NULL, "type")) == NULL)
			return -1;
		snprintf(r->entiteittype, sizeof(r->entiteittype), "%s", type);
		free(type);
		r->line = xmlGetLineNo(e);
		r->max_vertrouwelijkheid = -1;
		if ((text = kp_xml_attr(e, NULL, "doel")) == NULL)
			return -1;
		snprintf(r->doel, sizeof(r->doel), "%s", text);
		free(text);
		if ((text = kp_xml_attr(e, NULL, "maxVertrouwelijkheid")) != NULL) {
			r->max_vertrouwelijkheid = kp_kd_vertrouwelijkheid(text);
			free(text);
		}
		if ((text = kp_xml_attr(e, NULL, "verstrekking")) != NULL) {
			r->on_request = strcmp(text, "opvraag") == 0;
			free(text);
		}
		for (xmlNodePtr v = kp_xml_first(e); v != NULL; v = kp_xml_next(v)) {
			char **nv;

			if (xmlStrEqual(v->name, BAD_CAST "wet")) {
				if ((r->wet = kp_xml_text(v)) == NULL)
					return -1;
				continue;
			}
			if (!xmlStrEqual(v->name, BAD_CAST "veld"))
				continue;	/* toestemming: wet stays NULL */
			if ((nv = realloc(r->velden, (r->nvelden + 1) *
			    sizeof(char *))) == NULL)
				return -1;
			r->velden = nv;
			if ((r->velden[r->nvelden] = kp_xml_text(v)) == NULL)
				return -1;
			r->nvelden++;
		}
	}
	for (xmlNodePtr q = kp_xml_first(kp_xml_child(root, NS_PROFILE,
	    "vragen")); q != NULL; q = kp_xml_next(q)) {
		struct kp_question_rule *nq = realloc(p->vragen,
		    (p->nvragen + 1) * sizeof(*nq)), *r;

		if (nq == NULL)
			return -1;
		p->vragen = nq;
		r = &p->vragen[p->nvragen++];
		memset(r, 0, sizeof(*r));
		r->line = xmlGetLineNo(q);
		if ((text = kp_xml_attr(q, NULL, "functie")) == NULL)
			return -1;
		snprintf(r->functie, sizeof(r->functie), "%s", text);
		free(text);
		if ((text = kp_xml_attr(q, NULL, "doel")) != NULL) {
			snprintf(r->doel, sizeof(r->doel), "%s", text);
			free(text);
		}
	}
	return 0;
}

/*
 * What the schema cannot say about a valid profile: each contradiction as
 * "file:line: what" to problems.
 */
static int
check_profile(const struct kp_profile *p, FILE *problems, struct kp_err *err,
    int *nproblems)
{
	int before = *nproblems, no_endpoint = 0;

	for (size_t i = 0; i < p->nontvangen; i++) {
		const struct kp_receive_rule *r = &p->ontvangen[i];
		const char *const *known = kp_kd_entity_fields(r->entiteittype);

		for (size_t v = 0; v < r->nvelden; v++) {
			size_t k;

			for (k = 0; known != NULL && known[k] != NULL; k++)
				if (strcmp(known[k], r->velden[v]) == 0)
					break;
			if (known == NULL || known[k] == NULL)
				problem(problems, err, nproblems, "%s:%ld: %s has no "
				    "field \"%s\" (PROTOCOL.md 3.1); remove it or "
				    "correct its name", p->path, r->line,
				    r->entiteittype, r->velden[v]);
		}
		if (r->max_vertrouwelijkheid >= 0 &&
		    strcmp(r->entiteittype, "ZAK") != 0)
			problem(problems, err, nproblems, "%s:%ld: "
			    "maxVertrouwelijkheid is for cases (ZAK), not %s",
			    p->path, r->line, r->entiteittype);
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->ontvangen[j].entiteittype,
			    r->entiteittype) == 0 &&
			    strcmp(p->ontvangen[j].doel, r->doel) == 0 &&
			    (p->ontvangen[j].wet == NULL) == (r->wet == NULL))
				problem(problems, err, nproblems, "%s:%ld: a second "
				    "%s rule for doel %s on the same basis as line "
				    "%ld; merge them", p->path, r->line,
				    r->entiteittype, r->doel, p->ontvangen[j].line);
		if (r->on_request && !kp_profile_may_ask(p, "context", r->doel))
			problem(problems, err, nproblems, "%s:%ld: %s for doel %s "
			    "is given only on request (verstrekking=\"opvraag\"), "
			    "but %s may not ask context for %s; add <vraag "
			    "functie=\"context\" doel=\"%s\"/> or send it as "
			    "notices", p->path, r->line, r->entiteittype, r->doel,
			    p->naam, r->doel, r->doel);
		if (!r->on_request && p->endpoint == NULL && !no_endpoint++)
			problem(problems, err, nproblems, "%s:%ld: %s may receive %s "
			    "as notices but has no <endpoint> to send them to; "
			    "add one, or make the rule verstrekking=\"opvraag\"",
			    p->path, r->line, p->naam, r->entiteittype);
	}
	for (size_t qi = 0; qi < p->nvragen; qi++) {
		const struct kp_question_rule *r = &p->vragen[qi];
		long line = r->line;
		int served = 0;

		if (strcmp(r->functie, "context") != 0) {
			if (r->doel[0] != '\0')
				problem(problems, err, nproblems, "%s:%ld: a %s "
				    "question has no purpose; remove doel",
				    p->path, line, r->functie);
			continue;
		}
		if (r->doel[0] == '\0') {
			problem(problems, err, nproblems, "%s:%ld: a context "
			    "question needs doel (the purpose it may ask for)",
			    p->path, line);
			continue;
		}
		for (size_t i = 0; i < p->nontvangen; i++)
			if (strcmp(p->ontvangen[i].doel, r->doel) == 0)
				served = 1;
		if (!served)
			problem(problems, err, nproblems, "%s:%ld: context for doel "
			    "%s can be asked, but no <ontvangen> rule has that "
			    "purpose, so nothing could ever be answered; add a "
			    "rule or remove the question", p->path, line, r->doel);
	}
	return *nproblems - before;
}

static int
by_path(const void *a, const void *b)
{
	return strcmp(((const struct kp_profile *)a)->path,
	    ((const struct kp_profile *)b)->path);
}

struct kp_profiles *
kp_profiles_load(const char *dir, struct kp_schema *schema, FILE *problems,
    struct kp_err *err)
{
	struct kp_profiles *ps;
	DIR *d;
	struct dirent *de;
	int nproblems = 0;

	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if ((d = opendir(dir)) == NULL) {
		problem(problems, err, &nproblems, "%s: cannot read profile "
		    "directory: %s", dir, strerror(errno));
		kp_profiles_free(ps);
		return NULL;
	}
	{
		struct kp_err derr;

		/* who may write it may add a partner */
		if (kp_check_not_writable(dir, &derr) != KP_OK)
			problem(problems, err, &nproblems, "%s", derr.msg);
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		struct kp_profile p = { 0 };
		struct kp_err perr;
		char *text = NULL;
		size_t textlen;
		xmlDocPtr doc = NULL;

		if (len < 5 || strcmp(de->d_name + len - 4, ".xml") != 0 ||
		    de->d_name[0] == '.')
			continue;
		if (asprintf(&p.path, "%s/%s", dir, de->d_name) == -1 ||
		    (p.stem = strndup(de->d_name, len - 4)) == NULL) {
			problem(problems, err, &nproblems, "out of memory");
			profile_clear(&p);
			break;
		}
		if (kp_read_file(p.path, PROFILE_MAX_SIZE, &text, &textlen,
		    &perr) != KP_OK) {
			problem(problems, err, &nproblems, "%s", perr.msg);
		} else if (kp_check_not_writable(p.path, &perr) != KP_OK) {
			problem(problems, err, &nproblems, "%s", perr.msg);
		} else if (kp_nul_line(text, textlen) > 0) {
			problem(problems, err, &nproblems, "%s:%d: a NUL byte: a "
			    "profile is XML text; remove it", p.path,
			    kp_nul_line(text, textlen));
		} else if ((doc = kp_xml_parse_local(text, textlen, &perr)) == NULL) {
			int line = 0, at = 0;

			/* "not well-formed XML, line N: what" as file:line */
			if (sscanf(perr.msg, "not well-formed XML, line %d: %n",
			    &line, &at) == 1 && at > 0)
				problem(problems, err, &nproblems, "%s:%d: not "
				    "well-formed XML: %s", p.path, line,
				    perr.msg + at);
			else
				problem(problems, err, &nproblems, "%s: %s", p.path,
				    perr.msg);
		} else if (kp_schema_validate_doc(schema, doc, &perr) != KP_OK) {
			/* perr.msg starts with "line N: " */
			problem(problems, err, &nproblems, "%s:%s", p.path,
			    perr.msg + (strncmp(perr.msg, "line ", 5) == 0 ? 5 : 0));
		} else if (read_profile(doc, &p) != 0) {
			problem(problems, err, &nproblems, "%s: cannot read profile",
			    p.path);
		} else if (check_profile(&p, problems, err, &nproblems) > 0) {
			/* reported */
		} else {
			const struct kp_profile *dup = kp_profiles_by_oin(ps, p.oin);
			struct kp_profile *nv;

			if (dup != NULL) {
				problem(problems, err, &nproblems,
				    "%s: OIN %s is already the profile of %s", p.path,
				    p.oin, dup->path);
			} else if ((nv = realloc(ps->v, (ps->n + 1) *
			    sizeof(*nv))) == NULL) {
				problem(problems, err, &nproblems, "out of memory");
			} else {
				ps->v = nv;
				ps->v[ps->n++] = p;
				memset(&p, 0, sizeof(p));
			}
		}
		xmlFreeDoc(doc);
		free(text);
		profile_clear(&p);
	}
	closedir(d);
	if (nproblems > 0) {
		kp_profiles_free(ps);
		return NULL;
	}
	if (ps->n > 1)
		qsort(ps->v, ps->n, sizeof(ps->v[0]), by_path);
	return ps;
}

void
kp_profiles_free(struct kp_profiles *ps)
{
	if (ps == NULL)
		return;
	kp_profiles_free(ps->older);
	for (size_t i = 0; i < ps->n; i++)
		profile_clear(&ps->v[i]);
	free(ps->v);
	free(ps);
}

const struct kp_profile *
kp_profiles_by_oin(const struct kp_profiles *ps, const char *oin)
{
	if (oin == NULL)
		return NULL;
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].oin, oin) == 0)
			return &ps->v[i];
	return NULL;
}

const struct kp_profile *
kp_profiles_find(const struct kp_profiles *ps, const char *name)
{
	const struct kp_profile *p = kp_profiles_by_oin(ps, name);

	for (size_t i = 0; p == NULL && i < ps->n; i++)
		if (strcmp(ps->v[i].stem, name) == 0 ||
		    strcmp(ps->v[i].naam, name) == 0)
			p = &ps->v[i];
	return p;
}

int
kp_profile_may_send(const struct kp_profile *p, const char *root)
{
	for (size_t i = 0; i < p->nzenden; i++)
		if (strcmp(p->zenden[i], root) == 0)
			return 1;
	return 0;
}

int
kp_profile_may_ask(const struct kp_profile *p, const char *functie,
    const char *doel)
{
	for (size_t i = 0; i < p->nvragen; i++)
		if (strcmp(p->vragen[i].functie, functie) == 0 &&
		    (doel == NULL || strcmp(p->vragen[i].doel, doel) == 0))
			return 1;
	return 0;
}

int
kp_profile_may_relay(const struct kp_profile *p, const char *root)
{
	for (size_t i = 0; i < p->nzenden; i++)
		if (strcmp(p->zenden[i], root) == 0)
			return p->relay[i];
	return 0;
}
