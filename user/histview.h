/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --hist: latency histograms drawn as bcc's tools draw them, one power of two
 * per line with a bar of stars, in nanoseconds. The log2 view is derived
 * exactly from struct hist: every bucket of it lies inside one power of two
 * (values below 32 are exact; above, a power of two is cut into 32 buckets),
 * so each bucket's count goes whole to the line of its lowest value, and the
 * lines add up to the histogram's count. (Microseconds could not be exact:
 * 1000 * 2^k is never a bucket boundary, so some buckets would straddle lines.)
 */
#ifndef HISTVIEW_H
#define HISTVIEW_H

#include <stdint.h>
#include <stdio.h>
#include "hist.h"
#include "report.h"

/* Slot k counts values in [2^k, 2^(k+1)); slot 0 holds 0 and 1, as in bcc. */
#define HISTVIEW_SLOTS HIST_TOP_BITS

/* The log2 view of h (NULL: all zero). */
void histview__log2(const struct hist *h, uint64_t slots[HISTVIEW_SLOTS]);

/*
 * Draw slots as bcc's print_log2_hist() does with strip_leading_zero: the
 * header, then a line per slot from the first non-empty one to the last.
 * Nothing when every slot is empty.
 */
void histview__print(FILE *f, const uint64_t slots[HISTVIEW_SLOTS], const char *unit);

/*
 * Every active row's histograms for the interval (its connection latency,
 * accept-queue wait for "in", response latency for UDP "out"), under a title
 * stamped with the local time of r->end. 0, or -EIO when f cannot be written.
 */
int histview__interval(FILE *f, const struct report *r);

/* The same for the whole run, titled "run". 0 or -EIO. */
int histview__summary(FILE *f, const struct report *r);

#endif /* HISTVIEW_H */
