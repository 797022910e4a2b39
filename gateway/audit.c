#include "autoconf.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "auditlog.h"
#include "checkpoint.h"
#include "config.h"
#include "envelope.h"
#include "gateway.h"
#include "kd.h"
#include "profile.h"
#include "store.h"
#include "util.h"
#include "wss.h"
#include "xmlsafe.h"

struct reverify_ctx {
	struct kp_gateway	*gw;
	FILE			*report;
	struct kp_reverify	*counts;
};

int
kp_audit_reverify_one(struct kp_gateway *gw, const struct kp_stored_message *m,
    struct kp_err *err)
{
	struct kp_wss_policy policy = { .trust = gw->trust };
	struct kp_wss_result sig = { 0 };
	struct kp_env env;
	xmlDocPtr doc;
	int ok = 0;

	/*
	 * Outbound messages were signed by us; inbound ones by the partner
	 * whose OIN the row names.
	 */
	policy.expected_oin = strcmp(m->direction, "in") == 0 ?
	    m->partner_oin : gw->cfg->oin;
	if (m->at == NULL || kp_time_parse_iso(m->at, &policy.at_ms) != 0)
		policy.at_ms = 0;
	if ((doc = kp_xml_parse(m->bytes, m->len, err)) != NULL &&
	    kp_env_inspect(doc, 0, &env, err) == KP_OK &&
	    kp_wss_verify(&env, &policy, &sig, err) == KP_OK)
		ok = 1;
	kp_wss_result_clear(&sig);
	xmlFreeDoc(doc);
	return ok;
}

