/*
 * bench_exchange — how fast is a signed, durably stored, acknowledged
 * exchange, against what the machine's own crypto allows?
 *
 * 1. The machine's RSA-2048 and P-256 sign and verify rates, in-process.
 * 2. The crypto bound for full exchanges on all cores: every notice costs
 *    two signatures and two verifications (request and answer), and both
 *    gateways share the machine: cores / (2 sign + 2 verify).
 * 3. The end-to-end rate: a real `ketenpoort serve` receives; this program
 *    is the sending gateway (T threads, C transfers in flight each, libcurl
 *    multi, kept-alive mTLS), signing each notice at send time, verifying
 *    each signed Bv03 (RelatesTo, SignatureConfirmation) and recording it
 *    as the gateway's deliverer does (deliver.c): handed to its store's
 *    group commit, the transfer free for the next notice meanwhile.  The
 *    run ends when the last record is durable.
 * 4. Their ratio, p50/p99 latency, and the receiver's peak RSS (all its
 *    processes); and p50/p99 at half load: the same notices offered at
 *    half the rate just measured, on a schedule (an open loop: each
 *    notice's latency counts from when it was due).
 * 5. Keys apart (issue 16): each run twice, the receiver with its key
 *    process (the default) and with key_process 0 (keys in the process
 *    that parses), and the ratio of the two; and new mutual-TLS handshakes
 *    per second against that receiver (fresh connections, no session
 *    reuse, a GET that needs no signature), against RSA-2048 sign/s.
 *
 * Several runs; medians are printed last.  Not a test: no pass or fail.
 *
 *   bench_exchange [-n NOTICES] [-r RUNS] [-t THREADS] [-c INFLIGHT]
 *                  [--no-record]   (the sender does not store what it sent)
 *                  [--softhsm]     (also: the receiver's key in SoftHSM2)
 *                  [-L FILE]       (each half-load notice's due time and
 *                                   latency, appended to FILE)
 *                  [-q RATE]       (offer the "half load" at RATE notices/s,
 *                                   to compare builds at the same load)
 *                  [--pg DIR]      (also: the receiver's store on the
 *                                   PostgreSQL cluster at DIR's socket)
 */
#include "autoconf.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "apply.h"
#include "client.h"
#include "compose.h"
#include "config.h"
#include "fixture.h"
#include "gateway.h"
#include "pki.h"
#include "profile.h"
#include "store.h"
#include "util.h"

#include "bench.h"
#include "kd.h"
#include "xmlsafe.h"


/* ---- the sending side ---- */

struct lane {
	CURL			*curl;
	struct kp_composed	 req;
	struct curl_slist	*headers;
	struct kp_buf		 answer;
	double			 started;
	int			 busy;
	long			 idx;		/* paced: the notice it waits to send */
	double			 due;		/* and when */
	int			 armed;
	int			 warm;		/* a warm-up notice: not timed */
};

/* A delivery on its way into the sender's store (as deliver.c lands one). */
struct landing {
	struct kp_write			 w;
	struct kp_outbound_record	 rec;
	struct kp_composed		 req;
	char				*answer;
	atomic_long			*pending;
};

static void
landed(struct kp_store_job *job, void *arg)
{
	struct landing *l = arg;

	(void)job;
	kp_composed_clear(&l->req);
	free(l->answer);
	atomic_fetch_sub(l->pending, 1);
	free(l);
}

struct sender {
	pthread_t		 thread;
	struct fixture		*fx;
	int			 inflight;
	atomic_long		*next;		/* notices started */
	atomic_long		*done;		/* notices answered */
	long			 total;
	double			*latencies;	/* shared, indexed by notice */
	/* paced: this thread's j-th notice due at t0 + j / rate */
	double			 t0, rate;
	long			 seq;
	long			 warm_base;	/* warm-up notices' numbers */
	double			*started;	/* shared: when each one was due */
	atomic_long		*failures;
	xmlDocPtr		 body;
	xmlNodePtr		 refnode;	/* its kd:referentienummer */
	xmlNodePtr		 bsnnode;	/* its kd:bsn */
	int			 record;	/* store each delivered notice */
	atomic_long		*landing;	/* records not yet durable */
	char			 url[128];
};

