// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* format_*: text for people and files; event__decode and the failure reasons. */
#include "testutil.h"
#include <errno.h>
#include "format.h"
#include "testevents.h"

struct latency_case {
	uint64_t ns;
	const char *text;
};

/* format_latency() of every case; all mismatches are listed before failing. */
static void check_latencies(const struct latency_case *cases, size_t n)
{
	int failures = 0;

	for (size_t i = 0; i < n; i++) {
		char buf[32];

		format_latency(buf, sizeof(buf), cases[i].ns);
		test_expect(&failures, !strcmp(buf, cases[i].text),
			    "%llu ns -> \"%s\", want \"%s\"", (unsigned long long)cases[i].ns, buf,
			    cases[i].text);
	}
	test_expect_none(failures);
}

static void test_latency(void **state)
{
	static const struct latency_case cases[] = {
		{ 0, "-" },
		{ 1, "1ns" },
		{ 850, "850ns" },
		{ 999, "999ns" },
		{ 1000, "1.0us" },
		{ 3200, "3.2us" },
		{ 10000, "10us" },
		{ 412000, "412us" },
		{ 1000000, "1.00ms" },
		{ 1230000, "1.23ms" },
		{ 10000000, "10.0ms" },
		{ 12300000, "12.3ms" },
		{ 1000000000, "1.00s" },
		{ 1230000000, "1.23s" },
	};

	(void)state;
	check_latencies(cases, ARRAY_SIZE(cases));
}

/*
 * Just below a range boundary the rounding carries into the next range, and the
 * text must take that range's shape: "1.00ms", not "1000us". ("1000.0ms" would
 * also overflow the table's 7-character latency columns.)
 */
static void test_latency_rounding_stays_short(void **state)
{
	static const struct latency_case cases[] = {
		{ 9999, "10us" },
		{ 999999, "1.00ms" },
		{ 9999999, "10.0ms" },
		{ 999999999, "1.00s" },
	};

	(void)state;
	check_latencies(cases, ARRAY_SIZE(cases));
}

static void test_bytes(void **state)
{
	static const struct {
		uint64_t bytes;
		const char *text;
	} cases[] = {
		{ 0, "0" },
		{ 1023, "1023" },
		{ 1024, "1.0K" },
		{ 1536, "1.5K" },
		{ 10188, "9.9K" },
		{ 10189, "10K" },     /* 9.95K rounds to 10K, not "10.0K" */
		{ 1048575, "1024K" }, /* just under 1M: rounds up, stays 5 characters */
		{ 1048576, "1.0M" },
		{ 750010, "732K" },
		{ 5ULL << 40, "5.0T" },
		{ UINT64_MAX, "16E" },
	};
	char buf[16];
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		format_bytes(buf, sizeof(buf), cases[i].bytes);
		test_expect(&failures, !strcmp(buf, cases[i].text) && strlen(buf) <= 6,
			    "%llu bytes -> [%s], want [%s]", (unsigned long long)cases[i].bytes,
			    buf, cases[i].text);
	}
	test_expect_none(failures);
}

static void test_iso8601(void **state)
{
	static const struct {
		struct timespec ts;
		const char *text;
	} cases[] = {
		{ { 1700000000, 123456789 }, "2023-11-14T22:13:20.123Z" },
		{ { 0, 0 }, "1970-01-01T00:00:00.000Z" },
		/* milliseconds are truncated, not rounded into the next second */
		{ { 1700000000, 999999999 }, "2023-11-14T22:13:20.999Z" },
		{ { 951782400, 5000000 }, "2000-02-29T00:00:00.005Z" },
	};
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char buf[40];

		format_iso8601(buf, sizeof(buf), &cases[i].ts);
		test_expect(&failures, !strcmp(buf, cases[i].text), "%lld.%09ld -> %s, want %s",
			    (long long)cases[i].ts.tv_sec, cases[i].ts.tv_nsec, buf, cases[i].text);
	}
	test_expect_none(failures);
}

