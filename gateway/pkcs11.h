/*
 * pkcs11 — keys in a PKCS#11 token (issue 16), named by an RFC 7512 URI
 * where a key file's path would be:
 *
 *   pkcs11:token=ketenpoort;object=gemeente;pin-source=file:/etc/kp/pin
 *          ?module-path=/usr/lib/softhsm/libsofthsm2.so
 *
 * The URI is parsed by p11-kit (Debian libp11-kit-dev); the module is
 * loaded and the key used through libp11 (libp11-dev), whose EVP_PKEY
 * signs inside the token.  The PIN comes from the pin-source file (mode
 * 0600 or stricter), never from the URI itself.  Without module-path,
 * p11-kit's proxy module (every module registered with p11-kit).
 */
#ifndef KP_PKCS11_H
#define KP_PKCS11_H

#include <openssl/evp.h>

#include "err.h"

/* Does s name a key in a token? */
int		 kp_pkcs11_is_uri(const char *s);

/*
 * The URI's parts are all there and its PIN file is private (its mode:
 * the PIN itself is read only where the token is logged in).
 */
int		 kp_pkcs11_check(const char *uri, struct kp_err *err);

/*
 * The private key the URI names, its token logged in (kept open for the
 * process's life).  NULL and err saying what was not found.
 */
EVP_PKEY	*kp_pkcs11_load(const char *uri, struct kp_err *err);

/*
 * ketenpoort pki --pkcs11: a new RSA key made inside the token, labelled
 * and identified as the URI's object and id say; its public key.
 */
EVP_PKEY	*kp_pkcs11_generate(const char *uri, unsigned int bits,
		    struct kp_err *err);

#endif
