// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* services__load, services__name and services__port on a services(5) fixture. */
#include "testutil.h"
#include <errno.h>

static const char fixture_text[] = "# /etc/services fixture\n"
				   "\n"
				   "   # an indented comment\n"
				   "#disabled\t9090/tcp\n"
				   "tcpmux\t\t1/tcp\t\t\t\t# TCP port service multiplexer\n"
				   "http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP\n"
				   "domain\t\t53/tcp\n"
				   "domain\t\t53/udp\n"
				   "https\t\t443/tcp\n"
				   "https\t\t443/udp\n"
				   "shell\t\t514/tcp\t\tcmd syslog-tcp\t# aliases, then a comment\n"
				   "syslog\t\t514/udp\n"
				   "http-alt\t8080/tcp\twebcache\n"
				   /* malformed lines: skipped, whatever their shape */
				   "nameonly\n"
				   "noslash\t\t7001\n"
				   "badport\t\t70a2/tcp\n"
				   "negative\t-1/tcp\n"
				   "toolarge\t70000/tcp\n"
				   "longproto\t7003/tcpx\n"
				   "emptyport\t/tcp\n"
				   /* the last line has no newline */
				   "lastline\t7004/tcp";

static int group_setup(void **state)
{
	return test_fixture_setup_with(state, fixture_text);
}

static const struct services *svc_of(void **state)
{
	return ((struct test_fixture *)*state)->svc;
}

static void test_name_is_canonical_and_per_proto(void **state)
{
	static const struct {
		int port;
		const char *proto;
		const char *name; /* NULL: no name */
	} cases[] = {
		{ 1, "tcp", "tcpmux" },	     { 80, "tcp", "http" }, /* not the alias "www" */
		{ 80, "udp", NULL },	     { 53, "tcp", "domain" },	  { 53, "udp", "domain" },
		{ 443, "udp", "https" },     { 514, "tcp", "shell" },	  { 514, "udp", "syslog" },
		{ 8080, "tcp", "http-alt" }, { 7004, "tcp", "lastline" }, { 12345, "tcp", NULL },
		{ 9090, "tcp", NULL }, /* commented out */
		{ 7001, "tcp", NULL }, /* malformed */
		{ 7003, "tcp", NULL }, /* malformed */
		{ 65535, "tcp", NULL },
	};
	int failures = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = services__name(svc_of(state), cases[i].port, cases[i].proto);
		const char *want = cases[i].name;

		test_expect(&failures, want ? got && !strcmp(got, want) : !got,
			    "services__name(%d, %s) = %s, want %s", cases[i].port, cases[i].proto,
			    got ? got : "NULL", want ? want : "NULL");
	}
	test_expect_none(failures);
}

static void test_port_by_name_and_alias(void **state)
{
	static const struct {
		const char *name, *proto;
		int port; /* -ENOENT: unknown */
	} cases[] = {
		{ "https", "tcp", 443 },
		{ "https", "udp", 443 },
		{ "www", "tcp", 80 },
		{ "webcache", "tcp", 8080 },
		{ "http-alt", "tcp", 8080 },
		{ "cmd", "tcp", 514 },
		{ "syslog-tcp", "tcp", 514 },
		{ "syslog", "udp", 514 },
		{ "syslog", "tcp", -ENOENT },
		{ "http", "udp", -ENOENT },
		{ "lastline", "tcp", 7004 },
		{ "nosuchservice", "tcp", -ENOENT },
		{ "", "tcp", -ENOENT },
		/* words of comments are not aliases */
		{ "WorldWideWeb", "tcp", -ENOENT },
		{ "disabled", "tcp", -ENOENT },
		{ "#disabled", "tcp", -ENOENT },
	};
	int failures = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int got = services__port(svc_of(state), cases[i].name, cases[i].proto);

		test_expect(&failures, got == cases[i].port, "services__port(%s, %s) = %d, want %d",
			    cases[i].name, cases[i].proto, got, cases[i].port);
	}
	test_expect_none(failures);
}

static void test_malformed_lines_are_skipped(void **state)
{
	static const char *const names[] = {
		"nameonly", "noslash", "badport", "negative", "toolarge", "longproto", "emptyport",
	};
	static const char *const protos[] = { "tcp", "udp", "", "tcpx" };
	int failures = 0;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(protos); j++) {
			int got = services__port(svc_of(state), names[i], protos[j]);

			test_expect(&failures, got == -ENOENT,
				    "malformed line '%s' was loaded: port %d/%s", names[i], got,
				    protos[j]);
		}
	}
	test_expect_none(failures);
}

static void assert_empty_table(const struct services *svc)
{
	assert_non_null(svc);
	assert_null(services__name(svc, 443, "tcp"));
	assert_null(services__name(svc, 0, "tcp"));
	assert_int_equal(services__port(svc, "https", "tcp"), -ENOENT);
}

static void test_missing_file_gives_empty_table(void **state)
{
	struct test_fixture *fx = *state;
	char path[TEST_PATH_MAX];
	struct services *svc = services__load(test_path(path, fx->dir, "no/such/services"));

	assert_empty_table(svc);
	services__free(svc);
}

static void test_empty_file_gives_empty_table(void **state)
{
	struct test_fixture *fx = *state;
	char path[TEST_PATH_MAX];
	struct services *svc;

	test_write_file(test_path(path, fx->dir, "empty"), "");
	svc = services__load(path);
	assert_empty_table(svc);
	services__free(svc);
}

/* More entries than the first allocation, in no particular order. */
static void test_many_entries(void **state)
{
	struct test_fixture *fx = *state;
	char *text = NULL, path[TEST_PATH_MAX], name[32];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct services *svc;
	int failures = 0;

	assert_non_null(f);
	for (int i = 0; i < 3000; i++) {
		int port = 1 + (i * 7919) % 60000; /* 7919 is prime: distinct ports, shuffled */

		fprintf(f, "svc%d\t%d/tcp\talias%d\n", port, port, port);
	}
	fclose(f);
	test_write_file(test_path(path, fx->dir, "many"), text);
	svc = services__load(path);
	assert_non_null(svc);
	for (int i = 0; i < 3000; i++) {
		int port = 1 + (i * 7919) % 60000;
		const char *got = services__name(svc, port, "tcp");

		snprintf(name, sizeof(name), "svc%d", port);
		test_expect(&failures, got && !strcmp(got, name), "name of %d: %s", port,
			    got ? got : "NULL");
		snprintf(name, sizeof(name), "alias%d", port);
		test_expect(&failures, services__port(svc, name, "tcp") == port, "port of %s",
			    name);
	}
	services__free(svc);
	free(text);
	test_expect_none(failures);
}

static void test_free_null(void **state)
{
	(void)state;
	services__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_is_canonical_and_per_proto),
		cmocka_unit_test(test_port_by_name_and_alias),
		cmocka_unit_test(test_malformed_lines_are_skipped),
		cmocka_unit_test(test_missing_file_gives_empty_table),
		cmocka_unit_test(test_empty_file_gives_empty_table),
		cmocka_unit_test(test_many_entries),
		cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, group_setup, test_fixture_teardown);
}
