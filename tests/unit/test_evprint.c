// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --events: the aligned line and the JSON object of each event kind, exactly. */
#include "testutil.h"
#include <errno.h>
#include <time.h>
#include <arpa/inet.h>
#include "evprint.h"
#include "testevents.h"

#define T0_NS 1000000000ULL		/* ts_ns of the test events: 1 s after boot */
#define OFFSET_NS 1699999999123456789LL /* so the wall clock is 2023-11-14T22:13:20.123Z */

/* Print ev with a fixed clock in UTC; the text is the caller's to free. */
static char *print(const struct event *ev, bool json, const struct services *svc)
{
	struct evprint p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	setenv("TZ", "UTC", 1);
	tzset();
	evprint__init(&p, f, json, svc);
	p.clock_offset_ns = OFFSET_NS;
	assert_int_equal(evprint__event(&p, ev), 0);
	fclose(f);
	return buf;
}

static struct event v4(struct event ev)
{
	ev.saddr_v4 = htonl(0x7f000001);
	ev.daddr_v4 = htonl(0x7f000002);
	ev.ts_ns = T0_NS;
	return ev;
}

static void expect_line(int *failures, const struct event *ev, const char *want)
{
	char *got = print(ev, false, NULL);

	test_expect(failures, !strcmp(got, want), "got  [%s]\nwant [%s]", got, want);
	free(got);
}

static void test_text_lines(void **state)
{
	struct event fail = v4(with_proc(ev_fail(8080, ECONNREFUSED), "curl", 4121));
	struct event close = v4(ev_close(443, DIR_IN, 2500000, 150, 79));
	struct event reset = v4(ev_close(443, DIR_OUT, 0, 0, 0));
	struct event listen = v4(with_proc(ev_accept(443, 0), "nginx", 812));
	struct event resp = v4(with_proc(ev_connect(53, 870), "dig", 77));
	int failures = 0;

	(void)state;
	fail.sport = 0;
	close.retrans = 2;
	reset.kind = EV_RESET;
	reset.flags = EVF_RST_RECV;
	listen.kind = EV_LISTEN;
	listen.sock_ino = 4242;
	resp.kind = EV_UDP_RESPONSE;
	resp.proto = IPPROTO_UDP;
	expect_line(&failures, &fail,
		    "22:13:20.123 4121    curl            tcp   out connect  refused           - "
		    "127.0.0.1:0           -> 127.0.0.2:8080\n");
	expect_line(&failures, &close,
		    "22:13:20.123 -       -               tcp   in  close    ok           2.50ms "
		    "127.0.0.1:443         -> 127.0.0.2:51000 sent=150 recv=79 retrans=2\n");
	expect_line(&failures, &reset,
		    "22:13:20.123 -       -               tcp   out reset    rst-in            - "
		    "127.0.0.1:51000       -> 127.0.0.2:443\n");
	expect_line(&failures, &listen,
		    "22:13:20.123 812     nginx           tcp   in  listen   ok                - "
		    "127.0.0.1:443         -> - ino=4242\n");
	expect_line(&failures, &resp,
		    "22:13:20.123 77      dig             udp   out response ok            870ns "
		    "127.0.0.1:51000       -> 127.0.0.2:53\n");
	test_expect_none(failures);
}

static void test_ipv6_endpoints(void **state)
{
	struct event ev = with_proc(ev_connect(443, 61200), "curl", 9);
	char *got;

	(void)state;
	ev.family = AF_INET6;
	ev.ts_ns = T0_NS;
	inet_pton(AF_INET6, "::1", ev.saddr_v6);
	inet_pton(AF_INET6, "2001:db8::1", ev.daddr_v6);
	got = print(&ev, false, NULL);
	assert_string_equal(got,
			    "22:13:20.123 9       curl            tcp   out connect  ok           "
			    "  61us [::1]:51000           -> [2001:db8::1]:443\n");
	free(got);
}

/* A name with spaces, quotes, a backslash, a control byte and a byte that is not UTF-8. */
static const char awkward[] = "a b\"c\\d\x01\xff";

static void test_comm_escaping(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "nginx", "nginx" },
		{ "", "-" },
		{ "Web Content", "Web\\x20Content" },
		{ awkward, "a\\x20b\"c\\\\d\\x01\\xff" },
		{ "\xe2\x82\xac", "\\xe2\\x82\\xac" },
	};
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t comm[TASK_COMM_LEN] = { 0 };
		char buf[TASK_COMM_LEN * 4];

		memcpy(comm, cases[i].in, strlen(cases[i].in));
		evprint__comm(buf, sizeof(buf), comm);
		test_expect(&failures, !strcmp(buf, cases[i].out), "[%s] -> [%s], want [%s]",
			    cases[i].in, buf, cases[i].out);
	}
	test_expect_none(failures);
}

