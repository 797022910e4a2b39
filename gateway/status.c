/*
 * status — each link's state, read once into structs (status.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "profile.h"
#include "status.h"
#include "store.h"

struct reading {
	struct kp_gateway	*gw;
	struct kp_links		*out;
	int			 failed;
};

static int
add_link(void *arg, const struct kp_link_status *s)
{
	struct reading *r = arg;
	const struct kp_profile *p = kp_profiles_by_oin(r->gw->profiles,
	    s->partner_oin);
	struct kp_link *v = realloc(r->out->v, (r->out->n + 1) * sizeof(*v)), *l;

	if (v == NULL) {
		r->failed = 1;
		return 1;
	}
	r->out->v = v;
	l = &v[r->out->n];
	memset(l, 0, sizeof(*l));
	if ((l->check_error = strdup(s->check_error != NULL ? s->check_error :
	    "")) == NULL) {
		r->failed = 1;
		return 1;
	}
	r->out->n++;
	snprintf(l->partner_oin, sizeof(l->partner_oin), "%s", s->partner_oin);
	snprintf(l->naam, sizeof(l->naam), "%s", p != NULL ? p->naam : "");
	l->streams_out = s->streams_out;
	l->next_out_total = s->next_out_total;
	l->pending = s->pending;
	l->parked = s->parked;
	l->delivered = s->delivered;
	l->conflicts = s->conflicts;
	snprintf(l->oldest_undelivered, sizeof(l->oldest_undelivered), "%s",
	    s->oldest_undelivered != NULL ? s->oldest_undelivered : "");
	l->streams_in = s->streams_in;
	l->next_in_total = s->next_in_total;
	snprintf(l->checked_at, sizeof(l->checked_at), "%s",
	    s->checked_at != NULL ? s->checked_at : "");
	l->checked_citizens = s->checked_citizens;
	l->checked_differ = s->checked_differ;
	l->checked_in_flight = s->checked_in_flight;
	return 0;
}

struct streams {
	struct kp_link	*l;
	int		 failed;
};

static int
add_stream(void *arg, int64_t partitie, int64_t next_out, int64_t next_in)
{
	struct streams *ss = arg;
	struct kp_link *l = ss->l;
	struct kp_link_stream *v = realloc(l->streams, (l->nstreams + 1) *
	    sizeof(*v));

	if (v == NULL) {
		ss->failed = 1;
		return 1;
	}
	l->streams = v;
	v[l->nstreams++] = (struct kp_link_stream){ partitie, next_out, next_in };
	return 0;
}

int
kp_status_links(struct kp_gateway *gw, int with_streams, struct kp_links *out,
    struct kp_err *err)
{
	struct reading r = { gw, out, 0 };
	int ret;

	memset(out, 0, sizeof(*out));
	ret = kp_store_link_status(gw->store, add_link, &r, err);
	for (size_t i = 0; ret == KP_OK && with_streams && i < out->n; i++) {
		struct streams ss = { &out->v[i], 0 };

		ret = kp_store_each_stream(gw->store, out->v[i].partner_oin,
		    add_stream, &ss, err);
		r.failed |= ss.failed;
	}
	if (ret == KP_OK && r.failed)
		ret = kp_fail(err, KP_ERR_NOMEM, "out of memory");
	if (ret != KP_OK)
		kp_status_links_clear(out);
	return ret;
}

void
kp_status_links_clear(struct kp_links *links)
{
	for (size_t i = 0; i < links->n; i++) {
		free(links->v[i].check_error);
		free(links->v[i].streams);
	}
	free(links->v);
	links->v = NULL;
	links->n = 0;
}
