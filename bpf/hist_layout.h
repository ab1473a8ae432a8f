/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The latency histogram's buckets (log-linear, as in HdrHistogram), shared by
 * the BPF programs, which count samples in the kernel (bpf/count.bpf.h), and
 * user/hist.c, which reads them: values below 32 are exact; above, each power
 * of two is cut into 32 equal buckets. Values are nanoseconds up to 2^42
 * (73 minutes); larger ones count in the last bucket. No includes, as
 * socktrace.h.
 */
#ifndef HIST_LAYOUT_H
#define HIST_LAYOUT_H

#define HIST_SUB_BITS 5
#define HIST_SUB (1 << HIST_SUB_BITS)
#define HIST_TOP_BITS 42
#define HIST_TOP_VALUE ((1ULL << HIST_TOP_BITS) - 1)
#define HIST_BUCKETS ((HIST_TOP_BITS - HIST_SUB_BITS + 1) * HIST_SUB)

/*
 * floor(log2(v)) for v > 0, by halving: the BPF target has no count-leading-
 * zeros instruction (clang 14 crashes on __builtin_clzll there). User space
 * uses the builtin; tests/unit/test_hist.c checks that the two agree.
 */
static inline unsigned int hist_log2_portable(__u64 v)
{
	unsigned int e = 0;

	if (v >> 32) {
		v >>= 32;
		e += 32;
	}
	if (v >> 16) {
		v >>= 16;
		e += 16;
	}
	if (v >> 8) {
		v >>= 8;
		e += 8;
	}
	if (v >> 4) {
		v >>= 4;
		e += 4;
	}
	if (v >> 2) {
		v >>= 2;
		e += 2;
	}
	return e + (unsigned int)(v >> 1);
}

#ifdef __bpf__
#define hist_log2 hist_log2_portable
#else
#define hist_log2(v) (63u - (unsigned int)__builtin_clzll(v))
#endif

/* The bucket of value v. */
static inline unsigned int hist_bucket(__u64 v)
{
	unsigned int e;

	if (v < HIST_SUB)
		return (unsigned int)v;
	if (v > HIST_TOP_VALUE)
		v = HIST_TOP_VALUE;
	e = hist_log2(v); /* v is in [2^e, 2^(e+1)), e >= HIST_SUB_BITS */
	return (e - HIST_SUB_BITS + 1) * HIST_SUB +
	       (unsigned int)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

#endif /* HIST_LAYOUT_H */