static void test_json_objects(void **state)
{
	struct test_fixture *fx = *state;
	struct event conn = v4(with_proc(ev_connect(443, 61234), awkward, 4121));
	struct event close = v4(ev_close(8080, DIR_IN, 0, 150, 79));
	char *got;

	close.flags = EVF_RST_SENT;
	close.netns = 4026531840u;
	got = print(&conn, true, fx->svc);
	assert_string_equal(
		got,
		"{\"type\":\"event\",\"time\":\"2023-11-14T22:13:20.123Z\",\"ts_ns\":1000000000,"
		"\"kind\":\"connect\",\"result\":\"ok\",\"pid\":4121,"
		"\"comm\":\"a b\\\"c\\\\d\\u0001\\u00ff\",\"proto\":\"tcp\",\"direction\":\"out\","
		"\"port\":443,\"service\":\"https\",\"family\":\"ipv4\",\"local_addr\":\"127.0.0."
		"1\","
		"\"local_port\":51000,\"remote_addr\":\"127.0.0.2\",\"remote_port\":443,"
		"\"lat_us\":61.234,\"errno\":null,\"bytes_sent\":null,\"bytes_received\":null,"
		"\"retransmits\":null,\"resets_sent\":null,\"resets_received\":null,"
		"\"sock_ino\":null,\"netns\":0}\n");
	free(got);
	got = print(&close, true, fx->svc);
	assert_string_equal(
		got,
		"{\"type\":\"event\",\"time\":\"2023-11-14T22:13:20.123Z\",\"ts_ns\":1000000000,"
		"\"kind\":\"close\",\"result\":\"rst-out\",\"pid\":null,\"comm\":null,"
		"\"proto\":\"tcp\",\"direction\":\"in\",\"port\":8080,\"service\":\"http-alt\","
		"\"family\":\"ipv4\",\"local_addr\":\"127.0.0.1\",\"local_port\":8080,"
		"\"remote_addr\":\"127.0.0.2\",\"remote_port\":51000,\"lat_us\":null,"
		"\"errno\":null,\"bytes_sent\":150,\"bytes_received\":79,\"retransmits\":0,"
		"\"resets_sent\":1,\"resets_received\":0,\"sock_ino\":null,\"netns\":4026531840}"
		"\n");
	free(got);
}

/*
 * A close no probe saw, built from its connection entry as the kernel and the exit check
 * build it (socktrace.h): its row's ports, no addresses ("?", JSON null), no lifetime or
 * bytes, result "unseen", and the resets its entry had noted.
 */
static void test_unseen_close(void **state)
{
	struct conn c = { .start_ns = 5,
			  .port = 8080,
			  .dir = DIR_IN,
			  .flags = EVF_RST_RECV,
			  .sport = 8080,
			  .dport = 51000 };
	struct event ev = {};
	char *got;

	(void)state;
	conn_unseen_close_event(&ev, &c, T0_NS);
	got = print(&ev, false, NULL);
	assert_string_equal(
		got, "22:13:20.123 -       -               tcp   in  close    unseen "
		     "           - ?:8080                -> ?:51000 sent=0 recv=0 retrans=0\n");
	free(got);
	got = print(&ev, true, NULL);
	assert_string_equal(
		got,
		"{\"type\":\"event\",\"time\":\"2023-11-14T22:13:20.123Z\",\"ts_ns\":1000000000,"
		"\"kind\":\"close\",\"result\":\"unseen\",\"pid\":null,\"comm\":null,"
		"\"proto\":\"tcp\",\"direction\":\"in\",\"port\":8080,\"service\":null,"
		"\"family\":null,\"local_addr\":null,\"local_port\":8080,"
		"\"remote_addr\":null,\"remote_port\":51000,\"lat_us\":null,"
		"\"errno\":null,\"bytes_sent\":0,\"bytes_received\":0,\"retransmits\":0,"
		"\"resets_sent\":0,\"resets_received\":1,\"sock_ino\":null,\"netns\":0}\n");
	free(got);
}

/* Found by tests/fuzz/fuzz_decode: any ts_ns prints, without a signed overflow (UBSan). */
static void test_any_timestamp(void **state)
{
	struct event ev = v4(ev_connect(443, 870));
	char *got;

	(void)state;
	ev.ts_ns = UINT64_MAX; /* + OFFSET_NS wraps to OFFSET_NS - 1 ns */
	got = print(&ev, true, NULL);
	assert_non_null(strstr(got, "\"time\":\"2023-11-14T22:13:19.123Z\",\"ts_ns\":"
				    "18446744073709551615,"));
	free(got);
}

static void test_results(void **state)
{
	static const struct {
		uint32_t err;
		const char *result;
	} fails[] = {
		{ ECONNREFUSED, "refused" },	 { ETIMEDOUT, "timeout" }, { ECONNRESET, "reset" },
		{ EHOSTUNREACH, "unreachable" }, { 0, "aborted" },	   { EPERM, "other" },
	};
	struct event ev = ev_accept(80, 0);
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fails); i++) {
		struct event f = ev_fail(80, fails[i].err);

		test_expect(&failures, !strcmp(evprint__result(&f), fails[i].result),
			    "errno %u -> %s", fails[i].err, evprint__result(&f));
	}
	ev.kind = EV_EXISTING;
	test_expect(&failures, !strcmp(evprint__result(&ev), "open"), "existing");
	ev.kind = EV_CLOSE;
	ev.flags = EVF_RST_SENT | EVF_RST_RECV;
	test_expect(&failures, !strcmp(evprint__result(&ev), "rst-both"), "close, both resets");
	test_expect(&failures, !strcmp(evprint__kind(EV_LISTEN_CLOSE), "unlisten"), "unlisten");
	test_expect(&failures, !strcmp(evprint__kind(0), "?"), "kind 0");
	test_expect(&failures, !strcmp(evprint__kind(EV_KIND_MAX + 1), "?"), "kind past max");
	test_expect_none(failures);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_lines),    cmocka_unit_test(test_ipv6_endpoints),
		cmocka_unit_test(test_comm_escaping), cmocka_unit_test(test_json_objects),
		cmocka_unit_test(test_results),	      cmocka_unit_test(test_any_timestamp),
		cmocka_unit_test(test_unseen_close),
	};

	return cmocka_run_group_tests(tests, test_fixture_setup, test_fixture_teardown);
}