/* The idx-th of a run of BSNs that pass the elfproef. */
static void
bench_bsn(long idx, char out[16])
{
	for (long k = 10000000 + idx * 7;; k++) {
		long d = k % 100000000, sum = 0;

		for (int i = 0, w = 9; i < 8; i++, w--) {
			long pow10 = 1;

			for (int j = 0; j < 7 - i; j++)
				pow10 *= 10;
			sum += w * ((d / pow10) % 10);
		}
		if (sum % 11 == 10)
			continue;
		snprintf(out, 16, "%08ld%ld", d, sum % 11);
		return;
	}
}

static int
lane_start(struct sender *s, struct lane *l, CURLM *multi, long idx)
{
	struct kp_err err;
	const struct kp_config *cfg = s->fx->partner->cfg;
	char ref[40], bsn[16];


	/* zender + referentienummer is unique: number each notice. */
	snprintf(ref, sizeof(ref), "bench-%ld", idx);
	xmlNodeSetContent(s->refnode, (const xmlChar *)ref);
	/* a citizen of its own, as a day's notices are about many */
	bench_bsn(idx, bsn);
	xmlNodeSetContent(s->bsnnode, (const xmlChar *)bsn);
	/* paced: from when it was due, so that waiting to be sent counts */
	l->started = s->rate > 0 && !l->warm ? l->due : now_s();
	if (kp_request_build(s->fx->partner, s->fx->self_at_partner,
	    xmlDocGetRootElement(s->body), &l->req, &err) != KP_OK) {
		fprintf(stderr, "sign: %s\n", err.msg);
		return -1;
	}
	if (l->curl == NULL) {
		l->curl = curl_easy_init();
		curl_easy_setopt(l->curl, CURLOPT_URL, s->url);
		curl_easy_setopt(l->curl, CURLOPT_SSLCERT, cfg->cert);
		curl_easy_setopt(l->curl, CURLOPT_SSLKEY, cfg->key);
		curl_easy_setopt(l->curl, CURLOPT_CAINFO, cfg->ca);
		curl_easy_setopt(l->curl, CURLOPT_SSLVERSION,
		    (long)CURL_SSLVERSION_TLSv1_2);
		curl_easy_setopt(l->curl, CURLOPT_WRITEFUNCTION, kp_client_collect);
		curl_easy_setopt(l->curl, CURLOPT_WRITEDATA, &l->answer);
		curl_easy_setopt(l->curl, CURLOPT_PRIVATE, l);
		curl_easy_setopt(l->curl, CURLOPT_NOSIGNAL, 1L);
	}
	curl_slist_free_all(l->headers);
	if ((l->headers = kp_client_post(l->curl, &l->req)) == NULL)
		return -1;
	kp_buf_clear(&l->answer);
	l->busy = 1;
	curl_multi_add_handle(multi, l->curl);
	return 0;
}

/*
 * Lane l takes the next notice: at once, or paced (an open loop: this
 * thread's j-th is due at t0 + j / rate whatever happened before, so a
 * slow answer does not hold back the load behind it).  1 when it took one.
 */
static int
take(struct sender *s, struct lane *l, CURLM *multi)
{
	long idx = atomic_fetch_add(s->next, 1);

	if (idx >= s->total)
		return 0;
	if (s->rate > 0) {
		l->idx = idx;
		l->due = s->t0 + (double)s->seq++ / s->rate;
		l->armed = 1;
		return 1;
	}
	return lane_start(s, l, multi, idx) == 0;
}

