/*
 * err — the one error convention of ketenpoort.
 *
 * Fallible functions return 0 (KP_OK) or a negative kp_status and, when the
 * caller passed a struct kp_err, leave a message there that says what was
 * wrong and where.  When the failure is the peer's fault, err->fault holds
 * the protocol code (KP001 …) to put in the Fo03.  Codes of other libraries
 * (OpenSSL, xmlsec, CURLcode, sqlite) are translated where those libraries
 * are called and never escape that module.
 */
#ifndef KP_ERR_H
#define KP_ERR_H

#include <stdbool.h>

typedef enum {
	KP_OK = 0,
	KP_ERR_SYS = -1,	/* a system call failed */
	KP_ERR_NOMEM = -2,
	KP_ERR_CONFIG = -3,	/* configuration or profile is wrong */
	KP_ERR_CRYPTO = -4,	/* key, certificate or signature machinery */
	KP_ERR_XML = -5,	/* our own XML could not be built */
	KP_ERR_STORE = -6,	/* the SQLite store */
	KP_ERR_TLS = -7,
	KP_ERR_TRANSPORT = -8,	/* HTTP / network to a partner */
	KP_ERR_PROTOCOL = -9,	/* the peer broke the protocol: see fault */
	KP_ERR_USAGE = -10,	/* bad command line */
	KP_ERR_NOTFOUND = -11,
	KP_ERR_EXISTS = -12,
} kp_status;

/* Protocol error codes of PROTOCOL.md §3.4. */
typedef enum {
	KP_F_NONE = 0,
	KP_F_001, KP_F_002, KP_F_003,
	KP_F_010, KP_F_011, KP_F_012, KP_F_013,
	KP_F_020, KP_F_021, KP_F_022, KP_F_023,
	KP_F_030, KP_F_031,
	KP_F_040,
	KP_F_050, KP_F_051,
	KP_F_MAX
} kp_fault;

struct kp_err {
	int		status;		/* kp_status of the failure */
	kp_fault	fault;		/* protocol code when status is KP_ERR_PROTOCOL */
	char		msg[512];
};

/* Fill err (may be NULL) and return status. */
int		kp_fail(struct kp_err *err, int status, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* A protocol rejection: status KP_ERR_PROTOCOL with fault f. */
int		kp_reject(struct kp_err *err, kp_fault f, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		kp_err_clear(struct kp_err *err);

const char	*kp_strerror(int status);

/* "KP001" … for a fault, NULL for KP_F_NONE. */
const char	*kp_fault_code(kp_fault f);
/* The fault for "KP001" …, KP_F_NONE if unknown. */
kp_fault	 kp_fault_from_code(const char *code);
/* "client" or "server". */
const char	*kp_fault_plek(kp_fault f);
bool		 kp_fault_herhaalbaar(kp_fault f);

#endif
