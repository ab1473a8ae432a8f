/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Helpers shared by the unit tests: scratch directories, files, a services fixture. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw, mkdtemp, open_memstream */
#endif
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "services.h"

/* A scratch directory, and a file in it. */
#define TEST_DIR_MAX 128
#define TEST_PATH_MAX (TEST_DIR_MAX + 64)

/*
 * Services every test can rely on: 443/tcp is "https", 8080/tcp is "http-alt"
 * (a name with a dash) with the alias "webcache"; 9999 has no name.
 */
static const char test_services_text[] = "# services(5) fixture for the unit tests\n"
					 "http\t\t80/tcp\t\twww\t# WorldWideWeb HTTP\n"
					 "https\t\t443/tcp\n"
					 "https\t\t443/udp\n"
					 "http-alt\t8080/tcp\twebcache\n";

/* Create a scratch directory into dir (TEST_DIR_MAX bytes). */
static inline void test_mkdtemp(char *dir)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	assert_true(snprintf(dir, TEST_DIR_MAX, "%s/socktrace-test.XXXXXX", tmp) < TEST_DIR_MAX);
	assert_non_null(mkdtemp(dir));
}

static inline int test_rm_entry(const char *path, const struct stat *st, int flag,
				struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove a scratch directory and everything in it (symlinks, not their targets). */
static inline void test_rmtree(const char *dir)
{
	nftw(dir, test_rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* dir/name into path (TEST_PATH_MAX bytes). */
static inline char *test_path(char *path, const char *dir, const char *name)
{
	snprintf(path, TEST_PATH_MAX, "%s/%s", dir, name);
	return path;
}

static inline void test_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* The whole file as a string the caller frees; NULL when it cannot be read. */
static inline char *test_read_file(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	FILE *in = fopen(path, "r");
	int c;

	assert_non_null(out);
	if (!in) {
		fclose(out);
		free(text);
		return NULL;
	}
	while ((c = fgetc(in)) != EOF)
		fputc(c, out);
	fclose(in);
	fclose(out);
	return text;
}

static inline int test_file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Load text as a services file written into dir. */
static inline struct services *test_services_load(const char *dir, const char *text)
{
	char path[TEST_PATH_MAX];
	struct services *svc;

	test_write_file(test_path(path, dir, "services"), text);
	svc = services__load(path);
	assert_non_null(svc);
	return svc;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Table-driven tests check every case before failing: test_expect() prints a
 * bad case and counts it, test_expect_none() then fails when any was bad.
 */
static inline void __attribute__((format(printf, 3, 4)))
test_expect(int *failures, int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	(*failures)++;
}

#define test_expect_none(failures)                                                  \
	do {                                                                         \
		if (failures)                                                        \
			fail_msg("%d case(s) failed, listed above", failures);       \
	} while (0)

/* A string written by an escaping writer (CSV field, JSON string, label value). */
struct test_escape {
	const char *in, *out;
};

/* Every case through write(f, in) must print exactly out; all are checked before failing. */
static inline void test_escapes(void (*write)(FILE *f, const char *s),
				const struct test_escape *cases, size_t n)
{
	int failures = 0;

	for (size_t i = 0; i < n; i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		write(f, cases[i].in);
		fclose(f);
		test_expect(&failures, !strcmp(buf, cases[i].out), "case %zu: [%s] -> [%s], want [%s]",
			    i, cases[i].in, buf, cases[i].out);
		free(buf);
	}
	test_expect_none(failures);
}

/* A one-line error message: not empty, no newline. */
static inline void assert_one_line(const char *err)
{
	assert_true(err[0] != '\0');
	assert_null(strchr(err, '\n'));
}


/* A cmocka group's state: a scratch directory and services loaded from a fixture text. */
struct test_fixture {
	char dir[TEST_DIR_MAX];
	struct services *svc;
};

/* Group setup with a services text of one's own (test_fixture_setup uses the shared one). */
static inline int test_fixture_setup_with(void **state, const char *services_text)
{
	struct test_fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	test_mkdtemp(fx->dir);
	fx->svc = test_services_load(fx->dir, services_text);
	*state = fx;
	return 0;
}

static inline int test_fixture_setup(void **state)
{
	return test_fixture_setup_with(state, test_services_text);
}

static inline int test_fixture_teardown(void **state)
{
	struct test_fixture *fx = *state;

	services__free(fx->svc);
	test_rmtree(fx->dir);
	free(fx);
	return 0;
}

#endif /* TESTUTIL_H */
