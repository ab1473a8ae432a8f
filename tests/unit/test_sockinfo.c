// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The classification rule, the ephemeral range, port classes, owners, address text. */
#include "testutil.h"
#include <errno.h>
#include "sockfixture.h"
#include "sockinfo.h"

static const char *role_name(int role)
{
	static const char *names[] = { "none", "listen", "in", "out" };

	return role >= 0 && role <= ROLE_OUT ? names[role] : "?";
}

static void test_classify_rule(void **state)
{
	const struct {
		const char *what;
		struct sockinfo s;
		bool listened;
		int role, port;
	} cases[] = {
		{ "TCP listener", TCP_LISTENER("0.0.0.0", 443), true, ROLE_LISTEN, 443 },
		{ "TCP listener on an ephemeral port", TCP_LISTENER("::1", 40000), true,
		  ROLE_LISTEN, 40000 },
		{ "accepted connection",
		  TCP_CONN(SK_ESTABLISHED, "10.0.0.1", 443, "10.0.0.2", 50000), true, ROLE_IN,
		  443 },
		{ "client from an ephemeral port",
		  TCP_CONN(SK_ESTABLISHED, "10.0.0.2", 50000, "10.0.0.1", 443), false, ROLE_OUT,
		  443 },
		{ "accepted on an ephemeral listener",
		  TCP_CONN(SK_ESTABLISHED, "10.0.0.1", 40000, "10.0.0.2", 50001), true, ROLE_IN,
		  40000 },
		{ "accepted, listener gone, port not ephemeral",
		  TCP_CONN(SK_ESTABLISHED, "10.0.0.1", 8080, "10.0.0.2", 50001), false, ROLE_IN,
		  8080 },
		{ "client bound to a fixed port below the range",
		  TCP_CONN(SK_ESTABLISHED, "10.0.0.2", 1023, "10.0.0.1", 514), false, ROLE_IN,
		  1023 },
		{ "handshake out", TCP_CONN(SK_SYN_SENT, "10.0.0.2", 50000, "10.0.0.1", 443), false,
		  ROLE_OUT, 443 },
		{ "handshake in (request sock)",
		  TCP_CONN(SK_NEW_SYN_RECV, "10.0.0.1", 443, "10.0.0.2", 50000), true, ROLE_IN,
		  443 },
		{ "TIME_WAIT of a client", TCP_CONN(SK_TIME_WAIT, "::1", 50000, "::1", 443), false,
		  ROLE_OUT, 443 },
		{ "TIME_WAIT of a server", TCP_CONN(SK_TIME_WAIT, "::1", 443, "::1", 50000), true,
		  ROLE_IN, 443 },
		{ "CLOSE_WAIT of a client", TCP_CONN(SK_CLOSE_WAIT, "::1", 50000, "::1", 443),
		  false, ROLE_OUT, 443 },
		{ "TCP in CLOSE", TCP_CONN(SK_CLOSE, "10.0.0.2", 50000, "0.0.0.0", 0), false,
		  ROLE_NONE, 0 },
		{ "range low end is ephemeral",
		  TCP_CONN(SK_ESTABLISHED, "10.0.0.2", 32768, "10.0.0.1", 443), false, ROLE_OUT,
		  443 },
		{ "just below the range",
		  TCP_CONN(SK_ESTABLISHED, "10.0.0.2", 32767, "10.0.0.1", 443), false, ROLE_IN,
		  32767 },
		{ "range high end is ephemeral",
		  TCP_CONN(SK_ESTABLISHED, "10.0.0.2", 60999, "10.0.0.1", 443), false, ROLE_OUT,
		  443 },
		{ "just above the range",
		  TCP_CONN(SK_ESTABLISHED, "10.0.0.2", 61000, "10.0.0.1", 443), false, ROLE_IN,
		  61000 },
		{ "UDP server socket", UDP_UNCONN("0.0.0.0", 53), false, ROLE_LISTEN, 53 },
		{ "unconnected UDP on an ephemeral port (sendto() client)",
		  UDP_UNCONN("0.0.0.0", 50000), false, ROLE_LISTEN, 50000 },
		{ "connected UDP server socket", UDP_CONN("10.0.0.1", 53, "10.0.0.2", 50000), false,
		  ROLE_IN, 53 },
		{ "connected UDP client", UDP_CONN("10.0.0.2", 50000, "10.0.0.1", 53), false,
		  ROLE_OUT, 53 },
		{ "connected UDP client: TCP listeners do not count",
		  UDP_CONN("10.0.0.2", 50000, "10.0.0.1", 53), true, ROLE_OUT, 53 },
	};
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sock_class c = sockinfo__classify(&cases[i].s, cases[i].listened, &test_eph);

		test_expect(&failures, c.role == cases[i].role && c.port == cases[i].port,
			    "%s: %s %u, want %s %d", cases[i].what, role_name(c.role), c.port,
			    role_name(cases[i].role), cases[i].port);
	}
	test_expect_none(failures);
}

