/*
 * send — the `ketenpoort send` command's work: wrap kd body files in
 * envelopes, sign them, deliver them in order over one kept-alive mutual
 * TLS connection, verify each signed answer and print the outcome.
 *
 * Notices (Lk01) are refused unless KP_SEND_NOTICES is given: they leave
 * only through the outbox, which numbers the streams (PROTOCOL.md 4.1), so
 * no notice can take a volgnummer the outbox gives to another.  Only the
 * test suite's raw partner (tests/tools/kpsend) sets that flag.
 */
#ifndef KP_SEND_H
#define KP_SEND_H

#define KP_SEND_SHOW_ANSWER	0x1	/* print each verified answer */
#define KP_SEND_NOTICES		0x2	/* send Lk01 bodies as written */

/*
 * Returns the process exit status: 0 all accepted, 1 a partner answered
 * Fo03 (or a body was refused here), 2 transport or local error (sending
 * stops at the first one).  prog prefixes the messages on stderr.
 */
int	kp_send_files(const char *prog, const char *config_path,
	    const char *to, char *const *files, int nfiles, unsigned flags);

/* The command line: -c FILE --to PARTNER [--show-answer] BODY.xml... */
int	kp_send_main(const char *prog, int argc, char **argv, unsigned flags);

#endif
