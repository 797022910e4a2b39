/*
 * profile — partner profiles: one XML file per partner (xsd/profile.xsd).
 *
 * A profile names the partner's OIN, name, endpoint, role, the message
 * types it may send us (and relay), what it may receive from us (per entity
 * type: purpose, basis and fields) and which dossier questions it may ask.
 * Loading validates every file against the schema and then checks what the
 * schema cannot say (a field the entity does not have, a question for a
 * purpose no rule serves, a receiving partner without an endpoint, ...);
 * each problem is reported as "file:line: what".  Two profiles with the
 * same OIN are refused.
 */
#ifndef KP_PROFILE_H
#define KP_PROFILE_H

#include <stdio.h>

#include "err.h"

struct kp_schema;

/* One <ontvangen><entiteit>: what the partner may receive, why and on what. */
struct kp_receive_rule {
	char	  entiteittype[8];
	char	  doel[48];
	char	 *wet;		/* legal reference; NULL: the citizen's consent */
	int	  max_vertrouwelijkheid;	/* ZAK: a level (kd.h), -1: any */
	int	  on_request;	/* verstrekking="opvraag": in answers only */
	char	**velden;	/* fields the partner may see */
	size_t	  nvelden;
	long	  line;		/* in the profile, for messages */
};

/* One <vragen><vraag>: a dossier question it may ask. */
struct kp_question_rule {
	char	functie[16];	/* context, digest */
	char	doel[48];	/* "" for digest */
	long	line;		/* in the profile, for messages */
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
	struct kp_question_rule *vragen;	/* what it may ask us */
	size_t	  nvragen;
};

struct kp_profiles {
	struct kp_profile	*v;
	size_t			 n;
	/*
	 * The generation this one replaced at a reload: kept until the
	 * gateway closes, since threads may still hold its profiles.
	 */
	struct kp_profiles	*older;
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
/* May it ask dosLv01 functie (for doel; NULL: any purpose)? */
int	kp_profile_may_ask(const struct kp_profile *p, const char *functie,
	    const char *doel);
/* May it send us records of this root that another organisation owns? */
int	kp_profile_may_relay(const struct kp_profile *p, const char *root);

#endif
