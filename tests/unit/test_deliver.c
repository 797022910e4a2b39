/*
 * The delivery worker's backoff: 0.5 s doubling per attempt up to a
 * minute, with -25 % to +25 % jitter; never overflowing, whatever the
 * number of attempts a row has behind it.
 */
#include "autoconf.h"

#include <stdint.h>

#include "deliver.h"
#include "tap.h"

int
main(void)
{
	int64_t lo, hi, prev_hi = 0;
	int rising = 1, bounded = 1;

	is_int(kp_deliver_backoff_ms(0, 0), 375, "the first retry: 0.5 s, "
	    "-25 %% at the lowest draw");
	is_int(kp_deliver_backoff_ms(0, 250), 625, "  +25 %% at the highest "
	    "(250 = 0.5 s / 2)");
	is_int(kp_deliver_backoff_ms(0, 251), 375, "  the draw wraps, never "
	    "beyond");
	is_int(kp_deliver_backoff_ms(1, 0), 750, "the second: 1 s, -25 %%");
	is_int(kp_deliver_backoff_ms(3, 0), 3000, "the fourth: 4 s, -25 %%");
	for (int a = 0; a < 40; a++) {
		lo = kp_deliver_backoff_ms(a, 0);
		hi = 0;
		for (unsigned int r = 0; r <= 0xffff; r += 97) {
			int64_t ms = kp_deliver_backoff_ms(a, r);

			if (ms > hi)
				hi = ms;
			if (ms < lo || ms > 75000)
				bounded = 0;
		}
		if (hi < prev_hi)
			rising = 0;
		prev_hi = hi;
	}
	ok(rising, "the longest wait never shrinks with more attempts");
	ok(bounded, "every wait within -25 %%..+25 %% of at most a minute");
	is_int(kp_deliver_backoff_ms(7, 0), 45000, "capped at a minute from "
	    "the eighth attempt (-25 %%)");
	is_int(kp_deliver_backoff_ms(1000000, 0xffff), 45000 + 0xffff % 30001,
	    "a million attempts: the same minute, no overflow");
	is_int(kp_deliver_backoff_ms(7, 0xffff), kp_deliver_backoff_ms(8,
	    0xffff), "  the same draw, the same wait past the cap");
	return done_testing();
}
