/*
 * notify — the party's own systems told of every change to the dossier
 * (issue 18), in the ZGW Notificaties API's own format: a subscription is
 * an `Abonnement` (callbackUrl, auth, kanalen with filters on kenmerken),
 * a notification a `Message` (kanaal, hoofdObject, resource, resourceUrl,
 * actie, aanmaakdatum, kenmerken), as ../shared/contracts/zgw/
 * notificaties-api-1.0.0.post1.openapi.yaml defines them.  JSON through
 * jansson.
 *
 * Channels, one per kind of record:  personen (PRS, resource persoon),
 * zaken (ZAK, zaak), klantcontacten (KCT, klantcontact) and toestemmingen
 * (a citizen's consents, toestemming).
 *
 * Kenmerken, what subscribers filter on, never a BSN:
 *   bron            the OIN of the organisation whose record it is
 *   entiteittype    PRS, ZAK, KCT or TST
 *   partij          the OIN of the party the change came from (ours for
 *                   a change made here)
 *   herkomst        partner (a partner's notice, a repair's too: it
 *                   comes as one), lokaal (made here) or intrekking (a
 *                   copy withdrawn after a consent was)
 *   zaaktype, vertrouwelijkheidaanduiding   for zaken, when the case has
 *                   them (as Open Zaak's zaken channel carries them)
 *   kanaal          for klantcontacten, when the contact has one
 *
 * The URLs name records and dossiers by opaque references, never by BSN
 * or by an identificatie (which may be one).
 */
#ifndef KP_NOTIFY_H
#define KP_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum kp_herkomst {
	KP_HERKOMST_PARTNER,	/* a notice from a partner, applied */
	KP_HERKOMST_LOKAAL,	/* a change made here (local interface) */
	KP_HERKOMST_INTREKKING,	/* a copy withdrawn with a consent */
};

/* One change to the dossier, as a notification describes it. */
struct kp_change {
	const char	*entiteittype;	/* PRS, ZAK, KCT; TST: a consent */
	char		 mutatiesoort;	/* T, W or V */
	enum kp_herkomst herkomst;
	const char	*bron;		/* the record's organisation (OIN) */
	const char	*partij;	/* where the change came from (OIN) */
	const char	*fields;	/* canonical fields (kd.h), or NULL */
	const char	*record_ref;	/* opaque: the record's reference */
	const char	*dossier_ref;	/* opaque: the citizen's dossier's */
	int64_t		 at_ms;		/* when it took effect */
	const char	*base_url;	/* the local read API, e.g. https://h/api/v1 */
};

struct kp_subscription;

/* The channel of an entiteittype ("zaken"), NULL for none. */
const char	*kp_notify_channel(const char *entiteittype);
/* The entiteittype of a channel ("ZAK"), NULL for none. */
const char	*kp_notify_entiteittype(const char *channel);
/*
 * The subscription as a client sees it again (JSON, malloc'd): url (given),
 * callbackUrl and kanalen; never its auth, a secret.
 */
char		*kp_subscription_shown(const struct kp_subscription *s,
		    const char *url);

/*
 * The Message for c as JSON text (malloc'd, no newline); NULL and err
 * when c cannot make one (an unknown entiteittype, a missing reference).
 */
char		*kp_notify_message(const struct kp_change *c, struct kp_err *err);

/*
 * An Abonnement from JSON: callbackUrl (http or https, at most 200
 * characters), auth (1 to 1000), kanalen (at least one: a known channel's
 * naam, filters of string values 1 to 1000).  NULL and err saying which
 * field is wrong and why.
 */
struct kp_subscription *kp_subscription_parse(const char *json, size_t len,
			    struct kp_err *err);
void			kp_subscription_free(struct kp_subscription *s);
const char		*kp_subscription_callback(const struct kp_subscription *s);
const char		*kp_subscription_auth(const struct kp_subscription *s);

/*
 * Does message (a kp_notify_message) go to s?  Its kanaal is one of s's
 * kanalen, and each of that kanaal's filters names a kenmerk the message
 * has with the same value ("*" matches any value).
 */
int			kp_subscription_matches(const struct kp_subscription *s,
			    const char *message);

#endif
