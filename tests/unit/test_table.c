// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The exit summary's lines about the run itself: totals, cost, skipped probe runs, lost events. */
#include "testutil.h"
#include "table.h"
#include "testevents.h"

/* table__summary() of agg's rows with the run figures of r; the caller frees the text. */
static char *summary_of(void **state, struct agg *agg, struct report r)
{
	struct test_fixture *fx = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	r.rows = agg__rows(agg, &r.n);
	r.svc = fx->svc;
	r.backend = "tracepoint";
	r.ports = "443";
	assert_int_equal(table__summary(f, &r), 0);
	fclose(f);
	return buf;
}

/* text has this whole line, or fail. */
static void assert_line(const char *text, const char *line)
{
	const char *at = strstr(text, line);

	if (!at || (at != text && at[-1] != '\n') || at[strlen(line)] != '\n')
		fail_msg("no line \"%s\" in:\n%s", line, text);
}

static struct agg *one_connection(void)
{
	struct agg *agg = agg__new();

	assert_non_null(agg);
	add_n(agg, ev_connect(443, 10000), 1);
	agg__next_interval(agg);
	return agg;
}

/* 2,000,000 events in 4 s, 0.5 CPU s, 1000 probe runs of 355 ns: what each figure is. */
static void test_cost_timed(void **state)
{
	struct agg *agg = one_connection();
	struct report r = { .elapsed_s = 4,
			    .events = 2000000,
			    .lost = 3,
			    .cpu_s = 0.5,
			    .probe_runs = 1000,
			    .probe_ns = 355000 };
	char *got = summary_of(state, agg, r);

	assert_line(got, "socktrace summary: 4.0s, ports 443, backend tracepoint, 2000000 events, "
			 "3 lost");
	assert_line(got, "cost: 500000 events/s; socktrace's CPU 0.50 s (0.25 s per million "
			 "events); probes 1000 runs, 355 ns per run, 0.00 s in all");
	assert_null(strstr(got, "missed:"));
	free(got);
	agg__free(agg);
}

/* Without bpf_stats the time per run is unknown, and the line says how to get it. */
static void test_cost_untimed(void **state)
{
	struct agg *agg = one_connection();
	struct report r = { .elapsed_s = 2, .events = 0, .cpu_s = 0.25, .probe_runs = 7 };
	char *got = summary_of(state, agg, r);

	assert_line(got, "cost: 0 events/s; socktrace's CPU 0.25 s; probes 7 runs (time per run: "
			 "-v, or sysctl kernel.bpf_stats_enabled=1)");
	free(got);
	agg__free(agg);
}

/* Probe runs the kernel skipped are said, with their number, right under the cost. */
static void test_missed(void **state)
{
	struct agg *agg = one_connection();
	struct report r = { .elapsed_s = 1, .events = 10, .probe_runs = 12, .probe_misses = 2 };
	char *got = summary_of(state, agg, r);
	const char *cost = strstr(got, "\ncost: "), *missed = strstr(got, "\nmissed: ");

	assert_line(got, "missed: the kernel skipped 2 probe runs (a probe interrupted on its CPU "
			 "by another run of itself); the figures below may be short by as many "
			 "events");
	assert_non_null(cost);
	assert_ptr_equal(strchr(cost + 1, '\n'), missed);
	free(got);
	agg__free(agg);
}

/* Events the kernel counted for a full ring buffer: in OPENED, named per row, not in SAMPLES. */
static void test_lost_rows(void **state)
{
	struct agg *agg = one_connection();
	struct kind_key key = { .port = 443, .dir = DIR_OUT, .kind = EV_CONNECT_OK };
	struct lost_counts total = { .events = 4 };
	struct report r = { .elapsed_s = 1, .events = 1, .lost = 4 };
	char *got;

	assert_int_equal(agg__lost(agg, &key, &total), 0);
	agg__next_interval(agg);
	got = summary_of(state, agg, r);
	assert_line(got, "lost 443/tcp out: 4 events, counted in the figures above; latency "
			 "percentiles rest on the SAMPLES that arrived");
	/* 1 connection seen and 4 lost are 5 opened; the one seen is the one sample */
	assert_line(got,
		    "443/tcp   https    out       5      0    10us    10us    10us    10us       1"
		    "       -       - -");
	free(got);
	agg__free(agg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cost_timed),
		cmocka_unit_test(test_cost_untimed),
		cmocka_unit_test(test_missed),
		cmocka_unit_test(test_lost_rows),
	};

	return cmocka_run_group_tests(tests, test_fixture_setup, test_fixture_teardown);
}
