// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Prometheus text exposition: exact lines from hand-built rows with known counts. */
#include "testutil.h"
#include <errno.h>
#include "metrics.h"
#include "testevents.h"

#define ROW443 "port=\"443\",service=\"https\",proto=\"tcp\",direction=\"in\""
#define ROW9999 "port=\"9999\",service=\"\",proto=\"tcp\",direction=\"out\""
#define ROW53 "port=\"53\",service=\"domain\",proto=\"udp\",direction=\"out\""

static const char services_text[] = "https\t\t443/tcp\n"
				    "domain\t\t53/udp\n"
				    "we\"ird\\name\t7777/tcp\n";

static int setup(void **state)
{
	return test_fixture_setup_with(state, services_text);
}

/* The exposition of agg's rows, as a string the caller frees. */
static char *render(void **state, struct agg *agg, uint64_t events, uint64_t lost)
{
	struct report r = { .svc = ((struct test_fixture *)*state)->svc,
			    .end = { 1700000000, 123456789 },
			    .events = events,
			    .lost = lost,
			    .backend = "tracepoint" };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	if (agg)
		r.rows = agg__rows(agg, &r.n);
	assert_int_equal(metrics__write(f, &r, "9.9.9"), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* text has line as one whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	}
	return false;
}

/* Every line in lines[] is in text; lists the missing ones, then fails. */
static void expect_lines(const char *text, const char *const *lines, size_t n)
{
	int failures = 0;

	for (size_t i = 0; i < n; i++)
		test_expect(&failures, has_line(text, lines[i]), "missing line: %s", lines[i]);
	if (failures)
		fprintf(stderr, "--- exposition:\n%s", text);
	test_expect_none(failures);
}

static void test_seconds(void **state)
{
	static const struct {
		uint64_t ns;
		const char *out;
	} cases[] = {
		{ 0, "0" },	     { 1, "0.000000001" },  { 1024, "0.000001024" },
		{ 1000000000, "1" }, { 1500000000, "1.5" }, { 1099511627776ULL, "1099.511627776" },
	};
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		metrics__seconds(f, cases[i].ns);
		fclose(f);
		test_expect(&failures, !strcmp(buf, cases[i].out), "%llu ns -> [%s], want [%s]",
			    (unsigned long long)cases[i].ns, buf, cases[i].out);
		free(buf);
	}
	test_expect_none(failures);
}

static void test_label_escaping(void **state)
{
	static const struct test_escape cases[] = {
		{ "plain", "plain" }, { "a\"b", "a\\\"b" }, { "a\\b", "a\\\\b" },
		{ "a\nb", "a\\nb" },  { "", "" },	    { "\\\"", "\\\\\\\"" },
	};

	(void)state;
	test_escapes(metrics__label_value, cases, ARRAY_SIZE(cases));
}

/* A service name with a quote and a backslash is escaped in the row's labels. */
static void test_service_label_escaped(void **state)
{
	struct agg *agg = agg__new();
	char *text;

	assert_non_null(agg);
	add_n(agg, ev_connect(7777, 0), 1);
	text = render(state, agg, 0, 0);
	assert_true(has_line(text,
			     "socktrace_connections_opened_total{port=\"7777\","
			     "service=\"we\\\"ird\\\\name\",proto=\"tcp\",direction=\"out\"} 1"));
	free(text);
	agg__free(agg);
}

/*
 * Counters add the completed intervals (run) and the current one: 2 + 3
 * accepts on 443; 2 refused connects to 9999 then a timeout; one of the
 * accepted connections closed with its bytes and a reset received.
 */
static void test_counters_since_start(void **state)
{
	static const char *const want[] = {
		"socktrace_connections_opened_total{" ROW443 "} 5",
		"socktrace_connections_opened_total{" ROW9999 "} 0",
		"socktrace_connections_closed_total{" ROW443 "} 1",
		"socktrace_connections_active{" ROW443 "} 4",
		"socktrace_bytes_sent_total{" ROW443 "} 1000",
		"socktrace_bytes_received_total{" ROW443 "} 200",
		"socktrace_retransmits_total{" ROW443 "} 0",
		"socktrace_connections_failed_total{" ROW9999 ",reason=\"refused\"} 2",
		"socktrace_connections_failed_total{" ROW9999 ",reason=\"timeout\"} 1",
		"socktrace_connections_failed_total{" ROW9999 ",reason=\"reset\"} 0",
		"socktrace_connections_failed_total{" ROW9999 ",reason=\"unreachable\"} 0",
		"socktrace_connections_failed_total{" ROW9999 ",reason=\"aborted\"} 0",
		"socktrace_connections_failed_total{" ROW9999 ",reason=\"other\"} 0",
		"socktrace_resets_total{" ROW443 ",kind=\"sent\"} 0",
		"socktrace_resets_total{" ROW443 ",kind=\"received\"} 1",
		"# TYPE socktrace_connections_opened_total counter",
		"# TYPE socktrace_connections_failed_total counter",
		"# TYPE socktrace_connections_active gauge",
	};
	struct agg *agg = agg__new();
	struct event close = ev_close(443, DIR_IN, 0, 1000, 200);
	char *text;

	assert_non_null(agg);
	close.flags = EVF_RST_RECV;
	add_n(agg, ev_accept(443, 0), 2);
	add_n(agg, ev_fail(9999, ECONNREFUSED), 2);
	agg__next_interval(agg);
	add_n(agg, ev_accept(443, 0), 3);
	add_n(agg, ev_fail(9999, ETIMEDOUT), 1);
	add_n(agg, close, 1);
	text = render(state, agg, 0, 0);
	expect_lines(text, want, ARRAY_SIZE(want));
	/* No failures for "in": they are a property of connecting out. */
	assert_null(strstr(text, "socktrace_connections_failed_total{" ROW443));
	/* No UDP series on TCP rows. */
	assert_null(strstr(text, "socktrace_datagrams_sent_total{"));
	free(text);
	agg__free(agg);
}