static void test_port_dir_proto_service(void **state)
{
	struct agg_row row = { .port = 443, .proto = IPPROTO_TCP, .dir = DIR_IN };
	struct services *none = services__load("/nonexistent/services");
	char buf[32];

	(void)state;
	format_port(buf, sizeof(buf), &row);
	assert_string_equal(buf, "443/tcp");
	row.proto = IPPROTO_UDP;
	format_port(buf, sizeof(buf), &row);
	assert_string_equal(buf, "443/udp");
	assert_string_equal(format_dir(DIR_IN), "in");
	assert_string_equal(format_dir(DIR_OUT), "out");
	assert_string_equal(format_proto(IPPROTO_TCP), "tcp");
	assert_string_equal(format_proto(IPPROTO_UDP), "udp");
	assert_string_equal(format_service(NULL, &row), "-");
	assert_non_null(none);
	assert_string_equal(format_service(none, &row), "-");
	services__free(none);
}

/* A row whose first n process slots are filled from procs, busiest first. */
struct proc_case {
	struct {
		char comm[TASK_COMM_LEN];
		uint32_t pid;
		uint64_t count;
	} procs[AGG_PROCS];
	uint64_t more;
	const char *text;
};

static void test_process(void **state)
{
	static const struct proc_case cases[] = {
		{ {}, 0, "-" },
		{ { { "nginx", 812, 3 } }, 0, "nginx[812]" },
		{ { { "nginx", 812, 3 }, { "curl", 9, 1 } }, 0, "nginx[812]+1" },
		{ { { "nginx", 812, 3 }, { "curl", 9, 2 }, { "wget", 10, 1 }, { "nc", 11, 1 } },
		  0,
		  "nginx[812]+3" },
		{ { { "nginx", 812, 3 }, { "curl", 9, 2 }, { "wget", 10, 1 }, { "nc", 11, 1 } },
		  5,
		  "nginx[812]+4" },
		{ { { "nginx", 812, 3 } }, 2, "nginx[812]+1" },
		{ { { "0123456789abcde", 4294967295u, 1 } }, 0, "0123456789abcde[4294967295]" },
	};
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct agg_row row = { .port = 443 };
		char buf[64];

		for (int j = 0; j < AGG_PROCS; j++) {
			memcpy(row.procs[j].comm, cases[i].procs[j].comm, TASK_COMM_LEN);
			row.procs[j].pid = cases[i].procs[j].pid;
			row.procs[j].count = cases[i].procs[j].count;
		}
		row.procs_more = cases[i].more;
		format_process(buf, sizeof(buf), &row);
		test_expect(&failures, !strcmp(buf, cases[i].text), "case %zu: \"%s\", want \"%s\"",
			    i, buf, cases[i].text);
	}
	test_expect_none(failures);
}

/* Exact when every datagram's address was seen, a lower bound or unknown when not. */
static void test_peers(void **state)
{
	struct agg_row row = { .proto = IPPROTO_UDP };
	char buf[24];

	(void)state;
	format_peers(buf, sizeof(buf), &row);
	assert_string_equal(buf, "0");
	row.udp_seen.peers = 12;
	format_peers(buf, sizeof(buf), &row);
	assert_string_equal(buf, "12");
	row.udp_seen.peers_unknown = 1;
	format_peers(buf, sizeof(buf), &row);
	assert_string_equal(buf, "12+");
	row.udp_seen.peers = 0;
	format_peers(buf, sizeof(buf), &row);
	assert_string_equal(buf, "?");
}

static void test_decode_good_record(void **state)
{
	struct event in = with_proc(ev_connect(443, 1234), "curl", 4242), out;
	unsigned char buf[sizeof(in) + 8];

	(void)state;
	in.saddr_v4 = 0x0100007f;
	in.err = 0;
	memset(buf, 0xee, sizeof(buf));
	memcpy(buf, &in, sizeof(in));
	/* Exactly one record, and a record followed by more bytes (a newer kernel side). */
	assert_int_equal(event__decode(buf, sizeof(in), &out), 0);
	assert_memory_equal(&out, &in, sizeof(in));
	assert_int_equal(event__decode(buf, sizeof(buf), &out), 0);
	assert_memory_equal(&out, &in, sizeof(in));

	in.proto = IPPROTO_UDP;
	in.kind = EV_ACCEPT;
	in.dir = DIR_IN;
	assert_int_equal(event__decode(&in, sizeof(in), &out), 0);
	assert_int_equal(out.proto, IPPROTO_UDP);
}

