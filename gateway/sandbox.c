/*
 * sandbox — the key process's privilege drop and seccomp filter
 * (sandbox.h).
 */
#include "autoconf.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "log.h"
#include "sandbox.h"

/*
 * Answering on an open socket: receive, send, allocate (OpenSSL's
 * bignums), random numbers (RSA blinding, ECDSA nonces), the time and a
 * futex (libcrypto's locks and once-only initialisation), signal return,
 * and exit.  getpid: libcrypto asks it to notice a fork; sigaltstack: the
 * sanitizers' runtime asks for the signal stack as the process ends.
 */
static const char *const kp_sandbox_allowed[] = {
	"read", "write", "recvfrom", "recvmsg", "sendto", "sendmsg",
	"brk", "mmap", "munmap", "mremap", "madvise",
	"getrandom", "clock_gettime", "gettimeofday", "futex", "getpid",
	"rt_sigreturn", "sigaltstack", "exit", "exit_group", "close",
	NULL
};

/*
 * With a key in a PKCS#11 token, what a file-backed token (SoftHSM2)
 * does for every signature: look at its files again (and its directory
 * for new ones), read-only and locked.  openat itself only for reading
 * (below).
 */
static const char *const kp_sandbox_token_allowed[] = {
	"fcntl", "newfstatat", "fstat", "lseek", "getdents64", NULL
};

static int
drop_user(const char *user, struct kp_err *err)
{
	struct passwd *pw;

	if (geteuid() != 0 || user == NULL)
		return KP_OK;
	if ((pw = getpwnam(user)) == NULL)
		return kp_fail(err, KP_ERR_CONFIG, "key process: no account %s",
		    user);
	if (setgroups(0, NULL) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		return kp_fail(err, KP_ERR_SYS, "key process: cannot become %s: "
		    "%s", user, strerror(errno));
	if (setuid(0) == 0)
		return kp_fail(err, KP_ERR_SYS, "key process: could become root "
		    "again after dropping to %s", user);
	return KP_OK;
}

/*
 * valgrind runs its tool in the process and preloads it; it implements no
 * seccomp(2), so no filter can be made under it (valgrind.sh).
 */
static int
under_valgrind(void)
{
	const char *pre = getenv("LD_PRELOAD");

	return pre != NULL && strstr(pre, "vgpreload") != NULL;
}

int
kp_sandbox_keyproc(const char *user, int token, struct kp_err *err)
{
	struct rlimit none = { 0, 0 };
	scmp_filter_ctx ctx;
	int rc = 0;

	if (drop_user(user, err) != KP_OK)
		return err->status;
	/* no core file, and not readable through /proc by its account */
	if (setrlimit(RLIMIT_CORE, &none) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return kp_fail(err, KP_ERR_SYS, "key process: cannot drop "
		    "privileges: %s", strerror(errno));
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		if (under_valgrind()) {
			log_warnx("key process: under valgrind, which cannot "
			    "run a seccomp filter: the system call filter is "
			    "off (the rest of the sandbox is on)");
			return KP_OK;
		}
		return kp_fail(err, KP_ERR_SYS, "key process: cannot make a "
		    "seccomp filter (does this kernel have seccomp?)");
	}
	for (int i = 0; kp_sandbox_allowed[i] != NULL && rc == 0; i++) {
		int nr = seccomp_syscall_resolve_name(kp_sandbox_allowed[i]);

		/* a name this architecture lacks (gettimeofday on some) */
		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	for (int i = 0; token && kp_sandbox_token_allowed[i] != NULL &&
	    rc == 0; i++) {
		int nr = seccomp_syscall_resolve_name(
		    kp_sandbox_token_allowed[i]);

		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	/* openat for reading only: no writing, creating or truncating */
	if (token && rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
		    SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC |
		    O_APPEND, O_RDONLY));
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0)
		return kp_fail(err, KP_ERR_SYS, "key process: cannot load its "
		    "seccomp filter: %s", strerror(-rc));
	return KP_OK;
}

void
kp_sandbox_exit(int code)
{
	for (;;)
		syscall(SYS_exit_group, code);
}
