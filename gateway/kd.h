/*
 * kd — the StUF-style bodies of PROTOCOL.md §3 (namespace kd).
 *
 * Reads stuurgegevens from a schema-valid body, checks what the schema
 * cannot say (berichtcode and entiteittype fit the root, V notices carry
 * identity only, the BSN elfproef; for the owner's local changes also the
 * fields a T or W needs), and builds notices and the Bv03 and Fo03 answers.
 */
#ifndef KP_KD_H
#define KP_KD_H

#include <stdint.h>

#include <libxml/tree.h>

#include "err.h"

#define KD_NS "urn:ketenpoort:ketendossier:1"
#define KD_ACTION_PREFIX "urn:ketenpoort:ketendossier:1:"

struct kp_stuurgegevens {
	char	berichtcode[8];
	char	zender_oin[24];
	char	zender_app[56];
	char	ontvanger_oin[24];
	char	ontvanger_app[56];
	char	referentienummer[48];
	char	tijdstip[24];
	char	crossref[48];
	char	entiteittype[8];
	char	functie[16];
};

/* Read stuurgegevens of a body root; KP002 when missing or too long. */
int	kp_kd_read_stuurgegevens(xmlNodePtr root, struct kp_stuurgegevens *sg,
	    struct kp_err *err);
/*
 * The checks beyond the schema: KP002 for structure, KP040 for a BSN that
 * fails the elfproef.  root must have passed schema validation.
 */
int	kp_kd_check(xmlNodePtr root, const struct kp_stuurgegevens *sg,
	    struct kp_err *err);
/* 9 digits passing the elfproef. */
int	kp_bsn_valid(const char *bsn);

/* Is this root a notice (Lk01)? */
int	kp_kd_is_notice(const char *root_name);

/* What a notice (Lk01) says, read from a checked body. */
struct kp_notice {
	char		 mutatiesoort;		/* 'T', 'W' or 'V' */
	uint32_t	 partitie;
	uint64_t	 volgnummer;
	int		 intrekking;		/* reden = intrekking */
	char		 entiteittype[8];
	char		 bron[24];
	char		 identificatie[48];
	uint64_t	 bronversie;
	char		 bsn[16];
	char		*fields;		/* canonical fields, malloc'd */
	char		 fields_sha256[65];
};

/*
 * Read a notice from a body that passed kp_kd_check().  The canonical
 * fields are the entity's elements after bron, identificatie, bronversie
 * and bsn, one "name=value" line each in document (= schema) order, with
 * backslash and newline in values escaped as \\ and \n; a V has none.
 */
int	kp_kd_read_notice(xmlNodePtr root, struct kp_notice *n,
	    struct kp_err *err);
void	kp_notice_clear(struct kp_notice *n);
/*
 * Append "name=value\n" to buf (of *len bytes) with value escaped; returns
 * the grown buffer, or NULL (buf freed) when out of memory.
 */
char	*kp_field_append(char *buf, size_t *len, const char *name,
	    const char *value);
/*
 * The value of field name in canonical fields, unescaped, malloc'd; NULL
 * when absent (or out of memory).
 */
char	*kp_field_get(const char *fields, const char *name);
/*
 * A case's vertrouwelijkheidaanduiding as a level, openbaar 0 up to
 * zeer_geheim 7; -1 when not one of them.
 */
int	kp_kd_vertrouwelijkheid(const char *name);
const char *kp_kd_vertrouwelijkheid_name(int level);
/* The names of canonical fields, comma-separated, as many as fit. */
void	kp_field_names(const char *fields, char *out, size_t outlen);
/* The field names of an entity type (PROTOCOL.md 3.1), NULL-terminated. */
const char *const *kp_kd_entity_fields(const char *entiteittype);
/*
 * fn(arg, name, value) for each canonical field in order, the value
 * unescaped; -1 when out of memory.
 */
int	kp_field_each(const char *fields, void (*fn)(void *arg,
	    const char *name, const char *value), void *arg);
/* Undo the escaping of one canonical field value in place; returns it. */
char	*kp_field_unescape(char *value);
/* fn(arg, name, value) for each line of canonical fields, unescaped. */
void	kp_fields_each(const char *fields,
	    void (*fn)(void *arg, const char *name, const char *value), void *arg);
/*
 * A local change (kd:lokaleWijziging, schema-valid) as a notice without
 * stream numbers: the same body rules (KP002, KP040) as a partner's.
 */
int	kp_kd_read_local(xmlNodePtr root, struct kp_notice *n,
	    struct kp_err *err);
/* One entity (kd:zaak …, e.g. of a dosLa01's antwoord) as a W notice. */
int	kp_kd_read_entity(xmlNodePtr entity, struct kp_notice *n,
	    struct kp_err *err);
/*
 * The notice (zakLk01 …) that carries n from us to to_oin: stuurgegevens
 * with a fresh referentienummer, parameters with n's stream numbers, the
 * entity with provenance and n's canonical fields.
 */
xmlDocPtr kp_kd_build_notice(const char *our_oin, const char *our_app,
	    const char *to_oin, const struct kp_notice *n, struct kp_err *err);
/*
 * Append n's entity (kd:zaak …: provenance, bsn and n's canonical fields
 * in order) to parent, in parent's namespace; NULL when out of memory.
 */
xmlNodePtr kp_kd_add_entity(xmlNodePtr parent, const struct kp_notice *n);

/* PROTOCOL.md 4.1: u32be(SHA-256(bsn)[0..3]) mod partitions. */
uint32_t kp_bsn_partition(const char *bsn, uint32_t partitions);
/* "zakLk01" for "ZAK"; "zaak" for "ZAK"; NULL when unknown. */
const char *kp_kd_notice_root(const char *entiteittype);
const char *kp_kd_entity_element(const char *entiteittype);

struct kp_kd_reply {
	const char	*our_oin;
	const char	*our_app;
	const char	*to_oin;	/* the requester */
	const char	*to_app;	/* may be NULL: "onbekend" */
	const char	*crossref;	/* request's referentienummer, may be NULL */
};

xmlDocPtr kp_kd_bv03(const struct kp_kd_reply *r, struct kp_err *err);
/*
 * A dosLa01 answering a dosLv01 with functie; *antwoord is the element the
 * caller fills (entities or kd:digest), in the document's kd namespace.
 */
xmlDocPtr kp_kd_la01(const struct kp_kd_reply *r, const char *functie,
	    xmlNodePtr *antwoord, struct kp_err *err);
/*
 * A dosLv01 from us to to_oin: functie, doel, and optionally bsn and vanaf
 * (paging: the citizens after that BSN).  r->crossref is ignored.
 */
xmlDocPtr kp_kd_question(const struct kp_kd_reply *r, const char *functie,
	    const char *bsn, const char *doel, const char *vanaf,
	    struct kp_err *err);
/* A ckpDi01 carrying our signed audit checkpoint to r->to_oin. */
xmlDocPtr kp_kd_checkpoint(const struct kp_kd_reply *r, int64_t seq,
	    const char *hash, const char *at, const char *signature,
	    const char *cert, struct kp_err *err);
/* Append a child element in root's kd namespace with text (may be NULL). */
xmlNodePtr kp_kd_add(xmlNodePtr parent, const char *name, const char *text);
xmlDocPtr kp_kd_fo03(const struct kp_kd_reply *r, kp_fault fault,
	    const char *omschrijving, const char *details,
	    uint64_t verwacht_volgnummer, struct kp_err *err);

#endif