static int
reverify_one(void *arg, const struct kp_stored_message *m)
{
	struct reverify_ctx *rc = arg;
	struct kp_err err;

	rc->counts->checked++;
	if (kp_audit_reverify_one(rc->gw, m, &err)) {
		rc->counts->verified++;
	} else {
		rc->counts->failed++;
		if (rc->report != NULL)
			kp_text_line(rc->report, "message %lld (%s %s, partner %s): %s",
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

/*
 * What went wrong, in the order found: the count, the first, and the
 * lines for the report (at most FINDINGS_LISTED; the rest are counted).
 */
#define FINDINGS_LISTED	1000

struct findings {
	int64_t	  bad, first_bad, unlisted;
	char	  first[400];
	char	**lines;
	size_t	  nlines;
	int	  failed;	/* out of memory */
};

/*
 * The chain is checked in seq ranges by a thread per processor: every
 * entry is held against the stored hash of the entry before it, so a
 * range needs nothing from the others but that one hash.  There are a few
 * ranges per thread, taken in turn, so that a thread slowed by something
 * else on the machine does not hold up the rest.
 */
#define RANGE_MIN		10000	/* entries; fewer: not worth a thread */
#define RANGES_PER_THREAD	4
#define THREADS_MAX		16

struct verifying;

struct range {
	struct verifying	*v;
	int64_t			 first, last;	/* seq */
	int64_t			 prev_seq;	/* the entry before (0: none) */
	unsigned char		 prev[KP_AUDIT_HASH_LEN];
	int			 at_start;	/* prev is the chain's start */
	int			 shows_progress; /* runs in the caller's thread */
	size_t			 next_cp;	/* v->cps index, by seq */
	int64_t			 entries, unreported;
	struct kp_audit_hasher	*hasher;
	struct findings		 found;
	int			 ret;
	struct kp_err		 err;
};

struct verifying {
	struct kp_gateway	*gw;
	FILE			*report, *progress;
	struct kp_audit_watch	*watch;		/* NULL: none */
	struct kp_audit_check	*check;
	struct held_checkpoint	*cps;		/* sorted by seq */
	size_t			 ncps;
	int64_t			 total;
	atomic_llong		 done;		/* entries read, all ranges */
	struct range		*rs;
	size_t			 nrs;
	atomic_size_t		 next_range;	/* the next to take */
	pthread_t		 caller;	/* shows the progress */
	struct findings		 found;		/* outside the ranges */
};

static void
bad(struct findings *f, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
bad(struct findings *f, int64_t seq, const char *fmt, ...)
{
	char what[400], **nl;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (f->bad++ == 0) {
		f->first_bad = seq;
		memcpy(f->first, what, sizeof(what));
	}
	if (f->nlines == FINDINGS_LISTED) {
		f->unlisted++;
		return;
	}
	if ((nl = realloc(f->lines, (f->nlines + 1) * sizeof(*nl))) == NULL ||
	    (nl[f->nlines] = strdup(what)) == NULL) {
		if (nl != NULL)
			f->lines = nl;
		f->failed = 1;
		return;
	}
	f->lines = nl;
	f->nlines++;
}

/* f's lines onto report and its counts into check; f is emptied. */
static void
findings_report(struct findings *f, FILE *report, struct kp_audit_check *check)
{
	if (f->bad > 0 && check->bad == 0) {
		check->first_bad = f->first_bad;
		memcpy(check->first, f->first, sizeof(check->first));
	}
	check->bad += f->bad;
	for (size_t i = 0; i < f->nlines; i++) {
		if (report != NULL)
			kp_text_line(report, "%s", f->lines[i]);
		free(f->lines[i]);
	}
	if (f->unlisted > 0 && report != NULL)
		fprintf(report, "... and %lld more, not listed (after entry "
		    "%lld)\n", (long long)f->unlisted, (long long)f->first_bad);
	free(f->lines);
	memset(f, 0, sizeof(*f));
}

static void
show_progress(struct range *r)
{
	struct verifying *v = r->v;
	long long done;

	done = atomic_fetch_add(&v->done, r->unreported) + r->unreported;
	r->unreported = 0;
	if (v->watch != NULL)
		atomic_store(&v->watch->done, done);
	if (v->progress != NULL && r->shows_progress)
		fprintf(v->progress, "\rverifying the audit chain: entry %lld of "
		    "%lld", done, (long long)v->total);
}

/*
 * One link of the chain: e's hash over r->prev into md, e's stored hash
 * into stored (*stored_ok when it is one), and r->prev moved on to e: its
 * stored hash, or when that is no hash, the one recomputed.  -1: no memory.
 */
static int
chain_step(struct range *r, const struct kp_audit_entry *e,
    unsigned char md[KP_AUDIT_HASH_LEN],
    unsigned char stored[KP_AUDIT_HASH_LEN], int *stored_ok)
{
	if (kp_audit_digest(r->hasher, r->at_start ? NULL : r->prev, e,
	    md) != 0) {
		r->found.failed = 1;
		return -1;
	}
	*stored_ok = kp_audit_hash_parse(e->hash, stored) == 0;
	memcpy(r->prev, *stored_ok ? stored : md, KP_AUDIT_HASH_LEN);
	r->prev_seq = e->seq;
	r->at_start = 0;
	return 0;
}

static int
verify_entry(void *arg, const struct kp_audit_entry *e)
{
	struct range *r = arg;
	struct verifying *v = r->v;
	unsigned char md[KP_AUDIT_HASH_LEN], stored[KP_AUDIT_HASH_LEN];
	int stored_ok;

	r->entries++;
	if (++r->unreported == 5000)
		show_progress(r);
	if (e->seq != r->prev_seq + 1)
		bad(&r->found, e->seq, "entry %lld follows entry %lld: %s%lld "
		    "entr%s removed", (long long)e->seq, (long long)r->prev_seq,
		    r->prev_seq == 0 ? "the log does not start at 1: " : "",
		    (long long)(e->seq - r->prev_seq - 1),
		    e->seq - r->prev_seq - 1 == 1 ? "y" : "ies");
	/* Against the stored hash before it: each changed entry shows alone. */
	if (chain_step(r, e, md, stored, &stored_ok) != 0)
		return 1;
	if (!stored_ok || memcmp(md, stored, sizeof(md)) != 0)
		bad(&r->found, e->seq, "entry %lld (%s, %s %s): %s",
		    (long long)e->seq, e->at != NULL ? e->at : "?",
		    e->direction != NULL ? e->direction : "?",
		    e->outcome != NULL ? e->outcome : "?", stored_ok ?
		    "its hash does not match its content and the entry before "
		    "it: it was changed, inserted or moved after it was "
		    "written" : "its stored hash is not a SHA-256 hash: the "
		    "entry was changed after it was written");
	/* Checkpoints before this seq name entries the log does not have. */
	while (r->next_cp < v->ncps && v->cps[r->next_cp].seq < e->seq)
		r->next_cp++;
	for (; r->next_cp < v->ncps && v->cps[r->next_cp].seq == e->seq;
	    r->next_cp++) {
		struct held_checkpoint *c = &v->cps[r->next_cp];

		c->seen = 1;
		if (e->hash == NULL || strcmp(c->hash, e->hash) != 0)
			bad(&r->found, e->seq, "entry %lld is not what %s of %s "
			    "signed: the log was rewritten after that checkpoint",
			    (long long)e->seq, c->whose, c->at);
	}
	return 0;
}

static int
add_checkpoint(struct verifying *v, const struct kp_checkpoint *c,
    const char *whose)
{
	struct held_checkpoint *nv;
	struct kp_err e;

	if (kp_checkpoint_verify(v->gw->trust, v->gw->cfg->oin, c, &e) != KP_OK)
		bad(&v->found, c->seq, "%s (entry %lld, %s): %s", whose,
		    (long long)c->seq, c->at != NULL ? c->at : "?", e.msg);
	if ((nv = realloc(v->cps, (v->ncps + 1) * sizeof(*nv))) == NULL) {
		v->found.failed = 1;
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
	return v->found.failed ? kp_fail(err, KP_ERR_NOMEM, "out of memory") :
	    KP_OK;
}

static int
by_seq(const void *a, const void *b)
{
	const struct held_checkpoint *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * The entries before a range, replayed as verify_entry would (without
 * reporting: the range before reports them) to learn what its first entry
 * is held against: normally the one entry before it, but when that one's
 * stored hash is no hash, its recomputed hash, from the entries back to
 * the last stored hash that is one.
 */
static int
range_prev(void *arg, const struct kp_audit_entry *e)
{
	unsigned char md[KP_AUDIT_HASH_LEN], stored[KP_AUDIT_HASH_LEN];
	int stored_ok;

	return chain_step(arg, e, md, stored, &stored_ok) != 0;
}

/* A verifying thread: ranges in turn until none is left. */
static void *
range_worker(void *arg)
{
	struct verifying *v = arg;
	int caller = pthread_equal(pthread_self(), v->caller);
	size_t i;

	while ((i = atomic_fetch_add(&v->next_range, 1)) < v->nrs) {
		struct range *r = &v->rs[i];

		r->shows_progress = caller;
		r->ret = kp_store_each_audit_range(v->gw->store, r->first,
		    r->last, verify_entry, r, &r->err);
	}
	return NULL;
}

/*
 * Split first..last into ranges and find where each one's chain starts:
 * the stored hash of the entry before it (the first starts the chain).
 * The number of threads to run them in goes to *threads.
 */
static int
ranges_plan(struct verifying *v, int64_t first, int64_t last,
    size_t *threads, struct kp_err *err)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int64_t span = last - first + 1;
	size_t n, t = cpus < 1 ? 1 : cpus > THREADS_MAX ? THREADS_MAX :
	    (size_t)cpus;
	int ret;

	n = span / RANGE_MIN > 0 ? (size_t)(span / RANGE_MIN) : 1;
	if (n > t * RANGES_PER_THREAD)
		n = t * RANGES_PER_THREAD;
	*threads = t < n ? t : n;
	if ((v->rs = calloc(n, sizeof(*v->rs))) == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct range *r = &v->rs[i];
		struct kp_audit_where w = { .seq_from = 0 };
		struct held_checkpoint key = { .seq = 0 };
		size_t lo = 0, hi = v->ncps;

		r->v = v;
		r->at_start = 1;
		r->first = first + span * (int64_t)i / (int64_t)n;
		r->last = first + span * (int64_t)(i + 1) / (int64_t)n - 1;
		if ((r->hasher = kp_audit_hasher_new()) == NULL)
			return kp_fail(err, KP_ERR_NOMEM, "out of memory");
		v->nrs = i + 1;
		if (i == 0)	/* the chain's start; every checkpoint after */
			continue;
		/* its first checkpoint: the first at or after its first seq */
		key.seq = r->first;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (by_seq(&v->cps[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		r->next_cp = lo;
		/* from the last intact-looking entry before it */
		w.seq_before = r->first;
		if ((ret = kp_store_audit_resume(v->gw->store, r->first,
		    &w.seq_from, err)) != KP_OK ||
		    (ret = kp_store_each_audit(v->gw->store, &w, range_prev, r,
		    err)) != KP_OK)
			return ret;
		if (r->found.failed)
			return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	}
	return KP_OK;
}

int
kp_audit_verify(struct kp_gateway *gw, const char *witness_file, FILE *report,
    FILE *progress, struct kp_audit_check *check, struct kp_err *err)
{
	return kp_audit_verify_watched(gw, witness_file, report, progress, NULL,
	    check, err);
}

int
kp_audit_verify_watched(struct kp_gateway *gw, const char *witness_file,
    FILE *report, FILE *progress, struct kp_audit_watch *watch,
    struct kp_audit_check *check, struct kp_err *err)
{
	struct verifying v = { .gw = gw, .report = report,
	    .progress = progress, .watch = watch, .check = check };
	pthread_t threads[THREADS_MAX];
	size_t nthreads = 0, started = 0;
	int64_t first, last, read_up_to = 0;
	int ret;

	memset(check, 0, sizeof(*check));
	atomic_init(&v.done, 0);
	if ((ret = kp_store_audit_bounds(gw->store, &first, &last,
	    err)) != KP_OK)
		return ret;
	/* for progress and planning; less if entries were removed */
	v.total = last > 0 ? last - first + 1 : 0;
	if (watch != NULL)
		atomic_store(&watch->total, v.total);
	if ((ret = kp_store_each_checkpoint(gw->store, NULL, own_checkpoint, &v,
	    err)) == KP_OK && witness_file != NULL)
		ret = read_witness(&v, witness_file, err);
	if (ret == KP_OK && v.ncps > 0)
		qsort(v.cps, v.ncps, sizeof(v.cps[0]), by_seq);
	if (ret == KP_OK && v.total > 0)
		ret = ranges_plan(&v, first, last, &nthreads, err);
	/* the caller's thread is one of them, and shows the progress */
	v.caller = pthread_self();
	for (started = 1; ret == KP_OK && started < nthreads; started++)
		if (pthread_create(&threads[started], NULL, range_worker,
		    &v) != 0) {
			ret = kp_fail(err, KP_ERR_NOMEM, "cannot start a thread to "
			    "verify the audit log");
			break;
		}
	check->threads = nthreads > 0 ? (int)started : 0;
	check->ranges = (int)v.nrs;
	if (ret == KP_OK && nthreads > 0)
		range_worker(&v);
	for (size_t i = 1; i < started; i++)
		pthread_join(threads[i], NULL);
	if (progress != NULL && v.total >= 5000)
		fprintf(progress, "\r%60s\r", "");
	findings_report(&v.found, report, check);
	for (size_t i = 0; i < v.nrs; i++) {
		struct range *r = &v.rs[i];

		if (ret == KP_OK && r->ret != KP_OK) {
			*err = r->err;
			ret = r->ret;
		}
		if (r->found.failed)
			v.found.failed = 1;
		check->entries += r->entries;
		if (r->prev_seq > read_up_to)
			read_up_to = r->prev_seq;
		findings_report(&r->found, report, check);
		kp_audit_hasher_free(r->hasher);
	}
	/* A checkpoint naming an entry the log no longer has: truncated. */
	for (size_t i = 0; ret == KP_OK && i < v.ncps; i++)
		if (!v.cps[i].seen)
			bad(&v.found, v.cps[i].seq, "%s of %s vouches for entry "
			    "%lld, but the log %s: entries were removed",
			    v.cps[i].whose, v.cps[i].at, (long long)v.cps[i].seq,
			    read_up_to == 0 ? "is empty" : read_up_to <
			    v.cps[i].seq ? "ends before it" : "no longer has it");
	if (ret == KP_OK && v.found.failed)
		ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
	findings_report(&v.found, report, check);
	free(v.rs);
	free(v.cps);
	return ret;
}

/* The pseudonym of bsn under the audit key (audit_key in the config). */
int
kp_audit_pseudonym_of(struct kp_gateway *gw, const char *bsn, char out[65],
    struct kp_err *err)
{
	unsigned char key[KP_AUDIT_KEY_LEN];
	struct kp_err kerr;
	int created;

	if (!kp_bsn_valid(bsn))
		return kp_fail(err, KP_ERR_USAGE, "BSN %s fails the elfproef", bsn);
	/* as the store makes them (the key process in the daemon) */
	if (gw->store != NULL && kp_store_pseudonym(gw->store, bsn, out,
	    &kerr) == KP_OK)
		return KP_OK;
	if (kp_audit_key_load(gw->cfg->audit_key, 0, key, &created,
	    &kerr) != KP_OK)
		return kp_fail(err, KP_ERR_CONFIG, "entries are found by BSN "
		    "through the audit key, and it cannot be read: %s; restore "
		    "the key with the store's backup (audit_key in %s)", kerr.msg,
		    gw->cfg->path);
	kp_audit_pseudonym(key, bsn, out);
	OPENSSL_cleanse(key, sizeof(key));
	return KP_OK;
}

struct reporting {
	enum kp_report_format	 format;
	FILE			*out;
	int64_t			 n;
};

static const char *const entry_names[] = { "seq", "at", "direction",
	"partner", "messageid", "berichtcode", "entiteittype", "subject",
	"record", "velden", "basis", "doel", "outcome", "code", "sha256",
	"message", "detail", "hash" };

static int
report_entry(void *arg, const struct kp_audit_entry *e)
{
	struct reporting *r = arg;
	char seq[24], msg[24];
	const char *v[18];

	snprintf(seq, sizeof(seq), "%lld", (long long)e->seq);
	snprintf(msg, sizeof(msg), "%lld", (long long)e->message);
	v[0] = seq; v[1] = e->at; v[2] = e->direction; v[3] = e->partner_oin;
	v[4] = e->message_id; v[5] = e->berichtcode; v[6] = e->entiteittype;
	v[7] = e->subject; v[8] = e->record; v[9] = e->velden; v[10] = e->basis;
	v[11] = e->doel; v[12] = e->outcome; v[13] = e->code;
	v[14] = e->bytes_sha256; v[15] = e->message > 0 ? msg : NULL;
	v[16] = e->detail; v[17] = e->hash;
	if (r->n++ == 0 && r->format == KP_REPORT_CSV)
		for (size_t i = 0; i < 18; i++)
			fprintf(r->out, "%s%s", entry_names[i], i < 17 ? "," : "\n");
	switch (r->format) {
	case KP_REPORT_CSV:
		for (size_t i = 0; i < 18; i++) {
			kp_csv_field(r->out, v[i]);
			fputc(i < 17 ? ',' : '\n', r->out);
		}
		break;
	case KP_REPORT_JSON:
		fputc('{', r->out);
		for (size_t i = 0; i < 18; i++) {
			fprintf(r->out, "%s\"%s\": ", i ? ", " : "", entry_names[i]);
			if (i == 0 || (i == 15 && v[15] != NULL))
				fputs(v[i], r->out);
			else
				kp_json_string(r->out, v[i]);
		}
		fputs("}\n", r->out);
		break;
	default:
		kp_text_line(r->out, "%6lld %.23s %-5s %-20s %-4s %-3s %-10s %-5s %s",
		    (long long)e->seq, e->at != NULL ? e->at : "",
		    e->direction != NULL ? e->direction : "",
		    e->partner_oin != NULL ? e->partner_oin : "-",
		    e->berichtcode != NULL ? e->berichtcode : "-",
		    e->entiteittype != NULL ? e->entiteittype : "-",
		    e->outcome != NULL ? e->outcome : "",
		    e->code != NULL ? e->code : "-",
		    e->detail != NULL ? e->detail : "");
		break;
	}
	return 0;
}

int
kp_audit_query(struct kp_gateway *gw, const struct kp_audit_filter *f,
    enum kp_report_format format, FILE *out, int64_t *count,
    struct kp_err *err)
{
	struct reporting r = { format, out, 0 };
	struct kp_audit_where w = { .at_from = f->from,
	    .partner_oin = f->partner_oin, .direction = f->direction,
	    .outcome = f->outcome, .kind = f->berichtcode };
	char subject[65], until[40];
	int ret;

	if (f->bsn != NULL) {
		if ((ret = kp_audit_pseudonym_of(gw, f->bsn, subject, err)) != KP_OK)
			return ret;
		w.subject = subject;
	}
	if (f->until != NULL) {
		/* a date means the whole day */
		snprintf(until, sizeof(until), "%s%s", f->until,
		    strlen(f->until) == 10 ? "T99" : "");
		w.at_until = until;
	}
	if (format == KP_REPORT_TABLE)
		fprintf(out, "   seq time                    dir   partner              "
		    "code ent outcome    fault detail\n");
	ret = kp_store_each_audit(gw->store, &w, report_entry, &r, err);
	*count = r.n;
	return ret;
}

struct showing {
	FILE	*out;
	int64_t	 entries, message;
};

static int
show_entry(void *arg, const struct kp_audit_entry *e)
{
	struct showing *s = arg;
	struct reporting r = { KP_REPORT_TABLE, s->out, 1 };

	s->entries++;
	if (e->message > 0)
		s->message = e->message;
	return report_entry(&r, e);
}

struct show_message {
	struct kp_gateway	*gw;
	FILE			*out;
	int			 found;
};

static int
show_one_message(void *arg, const struct kp_stored_message *m)
{
	struct show_message *sm = arg;
	struct kp_reverify counts = { 0 };
	struct reverify_ctx rc = { sm->gw, sm->out, &counts };

	sm->found = 1;
	fputc('\n', sm->out);
	kp_text_line(sm->out, "archived message %lld (%s, partner %s, stored "
	    "%s), %zu bytes:", (long long)m->id, m->direction, m->partner_oin,
	    m->at, m->len);
	/* the exact bytes are in the store; here, what a terminal may show */
	kp_text_write(sm->out, (const char *)m->bytes, m->len, KP_TEXT_LINES);
	fputc('\n', sm->out);
	reverify_one(&rc, m);
	fprintf(sm->out, "\nsignature: %s\n", counts.verified ? "verifies (as "
	    "of the time it was stored)" : "DOES NOT VERIFY (see above)");
	return 0;
}

int
kp_audit_show(struct kp_gateway *gw, const char *message_id, FILE *out,
    struct kp_err *err)
{
	struct showing s = { out, 0, 0 };
	struct show_message sm = { gw, out, 0 };
	struct kp_audit_where w = { .message_id = message_id };
	int ret;

	kp_text_line(out, "audit entries of message %s:", message_id);
	if ((ret = kp_store_each_audit(gw->store, &w, show_entry, &s,
	    err)) != KP_OK)
		return ret;
	if (s.entries == 0)
		return kp_fail(err, KP_ERR_USAGE, "no audit entry names message "
		    "%s", message_id);
	if (s.message == 0) {
		fprintf(out, "\nno archived message: it was refused or rejected "
		    "before it was stored (its SHA-256 is in the entry)\n");
		return KP_OK;
	}
	if ((ret = kp_store_message(gw->store, s.message, show_one_message, &sm,
	    err)) != KP_OK)
		return ret;
	if (!sm.found)
		fprintf(out, "\nthe entry links archived message %lld, but the "
		    "store no longer holds it: it was removed after it was "
		    "written (run ketenpoort audit verify)\n",
		    (long long)s.message);
	return KP_OK;
}