/* classify_all works out "listened" itself: TCP listeners, same netns, same port. */
static void test_classify_all_listened(void **state)
{
	struct sockinfo s[] = {
		TCP_LISTENER("127.0.0.1", 40000),
		/* its server end */
		TCP_CONN(SK_ESTABLISHED, "127.0.0.1", 40000, "127.0.0.1", 50000),
		/* the same port in another netns (set below): no listener there */
		TCP_CONN(SK_ESTABLISHED, "127.0.0.1", 40000, "10.0.0.1", 80),
		UDP_UNCONN("0.0.0.0", 45000),
		/* a UDP socket on the port is no TCP listener */
		TCP_CONN(SK_ESTABLISHED, "10.0.0.2", 45000, "10.0.0.1", 443),
		/* the client of the first connection */
		TCP_CONN(SK_ESTABLISHED, "127.0.0.1", 50000, "127.0.0.1", 40000),
	};
	struct sock_class c[ARRAY_SIZE(s)];

	(void)state;
	s[2].netns = 4026532000u;
	assert_int_equal(sockinfo__classify_all(s, ARRAY_SIZE(s), &test_eph, c), 0);
	assert_int_equal(c[0].role, ROLE_LISTEN);
	assert_int_equal(c[0].port, 40000);
	assert_int_equal(c[1].role, ROLE_IN);
	assert_int_equal(c[1].port, 40000);
	assert_int_equal(c[2].role, ROLE_OUT);
	assert_int_equal(c[2].port, 80);
	assert_int_equal(c[3].role, ROLE_LISTEN);
	assert_int_equal(c[4].role, ROLE_OUT);
	assert_int_equal(c[4].port, 443);
	assert_int_equal(c[5].role, ROLE_OUT);
	assert_int_equal(c[5].port, 40000);
	assert_int_equal(sockinfo__classify_all(NULL, 0, &test_eph, c), 0);
}

static void test_port_range_parse(void **state)
{
	static const char *bad[] = { "",      "abc", "5 4",  "0 10",  "1 70000",
				     "1 2 3", "1",   "-1 5", "10 20x" };
	struct port_range r = { 7, 8 };
	int failures = 0;

	(void)state;
	assert_int_equal(port_range__parse("32768\t60999\n", &r), 0);
	assert_int_equal(r.lo, 32768);
	assert_int_equal(r.hi, 60999);
	assert_int_equal(port_range__parse("1024 65535", &r), 0);
	assert_int_equal(r.lo, 1024);
	assert_int_equal(r.hi, 65535);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int err = port_range__parse(bad[i], &r);

		test_expect(&failures, err == -EINVAL && r.lo == 1024 && r.hi == 65535,
			    "'%s': %d, range %d-%d", bad[i], err, r.lo, r.hi);
	}
	test_expect_none(failures);
	assert_true(port_range__has(&test_eph, 32768));
	assert_true(port_range__has(&test_eph, 60999));
	assert_false(port_range__has(&test_eph, 32767));
	assert_false(port_range__has(&test_eph, 61000));
}

static void test_port_range_read(void **state)
{
	char dir[TEST_DIR_MAX], path[TEST_PATH_MAX];
	struct port_range r = {};

	(void)state;
	test_mkdtemp(dir);
	test_write_file(test_path(path, dir, "range"), "40000\t50000\n");
	assert_int_equal(port_range__read(path, &r), 0);
	assert_int_equal(r.lo, 40000);
	assert_int_equal(r.hi, 50000);
	test_write_file(path, "garbage\n");
	assert_int_equal(port_range__read(path, &r), -EINVAL);
	assert_int_equal(port_range__read(test_path(path, dir, "missing"), &r), -ENOENT);
	test_rmtree(dir);
}

