/*
 * xmlsafe — the only way untrusted bytes become an XML tree.
 *
 * UTF-8 only; no DTD (a DOCTYPE stops the parser before its internal subset
 * is read, so no entity is ever declared, let alone expanded); no network;
 * libxml2's own size limits (no XML_PARSE_HUGE); limits on depth and on the
 * length of one text or attribute value; no comments
 * or processing instructions anywhere.  Failures are KP001, except comments
 * and PIs which are KP002 (well-formed, but not what the protocol allows).
 */
#ifndef KP_XMLSAFE_H
#define KP_XMLSAFE_H

#include <stddef.h>

#include <libxml/tree.h>

#include "err.h"

#define KP_XML_MAX_DEPTH	32
/* Longest text node or attribute value: far above any field's own limit. */
#define KP_XML_MAX_TEXT		(1024 * 1024)

/* Call once, in the main thread, before any other thread parses. */
void		kp_xml_init(void);
void		kp_xml_cleanup(void);

xmlDocPtr	kp_xml_parse(const char *data, size_t len, struct kp_err *err);
/* The same for files an operator writes (profiles): comments allowed. */
xmlDocPtr	kp_xml_parse_local(const char *data, size_t len,
		    struct kp_err *err);

/* The element's whole text (all descendant text), NULL if none; free(). */
char		*kp_xml_text(xmlNodePtr node);
/* Is node an element with this namespace URI and local name? */
int		 kp_xml_is(xmlNodePtr node, const char *ns, const char *name);
/* First element child, next element sibling (text, whitespace skipped). */
xmlNodePtr	 kp_xml_first(xmlNodePtr node);
xmlNodePtr	 kp_xml_next(xmlNodePtr node);
/* The only child with this name; NULL when absent or repeated. */
xmlNodePtr	 kp_xml_child(xmlNodePtr node, const char *ns, const char *name);
/* Attribute value in namespace ns (NULL for none); free() the result. */
char		*kp_xml_attr(xmlNodePtr node, const char *ns, const char *name);

#endif
