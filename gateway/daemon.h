/*
 * daemon — `ketenpoort serve` as three processes (issue 16):
 *
 *   parent    this: reads the configuration, starts the other two,
 *             forwards SIGTERM, SIGINT and SIGHUP to the network process,
 *             starts a new key process when one dies and passes it on;
 *             holds no key and reads no partner's bytes.
 *   key       keychild.h: the private keys and the audit key, in its
 *             sandbox, answering keyproc.h's requests.
 *   network   the listeners, the pipelines, the store, delivery: all of
 *             the gateway but its keys (keylink.h asks for signatures).
 *
 * Both children die with the parent (PR_SET_PDEATHSIG), so kill -9 of the
 * parent ends the gateway as a whole.  The parent ends when the network
 * process does, with its exit status (or by its signal).
 */
#ifndef KP_DAEMON_H
#define KP_DAEMON_H

/* serve: the parent's life; returns the exit status. */
int	kp_daemon_run(const char *config_path, int verbose);

#endif
