/*
 * dossier — a citizen's dossier as this gateway holds it: every record
 * about one BSN, ours and received, with tombstones, printed for people,
 * as JSON or as kd XML.
 */
#ifndef KP_DOSSIER_H
#define KP_DOSSIER_H

#include <stdio.h>

#include "err.h"

struct kp_gateway;

enum kp_dossier_format { KP_DOSSIER_TEXT, KP_DOSSIER_JSON, KP_DOSSIER_XML };

/* Print the dossier of bsn; KP_ERR_USAGE when bsn fails the elfproef. */
int	kp_dossier_show(struct kp_gateway *gw, const char *bsn,
	    enum kp_dossier_format format, FILE *out, struct kp_err *err);

#endif
