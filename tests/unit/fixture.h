/*
 * fixture — a scratch directory with a PKI made for the test, and two
 * gateways opened in-process: "self" (the receiver, OIN_SELF, with a store)
 * and "partner" (the sender, OIN_PARTNER).  Profiles: self knows partner
 * (may send zakLk01, and prsLk01 also as a relay; may receive ZAK records,
 * seeing zaaktype and status) and callcenter (may send kctLk01, receives
 * nothing); partner
 * knows self.  Certificates also exist for callcenter and for a stranger
 * that has no profile anywhere.
 */
#ifndef KP_FIXTURE_H
#define KP_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "inbound.h"

#define OIN_SELF	"00000002002000000000"
#define OIN_PARTNER	"00000001001000000000"
#define OIN_CALLCENTER	"00000003003000000000"
#define OIN_STRANGER	"00000009009000000000"

struct kp_gateway;
struct kp_profile;

struct fixture {
	char			 dir[256];
	struct kp_gateway	*self;
	struct kp_gateway	*partner;
	const struct kp_profile	*self_at_partner;	/* partner's view of self */
};

/* 0 or -1 (with a diagnostic on stdout).  self listens on port 1 (nobody). */
int	fixture_setup(struct fixture *fx);
/* The same with self's endpoint on 127.0.0.1:self_port, for a real server. */
int	fixture_setup_port(struct fixture *fx, int self_port);
void	fixture_teardown(struct fixture *fx);

/* A file under $SRCDIR (or "."): static buffer. */
const char *fixture_src(const char *rel);
/* tests/data/NAME.xml.in with FROM/TO/REF/VOLG/BSN filled in. */
xmlDocPtr fixture_body(const char *name, const char *from, const char *to,
	    const char *ref, const char *bsn);
/* Write a file under the fixture directory; returns its path (static). */
const char *fixture_write(struct fixture *fx, const char *name,
	    const char *text);

struct kp_store;
/*
 * Rows in one of the store's tables ("message", "audit", "record", …),
 * -1 when it cannot be read: the tests' look inside the store, which is
 * no part of its interface.
 */
int64_t	fixture_count(struct kp_store *st, const char *table);

#endif
