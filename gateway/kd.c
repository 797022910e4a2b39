#include "autoconf.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "kd.h"
#include "util.h"
#include "xmlsafe.h"

static const struct root_kind {
	const char	*root;
	const char	*berichtcode;
	const char	*entiteittype;	/* NULL: none or optional */
	const char	*object;	/* the entity element of a notice */
	const char	*const *required;	/* fields a T/W notice needs */
} roots[] = {
	{ "prsLk01", "Lk01", "PRS", "persoon",
	  (const char *const[]){ "geslachtsnaam", NULL } },
	{ "zakLk01", "Lk01", "ZAK", "zaak",
	  (const char *const[]){ "zaaktype", "status", "startdatum", NULL } },
	{ "kctLk01", "Lk01", "KCT", "klantcontact",
	  (const char *const[]){ "kanaal", "plaatsgevondenOp", "onderwerp", NULL } },
	{ "tstLk01", "Lk01", "TST", "toestemming",
	  (const char *const[]){ "partner", "doel", "status", "ingangsdatum", NULL } },
	{ "dosLv01", "Lv01", "DOS", NULL, NULL },
	{ "dosLa01", "La01", "DOS", NULL, NULL },
	{ "ckpDi01", "Di01", NULL, NULL, NULL },
	{ "Bv03", "Bv03", NULL, NULL, NULL },
	{ "Fo03", "Fo03", NULL, NULL, NULL },
};

static const struct root_kind *
find_root(const char *name)
{
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (strcmp(roots[i].root, name) == 0)
			return &roots[i];
	return NULL;
}

int
kp_kd_is_notice(const char *root_name)
{
	const struct root_kind *k = find_root(root_name);

	return k != NULL && k->object != NULL;
}

int
kp_bsn_valid(const char *bsn)
{
	int sum = 0;

	if (strlen(bsn) != 9)
		return 0;
	for (int i = 0; i < 9; i++) {
		if (!isdigit((unsigned char)bsn[i]))
			return 0;
		sum += (bsn[i] - '0') * (i < 8 ? 9 - i : -1);
	}
	return sum % 11 == 0 && strcmp(bsn, "000000000") != 0;
}

/* Copy the whole text of child name of parent into out; 0 or -1. */
static int
read_field(xmlNodePtr parent, const char *name, char *out, size_t outlen,
    int required, struct kp_err *err)
{
	xmlNodePtr node = kp_xml_child(parent, KD_NS, name);
	char *text;

	out[0] = '\0';
	if (node == NULL) {
		if (required)
			return kp_reject(err, KP_F_002, "%s: %s is missing or "
			    "repeated", (const char *)parent->name, name);
		return KP_OK;
	}
	if ((text = kp_xml_text(node)) == NULL)
		text = strdup("");
	if (text == NULL)
		return kp_reject(err, KP_F_050, "out of memory");
	if (strlen(text) >= outlen) {
		free(text);
		return kp_reject(err, KP_F_002, "%s: %s is too long",
		    (const char *)parent->name, name);
	}
	strcpy(out, text);
	free(text);
	return KP_OK;
}

int
kp_kd_read_stuurgegevens(xmlNodePtr root, struct kp_stuurgegevens *sg,
    struct kp_err *err)
{
	xmlNodePtr st, zender, ontvanger;

	memset(sg, 0, sizeof(*sg));
	if ((st = kp_xml_child(root, KD_NS, "stuurgegevens")) == NULL)
		return kp_reject(err, KP_F_002, "body has no stuurgegevens");
	zender = kp_xml_child(st, KD_NS, "zender");
	ontvanger = kp_xml_child(st, KD_NS, "ontvanger");
	if (zender == NULL || ontvanger == NULL)
		return kp_reject(err, KP_F_002,
		    "stuurgegevens: zender and ontvanger are required");
	if (read_field(st, "berichtcode", sg->berichtcode,
	    sizeof(sg->berichtcode), 1, err) ||
	    read_field(zender, "organisatie", sg->zender_oin,
	    sizeof(sg->zender_oin), 1, err) ||
	    read_field(zender, "applicatie", sg->zender_app,
	    sizeof(sg->zender_app), 1, err) ||
	    read_field(ontvanger, "organisatie", sg->ontvanger_oin,
	    sizeof(sg->ontvanger_oin), 1, err) ||
	    read_field(ontvanger, "applicatie", sg->ontvanger_app,
	    sizeof(sg->ontvanger_app), 1, err) ||
	    read_field(st, "referentienummer", sg->referentienummer,
	    sizeof(sg->referentienummer), 1, err) ||
	    read_field(st, "tijdstipBericht", sg->tijdstip,
	    sizeof(sg->tijdstip), 1, err) ||
	    read_field(st, "crossRefnummer", sg->crossref,
	    sizeof(sg->crossref), 0, err) ||
	    read_field(st, "entiteittype", sg->entiteittype,
	    sizeof(sg->entiteittype), 0, err) ||
	    read_field(st, "functie", sg->functie, sizeof(sg->functie), 0, err))
		return KP_ERR_PROTOCOL;
	return KP_OK;
}

