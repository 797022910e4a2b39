/*
 * daemon — the parent of `serve`, and the network process's start
 * (daemon.h).
 */
#include "autoconf.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "escape.h"
#include "gateway.h"
#include "keychild.h"
#include "keylink.h"
#include "keyprov.h"
#include "log.h"
#include "pkcs11.h"
#include "server.h"

#define KEYS_MAX	8	/* key processes alive at once (renewals) */

struct parent {
	struct kp_config	*cfg;
	struct kp_keychild_conf	 keyconf;
	pid_t			 net;
	pid_t			 keys[KEYS_MAX];	/* alive, oldest first */
	int			 nkeys;
	struct stat		 key_file;	/* as the newest one read it */
	int			 ctl;		/* to the network process */
	time_t			 key_started;
	int			 key_wanted;	/* a restart failed or was too soon */
	int			 net_status;
	int			 net_done;
};

/*
 * Each partner connection is a descriptor, and so are the store, the
 * listeners, the local and admin clients and the outbound connections.
 * systemd and most shells start a service with a soft limit of 1024; raise
 * it (up to the hard limit) so max_connections can be reached, and say so
 * when the hard limit is too low.  Set here, the children inherit it.
 */
static void
open_files_for(const struct kp_config *cfg)
{
	rlim_t want = (rlim_t)(cfg->max_connections + cfg->max_connections / 4)
	    + 128;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ?
	    want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		log_warnx("max_connections %ld needs about %lu open files, but "
		    "the limit is %lu: raise it (LimitNOFILE= in the systemd "
		    "unit, ulimit -Hn) or lower max_connections",
		    (long)cfg->max_connections, (unsigned long)want,
		    (unsigned long)rl.rlim_cur);
}

/* The network process: the gateway with its keys asked for. */
static int
network_main(const char *path, int verbose, int key_fd, pid_t key_pid,
    int ctl_fd)
{
	struct kp_keyctl *ctl = NULL;
	struct kp_keylink *link = NULL;
	struct kp_gateway *gw = NULL;
	struct kp_err err;
	int ret = 0;

	if (kp_libraries_init(&err) != KP_OK || kp_keyprov_init(&err) != KP_OK) {
		kp_text_line(stderr, "ketenpoort serve: %s", err.msg);
		return 2;
	}
	if (key_fd != -1 && ((ctl = kp_keyctl_new(ctl_fd)) == NULL ||
	    (link = kp_keylink_new(key_fd, key_pid, ctl)) == NULL)) {
		log_warnx("the key process does not answer");
		kp_keyctl_free(ctl);
		return 1;
	}
	if ((gw = link != NULL ? kp_gateway_open_keys(path, ctl, link, stderr,
	    &err) : kp_gateway_open(path, 0, stderr, &err)) == NULL) {
		fprintf(stderr, "ketenpoort serve: not started; fix the problems "
		    "above (ketenpoort check-config -c %s)\n", path);
		ret = 2;
		goto out;
	}
	if (verbose > 0)
		kp_log_set_floor(KP_LOG_DEBUG);
	kp_log_set_level((enum kp_log_level)gw->cfg->log_level);
	if (kp_serve(gw, &err) != KP_OK) {
		/* a partner's words may be in it (a refusal's omschrijving) */
		kp_text_line(stderr, "ketenpoort serve: %s", err.msg);
		ret = 2;
	}
out:
	kp_gateway_close(gw);	/* and the key process's line */
	kp_keyprov_cleanup();
	kp_libraries_cleanup();
	return ret;
}

/*
 * A key process; its end goes to *first_fd (the first, before the network
 * process starts) or over the control socket to the running one, tagged
 * 'k' (started again: the same key) or 'r' (a renewal).  0, or -1.
 */
static int
start_key(struct parent *p, int *first_fd, char tag)
{
	struct kp_err err;
	struct stat st;
	pid_t pid;
	int fd;

	if (p->nkeys == KEYS_MAX) {
		log_warnx("%d key processes are alive already: not starting "
		    "another", KEYS_MAX);
		return -1;
	}
	if (stat(p->keyconf.key_path, &st) != 0)
		memset(&st, 0, sizeof(st));
	if (kp_keychild_spawn(&p->keyconf, &pid, &fd, &err) != KP_OK) {
		log_warnx("%s", err.msg);
		return -1;
	}
	p->keys[p->nkeys++] = pid;
	p->key_file = st;
	p->key_started = time(NULL);
	if (first_fd != NULL) {
		*first_fd = fd;
		return 0;
	}
	if (kp_keylink_send_fd(p->ctl, fd, tag, pid) != 0)
		log_warnx("cannot pass the new key process on: %s",
		    strerror(errno));
	else
		log_info("started a new key process (pid %ld)%s", (long)pid,
		    tag == 'r' ? " for the renewed key" : "");
	close(fd);
	return 0;
}

/* A restart after a death, or a second later if that fails or is too soon. */
static void
restart_key(struct parent *p)
{
	p->key_wanted = 0;
	if (time(NULL) - p->key_started < 1 || start_key(p, NULL, 'k') != 0) {
		if (time(NULL) - p->key_started >= 1)
			log_warnx("trying again in a second");
		p->key_wanted = 1;
		alarm(1);
	}
}

/*
 * SIGHUP: the configuration again, for the key's name.  A key file that
 * changed since the newest key process read it (or a key named anew, or a
 * key in a token, which may have changed without a trace here) gets a key
 * process of its own, passed on as a renewal; the network process decides
 * whether it goes with the certificate.  The new names are kept only if
 * that key process started.
 */
