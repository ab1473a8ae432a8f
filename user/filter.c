// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include "cli.h"
#include "filter.h"

/* An inode number in decimal: 1 to UINT32_MAX (the kernel's ns.inum is 32 bits). */
static bool parse_inode(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno || !v || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

int filter__netns(const char *arg, uint32_t *ino, char *err, size_t errlen)
{
	struct stat st;
	int fd, type;

	if (parse_inode(arg, ino))
		return 0;
	/* O_RDONLY, not O_PATH: NS_GET_NSTYPE needs an open namespace file. */
	fd = open(arg, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "invalid --netns '%s': not an inode number, and %s", arg,
			 strerror(errno));
		return -EINVAL;
	}
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET || fstat(fd, &st)) {
		close(fd);
		snprintf(err, errlen,
			 "invalid --netns '%s': not a network namespace (give /proc/PID/ns/net, "
			 "/run/netns/NAME or an inode number)",
			 arg);
		return -EINVAL;
	}
	close(fd);
	*ino = (uint32_t)st.st_ino;
	return 0;
}

/* Directories between dir (a real path) and the root of its file system. */
static uint32_t depth_in_mount(char *dir, dev_t dev)
{
	uint32_t level = 0;
	struct stat st;
	char *slash;

	while ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if (stat(dir, &st) || st.st_dev != dev)
			break;
		level++;
	}
	return level;
}

int filter__cgroup(const char *path, uint64_t *id, uint32_t *level, char *err, size_t errlen)
{
	char real[PATH_MAX];
	struct statfs sfs;
	struct stat st;

	if (!realpath(path, real) || stat(real, &st) || statfs(real, &sfs)) {
		snprintf(err, errlen, "invalid --cgroup '%s': %s", path, strerror(errno));
		return -EINVAL;
	}
	if (!S_ISDIR(st.st_mode) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(
			err, errlen,
			"invalid --cgroup '%s': not a cgroup v2 directory (see `mount -t cgroup2`)",
			path);
		return -EINVAL;
	}
	*id = st.st_ino;
	*level = depth_in_mount(real, st.st_dev);
	return 0;
}

int filters__resolve(struct filters *f, const struct config *cfg, char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	f->pid = cfg->filter_pid;
	snprintf(f->comm, sizeof(f->comm), "%s", cfg->filter_comm);
	f->dir = cfg->filter_dir;
	f->proto = cfg->filter_proto;
	if (cfg->netns_arg && filter__netns(cfg->netns_arg, &f->netns, err, errlen))
		return -EINVAL;
	if (cfg->cgroup_path &&
	    filter__cgroup(cfg->cgroup_path, &f->cgroup_id, &f->cgroup_level, err, errlen))
		return -EINVAL;
	return 0;
}

bool filters__by_owner(const struct filters *f)
{
	return f->pid || f->comm[0];
}

bool filters__owner(const struct filters *f, uint32_t pid, const char *comm)
{
	if (!filters__by_owner(f))
		return true;
	if (!pid || (f->pid && pid != f->pid))
		return false;
	return !f->comm[0] || !strncmp(comm, f->comm, sizeof(f->comm));
}

void filters__format(const struct filters *f, const struct config *cfg, char *buf, size_t len)
{
	int n = 0;

	buf[0] = '\0';
#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (n >= 0 && (size_t)n < len)                                                     \
			n += snprintf(buf + n, len - n, __VA_ARGS__);                              \
	} while (0)
	if (cfg->family)
		ADD(" -%d", cfg->family == AF_INET ? 4 : 6);
	if (f->pid)
		ADD(" --pid %u", f->pid);
	if (f->comm[0])
		ADD(" --comm %s", f->comm);
	if (f->cgroup_id)
		ADD(" --cgroup %s", cfg->cgroup_path);
	if (f->netns)
		ADD(" --netns %u", f->netns);
	if (f->dir >= 0)
		ADD(" --dir %s", f->dir ? "out" : "in");
	if (f->proto)
		ADD(" --proto %s", f->proto == IPPROTO_TCP ? "tcp" : "udp");
#undef ADD
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void inoset__sort(struct inoset *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
}

bool inoset__has(const struct inoset *s, uint64_t ino)
{
	return s->n && bsearch(&ino, s->v, s->n, sizeof(*s->v), cmp_u64);
}
