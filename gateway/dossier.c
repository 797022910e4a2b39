#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dossier.h"
#include "gateway.h"
#include "kd.h"
#include "store.h"
#include "util.h"

/* The kd element of each entiteittype. */
static const char *
entity_element(const char *entiteittype)
{
	const char *el = kp_kd_entity_element(entiteittype);

	return el != NULL ? el : "onbekend";
}

struct show {
	struct kp_gateway	*gw;
	enum kp_dossier_format	 format;
	FILE			*out;
	int			 n;
};

static void
field_text(void *arg, const char *name, const char *value)
{
	struct show *sh = arg;

	kp_text_line(sh->out, "      %-28s %s", name, value);
}

static void
field_json(void *arg, const char *name, const char *value)
{
	struct show *sh = arg;

	fputs(sh->n++ ? ", " : "", sh->out);
	kp_json_string(sh->out, name);
	fputs(": ", sh->out);
	kp_json_string(sh->out, value);
}

static void
field_xml(void *arg, const char *name, const char *value)
{
	struct show *sh = arg;

	/* the kd parser wrote element names; anything else is not one */
	int plain = name[0] != '\0' &&
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789") == strlen(name);

	if (plain) {
		fprintf(sh->out, "      <kd:%s>", name);
	} else {
		fputs("      <kd:veld naam=\"", sh->out);
		kp_markup_text(sh->out, name);
		fputs("\">", sh->out);
	}
	kp_markup_text(sh->out, value);
	fprintf(sh->out, "</kd:%s>\n", plain ? name : "veld");
}

static int
show_record(void *arg, const struct kp_stored_record *r)
{
	struct show *sh = arg;
	const char *who = r->received_from == NULL ? "ours" : r->received_from;
	int first = sh->n;

	switch (sh->format) {
	case KP_DOSSIER_TEXT:
		kp_text_line(sh->out, "  %s %s  bron %s  bronversie %lld%s",
		    r->entiteittype, r->identificatie, r->bron,
		    (long long)r->bronversie, r->deleted ? "  (deleted)" : "");
		if (r->received_from != NULL)
			kp_text_line(sh->out, "      received from %s, %s", who,
			    r->updated_at);
		else
			kp_text_line(sh->out, "      our own record, changed %s",
			    r->updated_at);
		kp_fields_each(r->fields, field_text, sh);
		sh->n++;
		break;
	case KP_DOSSIER_JSON:
		fprintf(sh->out, "%s\n    {\"entiteittype\": ", first ? "," : "");
		kp_json_string(sh->out, r->entiteittype);
		fputs(", \"bron\": ", sh->out);
		kp_json_string(sh->out, r->bron);
		fputs(", \"identificatie\": ", sh->out);
		kp_json_string(sh->out, r->identificatie);
		fprintf(sh->out, ", \"bronversie\": %lld, \"deleted\": %s, "
		    "\"received_from\": ", (long long)r->bronversie,
		    r->deleted ? "true" : "false");
		if (r->received_from != NULL)
			kp_json_string(sh->out, r->received_from);
		else
			fputs("null", sh->out);
		fputs(", \"updated_at\": ", sh->out);
		kp_json_string(sh->out, r->updated_at);
		fputs(", \"fields\": {", sh->out);
		sh->n = 0;
		kp_fields_each(r->fields, field_json, sh);
		fputs("}}", sh->out);
		sh->n = 1;
		break;
	case KP_DOSSIER_XML:
		fprintf(sh->out, "    <kd:%s verwijderd=\"%s\">\n"
		    "      <kd:bron>", entity_element(r->entiteittype),
		    r->deleted ? "true" : "false");
		kp_markup_text(sh->out, r->bron);
		fputs("</kd:bron>\n      <kd:identificatie>", sh->out);
		kp_markup_text(sh->out, r->identificatie);
		fprintf(sh->out, "</kd:identificatie>\n      <kd:bronversie>%lld"
		    "</kd:bronversie>\n      <kd:bsn>%s</kd:bsn>\n",
		    (long long)r->bronversie, r->bsn);
		kp_fields_each(r->fields, field_xml, sh);
		fprintf(sh->out, "    </kd:%s>\n", entity_element(r->entiteittype));
		sh->n++;
		break;
	}
	return 0;
}

int
kp_dossier_show(struct kp_gateway *gw, const char *bsn,
    enum kp_dossier_format format, FILE *out, struct kp_err *err)
{
	struct show sh = { gw, format, out, 0 };
	int ret;

	if (!kp_bsn_valid(bsn))
		return kp_fail(err, KP_ERR_USAGE, "\"%s\" is not a BSN: nine "
		    "digits that pass the elfproef", bsn);
	switch (format) {
	case KP_DOSSIER_TEXT:
		fprintf(out, "Dossier of BSN %s as held by %s (OIN %s)\n", bsn,
		    gw->cfg->name, gw->cfg->oin);
		break;
	case KP_DOSSIER_JSON:
		fprintf(out, "{\"bsn\": \"%s\", \"held_by\": \"%s\", \"records\": [",
		    bsn, gw->cfg->oin);
		break;
	case KP_DOSSIER_XML:
		fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<kd:dossier xmlns:kd=\"" KD_NS "\" bsn=\"%s\" "
		    "gehoudenDoor=\"%s\">\n", bsn, gw->cfg->oin);
		break;
	}
	ret = kp_store_each_record(gw->store, bsn, NULL, show_record, &sh, err);
	switch (format) {
	case KP_DOSSIER_TEXT:
		if (sh.n == 0)
			fprintf(out, "  no records\n");
		break;
	case KP_DOSSIER_JSON:
		fprintf(out, "%s]}\n", sh.n ? "\n  " : "");
		break;
	case KP_DOSSIER_XML:
		fprintf(out, "</kd:dossier>\n");
		break;
	}
	return ret;
}
