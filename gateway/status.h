/*
 * status — each link's state, read once into structs: our streams to the
 * partner and its outbox rows, its streams to us, the last digest
 * comparison and (on request) the next number per partitie.  The CLI's
 * `sync status` prints them as text, the local interface's GET /sync as
 * JSON, /metrics and /healthz count from them, the scheduled verify picks
 * its partners from them: one reading, so none of them can disagree.
 * (The outbox's rows have one reader already: kp_store_outbox_list.)
 */
#ifndef KP_STATUS_H
#define KP_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct kp_gateway;

/* One partitie of a link: the next volgnummer out and in (0: unused). */
struct kp_link_stream {
	int64_t		 partitie, next_out, next_in;
};

struct kp_link {
	char		 partner_oin[24];
	char		 naam[128];		/* its profile's, "": none */
	int64_t		 streams_out, next_out_total;	/* our streams to it */
	int64_t		 pending, parked, delivered;
	int64_t		 conflicts;	/* parked on KP031: a human must look */
	char		 oldest_undelivered[40];	/* created_at, or "" */
	int64_t		 streams_in, next_in_total;	/* its streams to us */
	char		 checked_at[40];		/* last verify, or "" */
	int64_t		 checked_citizens, checked_differ, checked_in_flight;
	char		*check_error;			/* "" when it ran */
	struct kp_link_stream *streams;		/* with_streams only */
	size_t		 nstreams;
};

struct kp_links {
	struct kp_link	*v;
	size_t		 n;
};

/*
 * Every partner with a stream in or out, or a digest comparison, in OIN
 * order; with_streams: each with its partities.
 */
int	kp_status_links(struct kp_gateway *gw, int with_streams,
	    struct kp_links *out, struct kp_err *err);
void	kp_status_links_clear(struct kp_links *links);

#endif
