/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What every sink is handed at the end of an interval and at exit. */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "agg.h"

struct listeners;
struct port_range;
struct services;

struct report {
	struct agg_row **rows; /* busiest first */
	size_t n;
	const struct services *svc;
	struct timespec end;		   /* wall clock at the end of the interval (or run) */
	double elapsed_s;		   /* length of the interval (or run) */
	uint64_t events;		   /* events decoded in the interval (or run) */
	uint64_t lost;			   /* events the kernel could not queue, same span */
	const char *backend;		   /* "tracepoint" */
	const char *ports;		   /* "443", "all" */
	const struct listeners *listeners; /* listening sockets now; NULL: none known */
	const struct port_range *eph;	   /* the ephemeral range, for the port class */
	/* What the run cost (summary only): socktrace's own CPU since attach, its probes'. */
	double cpu_s;
	uint64_t probe_runs;
	uint64_t probe_ns;     /* 0: not timed (kernel.bpf_stats_enabled off, no -v) */
	uint64_t probe_misses; /* runs the kernel skipped (struct probe_cost) */
};

#endif /* REPORT_H */