static void test_port_class(void **state)
{
	(void)state;
	assert_string_equal(port__class(0), "well-known");
	assert_string_equal(port__class(443), "well-known");
	assert_string_equal(port__class(1023), "well-known");
	assert_string_equal(port__class(1024), "registered");
	assert_string_equal(port__class(49151), "registered");
	assert_string_equal(port__class(49152), "dynamic");
	assert_string_equal(port__class(65535), "dynamic");
}

static void test_set_owners(void **state)
{
	struct sockinfo s[4] = {};
	struct sock_owner o[] = {
		{ 20, 7, "sshd" },  { 10, 5, "nginx" },
		{ 10, 3, "nginx" }, { 10, 5, "nginx" }, /* the same process, a second fd */
		{ 99, 1, "other" }, { 0, 1, "init" },
	};

	(void)state;
	s[0].ino = 10;
	s[1].ino = 20;
	s[2].ino = 30; /* nobody holds it */
	s[3].ino = 0;  /* no file: never matched, even with an owner of inode 0 */
	sockinfo__set_owners(s, ARRAY_SIZE(s), o, ARRAY_SIZE(o));
	assert_int_equal(s[0].pid, 3);
	assert_string_equal(s[0].comm, "nginx");
	assert_int_equal(s[0].owners, 2);
	assert_int_equal(s[1].pid, 7);
	assert_string_equal(s[1].comm, "sshd");
	assert_int_equal(s[1].owners, 1);
	assert_int_equal(s[2].pid, 0);
	assert_int_equal(s[2].owners, 0);
	assert_string_equal(s[2].comm, "");
	assert_int_equal(s[3].owners, 0);
	sockinfo__set_owners(s, ARRAY_SIZE(s), NULL, 0);
	assert_int_equal(s[0].pid, 3);
}

static void test_format(void **state)
{
	struct sockinfo s = {};
	struct in6_addr a;
	char buf[64];

	(void)state;
	test_addr(&a, "127.0.0.1");
	sockinfo__format_addr(buf, sizeof(buf), &a);
	assert_string_equal(buf, "127.0.0.1");
	sockinfo__format_endpoint(buf, sizeof(buf), &a, 443);
	assert_string_equal(buf, "127.0.0.1:443");
	test_addr(&a, "::ffff:10.1.2.3"); /* an IPv6 socket's IPv4-mapped peer */
	sockinfo__format_addr(buf, sizeof(buf), &a);
	assert_string_equal(buf, "10.1.2.3");
	test_addr(&a, "::1");
	sockinfo__format_addr(buf, sizeof(buf), &a);
	assert_string_equal(buf, "::1");
	sockinfo__format_endpoint(buf, sizeof(buf), &a, 8080);
	assert_string_equal(buf, "[::1]:8080");
	test_addr(&a, "::");
	sockinfo__format_endpoint(buf, sizeof(buf), &a, 80);
	assert_string_equal(buf, "[::]:80");
	test_addr(&a, "0.0.0.0");
	sockinfo__format_endpoint(buf, sizeof(buf), &a, 80);
	assert_string_equal(buf, "0.0.0.0:80");

	sockinfo__format_owner(buf, sizeof(buf), &s);
	assert_string_equal(buf, "-");
	s.owners = 1;
	s.pid = 600;
	strcpy(s.comm, "sshd");
	sockinfo__format_owner(buf, sizeof(buf), &s);
	assert_string_equal(buf, "sshd[600]");
	s.owners = 3;
	sockinfo__format_owner(buf, sizeof(buf), &s);
	assert_string_equal(buf, "sshd[600]+2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_rule),
		cmocka_unit_test(test_classify_all_listened),
		cmocka_unit_test(test_port_range_parse),
		cmocka_unit_test(test_port_range_read),
		cmocka_unit_test(test_port_class),
		cmocka_unit_test(test_set_owners),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
