/* xmlsafe: what untrusted bytes may and may not become. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "xmlsafe.h"

static kp_fault
verdict(const char *data, size_t len, char *msg, size_t msglen)
{
	struct kp_err err;
	xmlDocPtr doc;

	kp_err_clear(&err);
	doc = kp_xml_parse(data, len, &err);
	if (msg != NULL)
		snprintf(msg, msglen, "%s", err.msg);
	if (doc != NULL) {
		xmlFreeDoc(doc);
		return KP_F_NONE;
	}
	return err.fault;
}

#define V(s) verdict((s), strlen(s), NULL, 0)

static char *
nested(int depth)
{
	char *s = malloc((size_t)depth * 7 + 16), *p = s;

	for (int i = 0; i < depth; i++)
		p += sprintf(p, "<a>");
	for (int i = 0; i < depth; i++)
		p += sprintf(p, "</a>");
	*p = '\0';
	return s;
}

int
main(void)
{
	char msg[512], *s;
	size_t big = 20 * 1024 * 1024;
	clock_t t0;
	xmlDocPtr doc;
	struct kp_err err;

	kp_xml_init();

	is_int(V("<a xmlns='urn:x'><b>text</b></a>"), KP_F_NONE,
	    "well-formed document parses");
	is_int(V("<?xml version='1.0' encoding='UTF-8'?><a/>"), KP_F_NONE,
	    "UTF-8 declaration is accepted");
	is_int(V("<a><b></a>"), KP_F_001, "mismatched tags: KP001");
	is_int(V(""), KP_F_001, "empty input: KP001");
	is_int(V("<a>&undefined;</a>"), KP_F_001, "undeclared entity: KP001");
	is_int(V("<!DOCTYPE a><a/>"), KP_F_001, "bare DOCTYPE: KP001");
	verdict("<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", 37, msg, sizeof(msg));
	is_str(msg, "a DOCTYPE is not allowed", "DOCTYPE message says why");

	t0 = clock();
	is_int(V("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
	    "<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
	    "<!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>"
	    "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>"
	    "<!ENTITY lol4 '&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;'>"
	    "<!ENTITY lol5 '&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;'>"
	    "<!ENTITY lol6 '&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;'>"
	    "<!ENTITY lol7 '&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;'>"
	    "<!ENTITY lol8 '&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;'>"
	    "<!ENTITY lol9 '&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;'>"
	    "]><lolz>&lol9;</lolz>"), KP_F_001, "billion laughs: KP001");
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0,
	    "billion laughs is refused without expanding anything");
	is_int(V("<!DOCTYPE a [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><a>&x;</a>"),
	    KP_F_001, "external entity: KP001");
	is_int(V("<!DOCTYPE a SYSTEM 'http://127.0.0.1:9/a.dtd'><a/>"), KP_F_001,
	    "external DTD: KP001");

	s = nested(10000);
	is_int(V(s), KP_F_001, "nesting 10,000 deep: KP001");
	free(s);
	s = nested(KP_XML_MAX_DEPTH + 1);
	is_int(V(s), KP_F_001, "nesting one over our limit: KP001");
	free(s);
	s = nested(KP_XML_MAX_DEPTH);
	is_int(V(s), KP_F_NONE, "nesting at our limit parses");
	free(s);

	s = malloc(big + 16);
	memcpy(s, "<a>", 3);
	memset(s + 3, 'x', big);
	memcpy(s + 3 + big, "</a>", 5);
	is_int(verdict(s, big + 7, NULL, 0), KP_F_001, "20 MB text node: KP001");
	free(s);

	is_int(verdict("\xff\xfe<\0a\0/\0>\0", 10, NULL, 0), KP_F_001,
	    "UTF-16 with BOM: KP001");
	is_int(verdict("<\0a\0/\0>\0", 8, NULL, 0), KP_F_001,
	    "UTF-16 without BOM: KP001");
	is_int(V("<?xml version='1.0' encoding='ISO-8859-1'?><a>\xe9</a>"),
	    KP_F_001, "ISO-8859-1 document: KP001");
	is_int(V("<a>\xc3\x28</a>"), KP_F_001, "invalid UTF-8 sequence: KP001");
	is_int(V("<a><!-- note --></a>"), KP_F_002, "comment: KP002");
	is_int(V("<a><?pi x?></a>"), KP_F_002, "processing instruction: KP002");
	is_int(V("<!-- before --><a/>"), KP_F_002, "comment before the root: KP002");

	doc = kp_xml_parse("<a>one<![CDATA[two]]>three</a>", 30, &err);
	s = doc != NULL ? kp_xml_text(xmlDocGetRootElement(doc)) : NULL;
	is_str(s, "onetwothree", "kp_xml_text reads the element's whole text");
	free(s);
	xmlFreeDoc(doc);

	kp_xml_cleanup();
	return done_testing();
}
