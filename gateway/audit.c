#include "autoconf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auditlog.h"
#include "checkpoint.h"
#include "config.h"
#include "envelope.h"
#include "gateway.h"
#include "store.h"
#include "util.h"
#include "wss.h"
#include "xmlsafe.h"

struct reverify_ctx {
	struct kp_gateway	*gw;
	FILE			*report;
	struct kp_reverify	*counts;
};

static int
reverify_one(void *arg, const struct kp_stored_message *m)
{
	struct reverify_ctx *rc = arg;
	struct kp_wss_policy policy = { .trust = rc->gw->trust };
	struct kp_wss_result sig = { 0 };
	struct kp_env env;
	struct kp_err err;
	xmlDocPtr doc;
	int ok = 0;

	rc->counts->checked++;
	/*
	 * Outbound messages were signed by us; inbound ones by the partner
	 * whose OIN the row names.
	 */
	policy.expected_oin = strcmp(m->direction, "in") == 0 ?
	    m->partner_oin : rc->gw->cfg->oin;
	if (m->at == NULL || kp_time_parse_iso(m->at, &policy.at_ms) != 0)
		policy.at_ms = 0;
	if ((doc = kp_xml_parse(m->bytes, m->len, &err)) != NULL &&
	    kp_env_inspect(doc, 0, &env, &err) == KP_OK &&
	    kp_wss_verify(&env, &policy, &sig, &err) == KP_OK)
		ok = 1;
	kp_wss_result_clear(&sig);
	xmlFreeDoc(doc);
	if (ok) {
		rc->counts->verified++;
	} else {
		rc->counts->failed++;
		if (rc->report != NULL)
			fprintf(rc->report, "message %lld (%s %s, partner %s): %s\n",
			    (long long)m->id, m->direction, m->message_id,
			    m->partner_oin, err.msg);
	}
	return 0;
}

int
kp_audit_reverify(struct kp_gateway *gw, const char *direction, FILE *report,
    struct kp_reverify *counts, struct kp_err *err)
{
	struct reverify_ctx rc = { gw, report, counts };

	memset(counts, 0, sizeof(*counts));
	return kp_store_each_message(gw->store, direction, reverify_one, &rc,
	    err);
}

/* A checkpoint to hold against the chain: ours or a witness's. */
struct held_checkpoint {
	int64_t	seq;
	char	hash[65];
	char	at[32];
	char	whose[48];	/* "checkpoint 3" / "witness line 2" */
	int	seen;		/* the entry it names was read */
};

struct verifying {
	struct kp_gateway	*gw;
	FILE			*report, *progress;
	struct kp_audit_check	*check;
	struct held_checkpoint	*cps;
	size_t			 ncps;
	int64_t			 total, prev_seq;
	char			 prev_hash[65];
	int			 failed;	/* out of memory */
};

