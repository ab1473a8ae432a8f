// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* filter__netns, filter__cgroup, filters__owner, filters__format and inoset. */
#include "testutil.h"
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "cli.h"
#include "filter.h"

/* arg must be refused with a message that names it and contains what. */
static void netns_bad(const char *arg, const char *what)
{
	char err[256] = "";
	uint32_t ino = 7;

	assert_int_equal(filter__netns(arg, &ino, err, sizeof(err)), -EINVAL);
	assert_int_equal(ino, 7);
	assert_non_null(strstr(err, arg));
	if (!strstr(err, what))
		fail_msg("'%s': message '%s' does not say '%s'", arg, err, what);
}

static void test_netns_number(void **state)
{
	char err[256] = "";
	uint32_t ino = 0;

	(void)state;
	assert_int_equal(filter__netns("4026531840", &ino, err, sizeof(err)), 0);
	assert_int_equal(ino, 4026531840u);
	assert_int_equal(filter__netns("4294967295", &ino, err, sizeof(err)), 0);
	assert_int_equal(ino, UINT32_MAX);
}

/* No root needed: a process may open its own namespace files. */
static void test_netns_path(void **state)
{
	char err[256] = "";
	uint32_t ino = 0;
	struct stat st;

	(void)state;
	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	assert_int_equal(filter__netns("/proc/self/ns/net", &ino, err, sizeof(err)), 0);
	assert_int_equal(ino, (uint32_t)st.st_ino);
}

static void test_netns_bad(void **state)
{
	(void)state;
	netns_bad("0", "not an inode number");
	netns_bad("4294967296", "not an inode number");
	netns_bad("abc", "not an inode number");
	netns_bad("/nonexistent/ns", "No such file");
	netns_bad("/proc/self/ns/uts", "not a network namespace");
	netns_bad("/tmp", "not a network namespace");
}

static void test_cgroup_bad(void **state)
{
	char err[256] = "";
	uint32_t level = 9;
	uint64_t id = 9;

	(void)state;
	assert_int_equal(filter__cgroup("/tmp", &id, &level, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'/tmp': not a cgroup v2 directory"));
	assert_int_equal(filter__cgroup("/nonexistent", &id, &level, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'/nonexistent': No such file"));
	assert_true(id == 9 && level == 9);
}

/* The first cgroup2 mount, or NULL (then the test is skipped). */
static char *cgroup2_mount(char *buf, size_t len)
{
	char dev[256], dir[PATH_MAX], type[64];
	FILE *f = fopen("/proc/self/mounts", "r");
	char *found = NULL;

	while (f && fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(buf, len, "%s", dir);
			found = buf;
			break;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* The mount's root is level 0; the id is the directory's inode; a file is refused. */
static void test_cgroup_root(void **state)
{
	char root[PATH_MAX], file[PATH_MAX + 32], err[256] = "";
	uint32_t level = 9;
	uint64_t id = 0;
	struct stat st;

	(void)state;
	if (!cgroup2_mount(root, sizeof(root)))
		skip();
	assert_int_equal(stat(root, &st), 0);
	assert_int_equal(filter__cgroup(root, &id, &level, err, sizeof(err)), 0);
	assert_int_equal(id, st.st_ino);
	assert_int_equal(level, 0);
	snprintf(file, sizeof(file), "%s/cgroup.procs", root);
	assert_int_equal(filter__cgroup(file, &id, &level, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a cgroup v2 directory"));
}

static void test_owner(void **state)
{
	struct filters f = { .dir = -1 };

	(void)state;
	assert_true(filters__owner(&f, 0, ""));
	f.pid = 42;
	assert_true(filters__owner(&f, 42, "x"));
	assert_false(filters__owner(&f, 43, "x"));
	f.pid = 0;
	snprintf(f.comm, sizeof(f.comm), "nginx");
	assert_true(filters__owner(&f, 7, "nginx"));
	assert_false(filters__owner(&f, 7, "nginx2"));
	assert_false(filters__owner(&f, 0, "nginx")); /* owner unknown */
	f.pid = 7;
	assert_false(filters__owner(&f, 8, "nginx")); /* both must hold */
}

static void test_format(void **state)
{
	struct config cfg = { .family = AF_INET, .cgroup_path = "/sys/fs/cgroup/web" };
	struct filters f = { .pid = 42,
			     .cgroup_id = 5,
			     .netns = 4026531840u,
			     .dir = 1 /* DIR_OUT */,
			     .proto = IPPROTO_UDP };
	char buf[256];

	(void)state;
	snprintf(f.comm, sizeof(f.comm), "curl");
	filters__format(&f, &cfg, buf, sizeof(buf));
	assert_string_equal(buf, " -4 --pid 42 --comm curl --cgroup /sys/fs/cgroup/web "
				 "--netns 4026531840 --dir out --proto udp");
	memset(&f, 0, sizeof(f));
	f.dir = -1;
	cfg.family = 0;
	filters__format(&f, &cfg, buf, sizeof(buf));
	assert_string_equal(buf, "");
	f.dir = 0;
	filters__format(&f, &cfg, buf, 8); /* cut, still terminated */
	assert_string_equal(buf, " --dir ");
}

static void test_inoset(void **state)
{
	uint64_t v[] = { 30, 10, 20 };
	struct inoset s = { .v = v, .n = 3 }, empty = {};

	(void)state;
	inoset__sort(&s);
	assert_true(inoset__has(&s, 10) && inoset__has(&s, 20) && inoset__has(&s, 30));
	assert_false(inoset__has(&s, 0) || inoset__has(&s, 15) || inoset__has(&s, 31));
	assert_false(inoset__has(&empty, 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netns_number), cmocka_unit_test(test_netns_path),
		cmocka_unit_test(test_netns_bad),    cmocka_unit_test(test_cgroup_bad),
		cmocka_unit_test(test_cgroup_root),  cmocka_unit_test(test_owner),
		cmocka_unit_test(test_format),	     cmocka_unit_test(test_inoset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
