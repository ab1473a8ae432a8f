/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --json without --events: NDJSON, one object per active (port, proto,
 * direction) row per interval ("type":"interval"), and at exit one per row
 * with the whole run's figures ("type":"total") and a last "type":"summary"
 * object. Row members carry the CSV's column names and meanings; a field the
 * CSV leaves empty is null.
 */
#ifndef JSONSTATS_H
#define JSONSTATS_H

#include <stdio.h>
#include "report.h"

/* The interval's rows. 0, or -EIO when f cannot be written. */
int jsonstats__interval(FILE *f, const struct report *r);

/* The run's rows, then the summary object. 0 or -EIO. */
int jsonstats__summary(FILE *f, const struct report *r);

#endif /* JSONSTATS_H */
