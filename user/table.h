/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The live table and the final summary, for a terminal or for plain lines. */
#ifndef TABLE_H
#define TABLE_H

#include <stdbool.h>
#include <stdio.h>
#include "report.h"

struct table;

/*
 * tty: redraw the whole table in place every interval (escape codes, lines
 * cut to the terminal's width); otherwise print a header once and then one
 * plain line per active row per interval. wide: also TOTAL, bytes,
 * retransmits, resets and lifetime. NULL when out of memory.
 */
struct table *table__new(FILE *out, bool tty, bool wide);
void table__free(struct table *t);

/* Show one interval. Returns 0 or -EIO when the output cannot be written. */
int table__interval(struct table *t, const struct report *r);

/* The whole-run summary: totals, percentiles, failures by reason, lost events. */
int table__summary(FILE *out, const struct report *r);

#endif /* TABLE_H */
