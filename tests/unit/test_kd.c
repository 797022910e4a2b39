/* kd: stuurgegevens, what the schema cannot say, elfproef, Bv03/Fo03. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "kd.h"
#include "schema.h"
#include "tap.h"
#include "xmlsafe.h"

static struct kp_schema *schema;

/* Validate and check a body given as text; return the fault. */
static kp_fault
check_text(const char *text)
{
	struct kp_stuurgegevens sg;
	struct kp_err err;
	xmlDocPtr doc = kp_xml_parse(text, strlen(text), &err);
	kp_fault f = KP_F_NONE;

	if (doc == NULL)
		return err.fault;
	if (kp_schema_validate(schema, xmlDocGetRootElement(doc), &err) != KP_OK ||
	    kp_kd_read_stuurgegevens(xmlDocGetRootElement(doc), &sg, &err) != KP_OK ||
	    kp_kd_check(xmlDocGetRootElement(doc), &sg, &err) != KP_OK)
		f = err.fault;
	xmlFreeDoc(doc);
	return f;
}

#define SG(root, code, et) \
	"<kd:" root " xmlns:kd='urn:ketenpoort:ketendossier:1'><kd:stuurgegevens>" \
	"<kd:berichtcode>" code "</kd:berichtcode>" \
	"<kd:zender><kd:organisatie>00000001001000000000</kd:organisatie>" \
	"<kd:applicatie>app</kd:applicatie></kd:zender>" \
	"<kd:ontvanger><kd:organisatie>00000002002000000000</kd:organisatie>" \
	"<kd:applicatie>app</kd:applicatie></kd:ontvanger>" \
	"<kd:referentienummer>r1</kd:referentienummer>" \
	"<kd:tijdstipBericht>20261122120000</kd:tijdstipBericht>" et \
	"</kd:stuurgegevens>"
#define PRS_V(fields) SG("prsLk01", "Lk01", "<kd:entiteittype>PRS</kd:entiteittype>") \
	"<kd:parameters><kd:mutatiesoort>V</kd:mutatiesoort>" \
	"<kd:volgnummer>1</kd:volgnummer></kd:parameters><kd:object><kd:persoon>" \
	"<kd:bron>00000001001000000000</kd:bron><kd:identificatie>p1</kd:identificatie>" \
	"<kd:bronversie>2</kd:bronversie><kd:bsn>111222333</kd:bsn>" fields \
	"</kd:persoon></kd:object></kd:prsLk01>"
#define PRS_T(fields, bsn) SG("prsLk01", "Lk01", "<kd:entiteittype>PRS</kd:entiteittype>") \
	"<kd:parameters><kd:mutatiesoort>T</kd:mutatiesoort>" \
	"<kd:volgnummer>1</kd:volgnummer></kd:parameters><kd:object><kd:persoon>" \
	"<kd:bron>00000001001000000000</kd:bron><kd:identificatie>p1</kd:identificatie>" \
	"<kd:bronversie>1</kd:bronversie><kd:bsn>" bsn "</kd:bsn>" fields \
	"</kd:persoon></kd:object></kd:prsLk01>"

int
main(void)
{
	struct kp_err err;
	struct kp_kd_reply r = { OIN_SELF, "ketenpoort", OIN_PARTNER, "zaken",
	    "ref-1" };
	xmlDocPtr doc;
	struct kp_stuurgegevens sg;
	char *text;

	kp_xml_init();
	schema = kp_schema_load(fixture_src("xsd/ketendossier.xsd"), 1, &err);
	if (!ok(schema != NULL, "ketendossier.xsd loads"))
		return done_testing();

	ok(kp_bsn_valid("111222333"), "111222333 passes the elfproef");
	ok(kp_bsn_valid("999993653"), "999993653 passes the elfproef");
	ok(!kp_bsn_valid("123456789"), "123456789 fails the elfproef");
	ok(!kp_bsn_valid("000000000"), "000000000 is refused");
	ok(!kp_bsn_valid("11122233"), "eight digits are refused");
	ok(!kp_bsn_valid("11122233x"), "a letter is refused");

	is_int(check_text(PRS_T("<kd:geslachtsnaam>Jansen</kd:geslachtsnaam>",
	    "111222333")), KP_F_NONE, "a valid prsLk01 T passes");
	is_int(check_text(PRS_T("<kd:geslachtsnaam>Jansen</kd:geslachtsnaam>",
	    "123456789")), KP_F_040, "BSN failing the elfproef: KP040");
	is_int(check_text(PRS_T("", "111222333")), KP_F_NONE,
	    "a received T without geslachtsnaam passes (a profile may strip "
	    "any field)");
	is_int(check_text(PRS_V("")), KP_F_NONE, "V with identity only passes");
	is_int(check_text(PRS_V("<kd:geslachtsnaam>Jansen</kd:geslachtsnaam>")),
	    KP_F_002, "V carrying a field: KP002");
	is_int(check_text(SG("prsLk01", "Lv01",
	    "<kd:entiteittype>PRS</kd:entiteittype>") "</kd:prsLk01>"), KP_F_002,
	    "berichtcode that does not fit the root: KP002 (schema)");
	is_int(check_text(PRS_T("<kd:geslachtsnaam>Jansen</kd:geslachtsnaam>"
	    "<kd:geboortedatum>1-2-1980</kd:geboortedatum>", "111222333")),
	    KP_F_002, "date in the wrong format: KP002");

	doc = kp_kd_fo03(&r, KP_F_030, "gap", NULL, 17, &err);
	ok(doc != NULL && kp_schema_validate(schema, xmlDocGetRootElement(doc),
	    &err) == KP_OK, "Fo03 we build is schema-valid");
	ok(doc != NULL && kp_kd_read_stuurgegevens(xmlDocGetRootElement(doc), &sg,
	    &err) == KP_OK, "Fo03 stuurgegevens read back");
	is_str(sg.crossref, "ref-1", "Fo03 carries crossRefnummer");
	is_str(sg.ontvanger_oin, OIN_PARTNER, "Fo03 is addressed to the requester");
	xmlFreeDoc(doc);
	doc = kp_kd_bv03(&r, &err);
	ok(doc != NULL && kp_schema_validate(schema, xmlDocGetRootElement(doc),
	    &err) == KP_OK, "Bv03 we build is schema-valid");
	text = NULL;
	if (doc != NULL) {
		xmlChar *mem;
		int n;

		xmlDocDumpMemory(doc, &mem, &n);
		text = strdup((const char *)mem);
		xmlFree(mem);
	}
	ok(text != NULL && strstr(text, "<kd:berichtcode>Bv03</kd:berichtcode>")
	    != NULL, "Bv03 says Bv03");
	free(text);
	xmlFreeDoc(doc);

	kp_schema_free(schema);
	kp_xml_cleanup();
	return done_testing();
}
