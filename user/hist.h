/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Latency histogram with bounded relative error (log-linear buckets, as in
 * HdrHistogram): values below 32 are exact; above, each power of two is cut
 * into 32 equal buckets, and a percentile is reported as its bucket's middle,
 * so it is within 1/64 (1.6%) of the true nearest-rank value. Values are
 * nanoseconds up to 2^42 (73 minutes); larger ones count in the last bucket.
 * The exact min and max are kept, and percentiles are clamped to them.
 */
#ifndef HIST_H
#define HIST_H

#include <stdint.h>
#include <linux/types.h>
#include "hist_layout.h" /* the buckets, shared with the BPF programs */

#define HIST_REL_ERROR (1.0 / (2 * HIST_SUB))

struct hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min, max;
	uint32_t buckets[HIST_BUCKETS];
};

void hist__reset(struct hist *h);
void hist__add(struct hist *h, uint64_t v);
/* dst += src. */
void hist__merge(struct hist *dst, const struct hist *src);
/* Nearest-rank percentile p (0 < p <= 100) within HIST_REL_ERROR; p = 100 is the
 * exact max; 0 when empty. */
uint64_t hist__percentile(const struct hist *h, double p);

/*
 * Add n samples known only by their bucket i (counted in the kernel): the
 * count and the bucket; sum, min and max are the caller's to set.
 */
void hist__add_bucket(struct hist *h, unsigned int i, uint64_t n);

/* Bucket of v, and the smallest and largest value in bucket i. */
unsigned int hist__bucket(uint64_t v);
uint64_t hist__bucket_low(unsigned int i);
uint64_t hist__bucket_high(unsigned int i);

#endif /* HIST_H */
