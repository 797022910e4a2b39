/*
 * inbound — the inbound pipeline of DESIGN.md, one stage a function:
 *
 *   TLS peer -> profile -> parse (safe) -> envelope shape -> signature and
 *   anti-wrapping -> timestamp -> addressing -> replay -> schema and body
 *   rules -> identities -> policy -> fan-out (relaying) -> one transaction
 *   -> signed Bv03
 *
 * stopping at the first failure with its Fo03 code, answered as a signed
 * SOAP Fault.  Every request leaves exactly one audit row, durable before
 * the answer goes out (group commit in the store).  No network code
 * here: the server hands in bytes and headers, gets bytes and a status back
 * (so the fuzz target drives exactly this function).
 */
#ifndef KP_INBOUND_H
#define KP_INBOUND_H

#include <stddef.h>

#include "err.h"

struct kp_gateway;

struct kp_request {
	const char	*peer_oin;	/* OIN of the verified TLS client certificate */
	const char	*content_type;	/* NULL when absent */
	const char	*soapaction;	/* NULL when absent */
	const char	*body;
	size_t		 len;
};

struct kp_response {
	int		 http_status;	/* 200, 400 or 500 */
	const char	*content_type;
	char		*body;		/* malloc'd */
	size_t		 len;
	kp_fault	 fault;		/* KP_F_NONE on success */
	int		 duplicate;	/* answered from the replay table */
};

struct kp_inbound_call;
typedef void (*kp_inbound_stored)(struct kp_inbound_call *call, void *arg);

/*
 * Run the stages in the caller's thread, then hand the durable write (the
 * message, or the audit row of a refusal) to the store.  stored() runs once
 * it is durable: in the store writer's thread, or before this returns when
 * the store has no writer.  req and its bytes must stay valid until then.
 * NULL when out of memory.
 */
struct kp_inbound_call *kp_inbound_start(struct kp_gateway *gw,
	    const struct kp_request *req, kp_inbound_stored stored, void *arg);
/*
 * After stored(), in the thread that answers: complete the answer (the
 * original one for a racing duplicate, KP013 for a racing conflict, KP050
 * when the store failed) into resp, log it, and free the call.
 */
void	kp_inbound_finish(struct kp_inbound_call *call, struct kp_response *resp);
/* start + wait + finish, for tests, the fuzz target and tools. */
void	kp_inbound_handle(struct kp_gateway *gw, const struct kp_request *req,
	    struct kp_response *resp);
void	kp_response_clear(struct kp_response *resp);

#endif