/*
 * Buckets are cumulative over both the run and the interval: samples of 1000 ns
 * (below the first bound), 2 x 5000 ns, and 2^20 ns exactly, which a bucket
 * "le=2^20 ns" does not hold (hist keeps a sample of the bound in the next one).
 */
static void test_histogram_buckets(void **state)
{
	static const char *const want[] = {
		"# TYPE socktrace_connect_latency_seconds histogram",
		"socktrace_connect_latency_seconds_bucket{" ROW443 ",le=\"0.000001024\"} 1",
		"socktrace_connect_latency_seconds_bucket{" ROW443 ",le=\"0.000004096\"} 1",
		"socktrace_connect_latency_seconds_bucket{" ROW443 ",le=\"0.000016384\"} 3",
		"socktrace_connect_latency_seconds_bucket{" ROW443 ",le=\"0.000065536\"} 3",
		"socktrace_connect_latency_seconds_bucket{" ROW443 ",le=\"0.000262144\"} 3",
		"socktrace_connect_latency_seconds_bucket{" ROW443 ",le=\"0.001048576\"} 3",
		"socktrace_connect_latency_seconds_bucket{" ROW443 ",le=\"0.004194304\"} 4",
		"socktrace_connect_latency_seconds_bucket{" ROW443 ",le=\"1099.511627776\"} 4",
		"socktrace_connect_latency_seconds_bucket{" ROW443 ",le=\"+Inf\"} 4",
		"socktrace_connect_latency_seconds_sum{" ROW443 "} 0.001059576",
		"socktrace_connect_latency_seconds_count{" ROW443 "} 4",
		/* accept-queue wait: two samples of 3 s, in the interval only */
		"socktrace_accept_wait_seconds_bucket{" ROW443 ",le=\"1.073741824\"} 0",
		"socktrace_accept_wait_seconds_bucket{" ROW443 ",le=\"4.294967296\"} 2",
		"socktrace_accept_wait_seconds_sum{" ROW443 "} 6",
		"socktrace_accept_wait_seconds_count{" ROW443 "} 2",
		/* no sample at all: zeros, not missing */
		"socktrace_connection_lifetime_seconds_bucket{" ROW443 ",le=\"+Inf\"} 0",
		"socktrace_connection_lifetime_seconds_sum{" ROW443 "} 0",
		"socktrace_connection_lifetime_seconds_count{" ROW443 "} 0",
	};
	struct agg *agg = agg__new();
	char *text;
	int buckets = 0;

	assert_non_null(agg);
	add_n(agg, ev_accept(443, 1000), 1);
	add_n(agg, ev_accept(443, 5000), 1);
	agg__next_interval(agg);
	add_n(agg, ev_accept(443, 5000), 1);
	add_n(agg, ev_accept(443, 1ULL << 20), 1);
	add_n(agg, ev_accepted(443, 3000000000ULL), 2);
	text = render(state, agg, 0, 0);
	expect_lines(text, want, ARRAY_SIZE(want));
	for (const char *p = text; (p = strstr(p, "socktrace_connect_latency_seconds_bucket{"));
	     p++)
		buckets++;
	assert_int_equal(buckets, METRICS_BOUNDS + 1);
	/* accept-queue wait is an "in" figure; UDP response an "out" UDP one. */
	assert_null(strstr(text, "socktrace_udp_response_seconds_bucket{"));
	free(text);
	agg__free(agg);
}

/* Every bound is where a hist bucket starts, so the counts below it are exact. */
static void test_bounds_are_hist_boundaries(void **state)
{
	(void)state;
	for (unsigned int b = 0; b < METRICS_BOUNDS; b++) {
		uint64_t ns = metrics__bound_ns(b);

		assert_int_equal(hist__bucket_low(hist__bucket(ns)), ns);
		assert_int_not_equal(hist__bucket(ns), hist__bucket(ns - 1));
		assert_true(hist__bucket(ns) < HIST_BUCKETS - 1); /* below the catch-all */
	}
}

