#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "xmlsafe.h"

/* Our own parse options: NONET, and nothing that lifts a limit or loads. */
#define KP_XML_PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | \
	XML_PARSE_NOWARNING)

static void
silent_error(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

void
kp_xml_init(void)
{
	xmlInitParser();
	/* Never let libxml2 print to stderr, and never fetch anything. */
	xmlSetGenericErrorFunc(NULL, silent_error);
}

void
kp_xml_cleanup(void)
{
	xmlCleanupParser();
}

struct parse_state {
	int	saw_doctype;
};

/*
 * Called when the parser meets <!DOCTYPE, before it reads the internal
 * subset: stop right there, so no entity is declared.
 */
static void
refuse_doctype(void *user, const xmlChar *name, const xmlChar *ext_id,
    const xmlChar *sys_id)
{
	xmlParserCtxtPtr ctxt = user;
	struct parse_state *st = ctxt->_private;

	(void)name;
	(void)ext_id;
	(void)sys_id;
	st->saw_doctype = 1;
	xmlStopParser(ctxt);
}

/* Walk without recursion; check depth and forbidden node types. */
static int
check_tree(xmlDocPtr doc, int allow_comments, struct kp_err *err)
{
	xmlNodePtr node = doc->children;
	int depth = 0;

	while (node != NULL) {
		switch (node->type) {
		case XML_COMMENT_NODE:
			if (allow_comments)
				break;
			return kp_reject(err, KP_F_002,
			    "comment on line %ld: comments are not allowed",
			    (long)xmlGetLineNo(node));
		case XML_PI_NODE:
			return kp_reject(err, KP_F_002,
			    "processing instruction on line %ld is not allowed",
			    (long)xmlGetLineNo(node));
		case XML_DTD_NODE:
		case XML_ENTITY_REF_NODE:
		case XML_ENTITY_DECL:
		case XML_XINCLUDE_START:
		case XML_XINCLUDE_END:
			return kp_reject(err, KP_F_001,
			    "DTDs and entities are not allowed");
		default:
			break;
		}
		if ((node->type == XML_TEXT_NODE ||
		    node->type == XML_CDATA_SECTION_NODE) && node->content != NULL &&
		    strlen((const char *)node->content) > KP_XML_MAX_TEXT)
			return kp_reject(err, KP_F_001,
			    "text of more than %d bytes on line %ld", KP_XML_MAX_TEXT,
			    (long)xmlGetLineNo(node->parent));
		if (node->type == XML_ELEMENT_NODE) {
			if (depth + 1 > KP_XML_MAX_DEPTH)
				return kp_reject(err, KP_F_001,
				    "elements nested deeper than %d on line %ld",
				    KP_XML_MAX_DEPTH, (long)xmlGetLineNo(node));
			for (xmlAttrPtr a = node->properties; a != NULL; a = a->next)
				if (a->children != NULL && a->children->content != NULL &&
				    strlen((const char *)a->children->content) >
				    KP_XML_MAX_TEXT)
					return kp_reject(err, KP_F_001,
					    "attribute of more than %d bytes on line %ld",
					    KP_XML_MAX_TEXT, (long)xmlGetLineNo(node));
			if (node->children != NULL) {
				depth++;
				node = node->children;
				continue;
			}
		}
		while (node != NULL && node->next == NULL) {
			node = node->parent;
			if (node == NULL || node->type == XML_DOCUMENT_NODE)
				return KP_OK;
			depth--;
		}
		if (node != NULL)
			node = node->next;
	}
	return KP_OK;
}

static xmlDocPtr
parse(const char *data, size_t len, int allow_comments, struct kp_err *err)
{
	xmlParserCtxtPtr ctxt = NULL;
	struct parse_state st = { 0 };
	xmlDocPtr doc = NULL;
	const unsigned char *u = (const unsigned char *)data;

	if (len == 0) {
		kp_reject(err, KP_F_001, "empty document");
		return NULL;
	}
	if (len > (size_t)INT32_MAX) {
		kp_reject(err, KP_F_001, "document too large");
		return NULL;
	}
	/* UTF-16 and UTF-32 announce themselves in the first bytes. */
	if (len >= 2 && ((u[0] == 0xfe && u[1] == 0xff) ||
	    (u[0] == 0xff && u[1] == 0xfe) || u[0] == 0 || u[1] == 0)) {
		kp_reject(err, KP_F_001, "document is not UTF-8");
		return NULL;
	}
	if ((ctxt = xmlNewParserCtxt()) == NULL) {
		kp_reject(err, KP_F_050, "out of memory");
		return NULL;
	}
	ctxt->_private = &st;
	ctxt->sax->internalSubset = refuse_doctype;
	ctxt->sax->externalSubset = NULL;
	ctxt->sax->resolveEntity = NULL;
	ctxt->sax->getEntity = NULL;
	ctxt->sax->entityDecl = NULL;
	ctxt->sax->warning = NULL;
	ctxt->sax->error = NULL;
	ctxt->sax->serror = NULL;
	ctxt->vctxt.error = NULL;
	ctxt->vctxt.warning = NULL;
	doc = xmlCtxtReadMemory(ctxt, data, (int)len, NULL, NULL,
	    KP_XML_PARSE_OPTIONS);
	if (st.saw_doctype) {
		kp_reject(err, KP_F_001, "a DOCTYPE is not allowed");
		goto fail;
	}
	if (doc == NULL || !ctxt->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);

		if (e != NULL && e->message != NULL) {
			char what[200];
			size_t n;

			snprintf(what, sizeof(what), "%s", e->message);
			n = strlen(what);
			while (n > 0 && (what[n - 1] == '\n' || what[n - 1] == ' '))
				what[--n] = '\0';
			kp_reject(err, KP_F_001, "not well-formed XML, line %d: %s",
			    e->line, what);
		} else {
			kp_reject(err, KP_F_001, "not well-formed XML");
		}
		goto fail;
	}
	if (doc->encoding != NULL &&
	    strcasecmp((const char *)doc->encoding, "UTF-8") != 0) {
		kp_reject(err, KP_F_001, "document is %s, not UTF-8",
		    (const char *)doc->encoding);
		goto fail;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		kp_reject(err, KP_F_001, "a DOCTYPE is not allowed");
		goto fail;
	}
	if (check_tree(doc, allow_comments, err) != KP_OK)
		goto fail;
	xmlFreeParserCtxt(ctxt);
	return doc;
fail:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return NULL;
}

