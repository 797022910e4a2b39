/*
 * kpsend — test tool: a partner that sends what it likes.  Like
 * `ketenpoort send`, but it sends notices (Lk01) as written, with their
 * own partitie and volgnummer, past the sender's outbox: the tests use it
 * to drive a receiver's streams directly (gaps, resends, a number reused
 * for another notice).  Never installed.
 *
 *   kpsend -c SENDER.conf --to PARTNER [--show-answer]
 *       [--connect-to HOST:PORT] BODY.xml...
 *
 * --connect-to: to that address, whatever the endpoint says (one node of
 * several behind one address; wsa:To stays the endpoint).
 */
#include "autoconf.h"

#include "send.h"

int
main(int argc, char **argv)
{
	return kp_send_main("kpsend", argc, argv, KP_SEND_NOTICES);
}
