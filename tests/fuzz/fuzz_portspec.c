// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * portset__parse on any spec. A spec made only of digits, commas and dashes is
 * checked against a model of the grammar written here (ports 1-65535 of at most
 * 5 digits, "lo-hi" with lo <= hi, no empty item). Every spec: a failure leaves
 * the set as it was with one line in err; a success formats back to a spec that
 * parses to the same set; a truncated format is a prefix of the full one.
 */
#include <errno.h>
#include "fuzzutil.h"
#include "ports.h"

/* The longest spec portset__format() can write: every other port, "1,3,5,...". */
#define SPEC_MAX (6 * 65536)

static struct services *svc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	svc = fuzz_services();
	return 0;
}

/* A decimal port of 1-5 digits at s[0..n), or -1. */
static long model_port(const char *s, size_t n)
{
	long v = 0;

	if (!n || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v >= 1 && v <= 65535 ? v : -1;
}

/* The model of a spec of digits, commas and dashes: 0 and the ports in set, or -1. */
static int model_parse(const char *spec, struct portset *set)
{
	const char *item = spec;

	memset(set, 0, sizeof(*set));
	for (;;) {
		size_t n = strcspn(item, ","), dash = strcspn(item, "-");
		long lo, hi;

		if (dash < n) {
			if (memchr(item + dash + 1, '-', n - dash - 1))
				return -1; /* "1-2-3" */
			lo = model_port(item, dash);
			hi = model_port(item + dash + 1, n - dash - 1);
		} else {
			lo = hi = model_port(item, n);
		}
		if (lo < 0 || hi < 0 || lo > hi)
			return -1;
		for (long p = lo; p <= hi; p++)
			set->bits[p >> 6] |= 1ULL << (p & 63);
		if (!item[n])
			return 0;
		item += n + 1;
	}
}

static void check_error(const char *err, const struct portset *before, const struct portset *set)
{
	require(err[0] && !strchr(err, '\n'), "not one line: [%s]", err);
	require(!memcmp(before, set, sizeof(*set)), "a failed parse changed the set");
}

static void check_format(const struct portset *set, size_t small)
{
	static char spec[SPEC_MAX], part[64];
	static struct portset again;
	char err[256];

	portset__format(set, spec, sizeof(spec));
	require(strlen(spec) < sizeof(spec) - 1, "spec longer than SPEC_MAX");
	memset(&again, 0, sizeof(again));
	require(!portset__parse(&again, spec, svc, err, sizeof(err)), "own format refused: %s",
		err);
	require(!memcmp(&again, set, sizeof(*set)), "format then parse is another set: %s", spec);
	/* Truncated to `small` bytes: a terminated prefix of the full spec. */
	portset__format(set, part, small);
	require(strlen(part) < small && !strncmp(part, spec, strlen(part)),
		"truncated format [%s] is not a prefix of [%s]", part, spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct portset set, before, model;
	char *spec = fuzz_string(data, size), err[256] = "";
	int ret, expect = 0;

	/* Start from a set that already holds ports (1-7, never 0): parsing adds to it. */
	memset(&set, 0, sizeof(set));
	set.bits[0] = (size ? data[0] : 2) & ~1ULL;
	before = set;
	ret = portset__parse(&set, spec, svc, err, sizeof(err));
	require(ret == 0 || ret == -EINVAL, "returned %d", ret);
	if (*spec && strspn(spec, "0123456789,-") == strlen(spec)) {
		expect = model_parse(spec, &model);
		require((ret == 0) == (expect == 0), "spec [%s]: parse %d, model %d", spec, ret,
			expect);
		for (int i = 0; !ret && i < PORTSET_WORDS; i++)
			require(set.bits[i] == (before.bits[i] | model.bits[i]),
				"spec [%s]: other ports than the model's", spec);
	}
	if (ret) {
		check_error(err, &before, &set);
	} else {
		require(!(set.bits[0] & 1), "port 0 in the set");
		check_format(&set, 1 + size % 64);
	}
	free(spec);
	return 0;
}