static void
renew_key(struct parent *p, const char *path)
{
	struct kp_config *next;
	struct kp_keychild_conf was = p->keyconf;
	struct kp_err err;
	struct stat st;

	if ((next = kp_config_load(path, NULL, &err)) == NULL)
		return;		/* the network process logs the problems */
	if (strcmp(next->key, was.key_path) == 0 && !kp_pkcs11_is_uri(next->key) &&
	    stat(next->key, &st) == 0 && st.st_dev == p->key_file.st_dev &&
	    st.st_ino == p->key_file.st_ino && st.st_size ==
	    p->key_file.st_size && st.st_mtim.tv_sec ==
	    p->key_file.st_mtim.tv_sec && st.st_mtim.tv_nsec ==
	    p->key_file.st_mtim.tv_nsec) {
		kp_config_free(next);
		return;
	}
	p->keyconf.key_path = next->key;
	p->keyconf.audit_path = next->store != NULL ? next->audit_key : NULL;
	p->keyconf.user = next->user;
	if (start_key(p, NULL, 'r') != 0) {
		log_warnx("SIGHUP: no key process for the key %s: the running "
		    "one stays", next->key);
		p->keyconf = was;
		kp_config_free(next);
		return;
	}
	kp_config_free(p->cfg);
	p->cfg = next;
}

/* What became of a child, for the log. */
static void
ended(const char *what, pid_t pid, int status)
{
	if (WIFSIGNALED(status))
		log_warnx("the %s process (pid %ld) was killed by signal %d%s",
		    what, (long)pid, WTERMSIG(status), WTERMSIG(status) ==
		    SIGSYS ? " (a system call outside its sandbox)" : "");
	else if (WEXITSTATUS(status) != 0)
		log_warnx("the %s process (pid %ld) exited with status %d",
		    what, (long)pid, WEXITSTATUS(status));
}

static void
reap(struct parent *p)
{
	pid_t pid;
	int status, k;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == p->net) {
			p->net_status = status;
			p->net_done = 1;
			ended("network", pid, status);
			continue;
		}
		for (k = 0; k < p->nkeys && p->keys[k] != pid; k++)
			;
		if (k == p->nkeys)
			continue;
		memmove(&p->keys[k], &p->keys[k + 1],
		    (size_t)(p->nkeys - k - 1) * sizeof(pid_t));
		p->nkeys--;
		/* 0: its line closed (replaced, or the network process ends) */
		if (p->net_done || (WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0))
			continue;
		ended("key", pid, status);
		restart_key(p);
	}
}

int
kp_daemon_run(const char *path, int verbose)
{
	struct parent p = { .ctl = -1 };
	struct kp_config *cfg;
	struct kp_err err;
	sigset_t set, old;
	pid_t parent = getpid();
	int ctl[2], key_fd = -1, sig;

	kp_log_init("ketenpoort", KP_LOG_INFO);
	if ((cfg = kp_config_load(path, stderr, &err)) == NULL) {
		fprintf(stderr, "ketenpoort serve: not started; fix the problems "
		    "above (ketenpoort check-config -c %s)\n", path);
		return 2;
	}
	p.cfg = cfg;
	p.keyconf.key_path = cfg->key;
	p.keyconf.audit_path = cfg->store != NULL ? cfg->audit_key : NULL;
	p.keyconf.user = cfg->user;
	open_files_for(cfg);
	if (!cfg->key_process) {
		log_warnx("key_process 0 in %s: the private keys are in the "
		    "process that reads partners' bytes", path);
		kp_config_free(cfg);
		return network_main(path, verbose, -1, 0, -1);
	}
	/* signals wait for sigwait from here, in the parent */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (start_key(&p, &key_fd, 'k') != 0) {
		fprintf(stderr, "ketenpoort serve: not started: the key process "
		    "could not load the keys (see above)\n");
		kp_config_free(cfg);
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) != 0 ||
	    (p.net = fork()) == -1) {
		log_warnx("cannot start the network process: %s",
		    strerror(errno));
		kill(p.keys[0], SIGKILL);
		kp_config_free(cfg);
		return 1;
	}
	if (p.net == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		close(ctl[0]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		kp_config_free(cfg);
		exit(network_main(path, verbose, key_fd, p.keys[0], ctl[1]));
	}
	close(key_fd);
	close(ctl[1]);
	p.ctl = ctl[0];
	log_info("started: key process pid %ld, network process pid %ld",
	    (long)p.keys[0], (long)p.net);
	while (!p.net_done) {
		if ((sig = sigwaitinfo(&set, NULL)) == -1)
			continue;
		switch (sig) {
		case SIGCHLD:
			reap(&p);
			break;
		case SIGALRM:
			if (p.key_wanted)
				restart_key(&p);
			break;
		case SIGHUP:
			/* the renewed key's process first: its end is there */
			renew_key(&p, path);
			kill(p.net, sig);
			break;
		default:	/* TERM, INT: the network process's to act on */
			kill(p.net, sig);
			break;
		}
	}
	for (int k = 0; k < p.nkeys; k++) {
		kill(p.keys[k], SIGKILL);
		waitpid(p.keys[k], NULL, 0);
	}
	close(p.ctl);
	kp_config_free(p.cfg);
	if (WIFSIGNALED(p.net_status)) {
		/* end as it did, for whoever waits for us */
		sigprocmask(SIG_SETMASK, &old, NULL);
		signal(WTERMSIG(p.net_status), SIG_DFL);
		raise(WTERMSIG(p.net_status));
		return 128 + WTERMSIG(p.net_status);
	}
	return WEXITSTATUS(p.net_status);
}