/* Every kd:bsn element anywhere under node must pass the elfproef. */
static int
check_bsns(xmlNodePtr node, struct kp_err *err)
{
	for (xmlNodePtr c = kp_xml_first(node); c != NULL; c = kp_xml_next(c)) {
		if (kp_xml_is(c, KD_NS, "bsn")) {
			char *bsn = kp_xml_text(c);
			int ok = bsn != NULL && kp_bsn_valid(bsn);

			free(bsn);
			if (!ok)
				return kp_reject(err, KP_F_040,
				    "line %ld: bsn fails the elfproef",
				    (long)xmlGetLineNo(c));
			continue;
		}
		if (check_bsns(c, err) != KP_OK)
			return KP_ERR_PROTOCOL;
	}
	return KP_OK;
}

/*
 * V carries only identity and bronversie.  With need_required, T and W
 * carry the fields §3.1 marks required: the owner's own input.  What a
 * partner receives may lack them (a profile may strip any field), so a
 * received notice is not held to it.
 */
static int
check_entity(xmlNodePtr entity, const struct root_kind *k, int is_delete,
    int need_required, struct kp_err *err)
{
	static const char *const herkomst[] = { "bron", "identificatie",
	    "bronversie", "bsn", NULL };

	if (is_delete) {
		/* V: identity and the new bronversie only. */
		for (xmlNodePtr f = kp_xml_first(entity); f != NULL;
		    f = kp_xml_next(f)) {
			int allowed = 0;

			for (int i = 0; herkomst[i] != NULL; i++)
				if (kp_xml_is(f, KD_NS, herkomst[i]))
					allowed = 1;
			if (!allowed)
				return kp_reject(err, KP_F_002,
				    "line %ld: a V notice carries only bron, "
				    "identificatie, bronversie and bsn, not %s",
				    (long)xmlGetLineNo(f), (const char *)f->name);
		}
		return KP_OK;
	}
	for (int i = 0; need_required && k->required[i] != NULL; i++)
		if (kp_xml_child(entity, KD_NS, k->required[i]) == NULL)
			return kp_reject(err, KP_F_002,
			    "%s: %s is required in a T or W notice", k->object,
			    k->required[i]);
	return KP_OK;
}

static int
check_notice(xmlNodePtr root, const struct root_kind *k, struct kp_err *err)
{
	xmlNodePtr params, object, entity, soort;
	char *mutatie;
	int is_delete;

	params = kp_xml_child(root, KD_NS, "parameters");
	object = kp_xml_child(root, KD_NS, "object");
	entity = object != NULL ? kp_xml_child(object, KD_NS, k->object) : NULL;
	soort = params != NULL ? kp_xml_child(params, KD_NS, "mutatiesoort") : NULL;
	if (entity == NULL || soort == NULL)
		return kp_reject(err, KP_F_002, "%s: parameters or object missing",
		    k->root);
	if ((mutatie = kp_xml_text(soort)) == NULL)
		return kp_reject(err, KP_F_002, "%s: empty mutatiesoort", k->root);
	is_delete = strcmp(mutatie, "V") == 0;
	free(mutatie);
	if (kp_xml_child(params, KD_NS, "reden") != NULL && !is_delete)
		return kp_reject(err, KP_F_002,
		    "%s: reden is only allowed with mutatiesoort V", k->root);
	return check_entity(entity, k, is_delete, 0, err);
}

int
kp_kd_check(xmlNodePtr root, const struct kp_stuurgegevens *sg,
    struct kp_err *err)
{
	const struct root_kind *k;
	const char *name = (const char *)root->name;

