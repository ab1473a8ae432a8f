// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --json stats: per-row objects under the CSV's names (null where the CSV is empty), totals,
 * summary. */
#include "testutil.h"
#include "jsonstats.h"
#include "testevents.h"

#define STAMP "2023-11-14T22:13:20.123Z"

static char *interval_json(struct agg *agg, const struct services *svc, bool summary)
{
	struct report r = { .svc = svc, .end = { 1700000000, 123456789 }, .elapsed_s = 1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	r.rows = agg__rows(agg, &r.n);
	r.events = 9;
	r.lost = 1;
	r.backend = "tracepoint";
	r.ports = "53,443";
	if (summary)
		assert_int_equal(jsonstats__summary(f, &r), 0);
	else
		assert_int_equal(jsonstats__interval(f, &r), 0);
	fclose(f);
	return buf;
}

#define TCP_OUT_443                                                                                \
	"\"port\":443,\"service\":\"https\",\"proto\":\"tcp\",\"direction\":\"out\",\"opened\":2," \
	"\"failed\":1,\"lat_p50_us\":10.1,\"lat_p90_us\":30.0,\"lat_p99_us\":30.0,"                \
	"\"lat_max_us\":30.0,\"lat_samples\":2,\"failed_refused\":1,\"failed_timeout\":0,"         \
	"\"failed_reset\":0,\"failed_unreachable\":0,\"failed_aborted\":0,\"failed_other\":0,"     \
	"\"accept_wait_p50_us\":null,\"accept_wait_p90_us\":null,\"accept_wait_p99_us\":null,"     \
	"\"accept_wait_max_us\":null,\"accept_wait_samples\":null,\"closed\":1,\"active\":1,"      \
	"\"bytes_sent\":100,\"bytes_received\":2000,\"datagrams_sent\":null,"                      \
	"\"datagrams_received\":null,\"resp_p50_us\":null,\"resp_p99_us\":null,"                   \
	"\"retransmits\":0,\"resets\":0,\"resets_sent\":0,\"resets_received\":0,"                  \
	"\"lifetime_p50_us\":5000.0,\"lifetime_p99_us\":5000.0,\"lifetime_max_us\":5000.0,"        \
	"\"peers\":null,\"peers_unknown\":null,\"lost\":0}\n"

#define UDP_IN_53                                                                                  \
	"\"port\":53,\"service\":null,\"proto\":\"udp\",\"direction\":\"in\",\"opened\":0,"        \
	"\"failed\":0,\"lat_p50_us\":null,\"lat_p90_us\":null,\"lat_p99_us\":null,"                \
	"\"lat_max_us\":null,\"lat_samples\":0,\"failed_refused\":0,\"failed_timeout\":0,"         \
	"\"failed_reset\":0,\"failed_unreachable\":0,\"failed_aborted\":0,\"failed_other\":0,"     \
	"\"accept_wait_p50_us\":null,\"accept_wait_p90_us\":null,\"accept_wait_p99_us\":null,"     \
	"\"accept_wait_max_us\":null,\"accept_wait_samples\":null,\"closed\":null,"                \
	"\"active\":null,\"bytes_sent\":60,\"bytes_received\":30,\"datagrams_sent\":3,"            \
	"\"datagrams_received\":3,\"resp_p50_us\":null,\"resp_p99_us\":null,"                      \
	"\"retransmits\":null,\"resets\":null,\"resets_sent\":null,\"resets_received\":null,"      \
	"\"lifetime_p50_us\":null,\"lifetime_p99_us\":null,\"lifetime_max_us\":null,"              \
	"\"peers\":2,\"peers_unknown\":0,\"lost\":0}\n"

static struct agg *workload(void)
{
	struct agg *agg = agg__new();
	struct udp_counts udp = { .datagrams_sent = 3,
				  .bytes_sent = 60,
				  .datagrams_received = 3,
				  .bytes_received = 30,
				  .peers = 2 };

	assert_non_null(agg);
	add_n(agg, ev_connect(443, 10000), 1);
	add_n(agg, ev_connect(443, 30000), 1);
	add_n(agg, ev_fail(443, 111), 1);
	add_n(agg, ev_close(443, DIR_OUT, 5000000, 100, 2000), 1);
	assert_int_equal(agg__udp(agg, 53, DIR_IN, &udp), 0);
	return agg;
}

static void test_interval_rows(void **state)
{
	struct test_fixture *fx = *state;
	struct agg *agg = workload();
	char *got = interval_json(agg, fx->svc, false);

	assert_string_equal(got, "{\"type\":\"interval\",\"timestamp\":\"" STAMP
				 "\",\"elapsed_s\":1.000," UDP_IN_53
				 "{\"type\":\"interval\",\"timestamp\":\"" STAMP
				 "\",\"elapsed_s\":1.000," TCP_OUT_443);
	free(got);
	agg__free(agg);
}

/* After the interval folds into the run: no interval rows, the same figures as totals. */
static void test_totals_and_summary(void **state)
{
	struct test_fixture *fx = *state;
	struct agg *agg = workload();
	char *got;

	agg__next_interval(agg);
	got = interval_json(agg, fx->svc, false);
	assert_string_equal(got, "");
	free(got);
	got = interval_json(agg, fx->svc, true);
	assert_string_equal(
		got,
		"{\"type\":\"total\",\"timestamp\":\"" STAMP "\",\"elapsed_s\":1.000," UDP_IN_53
		"{\"type\":\"total\",\"timestamp\":\"" STAMP "\",\"elapsed_s\":1.000," TCP_OUT_443
		"{\"type\":\"summary\",\"timestamp\":\"" STAMP "\",\"elapsed_s\":1.000,"
		"\"ports\":\"53,443\",\"backend\":\"tracepoint\",\"events\":9,"
		"\"lost\":1}\n");
	free(got);
	agg__free(agg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval_rows),
		cmocka_unit_test(test_totals_and_summary),
	};

	return cmocka_run_group_tests(tests, test_fixture_setup, test_fixture_teardown);
}
