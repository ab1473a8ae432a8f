// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor [empty|count|ring|sockops|sockops-state]: loads bench/floor.bpf.c's
 * programs in that mode (default empty), attaches them, says so on stderr and
 * waits for SIGINT or SIGTERM, draining the ring buffer in ring mode; then
 * prints what they saw. bench/run runs the storms under it as more
 * configurations: the throughput any tracer on these hooks starts from, and
 * the steps up to socktrace's. A hook this kernel lacks is left out, and said.
 * The sockops modes load only the sock_ops program, attached to the cgroup v2
 * root.
 */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "floor.h"
#include "socktrace.h"
#include "floor.skel.h"

#define POLL_MS 100 /* socktrace's longest wait between drains (user/main.c POLL_MAX_MS) */

static const char *const mode_names[] = {
	[FLOOR_EMPTY] = "empty",
	[FLOOR_COUNT] = "count",
	[FLOOR_RING] = "ring",
	[FLOOR_SOCKOPS] = "sockops",
	[FLOOR_SOCKOPS_STATE] = "sockops-state",
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int on_record(void *ctx, void *data, size_t size)
{
	(void)data;
	(void)size;
	++*(unsigned long long *)ctx;
	return 0;
}

/* The sum over CPUs of one slot of a per-CPU array of __u64; 0 if unreadable. */
static unsigned long long percpu_sum(const struct bpf_map *map, __u32 slot)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long sum = 0;

	if (ncpu <= 0)
		return 0;
	__u64 vals[ncpu];

	if (bpf_map__lookup_elem(map, &slot, sizeof(slot), vals, sizeof(vals), 0))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

static int parse_mode(int argc, char **argv)
{
	if (argc == 1)
		return FLOOR_EMPTY;
	for (int m = 0; argc == 2 && m < (int)(sizeof(mode_names) / sizeof(*mode_names)); m++) {
		if (!strcmp(argv[1], mode_names[m]))
			return m;
	}
	fprintf(stderr, "floor: usage: floor [empty|count|ring|sockops|sockops-state]\n");
	return -1;
}

/* Load the sock_ops program in the sockops modes, and only it. */
static void choose_programs(struct floor_bpf *skel, int mode)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj)
	{
		bool sockops = prog == skel->progs.floor_sockops;

		bpf_program__set_autoload(prog, sockops == floor_uses_sockops(mode));
	}
}

/* prog attached to the cgroup v2 root (its mount in /proc/self/mounts). */
static struct bpf_link *attach_cgroup_root(struct bpf_program *prog)
{
	FILE *mounts = setmntent("/proc/self/mounts", "r");
	struct bpf_link *link;
	struct mntent *m;
	int fd = -1;

	while (mounts && fd < 0 && (m = getmntent(mounts))) {
		if (!strcmp(m->mnt_type, "cgroup2"))
			fd = open(m->mnt_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (mounts)
		endmntent(mounts);
	if (fd < 0) {
		errno = ENOENT;
		return NULL;
	}
	link = bpf_program__attach_cgroup(prog, fd);
	close(fd);
	return link;
}

/* Attach every program loaded; the number attached. */
static int attach_all(struct floor_bpf *skel)
{
	struct bpf_program *prog;
	struct bpf_link *link;
	int attached = 0;

	bpf_object__for_each_program(prog, skel->obj)
	{
		if (!bpf_program__autoload(prog))
			continue;
		link = prog == skel->progs.floor_sockops ? attach_cgroup_root(prog)
							 : bpf_program__attach(prog);
		if (link)
			attached++;
		else
			fprintf(stderr, "floor: %s not attached: %s\n", bpf_program__name(prog),
				strerror(errno));
	}
	return attached;
}

int main(int argc, char **argv)
{
	int mode = parse_mode(argc, argv), attached, err = 0;
	unsigned long long records = 0;
	struct ring_buffer *rb = NULL;
	struct floor_bpf *skel;

	if (mode < 0)
		return 2;
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: cannot open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->mode = mode;
	choose_programs(skel, mode);
	if (floor_bpf__load(skel)) {
		fprintf(stderr, "floor: cannot load the BPF programs: %s\n", strerror(errno));
		floor_bpf__destroy(skel);
		return 1;
	}
	if (mode == FLOOR_RING) {
		rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, &records, NULL);
		if (!rb) {
			fprintf(stderr, "floor: cannot open the ring buffer: %s\n",
				strerror(errno));
			floor_bpf__destroy(skel);
			return 1;
		}
	}
	attached = attach_all(skel);
	if (!attached) {
		ring_buffer__free(rb);
		floor_bpf__destroy(skel);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "floor: attached %d programs (%s)\n", attached, mode_names[mode]);
	while (!stop && err >= 0) {
		if (rb)
			err = ring_buffer__poll(rb, POLL_MS);
		else
			pause();
		if (err == -EINTR)
			err = 0;
	}
	if (rb)
		ring_buffer__consume(rb);
	printf("floor: mode=%s hits=%llu records=%llu lost=%llu\n", mode_names[mode],
	       percpu_sum(skel->maps.hits, 0), records, percpu_sum(skel->maps.stats, STAT_RB_FULL));
	ring_buffer__free(rb);
	floor_bpf__destroy(skel);
	return err < 0 ? 1 : 0;
}
