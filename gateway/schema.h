/*
 * schema — XSD validation with schemas parsed once and shared.
 *
 * A kp_schema is read-only after kp_schema_load() and may be used from any
 * thread; each validation makes its own small validation context.
 */
#ifndef KP_SCHEMA_H
#define KP_SCHEMA_H

#include <libxml/tree.h>

#include "err.h"

struct kp_schema;

/*
 * redact_values: keep the offending values out of error messages (bodies
 * from partners may carry a BSN there); off for the operator's own files.
 */
struct kp_schema	*kp_schema_load(const char *path, int redact_values,
			    struct kp_err *err);
void			 kp_schema_free(struct kp_schema *schema);

/*
 * Validate one element (and its subtree).  On failure err holds fault
 * KP002 and the first problem with its line.
 */
int	kp_schema_validate(struct kp_schema *schema, xmlNodePtr elem,
	    struct kp_err *err);
/* Validate a whole document; same contract. */
int	kp_schema_validate_doc(struct kp_schema *schema, xmlDocPtr doc,
	    struct kp_err *err);

#endif