/* UDP rows: datagrams and bytes from the kernel's counters, no TCP series. */
static void test_udp_row(void **state)
{
	static const char *const want[] = {
		"socktrace_datagrams_sent_total{" ROW53 "} 7",
		"socktrace_datagrams_received_total{" ROW53 "} 6",
		"socktrace_bytes_sent_total{" ROW53 "} 700",
		"socktrace_bytes_received_total{" ROW53 "} 1200",
		"socktrace_udp_send_errors_total{" ROW53 "} 1",
		"socktrace_udp_response_seconds_count{" ROW53 "} 0",
		"socktrace_udp_peers{" ROW53 "} 3", /* a level: the latest, not a sum */
		"socktrace_udp_peers_unknown{" ROW53 "} 2",
	};
	struct udp_counts first = { .datagrams_sent = 4,
				    .bytes_sent = 400,
				    .datagrams_received = 4,
				    .bytes_received = 800,
				    .peers = 2 };
	struct udp_counts second = { .datagrams_sent = 7,
				     .bytes_sent = 700,
				     .datagrams_received = 6,
				     .bytes_received = 1200,
				     .send_errors = 1,
				     .peers = 3,
				     .peers_unknown = 2 };
	struct agg *agg = agg__new();
	char *text;

	assert_non_null(agg);
	assert_int_equal(agg__udp(agg, 53, DIR_OUT, &first), 0);
	agg__next_interval(agg);
	assert_int_equal(agg__udp(agg, 53, DIR_OUT, &second), 0);
	text = render(state, agg, 0, 0);
	expect_lines(text, want, ARRAY_SIZE(want));
	assert_null(strstr(text, "socktrace_connections_opened_total{" ROW53));
	assert_null(strstr(text, "socktrace_connections_active{" ROW53));
	assert_null(strstr(text, "socktrace_connect_latency_seconds_count{" ROW53));
	free(text);
	agg__free(agg);
}

static void test_health(void **state)
{
	static const char *const want[] = {
		"# TYPE socktrace_events_total counter",
		"socktrace_events_total 42",
		"# TYPE socktrace_events_lost_total counter",
		"socktrace_events_lost_total 3",
		"# TYPE socktrace_info gauge",
		"socktrace_info{backend=\"tracepoint\",version=\"9.9.9\"} 1",
		"# TYPE socktrace_last_update_timestamp_seconds gauge",
		"socktrace_last_update_timestamp_seconds 1700000000.123456789",
	};
	char *text = render(state, NULL, 42, 3);

	expect_lines(text, want, ARRAY_SIZE(want));
	free(text);
}

/* The family a sample line belongs to (its name less a histogram's suffix). */
static void sample_family(const char *line, char *name, size_t len, const char *histograms)
{
	static const char *const suffixes[] = { "_bucket", "_sum", "_count" };
	size_t n = strcspn(line, "{ ");

	snprintf(name, len, "%.*s", (int)n, line);
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		size_t s = strlen(suffixes[i]), l = strlen(name);
		char base[128];

		if (l <= s || strcmp(name + l - s, suffixes[i]))
			continue;
		snprintf(base, sizeof(base), " %.*s ", (int)(l - s), name);
		if (strstr(histograms, base))
			name[l - s] = '\0';
	}
}

/*
 * The format's grouping rules: each family has one HELP and one TYPE line, in
 * that order, before its samples, and its samples are not split by another family.
 */
static void test_families_grouped(void **state)
{
	struct agg *agg = agg__new();
	struct udp_counts udp = { .datagrams_sent = 1, .bytes_sent = 10 };
	char *text, *line, *save = NULL, current[128] = "", help[128] = "";
	char seen[4096] = " ", histograms[1024] = " ";

	assert_non_null(agg);
	add_n(agg, ev_accept(443, 1000), 1);
	add_n(agg, ev_fail(9999, ECONNREFUSED), 1);
	assert_int_equal(agg__udp(agg, 53, DIR_OUT, &udp), 0);
	text = render(state, agg, 1, 0);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], type[32], key[140];

		if (sscanf(line, "# HELP %127s", name) == 1) {
			snprintf(key, sizeof(key), " %s ", name);
			if (strstr(seen, key))
				fail_msg("family %s declared twice", name);
			strcat(seen, name);
			strcat(seen, " ");
			snprintf(help, sizeof(help), "%s", name);
			current[0] = '\0';
			continue;
		}
		if (sscanf(line, "# TYPE %127s %31s", name, type) == 2) {
			if (strcmp(name, help))
				fail_msg("TYPE %s does not follow its HELP", name);
			if (!strcmp(type, "histogram")) {
				strcat(histograms, name);
				strcat(histograms, " ");
			}
			snprintf(current, sizeof(current), "%s", name);
			continue;
		}
		assert_true(line[0] != '#');
		sample_family(line, name, sizeof(name), histograms);
		if (strcmp(name, current))
			fail_msg("sample of %s under the family %s: [%s]", name, current, line);
	}
	free(text);
	agg__free(agg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_service_label_escaped),
		cmocka_unit_test(test_counters_since_start),
		cmocka_unit_test(test_histogram_buckets),
		cmocka_unit_test(test_bounds_are_hist_boundaries),
		cmocka_unit_test(test_udp_row),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_families_grouped),
	};

	return cmocka_run_group_tests(tests, setup, test_fixture_teardown);
}
