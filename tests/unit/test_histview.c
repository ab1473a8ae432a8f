// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --hist: the log2 view of a histogram (exact, sums to its count) and how it is drawn. */
#include "testutil.h"
#include <time.h>
#include "histview.h"
#include "testevents.h"

/* bcc's slot of v: 0 for 0 and 1, else floor(log2(v)). */
static unsigned int slot_of(uint64_t v)
{
	return v < 2 ? 0 : 63 - __builtin_clzll(v);
}

/* Every bucket boundary and random values up to 2^42: each lands in its own slot. */
static void test_log2_exact(void **state)
{
	static struct hist h;
	uint64_t want[HISTVIEW_SLOTS] = { 0 }, got[HISTVIEW_SLOTS], sum = 0;
	uint64_t seed = 42;

	(void)state;
	hist__reset(&h);
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		uint64_t lo = hist__bucket_low(i);

		hist__add(&h, lo);
		want[slot_of(lo)]++;
		if (lo) { /* the last value of the bucket before */
			hist__add(&h, lo - 1);
			want[slot_of(lo - 1)]++;
		}
	}
	for (int i = 0; i < 100000; i++) {
		uint64_t v;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		v = (seed >> 22) >> (seed % 42); /* spread over every power of two */
		hist__add(&h, v);
		want[slot_of(v)]++;
	}
	histview__log2(&h, got);
	for (unsigned int k = 0; k < HISTVIEW_SLOTS; k++) {
		assert_int_equal(got[k], want[k]);
		sum += got[k];
	}
	assert_int_equal(sum, h.count);
}

static void test_log2_clamps_at_top(void **state)
{
	static struct hist h;
	uint64_t got[HISTVIEW_SLOTS];

	(void)state;
	hist__reset(&h);
	hist__add(&h, UINT64_MAX); /* counts in the last bucket, below 2^42 */
	histview__log2(&h, got);
	assert_int_equal(got[HISTVIEW_SLOTS - 1], 1);
	histview__log2(NULL, got);
	assert_int_equal(got[0], 0);
}

static char *drawn(const uint64_t *slots)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	histview__print(f, slots, "nsecs");
	fclose(f);
	return buf;
}

static int lines(const char *s)
{
	int n = 0;

	while ((s = strchr(s, '\n'))) {
		s++;
		n++;
	}
	return n;
}

/* The first two lines of a histogram that reaches 2^33 ns. */
static const char wide_top[] =
	"               nsecs                         : count     distribution\n"
	"               32768 -> 65535                : 7        "
	"|********************|\n";

static void test_print_bcc_shape(void **state)
{
	uint64_t slots[HISTVIEW_SLOTS] = { 0 };
	char *got;

	(void)state;
	got = drawn(slots);
	assert_string_equal(got, ""); /* nothing to draw */
	free(got);
	slots[0] = 1;
	slots[2] = 4;
	slots[3] = 3;
	got = drawn(slots);
	assert_string_equal(
		got,
		"     nsecs               : count     distribution\n"
		"         0 -> 1          : 1        |**********                              |\n"
		"         2 -> 3          : 0        |                                        |\n"
		"         4 -> 7          : 4        |****************************************|\n"
		"         8 -> 15         : 3        |******************************          |\n");
	free(got);
	memset(slots, 0, sizeof(slots));
	slots[15] = 7; /* leading empty slots are left out */
	slots[33] = 2; /* 2^33 ns and up: bcc's wide layout, half the bar */
	got = drawn(slots);
	assert_memory_equal(got, wide_top, strlen(wide_top));
	assert_int_equal(lines(got), 1 + 33 - 15 + 1);
	free(got);
}

static void test_print_wide(void **state)
{
	uint64_t slots[HISTVIEW_SLOTS] = { 0 };
	char *got, *last;

	(void)state;
	slots[32] = 2;
	slots[33] = 1;
	got = drawn(slots);
	last = strrchr(got, '\n');
	*last = '\0';
	last = strrchr(got, '\n') + 1;
	assert_string_equal(last, "          8589934592 -> 17179869183          : 1        "
				  "|**********          |");
	free(got);
}

/* One row's interval: its title, and its histograms' lines add up to the samples. */
static void test_interval_rows(void **state)
{
	struct test_fixture *fx = *state;
	struct agg *agg = agg__new();
	struct report r = { .svc = fx->svc, .end = { .tv_sec = 1700000000 } };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(agg);
	setenv("TZ", "UTC", 1);
	tzset();
	add_n(agg, ev_accept(443, 40000), 3);
	add_n(agg, ev_accept(443, 5000), 1);
	add_n(agg, ev_accepted(443, 100), 2);
	add_n(agg, ev_fail(9999, 111), 2); /* a row without samples: nothing drawn */
	r.rows = agg__rows(agg, &r.n);
	assert_int_equal(histview__interval(f, &r), 0);
	fclose(f);
	assert_string_equal(
		buf,
		"[22:13:20] 443/tcp in https: connection latency, 4 samples\n"
		"     nsecs               : count     distribution\n"
		"      4096 -> 8191       : 1        |*************                           |\n"
		"      8192 -> 16383      : 0        |                                        |\n"
		"     16384 -> 32767      : 0        |                                        |\n"
		"     32768 -> 65535      : 3        |****************************************|\n"
		"\n"
		"[22:13:20] 443/tcp in https: accept-queue wait, 2 samples\n"
		"     nsecs               : count     distribution\n"
		"        64 -> 127        : 2        |****************************************|\n"
		"\n");
	free(buf);
	agg__free(agg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log2_exact),	cmocka_unit_test(test_log2_clamps_at_top),
		cmocka_unit_test(test_print_bcc_shape), cmocka_unit_test(test_print_wide),
		cmocka_unit_test(test_interval_rows),
	};

	return cmocka_run_group_tests(tests, test_fixture_setup, test_fixture_teardown);
}
