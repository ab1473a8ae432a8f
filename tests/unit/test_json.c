// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* JSON writer: string escaping (controls, quotes, UTF-8 and bytes that are not), members. */
#include "testutil.h"
#include <math.h>
#include "json.h"

static void test_string_escaping(void **state)
{
	static const struct test_escape cases[] = {
		{ "curl", "\"curl\"" },
		{ "", "\"\"" },
		{ "a \"b\"", "\"a \\\"b\\\"\"" },
		{ "back\\slash", "\"back\\\\slash\"" },
		{ "tab\there", "\"tab\\there\"" },
		{ "nl\ncr\r", "\"nl\\ncr\\r\"" },
		{ "\b\f", "\"\\b\\f\"" },
		{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" }, /* UTF-8 passes through */
		{ "\xe2\x82\xac\xf0\x9f\x90\xa7", "\"\xe2\x82\xac\xf0\x9f\x90\xa7\"" },
		{ "\xff", "\"\\u00ff\"" },				    /* never UTF-8 */
		{ "\xc3(", "\"\\u00c3(\"" },				    /* cut sequence */
		{ "\xc0\xaf", "\"\\u00c0\\u00af\"" },			    /* overlong '/' */
		{ "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"" },	    /* a surrogate */
		{ "\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"" }, /* > U+10FFFF */
		{ "x\xe2\x82", "\"x\\u00e2\\u0082\"" },			    /* ends mid-sequence */
	};

	(void)state;
	test_escapes(json__string, cases, ARRAY_SIZE(cases));
}

static void test_object_members(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	(void)state;
	assert_non_null(f);
	json__begin(&j, f);
	json__str(&j, "type", "event");
	json__str(&j, "comm", NULL);
	json__u64(&j, "big", UINT64_MAX);
	json__double(&j, "lat_us", 12.3456, 3);
	json__double(&j, "nan", NAN, 1);
	json__bool(&j, "yes", true);
	json__null(&j, "none");
	json__end(&j);
	json__begin(&j, f);
	json__end(&j);
	fclose(f);
	assert_string_equal(buf,
			    "{\"type\":\"event\",\"comm\":null,\"big\":18446744073709551615,"
			    "\"lat_us\":12.346,\"nan\":null,\"yes\":true,\"none\":null}\n{}\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_escaping),
		cmocka_unit_test(test_object_members),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