/* A comm that fills all 16 bytes comes out terminated. */
static void test_decode_terminates_comm(void **state)
{
	struct event in = ev_accept(80, 0), out;

	(void)state;
	memset(in.comm, 'A', sizeof(in.comm));
	assert_int_equal(event__decode(&in, sizeof(in), &out), 0);
	assert_int_equal(strlen((const char *)out.comm), TASK_COMM_LEN - 1);
}

static void test_decode_rejects(void **state)
{
	static const struct {
		size_t size;
		uint8_t kind, dir, proto;
	} cases[] = {
		{ 0, EV_CONNECT_OK, DIR_OUT, IPPROTO_TCP },
		{ 1, EV_CONNECT_OK, DIR_OUT, IPPROTO_TCP },
		{ sizeof(struct event) - 1, EV_CONNECT_OK, DIR_OUT, IPPROTO_TCP },
		{ sizeof(struct event), 0, DIR_OUT, IPPROTO_TCP },
		{ sizeof(struct event), EV_KIND_MAX + 1, DIR_IN, IPPROTO_TCP },
		{ sizeof(struct event), 255, DIR_IN, IPPROTO_TCP },
		{ sizeof(struct event), EV_ACCEPT, 2, IPPROTO_TCP },
		{ sizeof(struct event), EV_ACCEPT, 255, IPPROTO_TCP },
		{ sizeof(struct event), EV_ACCEPT, DIR_IN, 0 },
		{ sizeof(struct event), EV_ACCEPT, DIR_IN, IPPROTO_ICMP },
		{ sizeof(struct event), EV_ACCEPT, DIR_IN, 255 },
	};
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct event in = ev_accept(80, 0), out;
		int ret;

		in.kind = cases[i].kind;
		in.dir = cases[i].dir;
		in.proto = cases[i].proto;
		ret = event__decode(&in, cases[i].size, &out);
		test_expect(&failures, ret == -EINVAL,
			    "size %zu kind %u dir %u proto %u: returned %d, want -EINVAL",
			    cases[i].size, cases[i].kind, cases[i].dir, cases[i].proto, ret);
	}
	test_expect_none(failures);
}

static void test_fail_reasons(void **state)
{
	static const struct {
		uint32_t err;
		enum fail_reason reason;
		const char *name;
	} cases[] = {
		{ 0, FAIL_ABORTED, "aborted" },
		{ ECONNREFUSED, FAIL_REFUSED, "refused" },
		{ ETIMEDOUT, FAIL_TIMEOUT, "timeout" },
		{ ECONNRESET, FAIL_RESET, "reset" },
		{ EHOSTUNREACH, FAIL_UNREACH, "unreachable" },
		{ ENETUNREACH, FAIL_UNREACH, "unreachable" },
		{ EPERM, FAIL_OTHER, "other" },
		{ 9999, FAIL_OTHER, "other" },
	};
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum fail_reason r = fail_reason__from_errno(cases[i].err);

		test_expect(&failures,
			    r == cases[i].reason && !strcmp(fail_reason__name(r), cases[i].name),
			    "errno %u -> %d (%s), want %d (%s)", cases[i].err, r,
			    fail_reason__name(r), cases[i].reason, cases[i].name);
	}
	assert_string_equal(fail_reason__name(FAIL_MAX), "other");
	assert_string_equal(fail_reason__name((enum fail_reason)(FAIL_MAX + 7)), "other");
	test_expect_none(failures);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_latency_rounding_stays_short),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_port_dir_proto_service),
		cmocka_unit_test(test_process),
		cmocka_unit_test(test_peers),
		cmocka_unit_test(test_decode_good_record),
		cmocka_unit_test(test_decode_terminates_comm),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test(test_fail_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
