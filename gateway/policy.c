#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "kd.h"
#include "policy.h"
#include "profile.h"
#include "store.h"

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

int
kp_policy_fanout(const struct kp_profiles *ps, const struct kp_notice *n,
    const char *from_oin, const char *only_oin, uint32_t partitions,
    struct kp_fanout **out, size_t *nout, struct kp_err *err)
{
	struct kp_fanout *f;
	size_t nf = 0;

	*out = NULL;
	*nout = 0;
	if (ps->n == 0)
		return KP_OK;
	if ((f = calloc(ps->n, sizeof(*f))) == NULL)
		return kp_fail(err, KP_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < ps->n; i++) {
		const struct kp_profile *p = &ps->v[i];
		char *fields = NULL;
		int entitled;

		if (strcmp(p->oin, n->bron) == 0 ||
		    (from_oin != NULL && strcmp(p->oin, from_oin) == 0) ||
		    (only_oin != NULL && strcmp(p->oin, only_oin) != 0))
			continue;
		if ((entitled = kp_policy_projection(p, n, &fields, err)) < 0) {
			kp_fanout_free(f, nf);
			return entitled;
		}
		if (!entitled)
			continue;
		f[nf].partner_oin = p->oin;
		f[nf].partitie = kp_bsn_partition(n->bsn, partitions);
		f[nf].fields = fields;
		nf++;
	}
	if (nf == 0) {
		free(f);
		return KP_OK;
	}
	*out = f;
	*nout = nf;
	return KP_OK;
}

void
kp_fanout_free(struct kp_fanout *f, size_t n)
{
	for (size_t i = 0; f != NULL && i < n; i++)
		free((char *)f[i].fields);
	free(f);
}
