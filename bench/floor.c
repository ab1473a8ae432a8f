// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor: loads bench/floor.bpf.c's empty programs, attaches them, says so on
 * stderr and waits for SIGINT or SIGTERM. bench/run runs the storms under it
 * as one more configuration: the throughput any tracer on these hooks starts
 * from. A hook this kernel lacks is left out, and said.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(void)
{
	struct bpf_program *prog;
	struct floor_bpf *skel;
	int attached = 0;

	skel = floor_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "floor: cannot load the BPF programs: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj)
	{
		if (bpf_program__attach(prog))
			attached++;
		else
			fprintf(stderr, "floor: %s not attached: %s\n", bpf_program__name(prog),
				strerror(errno));
	}
	if (!attached) {
		floor_bpf__destroy(skel);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "floor: attached %d empty programs\n", attached);
	while (!stop)
		pause();
	floor_bpf__destroy(skel);
	return 0;
}