	if (!kp_xml_is(root, KD_NS, name) || (k = find_root(name)) == NULL)
		return kp_reject(err, KP_F_002, "unknown body element %s", name);
	if (strcmp(sg->berichtcode, k->berichtcode) != 0)
		return kp_reject(err, KP_F_002,
		    "%s carries berichtcode %s, expected %s", name,
		    sg->berichtcode, k->berichtcode);
	if (k->entiteittype != NULL &&
	    strcmp(sg->entiteittype, k->entiteittype) != 0)
		return kp_reject(err, KP_F_002,
		    "%s needs entiteittype %s in its stuurgegevens", name,
		    k->entiteittype);
	if (strcmp(name, "dosLv01") == 0 && sg->functie[0] == '\0')
		return kp_reject(err, KP_F_002, "dosLv01 needs a functie");
	if (strcmp(name, "dosLv01") != 0 && strcmp(name, "dosLa01") != 0 &&
	    sg->functie[0] != '\0')
		return kp_reject(err, KP_F_002,
		    "functie is only allowed in dosLv01 and dosLa01");
	if (k->object != NULL && check_notice(root, k, err) != KP_OK)
		return KP_ERR_PROTOCOL;
	return check_bsns(root, err);
}

static xmlNodePtr
add(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
	return xmlNewTextChild(parent, ns, (const xmlChar *)name,
	    (const xmlChar *)text);
}

