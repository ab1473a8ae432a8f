// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* CSV sink: field escaping, the file it writes, and how it opens and closes paths. */
#include "testutil.h"
#include <errno.h>
#include "csv.h"
#include "testevents.h"

#define HEADER_START                                                                               \
	"timestamp,port,service,proto,direction,opened,failed,lat_p50_us,lat_p90_us,lat_p99_us,"   \
	"lat_max_us"
#define STAMP "2023-11-14T22:13:20.123Z" /* 1700000000 s + 123456789 ns */
#define MAX_FIELDS 64
#define MAX_LINES 16

/* A path in the scratch directory, unique per test. */
static char *scratch(void **state, char *path, const char *name)
{
	return test_path(path, ((struct test_fixture *)*state)->dir, name);
}

static void test_field_escaping(void **state)
{
	static const struct test_escape cases[] = {
		{ "plain", "plain" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "\"", "\"\"\"\"" },
		{ "a\rb", "\"a\rb\"" },
		{ "a\nb", "\"a\nb\"" },
		{ "", "" },
	};

	(void)state;
	test_escapes(csv__field, cases, ARRAY_SIZE(cases));
}

/* Split text at CRLF into lines (in place); every line must end with CRLF. */
static int split_lines(char *text, char **lines)
{
	int n = 0;
	char *eol;

	while (*text) {
		eol = strstr(text, "\r\n");
		if (!eol)
			fail_msg("line without CRLF: [%s]", text);
		*eol = '\0';
		if (strchr(text, '\n') || strchr(text, '\r'))
			fail_msg("bare CR or LF in line [%s]", text);
		assert_true(n < MAX_LINES);
		lines[n++] = text;
		text = eol + 2;
	}
	return n;
}

/* Split a line at commas (in place; the fields in these tests are never quoted). */
static int split_fields(char *line, char **fields)
{
	int n = 0;
	char *field;

	while ((field = strsep(&line, ","))) {
		assert_true(n < MAX_FIELDS);
		fields[n++] = field;
	}
	return n;
}

struct table {
	char *lines[MAX_LINES];
	int nlines;
	char *header[MAX_FIELDS];
	int ncols;
};

/* The data line for port/direction split into fields, or NULL. */
static char **find_row(struct table *t, const char *port, const char *dir, char **fields)
{
	for (int i = 1; i < t->nlines; i++) {
		char copy[1024];

		snprintf(copy, sizeof(copy), "%s", t->lines[i]);
		if (split_fields(copy, fields) > 4 && !strcmp(fields[1], port) &&
		    !strcmp(fields[4], dir)) {
			assert_int_equal(split_fields(t->lines[i], fields), t->ncols);
			return fields;
		}
	}
	return NULL;
}

/* The field under the header column `name`. */
static const char *column(const struct table *t, char **fields, const char *name)
{
	for (int i = 0; i < t->ncols; i++) {
		if (!strcmp(t->header[i], name))
			return fields[i];
	}
	fail_msg("no column %s in the header", name);
	return NULL;
}

static void assert_fields(char **fields, const char *const *want, int n)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(fields[i], want[i]))
			fail_msg("field %d is [%s], want [%s]", i, fields[i], want[i]);
	}
}

static void assert_latency_us(const char *field, double us)
{
	char *end;
	double v = strtod(field, &end);

	if (!*field || *end || v != us)
		fail_msg("latency field [%s], want %g us", field, us);
}

/*
 * Port 22 is busy in the first interval only; the report is of the second,
 * where 443/in accepts two connections in 250 us each, and 9999/out fails twice.
 */
static void write_report(const struct services *svc, const char *path)
{
	struct agg *agg = agg__new();
	struct report r = { .svc = svc, .end = { 1700000000, 123456789 }, .elapsed_s = 1.0 };
	struct csv *csv = NULL;
	char err[256] = "";

	assert_non_null(agg);
	add_n(agg, ev_accept(22, 100000), 3);
	agg__next_interval(agg);
	add_n(agg, ev_accept(443, 250000), 2);
	add_n(agg, ev_accepted(443, 4000000), 2);
	add_n(agg, ev_close(443, DIR_IN, 9000000, 1000, 200), 1);
	add_n(agg, ev_fail(9999, ECONNREFUSED), 1);
	add_n(agg, ev_fail(9999, ETIMEDOUT), 1);
	r.rows = agg__rows(agg, &r.n);
	r.events = 4;
	if (csv__open(&csv, path, err, sizeof(err)))
		fail_msg("csv__open: %s", err);
	assert_int_equal(csv__begin(csv), 0);
	assert_int_equal(csv__interval(csv, &r), 0);
	assert_int_equal(csv__close(csv, true), 0);
	agg__free(agg);
}

