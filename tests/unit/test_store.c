/* store: migrations, replay rule, one-transaction commit, audit. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "fixture.h"
#include "store.h"
#include "tap.h"

int
main(void)
{
	char dir[] = "/tmp/kpstore.XXXXXX", path[256], *resp = NULL;
	struct kp_store *st;
	struct kp_err err;
	enum kp_replay r;
	size_t len;
	struct kp_inbound_commit c = {
		.partner_oin = "00000001001000000000", .message_id = "urn:uuid:1",
		.referentienummer = "ref-1", .berichtcode = "Lk01",
		.entiteittype = "ZAK", .root = "zakLk01", .bytes = "<signed/>",
		.len = 9, .bytes_sha256 = "ab", .body_digest = "digest-1",
		.response = "<answer/>", .response_len = 9,
	};
	struct kp_audit a = { .direction = "in", .outcome = "rejected",
	    .code = "KP010" };

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/s.db", dir);
	st = kp_store_open(path, &err);
	if (!ok(st != NULL, "store opens and migrates"))
		return done_testing();
	is_int(kp_store_version(st), kp_store_latest_version(),
	    "schema is at the latest version");
	is_int(fixture_count(st, "message"), 0, "no messages yet");

	kp_store_replay_check(st, c.partner_oin, c.message_id, NULL,
	    c.body_digest, &r, &resp, &len, &err);
	is_int(r, KP_REPLAY_NEW, "unknown MessageID is new");
	is_int(kp_apply_inbound(st, &c, &r, &resp, &len, &err), KP_OK,
	    "commit succeeds");
	is_int(r, KP_REPLAY_NEW, "commit stored a new message");
	is_int(fixture_count(st, "message"), 1, "one message stored");
	is_int(fixture_count(st, "replay"), 1, "one replay row");
	is_int(fixture_count(st, "audit"), 1, "one audit row, in the same transaction");

	kp_store_replay_check(st, c.partner_oin, c.message_id, NULL,
	    c.body_digest, &r, &resp, &len, &err);
	is_int(r, KP_REPLAY_SAME, "same MessageID and digest: same");
	ok(resp != NULL && len == 9 && memcmp(resp, "<answer/>", 9) == 0,
	    "and the original answer comes back");
	free(resp);
	resp = NULL;
	kp_store_replay_check(st, c.partner_oin, c.message_id, NULL,
	    "digest-2", &r, &resp, &len, &err);
	is_int(r, KP_REPLAY_CONFLICT, "same MessageID, other body: conflict");
	kp_store_replay_check(st, "00000009009000000000", c.message_id, NULL,
	    "digest-2", &r, &resp, &len, &err);
	is_int(r, KP_REPLAY_NEW, "MessageIDs are per partner");
	kp_store_replay_check(st, c.partner_oin, "urn:uuid:2", "ref-1",
	    "digest-2", &r, &resp, &len, &err);
	is_int(r, KP_REPLAY_CONFLICT, "same referentienummer, other body: conflict");

	c.body_digest = "digest-2";
	kp_apply_inbound(st, &c, &r, &resp, &len, &err);
	is_int(r, KP_REPLAY_CONFLICT, "a racing commit with another body is refused");
	is_int(fixture_count(st, "message"), 1, "and stores no message");
	is_int(fixture_count(st, "audit"), 2, "but audits the refusal");

	c.body_digest = "digest-1";
	kp_apply_inbound(st, &c, &r, &resp, &len, &err);
	is_int(r, KP_REPLAY_SAME, "a racing commit with the same body is a duplicate");
	ok(resp != NULL && len == 9 && memcmp(resp, "<answer/>", 9) == 0,
	    "and gets the answer given then");
	free(resp);
	resp = NULL;
	is_int(fixture_count(st, "message"), 1, "still one message");
	is_int(fixture_count(st, "audit"), 3, "and the duplicate is audited");

	is_int(kp_apply_audit(st, &a, &err), KP_OK, "a rejection audit row");
	is_int(fixture_count(st, "audit"), 4, "audit has four rows");

	/* The group-commit writer: many jobs, each acknowledged after commit. */
	{
		struct kp_write jobs[50];
		char ids[50][32], refs[50][32], digests[50][32];

		is_int(kp_store_writer_start(st, &err), KP_OK, "writer starts");
		for (int i = 0; i < 50; i++) {
			memset(&jobs[i], 0, sizeof(jobs[i]));
			snprintf(ids[i], sizeof(ids[i]), "urn:uuid:batch-%d", i);
			snprintf(refs[i], sizeof(refs[i]), "batch-%d", i);
			snprintf(digests[i], sizeof(digests[i]), "d-%d", i);
			jobs[i].kind = KP_WRITE_COMMIT;
			jobs[i].commit = c;
			jobs[i].commit.message_id = ids[i];
			jobs[i].commit.referentienummer = refs[i];
			jobs[i].commit.body_digest = digests[i];
			kp_apply_submit(st, &jobs[i]);
		}
		kp_store_writer_stop(st);
		is_int(kp_store_pending(st), 0, "stopping the writer drains its queue");
		{
			int all_ok = 1;

			for (int i = 0; i < 50; i++)
				if (jobs[i].job.status != KP_OK ||
				    jobs[i].race != KP_REPLAY_NEW)
					all_ok = 0;
			ok(all_ok, "every queued job was applied");
		}
		is_int(fixture_count(st, "message"), 51, "50 more messages stored");
		is_int(fixture_count(st, "audit"), 54, "each with its audit row");
	}
	kp_store_close(st);

	st = kp_store_open(path, &err);
	ok(st != NULL && fixture_count(st, "message") == 51,
	    "reopened store keeps its rows");
	kp_store_close(st);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
