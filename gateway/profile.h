/*
 * profile — partner profiles: one XML file per partner (xsd/profile.xsd).
 *
 * A profile names the partner's OIN, name, endpoint, role and the message
 * types it may send us.  Loading validates every file and reports each
 * problem as "file:line: what"; two profiles with the same OIN are refused.
 */
#ifndef KP_PROFILE_H
#define KP_PROFILE_H

#include <stdio.h>

#include "err.h"

struct kp_schema;

struct kp_receive_rule {
	char	  entiteittype[8];
	char	**velden;	/* fields the partner may see */
	size_t	  nvelden;
};

struct kp_profile {
	char	 *path;
	char	 *stem;		/* file name without .xml: how operators name it */
	char	  oin[24];
	char	 *naam;
	char	 *endpoint;
	char	 *rol;
	char	**zenden;	/* body roots it may send us */
	int	 *relay;	/* per root: may pass on others' records */
	size_t	  nzenden;
	struct kp_receive_rule *ontvangen;	/* what we may send it */
	size_t	  nontvangen;
};

struct kp_profiles {
	struct kp_profile	*v;
	size_t			 n;
};

struct kp_profiles	*kp_profiles_load(const char *dir,
			    struct kp_schema *profile_schema, FILE *problems,
			    struct kp_err *err);
void			 kp_profiles_free(struct kp_profiles *p);

const struct kp_profile	*kp_profiles_by_oin(const struct kp_profiles *p,
			    const char *oin);
/* By OIN, file stem or naam. */
const struct kp_profile	*kp_profiles_find(const struct kp_profiles *p,
			    const char *name);

int	kp_profile_may_send(const struct kp_profile *p, const char *root);
/* May it send us records of this root that another organisation owns? */
int	kp_profile_may_relay(const struct kp_profile *p, const char *root);

#endif
