/*
 * db_sqlite_schema — the store's schema on SQLite, as migrations: each
 * entry moves it from version i to i + 1 (PRAGMA user_version).  Never
 * edit one; add the next.  Another engine keeps its own list with the same
 * versions and the same tables (db.h).
 */
#include "autoconf.h"

#include <stddef.h>

extern const char *const kp_sqlite_migrations[];

const char *const kp_sqlite_migrations[] = {
	/* 1: messages, replay table, audit trail */
	"CREATE TABLE message ("
	"  id INTEGER PRIMARY KEY,"
	"  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
	"  partner_oin TEXT NOT NULL,"
	"  message_id TEXT NOT NULL,"
	"  referentienummer TEXT,"
	"  berichtcode TEXT,"
	"  entiteittype TEXT,"
	"  root TEXT,"
	"  at TEXT NOT NULL,"
	"  bytes_sha256 TEXT NOT NULL,"
	"  bytes BLOB NOT NULL,"
	"  response BLOB,"
	"  outcome TEXT NOT NULL"
	");"
	"CREATE INDEX message_partner ON message (partner_oin, message_id);"
	"CREATE TABLE replay ("
	"  partner_oin TEXT NOT NULL,"
	"  message_id TEXT NOT NULL,"
	"  referentienummer TEXT NOT NULL,"
	"  body_digest TEXT NOT NULL,"
	"  message INTEGER NOT NULL REFERENCES message (id),"
	"  at TEXT NOT NULL,"
	"  PRIMARY KEY (partner_oin, message_id)"
	");"
	"CREATE UNIQUE INDEX replay_referentie ON replay (partner_oin, referentienummer);"
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  at TEXT NOT NULL,"
	"  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
	"  partner_oin TEXT,"
	"  message_id TEXT,"
	"  berichtcode TEXT,"
	"  entiteittype TEXT,"
	"  outcome TEXT NOT NULL,"
	"  code TEXT,"
	"  bytes_sha256 TEXT,"
	"  detail TEXT"
	");",
	/* 2: records (PROTOCOL.md 4.2) and incoming streams (4.1) */
	"CREATE TABLE record ("
	"  entiteittype TEXT NOT NULL,"
	"  bron TEXT NOT NULL,"
	"  identificatie TEXT NOT NULL,"
	"  bronversie INTEGER NOT NULL,"
	"  bsn TEXT NOT NULL,"
	"  deleted INTEGER NOT NULL DEFAULT 0,"	/* a tombstone */
	"  fields TEXT NOT NULL,"			/* canonical, see kd.h */
	"  fields_sha256 TEXT NOT NULL,"
	"  received_from TEXT,"			/* NULL: our own */
	"  message INTEGER REFERENCES message (id),"
	"  updated_at TEXT NOT NULL,"
	"  PRIMARY KEY (entiteittype, bron, identificatie)"
	");"
	"CREATE INDEX record_bsn ON record (bsn);"
	"CREATE TABLE stream_in ("
	"  partner_oin TEXT NOT NULL,"
	"  partitie INTEGER NOT NULL,"
	"  next_expected INTEGER NOT NULL,"
	"  PRIMARY KEY (partner_oin, partitie)"
	");",
	/* 3: local changes (audit direction 'local'), the outbox, streams out */
	"CREATE TABLE audit_3 ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  at TEXT NOT NULL,"
	"  direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'local')),"
	"  partner_oin TEXT,"
	"  message_id TEXT,"
	"  berichtcode TEXT,"
	"  entiteittype TEXT,"
	"  outcome TEXT NOT NULL,"
	"  code TEXT,"
	"  bytes_sha256 TEXT,"
	"  detail TEXT"
	");"
	"INSERT INTO audit_3 SELECT * FROM audit;"
	"DROP TABLE audit;"
	"ALTER TABLE audit_3 RENAME TO audit;"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  partner_oin TEXT NOT NULL,"
	"  partitie INTEGER NOT NULL,"
	"  volgnummer INTEGER NOT NULL,"
	"  mutatiesoort TEXT NOT NULL CHECK (mutatiesoort IN ('T', 'W', 'V')),"
	"  entiteittype TEXT NOT NULL,"
	"  bron TEXT NOT NULL,"
	"  identificatie TEXT NOT NULL,"
	"  bronversie INTEGER NOT NULL,"
	"  bsn TEXT NOT NULL,"
	"  fields TEXT NOT NULL,"	/* the projection this partner may see */
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending', 'delivered', 'parked')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  created_at TEXT NOT NULL,"
	"  delivered_at TEXT,"
	"  UNIQUE (partner_oin, partitie, volgnummer)"
	");"
	"CREATE INDEX outbox_state ON outbox (state, partner_oin, partitie, volgnummer);"
	"CREATE TABLE stream_out ("
	"  partner_oin TEXT NOT NULL,"
	"  partitie INTEGER NOT NULL,"
	"  next_volgnummer INTEGER NOT NULL,"
	"  PRIMARY KEY (partner_oin, partitie)"
	");",
	/* 4: rows an operator skipped, kept for the record */
	"CREATE TABLE outbox_skipped ("
	"  id INTEGER PRIMARY KEY,"
	"  partner_oin TEXT NOT NULL,"
	"  partitie INTEGER NOT NULL,"
	"  volgnummer INTEGER NOT NULL,"
	"  mutatiesoort TEXT NOT NULL,"
	"  entiteittype TEXT NOT NULL,"
	"  bron TEXT NOT NULL,"
	"  identificatie TEXT NOT NULL,"
	"  bronversie INTEGER NOT NULL,"
	"  bsn TEXT NOT NULL,"
	"  fields TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  created_at TEXT NOT NULL,"
	"  skipped_at TEXT NOT NULL"
	");",
	/* 5: digests (PROTOCOL.md 4.3): lookups by link and citizen; verifies */
	"CREATE INDEX record_from ON record (received_from, bsn) "
	"  WHERE received_from IS NOT NULL;"
	"CREATE INDEX outbox_record ON outbox (partner_oin, bsn, entiteittype,"
	"  bron, identificatie, id);"
	"CREATE TABLE sync_check ("
	"  id INTEGER PRIMARY KEY,"
	"  partner_oin TEXT NOT NULL,"
	"  at TEXT NOT NULL,"
	"  citizens INTEGER NOT NULL,"
	"  differ INTEGER NOT NULL,"
	"  in_flight INTEGER NOT NULL,"
	"  error TEXT"
	");",
	/*
	 * 6: the audit trail as a hash chain (PROTOCOL.md 6) with the
	 * citizen's pseudonym, disclosed fields, basis, purpose and the
	 * archived message; what an outbox row was disclosed on; retractions;
	 * our signed checkpoints and the ones partners sent us to witness.
	 */
	"ALTER TABLE audit ADD COLUMN subject TEXT;"
	"ALTER TABLE audit ADD COLUMN record TEXT;"
	"ALTER TABLE audit ADD COLUMN velden TEXT;"
	"ALTER TABLE audit ADD COLUMN basis TEXT;"
	"ALTER TABLE audit ADD COLUMN doel TEXT;"
	"ALTER TABLE audit ADD COLUMN message INTEGER;"
	"ALTER TABLE audit ADD COLUMN hash TEXT;"
	"CREATE INDEX audit_subject ON audit (subject) WHERE subject IS NOT NULL;"
	"CREATE INDEX audit_message_id ON audit (message_id) "
	"  WHERE message_id IS NOT NULL;"
	"ALTER TABLE outbox ADD COLUMN reden TEXT;"
	"ALTER TABLE outbox ADD COLUMN basis TEXT;"
	"ALTER TABLE outbox ADD COLUMN doel TEXT;"
	"CREATE TABLE checkpoint ("
	"  id INTEGER PRIMARY KEY,"
	"  seq INTEGER NOT NULL,"
	"  hash TEXT NOT NULL,"
	"  at TEXT NOT NULL,"
	"  signature TEXT NOT NULL,"	/* base64, over kp_checkpoint_text() */
	"  cert TEXT NOT NULL"		/* base64 DER of the signer's certificate */
	");"
	"CREATE TABLE checkpoint_sent ("
	"  checkpoint INTEGER NOT NULL REFERENCES checkpoint (id),"
	"  partner_oin TEXT NOT NULL,"
	"  at TEXT NOT NULL,"
	"  PRIMARY KEY (checkpoint, partner_oin)"
	");"
	"CREATE TABLE witnessed ("
	"  id INTEGER PRIMARY KEY,"
	"  partner_oin TEXT NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  hash TEXT NOT NULL,"
	"  at TEXT NOT NULL,"
	"  signature TEXT NOT NULL,"
	"  cert TEXT NOT NULL,"
	"  message INTEGER REFERENCES message (id),"
	"  received_at TEXT NOT NULL,"
	"  UNIQUE (partner_oin, seq, hash)"
	");"
	/* citizens whose consents changed: their disclosures to reconsider */
	"CREATE TABLE consent_dirty ("
	"  bsn TEXT PRIMARY KEY,"
	"  mark INTEGER NOT NULL,"	/* unmarked only if not marked again */
	"  at TEXT NOT NULL"
	");",
	/*
	 * 7: PROTOCOL.md 4.1 (KP031): the identity of the notice applied
	 * under each incoming volgnummer, so that a notice behind the stream
	 * is acknowledged only when it is that very notice.  Numbers below
	 * kept_from were applied before identities were kept.  Why a parked
	 * outbox row was refused, and the number the partner expected then.
	 */
	"CREATE TABLE stream_applied ("
	"  partner_oin TEXT NOT NULL,"
	"  partitie INTEGER NOT NULL,"
	"  volgnummer INTEGER NOT NULL,"
	"  entiteittype TEXT NOT NULL,"
	"  bron TEXT NOT NULL,"
	"  identificatie TEXT NOT NULL,"
	"  bronversie INTEGER NOT NULL,"
	"  mutatiesoort TEXT NOT NULL,"
	"  PRIMARY KEY (partner_oin, partitie, volgnummer)"
	") WITHOUT ROWID;"
	"ALTER TABLE stream_in ADD COLUMN kept_from INTEGER NOT NULL DEFAULT 1;"
	"UPDATE stream_in SET kept_from = next_expected;"
	"ALTER TABLE outbox ADD COLUMN code TEXT;"
	"ALTER TABLE outbox ADD COLUMN verwacht INTEGER;",
	/*
	 * 8: several nodes on one store (PostgreSQL): which node sends on an
	 * outgoing stream, until when unless it renews.  An embedded store
	 * has one node and keeps the table empty.
	 */
	"CREATE TABLE stream_lease ("
	"  partner_oin TEXT NOT NULL,"
	"  partitie INTEGER NOT NULL,"
	"  node TEXT NOT NULL,"
	"  until_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (partner_oin, partitie)"
	");",
	/*
	 * 9: the organisation's own systems told of every change (issue 18):
	 * their subscriptions (an Abonnement as JSON, its auth included; a
	 * configured one by its name), the notifications waiting for them
	 * (deleted once the subscriber took one; order per citizen per
	 * subscription by id), and the opaque references that name a
	 * citizen's dossier and a record in URLs instead of a BSN.
	 */
	"CREATE TABLE subscription ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"	/* never reused */
	"  uuid TEXT NOT NULL UNIQUE,"
	"  name TEXT UNIQUE,"		/* configured; NULL: made by a client */
	"  abonnement TEXT NOT NULL,"
	"  created_at TEXT NOT NULL"
	");"
	"CREATE TABLE notification ("
	"  id INTEGER PRIMARY KEY,"
	"  uuid TEXT NOT NULL UNIQUE,"	/* sent along: duplicates show */
	"  subscription INTEGER NOT NULL,"
	"  dossier TEXT NOT NULL,"	/* its citizen's dossier reference */
	"  kanaal TEXT NOT NULL,"
	"  body TEXT NOT NULL,"		/* the Message, as sent */
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending', 'parked')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  created_ms INTEGER NOT NULL"
	");"
	"CREATE INDEX notification_order ON notification "
	"  (subscription, dossier, id);"
	"CREATE INDEX notification_due ON notification (state, next_attempt_ms);"
	"CREATE TABLE dossier_ref ("
	"  bsn TEXT PRIMARY KEY,"
	"  ref TEXT NOT NULL UNIQUE"
	");"
	"CREATE TABLE record_ref ("
	"  entiteittype TEXT NOT NULL,"
	"  bron TEXT NOT NULL,"
	"  identificatie TEXT NOT NULL,"
	"  ref TEXT NOT NULL UNIQUE,"
	"  PRIMARY KEY (entiteittype, bron, identificatie)"
	");",
	/*
	 * 10: the auditor's web view (issue 17): every run of audit verify,
	 * from the command line or the page, with its result, so that the
	 * overview shows the last; the log found by partner and by period
	 * without reading all of it.
	 */
	"CREATE TABLE audit_verification ("
	"  id INTEGER PRIMARY KEY,"
	"  started_at TEXT NOT NULL,"
	"  finished_at TEXT NOT NULL,"
	"  started_by TEXT NOT NULL,"	/* "command line" or the auditor */
	"  entries INTEGER NOT NULL,"
	"  bad INTEGER NOT NULL,"
	"  first_bad INTEGER NOT NULL,"	/* seq, 0: none */
	"  first TEXT,"			/* what is wrong there */
	"  error TEXT"			/* it could not run */
	");"
	"CREATE INDEX audit_partner ON audit (partner_oin, seq);"
	"CREATE INDEX audit_at ON audit (at);",
	NULL
};