static xmlDocPtr
reply_skeleton(const struct kp_kd_reply *r, const char *root_name,
    const char *berichtcode, xmlNodePtr *root_out)
{
	xmlDocPtr doc;
	xmlNodePtr root, st, sys;
	xmlNsPtr ns;
	char ref[40], when[32];

	if ((doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL)
		return NULL;
	root = xmlNewDocNode(doc, NULL, (const xmlChar *)root_name, NULL);
	ns = xmlNewNs(root, (const xmlChar *)KD_NS, (const xmlChar *)"kd");
	xmlSetNs(root, ns);
	xmlDocSetRootElement(doc, root);
	st = add(root, ns, "stuurgegevens", NULL);
	add(st, ns, "berichtcode", berichtcode);
	sys = add(st, ns, "zender", NULL);
	add(sys, ns, "organisatie", r->our_oin);
	add(sys, ns, "applicatie", r->our_app);
	sys = add(st, ns, "ontvanger", NULL);
	add(sys, ns, "organisatie", r->to_oin);
	add(sys, ns, "applicatie", r->to_app != NULL && r->to_app[0] != '\0' ?
	    r->to_app : "onbekend");
	kp_new_uuid(ref);
	add(st, ns, "referentienummer", ref);
	kp_time_stuf(kp_now_ms(), when);
	add(st, ns, "tijdstipBericht", when);
	if (r->crossref != NULL && r->crossref[0] != '\0')
		add(st, ns, "crossRefnummer", r->crossref);
	*root_out = root;
	return doc;
}

xmlDocPtr
kp_kd_bv03(const struct kp_kd_reply *r, struct kp_err *err)
{
	xmlNodePtr root;
	xmlDocPtr doc = reply_skeleton(r, "Bv03", "Bv03", &root);

	if (doc == NULL)
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
	return doc;
}

xmlNodePtr
kp_kd_add(xmlNodePtr parent, const char *name, const char *text)
{
	return add(parent, parent->ns, name, text);
}

/* dosLv01 / dosLa01: stuurgegevens with entiteittype DOS and functie. */
static xmlDocPtr
dossier_skeleton(const struct kp_kd_reply *r, const char *root_name,
    const char *berichtcode, const char *functie, xmlNodePtr *root,
    struct kp_err *err)
{
	xmlDocPtr doc = reply_skeleton(r, root_name, berichtcode, root);
	xmlNodePtr st;

	if (doc == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	st = kp_xml_child(*root, KD_NS, "stuurgegevens");
	add(st, (*root)->ns, "entiteittype", "DOS");
	add(st, (*root)->ns, "functie", functie);
	return doc;
}

xmlDocPtr
kp_kd_la01(const struct kp_kd_reply *r, const char *functie,
    xmlNodePtr *antwoord, struct kp_err *err)
{
	xmlNodePtr root;
	xmlDocPtr doc = dossier_skeleton(r, "dosLa01", "La01", functie, &root,
	    err);

	if (doc != NULL)
		*antwoord = add(root, root->ns, "antwoord", NULL);
	return doc;
}

xmlDocPtr
kp_kd_question(const struct kp_kd_reply *r, const char *functie,
    const char *bsn, const char *doel, const char *vanaf, struct kp_err *err)
{
	struct kp_kd_reply q = *r;
	xmlNodePtr root, params;
	xmlDocPtr doc;

	q.crossref = NULL;
	if ((doc = dossier_skeleton(&q, "dosLv01", "Lv01", functie, &root,
	    err)) == NULL)
		return NULL;
	params = add(root, root->ns, "parameters", NULL);
	if (bsn != NULL)
		add(params, root->ns, "bsn", bsn);
	add(params, root->ns, "doel", doel);
	if (vanaf != NULL)
		add(params, root->ns, "vanaf", vanaf);
	return doc;
}

xmlDocPtr
kp_kd_checkpoint(const struct kp_kd_reply *r, int64_t seq, const char *hash,
    const char *at, const char *signature, const char *cert,
    struct kp_err *err)
{
	struct kp_kd_reply q = *r;
	xmlNodePtr root, params;
	xmlDocPtr doc;
	char num[24];

	q.crossref = NULL;
	if ((doc = reply_skeleton(&q, "ckpDi01", "Di01", &root)) == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	snprintf(num, sizeof(num), "%lld", (long long)seq);
	params = add(root, root->ns, "parameters", NULL);
	add(params, root->ns, "volgnummer", num);
	add(params, root->ns, "hash", hash);
	add(params, root->ns, "tijdstip", at);
	add(params, root->ns, "handtekening", signature);
	add(params, root->ns, "certificaat", cert);
	return doc;
}

/* Cut text to at most max bytes without splitting a UTF-8 sequence. */
static void
utf8_cut(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	s[n] = '\0';
}

xmlDocPtr
kp_kd_fo03(const struct kp_kd_reply *r, kp_fault fault,
    const char *omschrijving, const char *details, uint64_t verwacht,
    struct kp_err *err)
{
	xmlNodePtr root, body, dx;
	xmlNsPtr ns;
	xmlDocPtr doc = reply_skeleton(r, "Fo03", "Fo03", &root);
	char text[1001], num[32];

	if (doc == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	ns = root->ns;
	body = add(root, ns, "body", NULL);
	add(body, ns, "code", kp_fault_code(fault));
	add(body, ns, "plek", kp_fault_plek(fault));
	snprintf(text, sizeof(text), "%s", omschrijving != NULL &&
	    omschrijving[0] != '\0' ? omschrijving : kp_fault_code(fault));
	utf8_cut(text, 200);
	add(body, ns, "omschrijving", text);
	if (details != NULL && details[0] != '\0') {
		snprintf(text, sizeof(text), "%s", details);
		utf8_cut(text, 1000);
		add(body, ns, "details", text);
	}
	dx = add(body, ns, "detailsXML", NULL);
	add(dx, ns, "herhaalbaar", kp_fault_herhaalbaar(fault) ? "true" : "false");
	if (verwacht > 0) {
		snprintf(num, sizeof(num), "%" PRIu64, verwacht);
		add(dx, ns, "verwachtVolgnummer", num);
	}
	return doc;
}

static int
read_number(xmlNodePtr parent, const char *name, uint64_t *out, int required)
{
	xmlNodePtr node = kp_xml_child(parent, KD_NS, name);
	char *text, *end;
	unsigned long long v;

	*out = 0;
	if (node == NULL)
		return required ? -1 : 0;
	if ((text = kp_xml_text(node)) == NULL)
		return -1;
	v = strtoull(text, &end, 10);
	if (*text == '\0' || *end != '\0') {
		free(text);
		return -1;
	}
	free(text);
	*out = v;
	return 0;
}

char *
kp_field_append(char *buf, size_t *len, const char *name, const char *value)
{
	size_t need = strlen(name) + 2 * strlen(value) + 3;
	char *grown = realloc(buf, *len + need + 1), *p;

	if (grown == NULL) {
		free(buf);
		return NULL;
	}
	p = grown + *len;
	p += sprintf(p, "%s=", name);
	for (const char *v = value; *v != '\0'; v++) {
		if (*v == '\\' || *v == '\n') {
			*p++ = '\\';
			*p++ = *v == '\n' ? 'n' : '\\';
		} else {
			*p++ = *v;
		}
	}
	*p++ = '\n';
	*p = '\0';
	*len = (size_t)(p - grown);
	return grown;
}

/* Provenance and canonical fields of an entity element into n. */
static int
read_entity(xmlNodePtr entity, const struct root_kind *k, struct kp_notice *n,
    struct kp_err *err)
{
	char *text;
	size_t len = 0;

	snprintf(n->entiteittype, sizeof(n->entiteittype), "%s", k->entiteittype);
	if (read_number(entity, "bronversie", &n->bronversie, 1) != 0 ||
	    read_field(entity, "bron", n->bron, sizeof(n->bron), 1, err) != 0 ||
	    read_field(entity, "identificatie", n->identificatie,
	    sizeof(n->identificatie), 1, err) != 0 ||
	    read_field(entity, "bsn", n->bsn, sizeof(n->bsn), 1, err) != 0)
		return kp_reject(err, KP_F_002, "%s: provenance unreadable",
		    k->object);
	if ((n->fields = strdup("")) == NULL)
		return kp_reject(err, KP_F_050, "out of memory");
	for (xmlNodePtr f = kp_xml_first(entity); f != NULL; f = kp_xml_next(f)) {
		const char *name = (const char *)f->name;

		if (strcmp(name, "bron") == 0 || strcmp(name, "identificatie") == 0 ||
		    strcmp(name, "bronversie") == 0 || strcmp(name, "bsn") == 0)
			continue;
		if ((text = kp_xml_text(f)) == NULL)
			text = strdup("");
		if (text == NULL ||
		    (n->fields = kp_field_append(n->fields, &len, name, text)) == NULL) {
			free(text);
			return kp_reject(err, KP_F_050, "out of memory");
		}
		free(text);
	}
	kp_sha256_hex(n->fields, len, n->fields_sha256);
	return KP_OK;
}

char *
kp_field_unescape(char *value)
{
	char *in, *o;

	for (in = o = value; *in != '\0'; in++) {
		if (*in == '\\' && in[1] != '\0') {
			in++;
			*o++ = *in == 'n' ? '\n' : *in;
		} else {
			*o++ = *in;
		}
	}
	*o = '\0';
	return value;
}

/* PROTOCOL.md 3.1: the fields of each entity type, in schema order. */
static const char *const prs_fields[] = { "geslachtsnaam", "voorvoegsel",
	"voornamen", "geboortedatum", "straat", "huisnummer", "postcode",
	"woonplaats", "email", "telefoon", "kanaalvoorkeur", NULL };
static const char *const zak_fields[] = { "zaaktype", "omschrijving",
	"toelichting", "status", "startdatum", "einddatumGepland", "einddatum",
	"afdeling", "behandelaar", "vertrouwelijkheidaanduiding", NULL };
static const char *const kct_fields[] = { "kanaal", "plaatsgevondenOp",
	"onderwerp", "inhoud", "indicatieContactGelukt", "taal", "vertrouwelijk",
	"medewerker", "zaak", NULL };
static const char *const tst_fields[] = { "partner", "doel", "status",
	"ingangsdatum", "einddatum", "vastgelegdVia", NULL };

static const char *const levels[] = { "openbaar", "beperkt_openbaar",
	"intern", "zaakvertrouwelijk", "vertrouwelijk", "confidentieel",
	"geheim", "zeer_geheim" };

int
kp_kd_vertrouwelijkheid(const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof(levels) / sizeof(levels[0]);
	    i++)
		if (strcmp(levels[i], name) == 0)
			return (int)i;
	return -1;
}

const char *
kp_kd_vertrouwelijkheid_name(int level)
{
	return level >= 0 && (size_t)level < sizeof(levels) / sizeof(levels[0]) ?
	    levels[level] : "?";
}

const char *const *
kp_kd_entity_fields(const char *entiteittype)
{
	if (strcmp(entiteittype, "PRS") == 0)
		return prs_fields;
	if (strcmp(entiteittype, "ZAK") == 0)
		return zak_fields;
	if (strcmp(entiteittype, "KCT") == 0)
		return kct_fields;
	if (strcmp(entiteittype, "TST") == 0)
		return tst_fields;
	return NULL;
}

void
kp_field_names(const char *fields, char *out, size_t outlen)
{
	size_t o = 0;

	out[0] = '\0';
	for (const char *line = fields; line != NULL && *line != '\0';) {
		const char *eq = strchr(line, '='), *eol = strchr(line, '\n');
		size_t namelen;

		if (eq != NULL && (eol == NULL || eq < eol)) {
			namelen = (size_t)(eq - line);
			if (o + namelen + 2 > outlen)
				break;
			if (o > 0)
				out[o++] = ',';
			memcpy(out + o, line, namelen);
			o += namelen;
			out[o] = '\0';
		}
		line = eol != NULL ? eol + 1 : NULL;
	}
}

char *
kp_field_get(const char *fields, const char *name)
{
	size_t namelen = strlen(name);

	for (const char *line = fields; line != NULL && *line != '\0';) {
		const char *eol = strchr(line, '\n');
		size_t linelen = eol != NULL ? (size_t)(eol - line) : strlen(line);

		if (linelen > namelen && line[namelen] == '=' &&
		    strncmp(line, name, namelen) == 0) {
			char *v = strndup(line + namelen + 1, linelen - namelen - 1);

			return v != NULL ? kp_field_unescape(v) : NULL;
		}
		line = eol != NULL ? eol + 1 : NULL;
	}
	return NULL;
}

int
kp_kd_read_notice(xmlNodePtr root, struct kp_notice *n, struct kp_err *err)
{
	const struct root_kind *k = find_root((const char *)root->name);
	xmlNodePtr params, entity;
	char *text;
	uint64_t partitie;

	memset(n, 0, sizeof(*n));
	if (k == NULL || k->object == NULL)
		return kp_reject(err, KP_F_002, "%s is not a notice", root->name);
	params = kp_xml_child(root, KD_NS, "parameters");
	entity = kp_xml_child(kp_xml_child(root, KD_NS, "object"), KD_NS,
	    k->object);
	if (params == NULL || entity == NULL)
		return kp_reject(err, KP_F_002, "%s: parameters or object missing",
		    k->root);
	if ((text = kp_xml_text(kp_xml_child(params, KD_NS, "mutatiesoort"))) == NULL)
		return kp_reject(err, KP_F_002, "mutatiesoort missing");
	n->mutatiesoort = text[0];
	free(text);
	if ((text = kp_xml_text(kp_xml_child(params, KD_NS, "reden"))) != NULL) {
		n->intrekking = strcmp(text, "intrekking") == 0;
		free(text);
	}
	if (read_number(params, "partitie", &partitie, 0) != 0 ||
	    partitie > UINT32_MAX ||
	    read_number(params, "volgnummer", &n->volgnummer, 1) != 0)
		return kp_reject(err, KP_F_002, "%s: stream numbers unreadable",
		    k->root);
	n->partitie = (uint32_t)partitie;
	return read_entity(entity, k, n, err);
}

/* The root kind whose entity element this is, or NULL. */
static const struct root_kind *
kind_of_entity(xmlNodePtr entity)
{
	for (size_t i = 0; entity != NULL && i < sizeof(roots) / sizeof(roots[0]);
	    i++)
		if (roots[i].object != NULL &&
		    kp_xml_is(entity, KD_NS, roots[i].object))
			return &roots[i];
	return NULL;
}

int
kp_kd_read_entity(xmlNodePtr entity, struct kp_notice *n, struct kp_err *err)
{
	const struct root_kind *k = kind_of_entity(entity);

	memset(n, 0, sizeof(*n));
	if (k == NULL)
		return kp_reject(err, KP_F_002, "%s is not an entity",
		    entity != NULL ? (const char *)entity->name : "(nothing)");
	n->mutatiesoort = 'W';
	return read_entity(entity, k, n, err);
}

int
kp_kd_read_local(xmlNodePtr root, struct kp_notice *n, struct kp_err *err)
{
	const struct root_kind *k = NULL;
	xmlNodePtr entity;
	char *soort;

	memset(n, 0, sizeof(*n));
	if (!kp_xml_is(root, KD_NS, "lokaleWijziging"))
		return kp_reject(err, KP_F_002, "a local change is a "
		    "kd:lokaleWijziging, not %s", (const char *)root->name);
	entity = kp_xml_first(kp_xml_child(root, KD_NS, "object"));
	if ((k = kind_of_entity(entity)) == NULL)
		return kp_reject(err, KP_F_002, "object holds no known entity");
	if ((soort = kp_xml_text(kp_xml_child(root, KD_NS, "mutatiesoort"))) == NULL)
		return kp_reject(err, KP_F_002, "mutatiesoort missing");
	n->mutatiesoort = soort[0];
	free(soort);
	if (check_entity(entity, k, n->mutatiesoort == 'V', 1, err) != KP_OK ||
	    check_bsns(entity, err) != KP_OK)
		return KP_ERR_PROTOCOL;
	return read_entity(entity, k, n, err);
}

const char *
kp_kd_notice_root(const char *entiteittype)
{
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (roots[i].object != NULL && roots[i].entiteittype != NULL &&
		    strcmp(roots[i].entiteittype, entiteittype) == 0)
			return roots[i].root;
	return NULL;
}

const char *
kp_kd_entity_element(const char *entiteittype)
{
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (roots[i].object != NULL && roots[i].entiteittype != NULL &&
		    strcmp(roots[i].entiteittype, entiteittype) == 0)
			return roots[i].object;
	return NULL;
}

void
kp_notice_clear(struct kp_notice *n)
{
	free(n->fields);
	memset(n, 0, sizeof(*n));
}

uint32_t
kp_bsn_partition(const char *bsn, uint32_t partitions)
{
	unsigned char md[32];
	unsigned int mdlen = sizeof(md);
	uint32_t v;

	EVP_Digest(bsn, strlen(bsn), md, &mdlen, EVP_sha256(), NULL);
	v = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	    (uint32_t)md[2] << 8 | (uint32_t)md[3];
	return partitions > 0 ? v % partitions : 0;
}

xmlDocPtr
kp_kd_build_notice(const char *our_oin, const char *our_app,
    const char *to_oin, const struct kp_notice *n, struct kp_err *err)
{
	const char *root_name = kp_kd_notice_root(n->entiteittype);
	const char *el = kp_kd_entity_element(n->entiteittype);
	struct kp_kd_reply r = { our_oin, our_app, to_oin, "ketenpoort", NULL };
	xmlNodePtr root, st, params;
	xmlDocPtr doc;
	char num[32], soort[2] = { n->mutatiesoort, '\0' };

	if (root_name == NULL || el == NULL) {
		kp_fail(err, KP_ERR_USAGE, "unknown entiteittype %s", n->entiteittype);
		return NULL;
	}
	if ((doc = reply_skeleton(&r, root_name, "Lk01", &root)) == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	st = kp_xml_child(root, KD_NS, "stuurgegevens");
	add(st, root->ns, "entiteittype", n->entiteittype);
	params = add(root, root->ns, "parameters", NULL);
	add(params, root->ns, "mutatiesoort", soort);
	snprintf(num, sizeof(num), "%u", n->partitie);
	add(params, root->ns, "partitie", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)n->volgnummer);
	add(params, root->ns, "volgnummer", num);
	if (n->intrekking)
		add(params, root->ns, "reden", "intrekking");
	if (kp_kd_add_entity(add(root, root->ns, "object", NULL), n) == NULL) {
		xmlFreeDoc(doc);
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	return doc;
}

int
kp_field_each(const char *fields, void (*fn)(void *arg, const char *name,
    const char *value), void *arg)
{
	char *copy, *line, *next;

	if ((copy = strdup(fields != NULL ? fields : "")) == NULL)
		return -1;
	for (line = copy; *line != '\0'; line = next) {
		char *eq;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		fn(arg, line, kp_field_unescape(eq + 1));
	}
	free(copy);
	return 0;
}

static void
add_field(void *entity, const char *name, const char *value)
{
	add(entity, ((xmlNodePtr)entity)->ns, name, value);
}

xmlNodePtr
kp_kd_add_entity(xmlNodePtr parent, const struct kp_notice *n)
{
	const char *el = kp_kd_entity_element(n->entiteittype);
	xmlNodePtr entity;
	char num[32];

	if (parent == NULL || el == NULL ||
	    (entity = add(parent, parent->ns, el, NULL)) == NULL)
		return NULL;
	add(entity, parent->ns, "bron", n->bron);
	add(entity, parent->ns, "identificatie", n->identificatie);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)n->bronversie);
	add(entity, parent->ns, "bronversie", num);
	add(entity, parent->ns, "bsn", n->bsn);
	return kp_field_each(n->fields, add_field, entity) == 0 ? entity : NULL;
}

void
kp_fields_each(const char *fields,
    void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	char *copy = strdup(fields != NULL ? fields : ""), *line, *next, *eq;

	for (line = copy; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		fn(arg, line, kp_field_unescape(eq + 1));
	}
	free(copy);
}
