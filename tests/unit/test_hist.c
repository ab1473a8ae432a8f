// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hist: percentiles against an exact nearest-rank computation, merging, and
 * the bucket layout. Random samples come from srand48(seed); the seed is
 * printed with every failure, and TEST_SEED=<n> replays it.
 */
#include "testutil.h"
#include <math.h>
#include "hist.h"

#define DEFAULT_SEED 20231114L

static long seed;

/* Percentiles in thousandths of a percent, so that the exact rank is integer math. */
static const unsigned int pct_milli[] = { 1000, 50000, 90000, 99000, 99900, 100000 };

static int group_setup(void **state)
{
	const char *env = getenv("TEST_SEED");

	(void)state;
	seed = env ? atol(env) : DEFAULT_SEED;
	return 0;
}

static uint64_t gen_small_int(void)
{
	return (uint64_t)(lrand48() % 101);
}

/* Log-uniform from 1 ns to 10 s. */
static uint64_t gen_log_uniform(void)
{
	return (uint64_t)exp(drand48() * log(1e10));
}

static uint64_t gen_constant(void)
{
	return 12345;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample with at least p% of the samples at or below it. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, unsigned int milli)
{
	uint64_t rank = ((uint64_t)milli * n + 99999) / 100000;

	return sorted[(rank ? rank : 1) - 1];
}

/* Exact below 64, within HIST_REL_ERROR above. */
static int close_enough(uint64_t got, uint64_t want)
{
	if (want < 2 * HIST_SUB)
		return got == want;
	return fabs((double)got - (double)want) <= HIST_REL_ERROR * (double)want;
}

/* n samples from gen, sorted, and the histogram of them. */
static uint64_t *sample(uint64_t (*gen)(void), size_t n, struct hist *h)
{
	uint64_t *v = calloc(n, sizeof(*v));

	assert_non_null(v);
	hist__reset(h);
	for (size_t i = 0; i < n; i++) {
		v[i] = gen();
		hist__add(h, v[i]);
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	return v;
}

static void check_distribution(const char *name, uint64_t (*gen)(void), size_t n)
{
	struct hist *h = malloc(sizeof(*h));
	uint64_t *sorted;
	int failures = 0;

	assert_non_null(h);
	srand48(seed);
	sorted = sample(gen, n, h);
	test_expect(&failures, h->count == n && h->min == sorted[0] && h->max == sorted[n - 1],
		    "seed %ld, %s n=%zu: count/min/max %llu/%llu/%llu, want %zu/%llu/%llu", seed,
		    name, n, (unsigned long long)h->count, (unsigned long long)h->min,
		    (unsigned long long)h->max, n, (unsigned long long)sorted[0],
		    (unsigned long long)sorted[n - 1]);
	for (size_t i = 0; i < ARRAY_SIZE(pct_milli); i++) {
		double p = pct_milli[i] / 1000.0;
		uint64_t got = hist__percentile(h, p);
		uint64_t want = exact_percentile(sorted, n, pct_milli[i]);

		test_expect(&failures, close_enough(got, want),
			    "seed %ld, %s n=%zu: p%g = %llu, exact %llu (rel. error %.4f > %.4f)",
			    seed, name, n, p, (unsigned long long)got, (unsigned long long)want,
			    want ? fabs((double)got - (double)want) / (double)want : 0.0,
			    HIST_REL_ERROR);
	}
	free(sorted);
	free(h);
	test_expect_none(failures);
}

static void test_uniform_small_ints(void **state)
{
	(void)state;
	check_distribution("uniform 0..100", gen_small_int, 10000);
}

static void test_log_uniform(void **state)
{
	(void)state;
	check_distribution("log-uniform 1ns..10s", gen_log_uniform, 1000);
	check_distribution("log-uniform 1ns..10s", gen_log_uniform, 100000);
}

static void test_constant(void **state)
{
	(void)state;
	check_distribution("constant", gen_constant, 1000);
}

static void test_single_sample(void **state)
{
	(void)state;
	check_distribution("single sample", gen_log_uniform, 1);
}

static void test_two_samples(void **state)
{
	(void)state;
	check_distribution("two samples", gen_log_uniform, 2);
}

/*
 * p99.9 of 1000 samples is the 999th, not the 1000th: the rank must not pick up
 * floating-point error (99.9 / 100 * 1000 is 999.0000000000001 in doubles).
 * Below the nearest rank every sample is 10, at it 20, above it 1 s.
 */
static void test_rank_is_exact(void **state)
{
	static const size_t counts[] = { 1000, 2000, 10000 };
	struct hist h;
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		size_t n = counts[i], rank = n * 999 / 1000;
		uint64_t got;

		hist__reset(&h);
		for (size_t r = 1; r <= n; r++)
			hist__add(&h, r < rank ? 10 : r == rank ? 20 : 1000000000);
		got = hist__percentile(&h, 99.9);
		test_expect(&failures, got == 20, "p99.9 of %zu samples = %llu, want 20 (rank %zu)",
			    n, (unsigned long long)got, rank);
	}
	test_expect_none(failures);
}

