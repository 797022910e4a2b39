#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "kd.h"
#include "policy.h"
#include "profile.h"

int
kp_policy_projection(const struct kp_profile *p, const struct kp_notice *n,
    char **fields, struct kp_err *err)
{
	const struct kp_receive_rule *rule = NULL;
	const char *line, *eol;
	size_t o = 0;
	char *out;

	*fields = NULL;
	for (size_t i = 0; i < p->nontvangen; i++)
		if (strcmp(p->ontvangen[i].entiteittype, n->entiteittype) == 0)
			rule = &p->ontvangen[i];
	if (rule == NULL)
		return 0;
	if ((out = malloc(strlen(n->fields) + 1)) == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	/* Keep the lines whose name the rule lists, in their order. */
	for (line = n->fields; *line != '\0'; line = eol) {
		const char *eq = strchr(line, '=');
		size_t namelen;
		int keep = 0;

		eol = strchr(line, '\n');
		eol = eol != NULL ? eol + 1 : line + strlen(line);
		if (eq == NULL || eq > eol)
			continue;
		namelen = (size_t)(eq - line);
		for (size_t v = 0; v < rule->nvelden; v++)
			if (strlen(rule->velden[v]) == namelen &&
			    strncmp(rule->velden[v], line, namelen) == 0)
				keep = 1;
		if (keep) {
			memcpy(out + o, line, (size_t)(eol - line));
			o += (size_t)(eol - line);
		}
	}
	out[o] = '\0';
	*fields = out;
	return 1;
}