static void
bad(struct verifying *v, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
bad(struct verifying *v, int64_t seq, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (v->check->bad++ == 0) {
		v->check->first_bad = seq;
		memcpy(v->check->first, what, sizeof(what));
	}
	if (v->report != NULL)
		fprintf(v->report, "%s\n", what);
}

static int
verify_entry(void *arg, const struct kp_audit_entry *e)
{
	struct verifying *v = arg;
	char hash[65];

	v->check->entries++;
	if (v->progress != NULL && v->check->entries % 5000 == 0)
		fprintf(v->progress, "\rverifying the audit chain: entry %lld of "
		    "%lld", (long long)v->check->entries, (long long)v->total);
	if (e->seq != v->prev_seq + 1)
		bad(v, e->seq, "entry %lld follows entry %lld: %s%lld entr%s "
		    "removed", (long long)e->seq, (long long)v->prev_seq,
		    v->prev_seq == 0 ? "the log does not start at 1: " : "",
		    (long long)(e->seq - v->prev_seq - 1),
		    e->seq - v->prev_seq - 1 == 1 ? "y" : "ies");
	/* Against the stored hash before it: each changed entry shows alone. */
	if (kp_audit_hash(v->prev_hash, e, hash) != 0) {
		v->failed = 1;
		return 1;
	}
	if (e->hash == NULL || strcmp(hash, e->hash) != 0)
		bad(v, e->seq, "entry %lld (%s, %s %s): its hash does not match "
		    "its content and the entry before it: it was changed, "
		    "inserted or moved after it was written", (long long)e->seq,
		    e->at != NULL ? e->at : "?", e->direction != NULL ?
		    e->direction : "?", e->outcome != NULL ? e->outcome : "?");
	for (size_t i = 0; i < v->ncps; i++) {
		struct held_checkpoint *c = &v->cps[i];

		if (c->seq != e->seq)
			continue;
		c->seen = 1;
		if (e->hash == NULL || strcmp(c->hash, e->hash) != 0)
			bad(v, e->seq, "entry %lld is not what %s of %s signed: "
			    "the log was rewritten after that checkpoint",
			    (long long)e->seq, c->whose, c->at);
	}
	v->prev_seq = e->seq;
	snprintf(v->prev_hash, sizeof(v->prev_hash), "%s",
	    e->hash != NULL ? e->hash : "");
	return 0;
}

static int
add_checkpoint(struct verifying *v, const struct kp_checkpoint *c,
    const char *whose)
{
	struct held_checkpoint *nv;
	struct kp_err e;

	if (kp_checkpoint_verify(v->gw->trust, v->gw->cfg->oin, c, &e) != KP_OK)
		bad(v, c->seq, "%s (entry %lld, %s): %s", whose, (long long)c->seq,
		    c->at != NULL ? c->at : "?", e.msg);
	if ((nv = realloc(v->cps, (v->ncps + 1) * sizeof(*nv))) == NULL) {
		v->failed = 1;
		return 1;
	}
	v->cps = nv;
	memset(&nv[v->ncps], 0, sizeof(nv[0]));
	nv[v->ncps].seq = c->seq;
	snprintf(nv[v->ncps].hash, sizeof(nv[0].hash), "%s",
	    c->hash != NULL ? c->hash : "");
	snprintf(nv[v->ncps].at, sizeof(nv[0].at), "%s", c->at != NULL ? c->at :
	    "");
	snprintf(nv[v->ncps].whose, sizeof(nv[0].whose), "%s", whose);
	v->ncps++;
	return 0;
}

static int
own_checkpoint(void *arg, const struct kp_checkpoint *c)
{
	struct verifying *v = arg;
	char whose[48];

	v->check->checkpoints++;
	snprintf(whose, sizeof(whose), "checkpoint %lld", (long long)c->id);
	return add_checkpoint(v, c, whose);
}

/* Lines "seq hash at signature cert" (tab or space separated). */
static int
read_witness(struct verifying *v, const char *path, struct kp_err *err)
{
	char *text, *line, *next;
	size_t len;
	int lineno = 0, ret;

	if ((ret = kp_read_file(path, 64 * 1024 * 1024, &text, &len,
	    err)) != KP_OK)
		return ret;
	for (line = text; line != NULL && *line != '\0'; line = next) {
		struct kp_checkpoint c = { 0 };
		char *f[5], *save = NULL, whose[48];
		long long seq;
		int nf = 0;

		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '#' || *line == '\0')
			continue;
		for (char *tok = strtok_r(line, " \t", &save); tok != NULL &&
		    nf < 5; tok = strtok_r(NULL, " \t", &save))
			f[nf++] = tok;
		if (nf != 5 || sscanf(f[0], "%lld", &seq) != 1) {
			free(text);
			return kp_fail(err, KP_ERR_USAGE, "%s:%d: not a witnessed "
			    "checkpoint (seq hash at signature cert)", path, lineno);
		}
		c.seq = seq;
		c.hash = f[1];
		c.at = f[2];
		c.signature = f[3];
		c.cert = f[4];
		v->check->witnessed++;
		snprintf(whose, sizeof(whose), "witness line %d", lineno);
		if (add_checkpoint(v, &c, whose) != 0)
			break;
	}
	free(text);
	return v->failed ? kp_fail(err, KP_ERR_NOMEM, "out of memory") : KP_OK;
}

int
kp_audit_verify(struct kp_gateway *gw, const char *witness_file, FILE *report,
    FILE *progress, struct kp_audit_check *check, struct kp_err *err)
{
	struct verifying v = { .gw = gw, .report = report,
	    .progress = progress, .check = check };
	int ret;

	memset(check, 0, sizeof(*check));
	v.total = kp_store_count(gw->store, "audit");
	if ((ret = kp_store_each_checkpoint(gw->store, NULL, own_checkpoint, &v,
	    err)) == KP_OK && witness_file != NULL)
		ret = read_witness(&v, witness_file, err);
	if (ret == KP_OK)
		ret = kp_store_each_audit(gw->store, NULL, NULL, NULL, verify_entry,
		    &v, err);
	if (ret == KP_OK && v.failed)
		ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
	if (progress != NULL && check->entries >= 5000)
		fprintf(progress, "\r%60s\r", "");
	/* A checkpoint naming an entry the log no longer has: truncated. */
	for (size_t i = 0; ret == KP_OK && i < v.ncps; i++)
		if (!v.cps[i].seen)
			bad(&v, v.cps[i].seq, "%s of %s vouches for entry %lld, but "
			    "the log %s: entries were removed", v.cps[i].whose,
			    v.cps[i].at, (long long)v.cps[i].seq,
			    v.prev_seq == 0 ? "is empty" : v.prev_seq <
			    v.cps[i].seq ? "ends before it" : "no longer has it");
	free(v.cps);
	return ret;
}