/* p = 100 is the exact max, not its bucket's middle: the table's and CSV's MAX rely on it. */
static void test_p100_is_exact_max(void **state)
{
	static const uint64_t maxes[] = { 1, 63, 64, 65, 1000003, 123456789, 999999999999ULL };
	struct hist *h = calloc(1, sizeof(*h));

	(void)state;
	assert_non_null(h);
	for (size_t i = 0; i < ARRAY_SIZE(maxes); i++) {
		hist__reset(h);
		hist__add(h, 1);
		hist__add(h, maxes[i]);
		hist__add(h, maxes[i] / 2 + 1);
		assert_int_equal(hist__percentile(h, 100), maxes[i]);
	}
	free(h);
}

static void test_empty_and_huge(void **state)
{
	struct hist h;

	(void)state;
	hist__reset(&h);
	assert_int_equal(hist__percentile(&h, 50), 0);
	assert_int_equal(hist__percentile(&h, 100), 0);
	/* Beyond 2^42 values share the last bucket, but max stays exact. */
	hist__add(&h, 1ULL << 50);
	hist__add(&h, 3);
	assert_int_equal(h.max, 1ULL << 50);
	assert_int_equal(h.min, 3);
	assert_int_equal(hist__percentile(&h, 100), 1ULL << 50);
	assert_int_equal(hist__percentile(&h, 50), 3);
	assert_int_equal(h.sum, (1ULL << 50) + 3);
}

static void test_merge_equals_one_histogram(void **state)
{
	struct hist *all = calloc(1, sizeof(*all)), *a = calloc(1, sizeof(*a));
	struct hist *b = calloc(1, sizeof(*b)), *empty = calloc(1, sizeof(*empty));

	(void)state;
	assert_true(all && a && b && empty);
	srand48(seed);
	for (int i = 0; i < 5000; i++) {
		uint64_t v = gen_log_uniform();

		hist__add(all, v);
		hist__add(lrand48() & 1 ? a : b, v);
	}
	hist__merge(a, b);
	if (memcmp(a, all, sizeof(*a)))
		fail_msg("seed %ld: merged histogram differs from the one built from all samples",
			 seed);
	/* Merging into an empty histogram copies; merging an empty one changes nothing. */
	hist__merge(empty, all);
	assert_memory_equal(empty, all, sizeof(*all));
	hist__reset(b);
	hist__merge(a, b);
	assert_memory_equal(a, all, sizeof(*all));
	free(all);
	free(a);
	free(b);
	free(empty);
}

