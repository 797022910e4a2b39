/*
 * envwrite — a signed message written straight out, every signed part
 * already in the exclusive-canonical form (W3C xml-exc-c14n) that the
 * receiver's canonicalisation gives back.
 *
 * Each reference's digest is the SHA-256 of the bytes as written, and the
 * signature is over SignedInfo as written: no document is built to be
 * canonicalised again, and xmlsec has no part in signing.  Only the body
 * (a kd document of the caller's) goes through libxml2's exclusive c14n,
 * once, inside a soap:Body of its own.  The result has the same elements,
 * references and algorithms as kp_env_build + kp_wss_sign, and verifies
 * under xmlsec (kp_wss_verify) and the JDK's javax.xml.crypto alike
 * (tests/unit/test_envwrite.c, tests/integration/jdkverify.sh).
 *
 * Each signed part is produced twice: in canonical form, which is
 * digested (SignedInfo: signed), and as it goes out, without the namespace
 * declarations soap:Envelope already makes (the receiver's canonicalisation
 * puts them back).  Where the output differs from xmlsec's, only in bytes
 * no signature covers: no newlines between elements, SignatureValue base64
 * on one line, empty signed elements as start and end tag.
 */
#ifndef KP_ENVWRITE_H
#define KP_ENVWRITE_H

#include <stddef.h>

#include <libxml/tree.h>

#include "envelope.h"
#include "err.h"

struct kp_signer;

/*
 * The message of p around body_root (not changed), signed with s (whose
 * certificate p->bst_b64 must be), as UTF-8 with an XML declaration in
 * *out (free()).  signature_value, when not NULL, receives the
 * SignatureValue as SignatureConfirmation carries it (free()).
 */
int	kp_env_write(const struct kp_env_params *p, xmlNodePtr body_root,
	    const struct kp_signer *s, char **out, size_t *len,
	    char **signature_value, struct kp_err *err);

#endif