xmlDocPtr
kp_xml_parse(const char *data, size_t len, struct kp_err *err)
{
	return parse(data, len, 0, err);
}

xmlDocPtr
kp_xml_parse_local(const char *data, size_t len, struct kp_err *err)
{
	return parse(data, len, 1, err);
}

char *
kp_xml_text(xmlNodePtr node)
{
	xmlChar *s = xmlNodeGetContent(node);
	char *copy;

	if (s == NULL)
		return NULL;
	copy = strdup((const char *)s);
	xmlFree(s);
	return copy;
}

int
kp_xml_is(xmlNodePtr node, const char *ns, const char *name)
{
	if (node == NULL || node->type != XML_ELEMENT_NODE)
		return 0;
	if (strcmp((const char *)node->name, name) != 0)
		return 0;
	if (ns == NULL)
		return node->ns == NULL;
	return node->ns != NULL && node->ns->href != NULL &&
	    strcmp((const char *)node->ns->href, ns) == 0;
}

xmlNodePtr
kp_xml_next(xmlNodePtr node)
{
	for (node = node != NULL ? node->next : NULL; node != NULL;
	    node = node->next)
		if (node->type == XML_ELEMENT_NODE)
			return node;
	return NULL;
}

xmlNodePtr
kp_xml_first(xmlNodePtr node)
{
	for (node = node != NULL ? node->children : NULL; node != NULL;
	    node = node->next)
		if (node->type == XML_ELEMENT_NODE)
			return node;
	return NULL;
}

xmlNodePtr
kp_xml_child(xmlNodePtr node, const char *ns, const char *name)
{
	xmlNodePtr found = NULL;

	for (xmlNodePtr c = kp_xml_first(node); c != NULL; c = kp_xml_next(c)) {
		if (!kp_xml_is(c, ns, name))
			continue;
		if (found != NULL)
			return NULL;
		found = c;
	}
	return found;
}

char *
kp_xml_attr(xmlNodePtr node, const char *ns, const char *name)
{
	xmlChar *v = ns != NULL ?
	    xmlGetNsProp(node, (const xmlChar *)name, (const xmlChar *)ns) :
	    xmlGetNoNsProp(node, (const xmlChar *)name);
	char *copy;

	if (v == NULL)
		return NULL;
	copy = strdup((const char *)v);
	xmlFree(v);
	return copy;
}