static void *
sender_main(void *arg)
{
	struct sender *s = arg;
	struct lane *lanes = calloc((size_t)s->inflight, sizeof(*lanes));
	CURLM *multi = curl_multi_init();
	int running = 0, active = 0, warming = 0;

	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)s->inflight);
	for (int i = 0; i < s->inflight; i++)
		kp_buf_init(&lanes[i].answer, 4 * 1024 * 1024);
	if (s->rate > 0) {
		/*
		 * Paced: first one untimed notice per lane, so that the
		 * schedule meets kept-alive connections as between gateways,
		 * not 16 handshakes at once.
		 */
		for (int i = 0; i < s->inflight; i++) {
			lanes[i].warm = 1;
			if (lane_start(s, &lanes[i], multi, s->warm_base + i) == 0)
				warming++;
		}
		active = warming;
	} else
		for (int i = 0; i < s->inflight; i++)
			active += take(s, &lanes[i], multi);
	while (active > 0) {		/* warm lanes are active too */
		CURLMsg *msg;
		int left, wait_ms = 100;
		double now;

		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			struct lane *l;
			struct kp_outcome out = { 0 };
			struct kp_err err;
			struct landing *land;
			long code = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &l);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
			    &code);
			curl_multi_remove_handle(multi, msg->easy_handle);
			if (msg->data.result != CURLE_OK || code != 200 ||
			    kp_answer_verify(s->fx->partner, s->fx->self_at_partner,
			    &l->req, l->answer.data, l->answer.len, &out,
			    &err) != KP_OK ||
			    out.fault != KP_F_NONE) {
				/* the first of a run says why, on stderr */
				if (atomic_fetch_add(s->failures, 1) == 0)
					fprintf(stderr, "bench: first failure: "
					    "curl %d, HTTP %ld, %s\n",
					    (int)msg->data.result, code,
					    code == 200 ? (out.fault != KP_F_NONE ?
					    kp_fault_code(out.fault) : err.msg) :
					    "no answer to verify");
			} else if (s->record &&
			    (land = calloc(1, sizeof(*land))) != NULL) {
				size_t alen;

				land->req = l->req;
				memset(&l->req, 0, sizeof(l->req));
				land->answer = kp_buf_steal(&l->answer, &alen);
				land->rec = (struct kp_outbound_record){
					.partner_oin = OIN_SELF,
					.message_id = land->req.message_id,
					.root = "zakLk01", .bytes = land->req.bytes,
					.len = land->req.len,
					.response = land->answer,
					.response_len = alen,
					.outcome = "delivered",
				};
				land->pending = s->landing;
				land->w.kind = KP_WRITE_SENT;
				land->w.sent = &land->rec;
				land->w.job.done = landed;
				land->w.job.arg = land;
				atomic_fetch_add(s->landing, 1);
				kp_apply_submit(s->fx->partner->store, &land->w);
			}
			kp_outcome_clear(&out);
			kp_composed_clear(&l->req);
			active--;
			if (l->warm) {
				l->warm = 0;
				if (--warming == 0) {
					/* all warm: the schedule starts */
					s->t0 = now_s();
					for (int i = 0; i < s->inflight; i++)
						active += take(s, &lanes[i], multi);
				}
				continue;
			}
			{
				long k = atomic_fetch_add(s->done, 1);

				s->latencies[k] = now_s() - l->started;
				s->started[k] = l->started - s->t0;
			}
			active += take(s, l, multi);
		}
		/* after the answers: a lane may just have taken its next one */
		now = now_s();
		for (int i = 0; i < s->inflight; i++) {
			struct lane *l = &lanes[i];

			if (!l->armed)
				continue;
			if (l->due <= now) {
				l->armed = 0;
				if (lane_start(s, l, multi, l->idx) != 0)
					active--;
				else
					wait_ms = 0;	/* let curl send it */
			} else if ((l->due - now) * 1000 < wait_ms)
				wait_ms = (int)((l->due - now) * 1000);
		}
		if (active > 0)
			curl_multi_poll(multi, NULL, 0, wait_ms, NULL);
	}
	for (int i = 0; i < s->inflight; i++) {
		if (lanes[i].curl != NULL)
			curl_easy_cleanup(lanes[i].curl);
		curl_slist_free_all(lanes[i].headers);
		kp_buf_clear(&lanes[i].answer);
	}
	free(lanes);
	curl_multi_cleanup(multi);
	return NULL;
}

static int
free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static int
wait_listening(int port)
{
	for (int i = 0; i < 200; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		sin.sin_port = htons((unsigned short)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		close(fd);
		if (ok)
			return 0;
		usleep(50000);
	}
	return -1;
}

struct run_result {
	double	rate, p50_ms, p99_ms, handshakes;
	long	rss_kb, failures;
	/* CPU microseconds a notice: receiver (all its processes), sender */
	double	recv_user, recv_sys, send_user, send_sys;
};

static size_t discard(char *, size_t, size_t, void *);

static double
tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* -L FILE: each half-load notice's due time (s) and latency (ms), appended. */
static const char *latency_file;
/* -q RATE: the "half load" offered at RATE notices/s, not half the measured */
static double half_rate;

/* New mutual-TLS handshakes per second for about a second, one thread. */
static double
handshake_rate(struct fixture *fx)
{
	struct kp_client_tls tls;
	double start, elapsed;
	long n = 0;
	CURL *h = curl_easy_init();

	if (h == NULL)
		return 0;
	kp_client_configure(h, fx->partner, fx->self_at_partner, &tls);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	start = now_s();
	do {
		long code = 0;

		if (curl_easy_perform(h) == CURLE_OK &&
		    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) ==
		    CURLE_OK && code == 405)
			n++;
		elapsed = now_s() - start;
	} while (elapsed < 1.0);
	curl_easy_cleanup(h);
	return (double)n / elapsed;
}

