/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Prometheus text exposition format (version 0.0.4) of a report: pure
 * rendering, no HTTP (exporter.c serves what this writes). Every counter is
 * cumulative since start: a row's run figures plus its current interval.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "report.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Histogram bucket bounds: powers of four nanoseconds, 2^10 (1.024 us) to 2^40
 * (1099.5 s). Each is a bucket boundary of struct hist, so a bucket's count is
 * exact: the samples below the bound (a sample of exactly the bound, in whole
 * nanoseconds, counts in the next bucket).
 */
#define METRICS_BOUND_FIRST_SHIFT 10
#define METRICS_BOUND_STEP_SHIFT 2
#define METRICS_BOUNDS 16

/* Bucket bound i in nanoseconds. */
static inline uint64_t metrics__bound_ns(unsigned int i)
{
	return 1ULL << (METRICS_BOUND_FIRST_SHIFT + METRICS_BOUND_STEP_SHIFT * i);
}

/*
 * Write the exposition of r to f. r->events and r->lost must count since
 * start; r->end is the time of the figures. version goes into socktrace_info.
 * Returns 0, or -EIO when f reports an error.
 */
int metrics__write(FILE *f, const struct report *r, const char *version);

/* A label value escaped per the format (\\, \", \n). */
void metrics__label_value(FILE *f, const char *s);

/* Nanoseconds as decimal seconds, exactly: "0.000001024", "3", "1.5". */
void metrics__seconds(FILE *f, uint64_t ns);

#endif /* METRICS_H */
