// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>
#include <string.h>
#include "hist.h"

unsigned int hist__bucket(uint64_t v)
{
	return hist_bucket(v);
}

uint64_t hist__bucket_low(unsigned int i)
{
	unsigned int e = i / HIST_SUB + HIST_SUB_BITS - 1, sub = i % HIST_SUB;

	if (i < HIST_SUB)
		return i;
	return (uint64_t)(HIST_SUB + sub) << (e - HIST_SUB_BITS);
}

/* Width of bucket i: 1 for the exact ones, 2^(e-5) above. */
static uint64_t bucket_width(unsigned int i)
{
	if (i < 2 * HIST_SUB)
		return 1;
	return 1ULL << (i / HIST_SUB - 1);
}

uint64_t hist__bucket_high(unsigned int i)
{
	return i + 1 < HIST_BUCKETS ? hist__bucket_low(i + 1) - 1 : UINT64_MAX;
}

void hist__reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist__add(struct hist *h, uint64_t v)
{
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
	h->buckets[hist__bucket(v)]++;
}

void hist__add_bucket(struct hist *h, unsigned int i, uint64_t n)
{
	if (i >= HIST_BUCKETS || !n)
		return;
	h->count += n;
	h->buckets[i] += (uint32_t)n;
}

void hist__merge(struct hist *dst, const struct hist *src)
{
	if (!src->count)
		return;
	if (!dst->count || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
}

uint64_t hist__percentile(const struct hist *h, double p)
{
	uint64_t rank, seen = 0, mid;
	unsigned int i;

	if (!h->count)
		return 0;
	/* ceil(p% of count) in integers: p in thousandths of a percent (99.9 -> 99900). */
	rank = (uint64_t)(((unsigned __int128)llround(p * 1000) * h->count + 99999) / 100000);
	if (rank < 1)
		rank = 1;
	if (rank >= h->count)
		return h->max;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	mid = hist__bucket_low(i) + bucket_width(i) / 2;
	if (mid < h->min)
		return h->min;
	return mid > h->max ? h->max : mid;
}