static size_t
discard(char *data, size_t size, size_t nmemb, void *arg)
{
	(void)data;
	(void)arg;
	return size * nmemb;
}

/*
 * --pg DIR: the receiver's store a new database of the PostgreSQL cluster
 * listening on the Unix socket in DIR (user kp; bench_exchange.sh
 * starts one), its audit key in a file beside the configuration.
 */
static const char *pg_host;

/*
 * The configuration file conf with its line for option name (the first
 * one) replaced by the lines in with.
 */
static int
conf_replace(const char *conf, const char *name, const char *with)
{
	char line[1024], *text = NULL;
	size_t len = 0, n = strlen(name);
	FILE *f, *out;
	int done = 0;

	if ((f = fopen(conf, "r")) == NULL)
		return -1;
	if ((out = open_memstream(&text, &len)) == NULL) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL)
		if (!done && strncmp(line, name, n) == 0 && line[n] == ' ') {
			fputs(with, out);
			done = 1;
		} else
			fputs(line, out);
	fclose(f);
	fclose(out);
	if (!done || (f = fopen(conf, "w")) == NULL) {
		free(text);
		return -1;
	}
	fputs(text, f);
	free(text);
	return fclose(f) == 0 ? 0 : -1;
}

static int
store_on_pg(struct fixture *fx, const char *conf)
{
	static int made;
	char db[64], cmd[1024], with[1024];

	snprintf(db, sizeof(db), "kpbench%d_%d", (int)getpid(), ++made);
	snprintf(cmd, sizeof(cmd), "psql -q 'host=%s user=kp dbname=postgres' "
	    "-c 'CREATE DATABASE %s' > /dev/null", pg_host, db);
	if (system(cmd) != 0)
		return -1;
	snprintf(with, sizeof(with), "store postgresql:///%s?host=%s&user=kp\n"
	    "audit_key %s/self.audit-key\n", db, pg_host, fx->dir);
	return conf_replace(conf, "store", with);
}

/*
 * --softhsm: the receiver's key made inside a SoftHSM2 token of the run
 * (ketenpoort pki issue --pkcs11), its configuration naming it by URI.
 */
