/*
 * ticker — a thread that runs one job every so often until stopped: the
 * daemon's schedules (digest checks, consent checks, audit checkpoints).
 * kp_ticker_wake() runs the job now, without waiting for the interval.
 */
#ifndef KP_TICKER_H
#define KP_TICKER_H

#include <stdint.h>

#include "err.h"

struct kp_ticker;

/* NULL and err set when the thread cannot start. */
struct kp_ticker *kp_ticker_start(const char *name, int64_t interval_ms,
		    void (*job)(void *arg), void *arg, struct kp_err *err);
void		  kp_ticker_wake(struct kp_ticker *t);
/* Wait for a running job to end, then stop; NULL-safe. */
void		  kp_ticker_stop(struct kp_ticker *t);

#endif
