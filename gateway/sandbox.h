/*
 * sandbox — what the key process gives up once its keys are loaded
 * (issue 16): root for its own account (when started as root), any way
 * back to more privilege (PR_SET_NO_NEW_PRIVS), core dumps and being read
 * by processes of its account, and every system call but the few that
 * answering requests on an open socket takes (a seccomp filter,
 * libseccomp): no file is opened, no socket made, no process started.
 * A call outside the list kills the process (SIGSYS).
 */
#ifndef KP_SANDBOX_H
#define KP_SANDBOX_H

#include "err.h"

/*
 * Enter the sandbox, for good.  user: the account to become when running
 * as root (NULL: stay who we are, as when not root).  token: the key is in
 * a PKCS#11 token, whose module may also look at its files (read-only):
 * fcntl, newfstatat, fstat, lseek, getdents64, and openat without write,
 * create, truncate or append.
 */
int	kp_sandbox_keyproc(const char *user, int token, struct kp_err *err);

/*
 * Leave the sandboxed process: exit_group(2) itself, past libc's and the
 * sanitizers' exit handlers (a leak check stops the world with ptrace,
 * which the filter forbids).
 */
void	kp_sandbox_exit(int code) __attribute__((noreturn));


#endif
