/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The filters that are not ports or families (--pid, --comm, --cgroup,
 * --netns, --dir, --proto) in the form the BPF programs compare: paths
 * resolved to the kernel's numbers. No BPF here: the unit tests link it.
 */
#ifndef FILTER_H
#define FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;

#define FILTER_COMM_LEN 16 /* the kernel's TASK_COMM_LEN */

struct filters {
	uint64_t cgroup_id;	    /* --cgroup: the directory's inode; 0 = any */
	uint32_t cgroup_level;	    /* its depth: 0 for the cgroup2 mount's root */
	uint32_t netns;		    /* --netns: the namespace's inode; 0 = any */
	uint32_t pid;		    /* --pid: 0 = any */
	char comm[FILTER_COMM_LEN]; /* --comm: "" = any */
	int dir;		    /* --dir: -1 any, DIR_IN or DIR_OUT */
	int proto;		    /* --proto: 0 any, IPPROTO_TCP or IPPROTO_UDP */
};

/*
 * --netns: a namespace inode number (as `ls -L -i /proc/PID/ns/net` shows),
 * or a path to a network namespace file (/proc/PID/ns/net, /run/netns/NAME).
 * 0 with *ino set, or -EINVAL with one line naming the problem in err.
 */
int filter__netns(const char *arg, uint32_t *ino, char *err, size_t errlen);

/*
 * --cgroup: a directory of a cgroup v2 hierarchy. Its id is its inode number
 * (as `stat -c %i` shows), its level how many directories it is below the
 * mount's root. 0, or -EINVAL with one line naming the problem in err.
 */
int filter__cgroup(const char *path, uint64_t *id, uint32_t *level, char *err, size_t errlen);

/* All of cfg's filters into f. 0, or -EINVAL with one line in err. */
int filters__resolve(struct filters *f, const struct config *cfg, char *err, size_t errlen);

/* --pid and --comm for a process known from user space (pid 0: not known). */
bool filters__owner(const struct filters *f, uint32_t pid, const char *comm);

/* Whether --pid or --comm is given. */
bool filters__by_owner(const struct filters *f);

/* " --pid 42 --dir in": the filters given, as options, for the start line ("" for none). */
void filters__format(const struct filters *f, const struct config *cfg, char *buf, size_t len);

/* Socket inodes, sorted: the listeners at start that the kernel's filters keep. */
struct inoset {
	uint64_t *v;
	size_t n;
};

/* Sort s->v (after filling it in any order). */
void inoset__sort(struct inoset *s);

/* Whether ino is in s. */
bool inoset__has(const struct inoset *s, uint64_t ino);

#endif /* FILTER_H */
