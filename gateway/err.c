#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static const struct {
	const char	*code;
	bool		 server;
	bool		 herhaalbaar;
} fault_table[KP_F_MAX] = {
	[KP_F_001] = { "KP001", false, false },
	[KP_F_002] = { "KP002", false, false },
	[KP_F_003] = { "KP003", false, false },
	[KP_F_010] = { "KP010", false, false },
	[KP_F_011] = { "KP011", false, false },
	[KP_F_012] = { "KP012", false, false },
	[KP_F_013] = { "KP013", false, false },
	[KP_F_020] = { "KP020", false, false },
	[KP_F_021] = { "KP021", false, false },
	[KP_F_022] = { "KP022", false, false },
	[KP_F_023] = { "KP023", false, false },
	[KP_F_030] = { "KP030", false, true },
	[KP_F_031] = { "KP031", false, false },
	[KP_F_040] = { "KP040", false, false },
	[KP_F_050] = { "KP050", true, true },
	[KP_F_051] = { "KP051", true, true },
};

static int
vfail(struct kp_err *err, int status, kp_fault f, const char *fmt, va_list ap)
{
	if (err == NULL)
		return status;
	err->status = status;
	err->fault = f;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return status;
}

int
kp_fail(struct kp_err *err, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(err, status, KP_F_NONE, fmt, ap);
	va_end(ap);
	return status;
}

int
kp_reject(struct kp_err *err, kp_fault f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(err, KP_ERR_PROTOCOL, f, fmt, ap);
	va_end(ap);
	return KP_ERR_PROTOCOL;
}

void
kp_err_clear(struct kp_err *err)
{
	if (err == NULL)
		return;
	err->status = KP_OK;
	err->fault = KP_F_NONE;
	err->msg[0] = '\0';
}

const char *
kp_strerror(int status)
{
	switch (status) {
	case KP_OK:		return "success";
	case KP_ERR_SYS:	return "system error";
	case KP_ERR_NOMEM:	return "out of memory";
	case KP_ERR_CONFIG:	return "configuration error";
	case KP_ERR_CRYPTO:	return "cryptographic error";
	case KP_ERR_XML:	return "XML error";
	case KP_ERR_STORE:	return "store error";
	case KP_ERR_TLS:	return "TLS error";
	case KP_ERR_TRANSPORT:	return "transport error";
	case KP_ERR_PROTOCOL:	return "protocol violation";
	case KP_ERR_USAGE:	return "usage error";
	case KP_ERR_NOTFOUND:	return "not found";
	case KP_ERR_EXISTS:	return "already exists";
	default:		return "unknown error";
	}
}

const char *
kp_fault_code(kp_fault f)
{
	if (f <= KP_F_NONE || f >= KP_F_MAX)
		return NULL;
	return fault_table[f].code;
}

kp_fault
kp_fault_from_code(const char *code)
{
	for (int f = KP_F_NONE + 1; f < KP_F_MAX; f++)
		if (code != NULL && strcmp(fault_table[f].code, code) == 0)
			return (kp_fault)f;
	return KP_F_NONE;
}

const char *
kp_fault_plek(kp_fault f)
{
	if (f <= KP_F_NONE || f >= KP_F_MAX)
		return "server";
	return fault_table[f].server ? "server" : "client";
}

bool
kp_fault_herhaalbaar(kp_fault f)
{
	if (f <= KP_F_NONE || f >= KP_F_MAX)
		return false;
	return fault_table[f].herhaalbaar;
}
