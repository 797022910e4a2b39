#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fixture.h"
#include "store_int.h"
#include "gateway.h"
#include "pki.h"
#include "profile.h"
#include "util.h"
#include "xmlsafe.h"

const char *
fixture_src(const char *rel)
{
	static char path[1024];
	const char *src = getenv("SRCDIR");

	snprintf(path, sizeof(path), "%s/%s", src != NULL ? src : ".", rel);
	return path;
}

const char *
fixture_write(struct fixture *fx, const char *name, const char *text)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		return NULL;
	fputs(text, fp);
	fclose(fp);
	return path;
}

static int
write_conf(struct fixture *fx, const char *name, const char *oin, int port)
{
	char text[2048], file[64];

	snprintf(text, sizeof(text),
	    "oin %s\nname %s\nlisten 127.0.0.1:%d\n"
	    "endpoint https://127.0.0.1:%d/wus/v1\n"
	    "cert pki/%s.crt\nkey pki/%s.key\nca pki/ca.crt\ncrl pki/ca.crl\n"
	    "store %s.db\nprofiles %s-profiles\nxsd_dir %s\n",
	    oin, name, port, port, name, name, name, name, fixture_src("xsd"));
	snprintf(file, sizeof(file), "%s.conf", name);
	return fixture_write(fx, file, text) != NULL ? 0 : -1;
}

static int
write_profile(struct fixture *fx, const char *at, const char *name,
    const char *oin, int port, const char *zenden, const char *ontvangen)
{
	char text[2048], file[128];

	snprintf(text, sizeof(text),
	    "<profiel xmlns=\"urn:ketenpoort:profiel:1\">\n"
	    "  <oin>%s</oin>\n  <naam>%s</naam>\n"
	    "  <endpoint>https://127.0.0.1:%d/wus/v1</endpoint>\n"
	    "  <rol>ketenpartner</rol>\n  <zenden>%s</zenden>\n%s</profiel>\n",
	    oin, name, port, zenden, ontvangen);
	snprintf(file, sizeof(file), "%s-profiles/%s.xml", at, name);
	return fixture_write(fx, file, text) != NULL ? 0 : -1;
}

int
fixture_setup(struct fixture *fx)
{
	return fixture_setup_port(fx, 1);
}

int
fixture_setup_port(struct fixture *fx, int self_port)
{
	struct kp_pki_opts opts = { 0 };
	struct kp_err err;
	char path[512];

	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/kptest.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	if (kp_libraries_init(&err) != KP_OK)
		goto fail;
	snprintf(path, sizeof(path), "%s/pki", fx->dir);
	if (kp_pki_init(path, &opts, &err) != KP_OK ||
	    kp_pki_issue(path, "self", OIN_SELF, "Zelf", &opts, &err) != KP_OK ||
	    kp_pki_issue(path, "partner", OIN_PARTNER, "Partner", &opts,
	    &err) != KP_OK ||
	    kp_pki_issue(path, "callcenter", OIN_CALLCENTER, "Callcenter", &opts,
	    &err) != KP_OK ||
	    kp_pki_issue(path, "stranger", OIN_STRANGER, "Vreemde", &opts,
	    &err) != KP_OK)
		goto fail;
	snprintf(path, sizeof(path), "%s/self-profiles", fx->dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/partner-profiles", fx->dir);
	mkdir(path, 0755);
	if (write_conf(fx, "self", OIN_SELF, self_port) != 0 ||
	    write_conf(fx, "partner", OIN_PARTNER, 2) != 0 ||
	    write_profile(fx, "self", "partner", OIN_PARTNER, 2,
	    "<bericht>zakLk01</bericht>"
	    "<bericht relay=\"true\">prsLk01</bericht>",
	    "  <ontvangen><entiteit type=\"ZAK\" doel=\"ketentest\">"
	    "<wet>Testwet art. 1</wet><veld>zaaktype</veld>"
	    "<veld>status</veld></entiteit></ontvangen>\n"
	    "  <vragen><vraag functie=\"digest\"/></vragen>\n") != 0 ||
	    write_profile(fx, "self", "callcenter", OIN_CALLCENTER, 3,
	    "<bericht>kctLk01</bericht>", "") != 0 ||
	    write_profile(fx, "partner", "self", OIN_SELF, self_port, "",
	    "") != 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/self.conf", fx->dir);
	if ((fx->self = kp_gateway_open(path, 0, NULL, &err)) == NULL)
		goto fail;
	snprintf(path, sizeof(path), "%s/partner.conf", fx->dir);
	if ((fx->partner = kp_gateway_open(path, 0, NULL, &err)) == NULL)
		goto fail;
	fx->self_at_partner = kp_profiles_by_oin(fx->partner->profiles, OIN_SELF);
	return 0;
fail:
	printf("# fixture: %s\n", err.msg);
	fixture_teardown(fx);
	return -1;
}

void
fixture_teardown(struct fixture *fx)
{
	char cmd[300];

	kp_gateway_close(fx->self);
	kp_gateway_close(fx->partner);
	fx->self = fx->partner = NULL;
	if (fx->dir[0] != '\0' && getenv("KP_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", fx->dir);
	}
	kp_libraries_cleanup();
}

xmlDocPtr
fixture_body(const char *name, const char *from, const char *to,
    const char *ref, const char *bsn)
{
	/* each body the first notice of a stream of its own (4.1) */
	static unsigned partitie;
	char rel[128], part[16], *text = NULL, *out = NULL;
	size_t len, cap, o = 0;
	struct kp_err err;
	xmlDocPtr doc = NULL;
	const struct { const char *key, *value; } subst[] = {
		{ "@FROM@", from }, { "@TO@", to }, { "@REF@", ref },
		{ "@VOLG@", "1" }, { "@BSN@", bsn }, { "@PART@", part },
	};

	snprintf(part, sizeof(part), "%u", partitie++);

	snprintf(rel, sizeof(rel), "tests/data/%s.xml.in", name);
	if (kp_read_file(fixture_src(rel), 1 << 20, &text, &len, &err) != KP_OK)
		return NULL;
	cap = len * 2 + 256;
	if ((out = malloc(cap)) == NULL)
		goto out;
	for (size_t i = 0; i < len;) {
		size_t k;

		for (k = 0; k < sizeof(subst) / sizeof(subst[0]); k++) {
			size_t kl = strlen(subst[k].key);

			if (strncmp(text + i, subst[k].key, kl) == 0) {
				size_t vl = strlen(subst[k].value);

				memcpy(out + o, subst[k].value, vl);
				o += vl;
				i += kl;
				break;
			}
		}
		if (k == sizeof(subst) / sizeof(subst[0]))
			out[o++] = text[i++];
	}
	doc = kp_xml_parse(out, o, &err);
out:
	free(text);
	free(out);
	return doc;
}

int64_t
fixture_count(struct kp_store *st, const char *table)
{
	static const char *const allowed[] = { "message", "replay", "audit",
	    "record", "stream_in", "outbox", "stream_out", "outbox_skipped",
	    "sync_check" };
	struct kp_stmt *stmt;
	char sql[64];
	int64_t n = -1;
	size_t i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcmp(allowed[i], table) == 0)
			break;
	if (i == sizeof(allowed) / sizeof(allowed[0]))
		return -1;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	pthread_mutex_lock(&st->lock);
	if ((stmt = kp_db_prepare(st->db, sql)) != NULL) {
		if (kp_db_step(stmt) == KP_DB_ROW)
			n = kp_db_col_int(stmt, 0);
		kp_db_finalize(stmt);
	}
	pthread_mutex_unlock(&st->lock);
	return n;
}
