/*
 * cli — the subcommands of ketenpoort.  Each parses its own options, calls
 * the modules, prints for people, and returns the process exit status:
 * 0 success, 1 the partner refused (Fo03) or a check failed, 2 usage or
 * local error.
 */
#ifndef KP_CLI_H
#define KP_CLI_H

int	cmd_pki(int argc, char **argv);
int	cmd_demo(int argc, char **argv);
int	cmd_check_config(int argc, char **argv);
int	cmd_serve(int argc, char **argv);
int	cmd_send(int argc, char **argv);
int	cmd_audit(int argc, char **argv);
int	cmd_dossier(int argc, char **argv);
int	cmd_consent(int argc, char **argv);
int	cmd_queue(int argc, char **argv);
int	cmd_sync(int argc, char **argv);
int	cmd_store(int argc, char **argv);
/* queue notifications|notify-retry (cli_notify.c); uuid may be NULL. */
int	kp_cli_queue_notify(const char *path, const char *verb,
	    const char *uuid);

#endif
