// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* portset__parse, portset__count and portset__format. */
#include "testutil.h"
#include <errno.h>
#include "ports.h"

/* A fresh set holding spec, which must parse. */
static struct portset *parse_ok(void **state, const char *spec)
{
	struct test_fixture *fx = *state;
	struct portset *set = calloc(1, sizeof(*set));
	char err[256] = "";

	assert_non_null(set);
	if (portset__parse(set, spec, fx->svc, err, sizeof(err)))
		fail_msg("'%s' did not parse: %s", spec, err);
	return set;
}

static void assert_ports(const struct portset *set, const int *in, size_t nin, const int *out,
			 size_t nout)
{
	for (size_t i = 0; i < nin; i++) {
		if (!portset__has(set, in[i]))
			fail_msg("port %d missing from the set", in[i]);
	}
	for (size_t i = 0; i < nout; i++) {
		if (portset__has(set, out[i]))
			fail_msg("port %d should not be in the set", out[i]);
	}
}

#define ASSERT_PORTS(set, in, out) assert_ports(set, in, ARRAY_SIZE(in), out, ARRAY_SIZE(out))

static void test_single_port(void **state)
{
	struct portset *set = parse_ok(state, "443");
	static const int in[] = { 443 }, out[] = { 0, 1, 442, 444, 65535 };

	assert_int_equal(portset__count(set), 1);
	ASSERT_PORTS(set, in, out);
	free(set);
}

static void test_list(void **state)
{
	struct portset *set = parse_ok(state, "80,443");
	static const int in[] = { 80, 443 }, out[] = { 79, 81, 442, 444 };

	assert_int_equal(portset__count(set), 2);
	ASSERT_PORTS(set, in, out);
	free(set);
}

static void test_range(void **state)
{
	struct portset *set = parse_ok(state, "8000-8100");
	static const int in[] = { 8000, 8001, 8050, 8099, 8100 }, out[] = { 7999, 8101 };

	assert_int_equal(portset__count(set), 101);
	ASSERT_PORTS(set, in, out);
	free(set);
}

static void test_full_range_and_single_port_range(void **state)
{
	struct portset *all = parse_ok(state, "1-65535");
	struct portset *one = parse_ok(state, "22-22");
	static const int in[] = { 1, 32768, 65535 }, out[] = { 0 };

	assert_int_equal(portset__count(all), 65535);
	ASSERT_PORTS(all, in, out);
	assert_int_equal(portset__count(one), 1);
	assert_true(portset__has(one, 22));
	free(all);
	free(one);
}

static void test_repeated_calls_union(void **state)
{
	struct test_fixture *fx = *state;
	struct portset *set = parse_ok(state, "80");
	static const int in[] = { 80, 443, 8000, 8100 }, out[] = { 81, 7999, 8101 };
	char err[256];

	assert_int_equal(portset__parse(set, "443,8000-8100", fx->svc, err, sizeof(err)), 0);
	assert_int_equal(portset__parse(set, "80,8050", fx->svc, err, sizeof(err)), 0);
	assert_int_equal(portset__count(set), 1 + 1 + 101);
	ASSERT_PORTS(set, in, out);
	free(set);
}

static void test_service_names(void **state)
{
	static const struct {
		const char *spec;
		int port;
	} cases[] = {
		{ "https", 443 },
		{ "http-alt", 8080 }, /* the dash is part of the name, not a range */
		{ "webcache", 8080 }, /* an alias */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct portset *set = parse_ok(state, cases[i].spec);

		if (portset__count(set) != 1 || !portset__has(set, cases[i].port))
			fail_msg("'%s': want only port %d, got %d ports", cases[i].spec,
				 cases[i].port, portset__count(set));
		free(set);
	}
}

static void test_names_mixed_with_numbers(void **state)
{
	struct portset *set = parse_ok(state, "22,https,http-alt,9000-9001");
	static const int in[] = { 22, 443, 8080, 9000, 9001 }, out[] = { 80, 8079, 8081 };

	assert_int_equal(portset__count(set), 5);
	ASSERT_PORTS(set, in, out);
	free(set);
}

/*
 * Every bad spec: -EINVAL, a one-line message containing `names`, and the set
 * exactly as it was. All cases run; each failure is printed, then the test fails.
 */
static void test_errors(void **state)
{
	static const struct {
		const char *spec;
		const char *names; /* what the message must contain */
	} cases[] = {
		{ "70000", "70000" },
		{ "0", "'0'" },
		{ "abc", "abc" },
		{ "", "empty" },
		{ "80,,443", "'80,,443'" },
		{ "80,", "'80,'" },
		{ ",80", "',80'" },
		{ "100-50", "100-50" },
		{ "1-70000", "70000" },
		{ "-5", "'-5'" },
		{ "8000-", "'8000-'" },
		{ "1-2-3", "'1-2-3'" },
		{ "https-alt", "'https-alt'" }, /* a dashed word is a service name, whole */
		{ "443x", "443x" },
		{ "99999999999", "99999999999" },
	};
	struct test_fixture *fx = *state;
	struct portset *before = parse_ok(state, "22,8000-8002");
	struct portset *set = malloc(sizeof(*set));
	int failures = 0;

	assert_non_null(set);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *spec = cases[i].spec;
		char err[256] = "";
		int ret;

		*set = *before;
		ret = portset__parse(set, spec, fx->svc, err, sizeof(err));
		test_expect(&failures, ret == -EINVAL, "'%s': returned %d, want -EINVAL", spec,
			    ret);
		test_expect(&failures, err[0] && !strchr(err, '\n') && strstr(err, cases[i].names),
			    "'%s': message \"%s\" should be one line naming \"%s\"", spec, err,
			    cases[i].names);
		test_expect(&failures, !memcmp(set, before, sizeof(*set)),
			    "'%s': the set changed on error", spec);
	}
	free(set);
	free(before);
	test_expect_none(failures);
}

static void test_count_and_format(void **state)
{
	static const struct {
		const char *spec;
		int count;
		const char *text;
	} cases[] = {
		{ "443", 1, "443" },
		{ "443,80,8000-8100", 103, "80,443,8000-8100" },
		{ "80,81,82,443", 4, "80-82,443" },
		{ "1,65535", 2, "1,65535" },
		{ "1-65535", 65535, "1-65535" },
	};
	struct portset empty = {};
	char buf[128];

	assert_int_equal(portset__count(&empty), 0);
	portset__format(&empty, buf, sizeof(buf));
	assert_string_equal(buf, "");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct portset *set = parse_ok(state, cases[i].spec);

		assert_int_equal(portset__count(set), cases[i].count);
		portset__format(set, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
		free(set);
	}
}

/* A short buffer holds a terminated prefix of the full text. */
static void test_format_truncates(void **state)
{
	struct portset *set = parse_ok(state, "80,443,8000-8100");
	char buf[6];

	memset(buf, 'x', sizeof(buf));
	portset__format(set, buf, sizeof(buf));
	assert_true(memchr(buf, '\0', sizeof(buf)) != NULL);
	assert_true(!strncmp("80,443,8000-8100", buf, strlen(buf)));
	free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_port),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_full_range_and_single_port_range),
		cmocka_unit_test(test_repeated_calls_union),
		cmocka_unit_test(test_service_names),
		cmocka_unit_test(test_names_mixed_with_numbers),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_count_and_format),
		cmocka_unit_test(test_format_truncates),
	};

	return cmocka_run_group_tests(tests, test_fixture_setup, test_fixture_teardown);
}