static void test_interval_round_trip(void **state)
{
	static const char *const row443[] = { STAMP, "443", "https", "tcp", "in", "2", "0" };
	static const char *const row9999[] = { STAMP, "9999", "", "tcp", "out", "0",
					       "2",   "",     "", "",	 "" };
	char path[TEST_PATH_MAX], *text, *fields[MAX_FIELDS], *header;
	struct table t = {};

	write_report(((struct test_fixture *)*state)->svc, scratch(state, path, "round.csv"));
	text = test_read_file(path);
	assert_non_null(text);
	t.nlines = split_lines(text, t.lines);
	assert_int_equal(t.nlines, 3); /* header, 443 in, 9999 out; nothing for idle 22 */
	header = t.lines[0];
	assert_true(!strncmp(header, HEADER_START ",", strlen(HEADER_START ",")));
	t.ncols = split_fields(strdup(header), t.header);

	assert_non_null(find_row(&t, "443", "in", fields));
	assert_fields(fields, row443, ARRAY_SIZE(row443));
	for (int i = 7; i <= 10; i++) /* p50, p90, p99, max: every sample took 250 us */
		assert_latency_us(fields[i], 250);
	assert_string_equal(column(&t, fields, "lat_samples"), "2");
	assert_latency_us(column(&t, fields, "accept_wait_p50_us"), 4000);
	assert_latency_us(column(&t, fields, "accept_wait_max_us"), 4000);
	assert_string_equal(column(&t, fields, "accept_wait_samples"), "2");
	assert_string_equal(column(&t, fields, "closed"), "1");
	assert_string_equal(column(&t, fields, "active"), "1"); /* 2 opened, 1 closed */
	assert_string_equal(column(&t, fields, "bytes_sent"), "1000");
	assert_string_equal(column(&t, fields, "bytes_received"), "200");
	assert_latency_us(column(&t, fields, "lifetime_max_us"), 9000);
	/* UDP figures on a TCP row: empty, not 0. */
	assert_string_equal(column(&t, fields, "datagrams_sent"), "");
	assert_string_equal(column(&t, fields, "resp_p99_us"), "");
	assert_string_equal(column(&t, fields, "resets"), "0");

	assert_non_null(find_row(&t, "9999", "out", fields));
	assert_fields(fields, row9999, ARRAY_SIZE(row9999));
	assert_string_equal(column(&t, fields, "failed_refused"), "1");
	assert_string_equal(column(&t, fields, "failed_timeout"), "1");
	assert_string_equal(column(&t, fields, "failed_aborted"), "0");
	/* An active open has no accept queue: empty, not 0. */
	assert_string_equal(column(&t, fields, "accept_wait_p99_us"), "");
	assert_string_equal(column(&t, fields, "accept_wait_samples"), "");

	assert_null(find_row(&t, "22", "in", fields));
	free(t.header[0]);
	free(text);
}

/* csv__open must refuse path with expect (or any error when expect is 0). */
static void assert_open_fails(const char *path, int expect)
{
	struct csv *csv = NULL;
	char err[256] = "";
	int ret = csv__open(&csv, path, err, sizeof(err));

	if (expect ? ret != expect : ret >= 0)
		fail_msg("csv__open(%s) = %d, want %d", path, ret, expect);
	assert_one_line(err);
}

static void test_open_refuses_symlink(void **state)
{
	char target[TEST_PATH_MAX], link[TEST_PATH_MAX], dangling[TEST_PATH_MAX];
	char gone[TEST_PATH_MAX];
	char *text;

	test_write_file(scratch(state, target, "target"), "keep\n");
	assert_int_equal(symlink(target, scratch(state, link, "link.csv")), 0);
	assert_open_fails(link, -ELOOP);
	text = test_read_file(target);
	assert_string_equal(text, "keep\n");
	free(text);

	/* A dangling link must not create its target either. */
	scratch(state, gone, "gone");
	assert_int_equal(symlink(gone, scratch(state, dangling, "dangling.csv")), 0);
	assert_open_fails(dangling, -ELOOP);
	assert_false(test_file_exists(gone));
}

static void test_open_refuses_directory(void **state)
{
	char dir[TEST_PATH_MAX], missing[TEST_PATH_MAX];

	assert_int_equal(mkdir(scratch(state, dir, "adir"), 0755), 0);
	assert_open_fails(dir, 0);
	assert_open_fails(scratch(state, missing, "no/such/dir.csv"), -ENOENT);
}

/* Nothing but a regular file is opened: a FIFO without reader must not block either. */
static void test_open_refuses_non_regular(void **state)
{
	char fifo[TEST_PATH_MAX];

	assert_int_equal(mkfifo(scratch(state, fifo, "fifo.csv"), 0600), 0);
	assert_open_fails(fifo, -EINVAL);
	assert_open_fails("/dev/null", -EINVAL);
}