/* bucket_low(bucket(v)) <= v < bucket_low(bucket(v) + 1), and exact below 64. */
static void check_bucket(uint64_t v, int *failures)
{
	unsigned int b = hist__bucket(v);

	if (b >= HIST_BUCKETS) {
		test_expect(failures, 0, "bucket(%llu) = %u, past the last", (unsigned long long)v,
			    b);
		return;
	}
	test_expect(failures, hist__bucket_low(b) <= v, "bucket_low(bucket(%llu)) = %llu > v",
		    (unsigned long long)v, (unsigned long long)hist__bucket_low(b));
	test_expect(failures, b + 1 == HIST_BUCKETS || v < hist__bucket_low(b + 1),
		    "v = %llu is not below the next bucket's low %llu", (unsigned long long)v,
		    (unsigned long long)hist__bucket_low(b + 1));
	test_expect(failures, v >= 2 * HIST_SUB || (b == v && hist__bucket_low(b) == v),
		    "small value %llu is not exact (bucket %u)", (unsigned long long)v, b);
	test_expect(failures, v == 0 || hist__bucket(v - 1) <= b, "bucket(%llu) > bucket(%llu)",
		    (unsigned long long)(v - 1), (unsigned long long)v);
}

static void test_bucket_layout(void **state)
{
	const uint64_t top = 1ULL << HIST_TOP_BITS;
	int failures = 0;

	(void)state;
	for (uint64_t v = 0; v < 70000; v++)
		check_bucket(v, &failures);
	for (unsigned int k = 17; k < HIST_TOP_BITS; k++) {
		check_bucket((1ULL << k) - 1, &failures);
		check_bucket(1ULL << k, &failures);
		check_bucket((1ULL << k) + 1, &failures);
	}
	srand48(seed);
	for (int i = 0; i < 100000; i++)
		check_bucket((uint64_t)(drand48() * (double)top), &failures);
	for (unsigned int i = 0; i + 1 < HIST_BUCKETS; i++)
		test_expect(&failures, hist__bucket_low(i) < hist__bucket_low(i + 1),
			    "bucket_low(%u) >= bucket_low(%u)", i, i + 1);
	test_expect(&failures, hist__bucket(top - 1) == HIST_BUCKETS - 1,
		    "the last value below 2^42 is not in the last bucket");
	test_expect(&failures,
		    hist__bucket(top) == HIST_BUCKETS - 1 &&
			    hist__bucket(UINT64_MAX) == HIST_BUCKETS - 1,
		    "values from 2^42 up are not in the last bucket");
	if (failures)
		fail_msg("seed %ld: %d bucket check(s) failed, listed above", seed, failures);
}

/*
 * The BPF programs find a sample's bucket with hist_log2_portable() (no
 * count-leading-zeros there), user space with the builtin: the kernel's
 * buckets are only readable if the two agree on every power of two and
 * around it, and on random values.
 */
static void test_bpf_log2_agrees(void **state)
{
	int failures = 0;

	(void)state;
	for (unsigned int k = 0; k < 64; k++) {
		uint64_t p = 1ULL << k;
		uint64_t vs[] = { p, p + 1, p - 1, p | (p >> 1), p * 2 - 1 };

		for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
			if (!vs[i])
				continue;
			test_expect(&failures, hist_log2_portable(vs[i]) == hist_log2(vs[i]),
				    "log2(%llu): portable %u, builtin %u",
				    (unsigned long long)vs[i], hist_log2_portable(vs[i]),
				    hist_log2(vs[i]));
		}
	}
	srand48(seed);
	for (int i = 0; i < 100000; i++) {
		uint64_t v = ((uint64_t)mrand48() << 32 | (uint32_t)mrand48()) >> (i % 64);

		if (v)
			test_expect(&failures, hist_log2_portable(v) == hist_log2(v),
				    "log2(%llu): portable %u, builtin %u", (unsigned long long)v,
				    hist_log2_portable(v), hist_log2(v));
	}
	if (failures)
		fail_msg("seed %ld: %d log2 check(s) failed, listed above", seed, failures);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uniform_small_ints),
		cmocka_unit_test(test_log_uniform),
		cmocka_unit_test(test_constant),
		cmocka_unit_test(test_single_sample),
		cmocka_unit_test(test_two_samples),
		cmocka_unit_test(test_rank_is_exact),
		cmocka_unit_test(test_p100_is_exact_max),
		cmocka_unit_test(test_empty_and_huge),
		cmocka_unit_test(test_merge_equals_one_histogram),
		cmocka_unit_test(test_bucket_layout),
		cmocka_unit_test(test_bpf_log2_agrees),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