static int
key_in_token(const char *kp, struct fixture *fx, const char *conf)
{
	static const char *const modules[] = {
		"/usr/lib/softhsm/libsofthsm2.so",
		"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	};
	const char *module = NULL;
	char path[512], uri[1024], cmd[2048], line[1100];
	FILE *f;

	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
		if (access(modules[i], R_OK) == 0)
			module = modules[i];
	if (module == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/softhsm2.conf", fx->dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "directories.tokendir = %s/tokens\n", fx->dir);
	fclose(f);
	setenv("SOFTHSM2_CONF", path, 1);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/tokens && softhsm2-util "
	    "--init-token --free --label bench --pin 1234 --so-pin 5678 "
	    ">/dev/null && (umask 077; echo 1234 > %s/pin)", fx->dir, fx->dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(uri, sizeof(uri), "pkcs11:token=bench;object=self?pin-source="
	    "file:%s/pin&module-path=%s", fx->dir, module);
	snprintf(cmd, sizeof(cmd), "%s pki issue %s/pki selfhsm --oin %s "
	    "--org self --pkcs11 '%s' > /dev/null", kp, fx->dir, OIN_SELF, uri);
	if (system(cmd) != 0)
		return -1;
	snprintf(line, sizeof(line), "key %s\n", uri);
	return conf_replace(conf, "cert", "cert pki/selfhsm.crt\n") == 0 &&
	    conf_replace(conf, "key", line) == 0 ? 0 : -1;
}

static int
one_run(const char *kp, long n, int threads, int inflight, int record,
    int key_process, int on_pg, double rate, struct run_result *res)
{
	struct fixture fx;
	struct sender *senders;
	atomic_long next = 0, done = 0, failures = 0, landing = 0;
	struct kp_err err;
	double *lat, *due, start, elapsed;
	char conf[512];
	int port = free_port();
	pid_t pid;
	int status;

	memset(res, 0, sizeof(*res));
	if (fixture_setup_port(&fx, port) != 0)
		return -1;
	/* The receiver runs in its own process, as in production. */
	kp_gateway_close(fx.self);
	fx.self = NULL;
	snprintf(conf, sizeof(conf), "%s/self.conf", fx.dir);
	if (on_pg && store_on_pg(&fx, conf) != 0) {
		fprintf(stderr, "bench: no database on the PostgreSQL cluster in "
		    "%s\n", pg_host);
		fixture_teardown(&fx);
		return -1;
	}
	if (key_process == 2 && key_in_token(kp, &fx, conf) != 0) {
		fprintf(stderr, "bench: no SoftHSM2 token (tools/dev installs "
		    "softhsm2)\n");
		fixture_teardown(&fx);
		return -1;
	}
	{
		/*
		 * All 2 x 8 transfers connect at once from one address: more
		 * than the default allows unauthenticated per address, which
		 * would refuse some handshakes (curl 35) at the start.
		 */
		FILE *f = fopen(conf, "a");

		if (f == NULL || fprintf(f, "max_unauthenticated_per_address "
		    "256\n%s", key_process ? "" : "key_process 0\n") < 0 ||
		    fclose(f) != 0) {
			fixture_teardown(&fx);
			return -1;
		}
	}
	if ((pid = fork()) == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 2);
		execl(kp, kp, "serve", "-c", conf, (char *)NULL);
		_exit(127);
	}
	if (wait_listening(port) != 0) {
		fprintf(stderr, "bench: receiver did not start\n");
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		fixture_teardown(&fx);
		return -1;
	}
	if (record && kp_store_writer_start(fx.partner->store, &err) != KP_OK) {
		fprintf(stderr, "bench: %s\n", err.msg);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		fixture_teardown(&fx);
		return -1;
	}
	lat = calloc((size_t)n, sizeof(double));
	due = calloc((size_t)n, sizeof(double));
	senders = calloc((size_t)threads, sizeof(*senders));
	{
		double u0, s0;
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		res->send_user = -tv_s(&ru.ru_utime);
		res->send_sys = -tv_s(&ru.ru_stime);
		if (proc_tree_cpu((long)pid, &u0, &s0) == 0) {
			res->recv_user = -u0;
			res->recv_sys = -s0;
		}
	}
	start = now_s();
	for (int i = 0; i < threads; i++) {
		senders[i].fx = &fx;
		senders[i].inflight = inflight;
		senders[i].record = record;
		senders[i].t0 = start;
		senders[i].rate = rate / threads;
		senders[i].warm_base = n + (long)i * inflight;
		senders[i].landing = &landing;
		senders[i].next = &next;
		senders[i].done = &done;
		senders[i].total = n;
		senders[i].latencies = lat;
		senders[i].started = due;
		senders[i].failures = &failures;
		senders[i].body = fixture_body("zakLk01", OIN_PARTNER, OIN_SELF,
		    "bench", "111222333");
		senders[i].bsnnode = kp_xml_child(kp_xml_child(kp_xml_child(
		    xmlDocGetRootElement(senders[i].body), KD_NS, "object"),
		    KD_NS, "zaak"), KD_NS, "bsn");
		senders[i].refnode = kp_xml_next(kp_xml_next(kp_xml_next(
		    kp_xml_first(kp_xml_first(xmlDocGetRootElement(
		    senders[i].body))))));
		snprintf(senders[i].url, sizeof(senders[i].url),
		    "https://127.0.0.1:%d/wus/v1", port);
		pthread_create(&senders[i].thread, NULL, sender_main, &senders[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(senders[i].thread, NULL);
		xmlFreeDoc(senders[i].body);
	}
	while (atomic_load(&landing) > 0)	/* the last records durable */
		usleep(1000);
	elapsed = now_s() - start;
	{
		double u1, s1, per = 1e6 / (double)n;
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		res->send_user = (res->send_user + tv_s(&ru.ru_utime)) * per;
		res->send_sys = (res->send_sys + tv_s(&ru.ru_stime)) * per;
		if (proc_tree_cpu((long)pid, &u1, &s1) == 0) {
			res->recv_user = (res->recv_user + u1) * per;
			res->recv_sys = (res->recv_sys + s1) * per;
		}
	}
	res->rss_kb = proc_tree_kb((long)pid, "VmHWM");
	res->handshakes = handshake_rate(&fx);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	res->failures = failures;
	res->rate = (double)(n - failures) / elapsed;
	if (rate > 0 && latency_file != NULL) {
		FILE *f = fopen(latency_file, "a");

		for (long i = 0; f != NULL && i < n; i++)
			fprintf(f, "%.4f %.2f\n", due[i], lat[i] * 1000);
		if (f != NULL)
			fclose(f);
	}
	free(due);
	res->p50_ms = median(lat, (int)n) * 1000;
	res->p99_ms = lat[(size_t)((double)n * 0.99)] * 1000;	/* sorted now */
	free(lat);
	free(senders);
	fixture_teardown(&fx);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "no-record", no_argument, NULL, 'R' },
		{ "softhsm", no_argument, NULL, 'H' },
		{ "pg", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	long n = 2000;
	int runs = 3, threads = 2, inflight = 8, record = 1, softhsm = 0, ch;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	const char *kp = getenv("KP");
	double rsa_sign, rsa_verify, ec_sign, ec_verify, bound;
	double rates[16], p50[16], p99[16], ratios[16], rss[16], apart[16];
	double hs[16], hs_in[16], inhsm[16], half_p50[16], half_p99[16];
	double onpg[16], cpu[16], kern[16], cpu_recv[16], cpu_send[16];
	double crypto_us;
	EVP_PKEY *rsa, *ec;

	while ((ch = getopt_long(argc, argv, "n:r:t:c:L:q:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'q': half_rate = atof(optarg); break;
		case 'L': latency_file = optarg; break;
		case 'n': n = atol(optarg); break;
		case 'r': runs = atoi(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 'c': inflight = atoi(optarg); break;
		case 'R': record = 0; break;
		case 'H': softhsm = 1; break;
		case 'P': pg_host = optarg; break;
		default:
			fprintf(stderr, "usage: bench_exchange [-n N] [-r RUNS] "
			    "[-t THREADS] [-c INFLIGHT] [--no-record] [--softhsm] "
			    "[-L FILE] [-q RATE] [--pg SOCKETDIR]\n");
			return 2;
		}
	}
	if (runs > 16)
		runs = 16;
	if (kp == NULL)
		kp = "./ketenpoort";

	rsa = EVP_RSA_gen(2048);
	ec = EVP_EC_gen("P-256");
	rsa_sign = bench_crypto_rate(rsa, 0, 1.0);
	rsa_verify = bench_crypto_rate(rsa, 1, 1.0);
	ec_sign = bench_crypto_rate(ec, 0, 1.0);
	ec_verify = bench_crypto_rate(ec, 1, 1.0);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	bound = (double)cores / (2.0 / rsa_sign + 2.0 / rsa_verify);
	crypto_us = 2e6 / rsa_sign + 2e6 / rsa_verify;
	printf("machine: %ld cores\n", cores);
	printf("RSA-2048: %.0f sign/s, %.0f verify/s (one core)\n", rsa_sign,
	    rsa_verify);
	printf("P-256:    %.0f sign/s, %.0f verify/s (one core)\n", ec_sign,
	    ec_verify);
	printf("crypto bound, RSA-2048, %ld cores, 2 sign + 2 verify per "
	    "notice: %.0f notices/s\n", cores, bound);
	printf("end to end: %ld notices per run, %d sender threads x %d in "
	    "flight, sender %s, receiver: ketenpoort serve\n", n, threads,
	    inflight, record ? "records each delivery" : "records nothing");
	for (int r = 0; r < runs; r++) {
		struct run_result res, inproc, half;

		if (one_run(kp, n, threads, inflight, record, 1, 0, 0, &res) != 0 ||
		    one_run(kp, n, threads, inflight, record, 0, 0, 0, &inproc) !=
		    0 || one_run(kp, n, threads, inflight, record, 1, 0,
		    half_rate > 0 ? half_rate : res.rate / 2, &half) != 0)
			return 1;
		rates[r] = res.rate;
		p50[r] = res.p50_ms;
		p99[r] = res.p99_ms;
		ratios[r] = res.rate / bound;
		rss[r] = (double)res.rss_kb;
		apart[r] = res.rate / inproc.rate;
		cpu_recv[r] = res.recv_user + res.recv_sys;
		cpu_send[r] = res.send_user + res.send_sys;
		cpu[r] = cpu_recv[r] + cpu_send[r];
		kern[r] = res.recv_sys + res.send_sys;
		if (softhsm) {
			struct run_result hsm;

			if (one_run(kp, n, threads, inflight, record, 2, 0, 0, &hsm) != 0)
				return 1;
			inhsm[r] = hsm.rate / inproc.rate;
			printf("       key in SoftHSM2: %.0f notices/s, failures "
			    "%ld; / in-process %.2f\n", hsm.rate, hsm.failures,
			    inhsm[r]);
		}
		half_p50[r] = half.p50_ms;
		half_p99[r] = half.p99_ms;
		printf("       at half load (%.0f notices/s offered, %.0f done): "
		    "p50 %.1f ms, p99 %.1f ms = %.1f x p50\n", half_rate > 0 ?
		    half_rate : res.rate / 2,
		    half.rate, half.p50_ms, half.p99_ms,
		    half.p99_ms / half.p50_ms);
		if (pg_host != NULL) {
			struct run_result pg;

			if (one_run(kp, n, threads, inflight, record, 1, 1, 0,
			    &pg) != 0)
				return 1;
			onpg[r] = pg.rate / res.rate;
			printf("       receiver on PostgreSQL: %.0f notices/s, "
			    "failures %ld, p50 %.1f ms, p99 %.1f ms; / on SQLite "
			    "%.2f\n", pg.rate, pg.failures, pg.p50_ms, pg.p99_ms,
			    onpg[r]);
		}
		hs[r] = res.handshakes;
		hs_in[r] = inproc.handshakes;
		printf("run %d: %.0f notices/s, ratio %.2f, p50 %.1f ms, p99 %.1f "
		    "ms, receiver peak RSS %ld KiB, failures %ld\n", r + 1,
		    res.rate, ratios[r], res.p50_ms, res.p99_ms, res.rss_kb,
		    res.failures);
		printf("       CPU a notice: receiver %.0f us (kernel %.0f), "
		    "sender %.0f us (kernel %.0f): %.0f us, of which %.0f us "
		    "RSA\n", cpu_recv[r], res.recv_sys, cpu_send[r], res.send_sys,
		    cpu[r], crypto_us);
		printf("       keys in-process: %.0f notices/s, peak RSS %ld KiB, "
		    "failures %ld, receiver CPU a notice %.0f us (kernel %.0f); "
		    "key process / in-process %.2f\n", inproc.rate,
		    inproc.rss_kb, inproc.failures, inproc.recv_user +
		    inproc.recv_sys, inproc.recv_sys, apart[r]);
		printf("       new handshakes: %.0f/s with the key process, %.0f/s "
		    "in-process; RSA-2048 sign %.0f/s\n", hs[r], hs_in[r],
		    rsa_sign);
		fflush(stdout);
	}
	printf("median of %d runs: %.0f notices/s, ratio to the crypto bound "
	    "%.2f, p50 %.1f ms, p99 %.1f ms, receiver peak RSS %.0f KiB\n",
	    runs, median(rates, runs), median(ratios, runs), median(p50, runs),
	    median(p99, runs), median(rss, runs));
	printf("CPU a notice, both gateways: %.0f us (receiver %.0f, sender "
	    "%.0f), of which kernel %.0f us and RSA %.0f us; 0.5 of the bound "
	    "on %ld cores leaves %.0f us a notice in all\n", median(cpu, runs),
	    median(cpu_recv, runs), median(cpu_send, runs), median(kern, runs),
	    crypto_us, cores, 2 * crypto_us);
	printf("at half load: p50 %.1f ms, p99 %.1f ms: p99 = %.1f x p50 (goal "
	    "<= 3)\n", median(half_p50, runs), median(half_p99, runs),
	    median(half_p99, runs) / median(half_p50, runs));
	printf("keys apart: exchange rate with the key process / keys "
	    "in-process %.2f (goal >= 0.9); new handshakes/s %.0f (in-process "
	    "%.0f) = %.2f x RSA-2048 sign/s\n", median(apart, runs),
	    median(hs, runs), median(hs_in, runs), median(hs, runs) / rsa_sign);
	if (pg_host != NULL)
		printf("receiver on PostgreSQL: exchange rate / on SQLite %.2f "
		    "(goal >= 0.7)\n", median(onpg, runs));
	if (softhsm)
		printf("key in SoftHSM2: exchange rate / keys in-process %.2f "
		    "(reported, no goal)\n", median(inhsm, runs));
	return 0;
}