/* A second name of a file (it could be anyone's) is refused, the file kept. */
static void test_open_refuses_hard_link(void **state)
{
	char target[TEST_PATH_MAX], second[TEST_PATH_MAX], *text;

	test_write_file(scratch(state, target, "linked"), "keep\n");
	assert_int_equal(link(target, scratch(state, second, "second.csv")), 0);
	assert_open_fails(second, -EMLINK);
	text = test_read_file(target);
	assert_string_equal(text, "keep\n");
	free(text);
}

/* In a world-writable sticky directory, another user's file is refused (root only). */
static void test_open_refuses_planted_file(void **state)
{
	char dir[TEST_PATH_MAX], path[TEST_PATH_MAX], err[256];
	struct csv *csv = NULL;

	if (geteuid()) {
		skip(); /* cannot make a file of another user */
		return;
	}
	assert_int_equal(mkdir(scratch(state, dir, "shared"), 0755), 0);
	assert_int_equal(chmod(dir, 01777), 0);
	test_write_file(scratch(state, path, "shared/planted.csv"), "keep\n");
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_open_fails(path, -EPERM);
	assert_int_equal(chown(path, 0, 0), 0); /* our own file there is fine */
	assert_int_equal(csv__open(&csv, path, err, sizeof(err)), 0);
	assert_int_equal(csv__close(csv, false), 0);
}

/* A created file is 0644 at most, whatever the umask: never world-writable. */
static void test_created_mode(void **state)
{
	char path[TEST_PATH_MAX], err[256];
	struct csv *csv = NULL;
	mode_t old = umask(0);
	struct stat st;

	assert_int_equal(csv__open(&csv, scratch(state, path, "mode.csv"), err, sizeof(err)), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(csv__close(csv, false), 0);
}

/* An existing file keeps its contents until csv__begin(), and after a close that never began. */
static void test_existing_file_truncated_only_by_begin(void **state)
{
	char path[TEST_PATH_MAX], err[256], *text;
	struct csv *csv = NULL;

	test_write_file(scratch(state, path, "existing.csv"), "old data\n");
	assert_int_equal(csv__open(&csv, path, err, sizeof(err)), 0);
	text = test_read_file(path);
	assert_string_equal(text, "old data\n");
	free(text);
	assert_int_equal(csv__close(csv, false), 0);
	text = test_read_file(path);
	assert_string_equal(text, "old data\n");
	free(text);

	assert_int_equal(csv__open(&csv, path, err, sizeof(err)), 0);
	assert_int_equal(csv__begin(csv), 0);
	text = test_read_file(path);
	assert_true(!strncmp(text, HEADER_START ",", strlen(HEADER_START ",")));
	assert_non_null(strstr(text, "\r\n"));
	assert_string_equal(strstr(text, "\r\n"), "\r\n"); /* the header, nothing else */
	free(text);
	assert_int_equal(csv__close(csv, true), 0);
}

static void test_close_removes_only_what_it_created(void **state)
{
	static const struct {
		const char *name;
		bool started, kept;
	} cases[] = {
		{ "never-started.csv", false, false },
		{ "started.csv", true, true },
	};
	int failures = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char path[TEST_PATH_MAX], err[256];
		struct csv *csv = NULL;

		assert_int_equal(
			csv__open(&csv, scratch(state, path, cases[i].name), err, sizeof(err)), 0);
		assert_true(test_file_exists(path));
		if (cases[i].started)
			assert_int_equal(csv__begin(csv), 0);
		assert_int_equal(csv__close(csv, cases[i].started), 0);
		test_expect(&failures, test_file_exists(path) == cases[i].kept,
			    "%s: kept %d, want %d", cases[i].name, test_file_exists(path),
			    cases[i].kept);
	}
	test_expect_none(failures);
}

static void test_close_null(void **state)
{
	(void)state;
	assert_int_equal(csv__close(NULL, false), 0);
	assert_int_equal(csv__close(NULL, true), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_escaping),
		cmocka_unit_test(test_interval_round_trip),
		cmocka_unit_test(test_open_refuses_symlink),
		cmocka_unit_test(test_open_refuses_directory),
		cmocka_unit_test(test_open_refuses_non_regular),
		cmocka_unit_test(test_open_refuses_hard_link),
		cmocka_unit_test(test_open_refuses_planted_file),
		cmocka_unit_test(test_created_mode),
		cmocka_unit_test(test_existing_file_truncated_only_by_begin),
		cmocka_unit_test(test_close_removes_only_what_it_created),
		cmocka_unit_test(test_close_null),
	};

	return cmocka_run_group_tests(tests, test_fixture_setup, test_fixture_teardown);
}
