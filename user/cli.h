/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command-line options. */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "backend.h"
#include "ports.h"

struct services;

#define INTERVAL_MIN_S 0.1
#define INTERVAL_MAX_S 3600.0
#define DURATION_MAX_S (366.0 * 24 * 3600)
#define RINGBUF_MIN 4096		/* one page (x86-64, arm64 with 4K pages) */
#define RINGBUF_MAX (256u << 20)
#define CONNS_MIN 256u /* --max-conns */
#define CONNS_MAX (16u << 20)

enum cli_action {
	CLI_RUN,
	CLI_HELP,
	CLI_VERSION,
	CLI_CHECK, /* --check: report what this kernel offers, then exit */
	CLI_PORTS, /* "socktrace ports": the sockets open now, grouped by port, then exit */
};

/* What the run prints on stdout (the CSV and the exporter are extra sinks). */
enum output_mode {
	OUT_TABLE = 0, /* the live table, then the summary */
	OUT_EVENTS,    /* --events: one line (or JSON object) per event */
	OUT_HIST,      /* --hist: latency histograms per row, every interval and at exit */
};

#define COMM_MAX 16 /* the kernel's TASK_COMM_LEN, with its NUL */

struct config {
	enum cli_action action;
	struct portset ports; /* traced ports when filter_ports */
	bool filter_ports;    /* false: every port */
	double interval_s;    /* table/CSV refresh */
	double duration_s;    /* 0: until Ctrl-C / SIGTERM */
	const char *csv_path; /* NULL: no CSV; "-": stdout */
	enum backend backend; /* BACKEND_AUTO unless --backend */
	bool verbose;
	bool wide;  /* -w: more columns in the live table */
	int family; /* -4: AF_INET, -6: AF_INET6, 0: both */
	enum output_mode mode;
	bool json;  /* --json: NDJSON instead of aligned text (events or per-row stats) */
	bool quiet; /* --quiet: nothing on stdout (the CSV and exporter still work) */
	/* --listen [ADDR:]PORT: the Prometheus exporter; listen_port 0 = off */
	char listen_addr[64]; /* numeric IPv4 or IPv6 address; default 127.0.0.1 */
	uint16_t listen_port;
	/* Filters; each combines with the others and with --port. */
	uint32_t filter_pid;	    /* --pid: 0 = any */
	char filter_comm[COMM_MAX]; /* --comm: "" = any; as the kernel truncates it */
	const char *cgroup_path;    /* --cgroup: cgroup v2 directory; NULL = any */
	const char *netns_arg;	    /* --netns: an inode number or a path; NULL = any */
	int filter_dir;		    /* --dir: -1 any, DIR_IN (0) or DIR_OUT (1) */
	int filter_proto;	    /* --proto: 0 any, IPPROTO_TCP or IPPROTO_UDP */
	unsigned int ringbuf_bytes; /* --ring-buffer: 0 = the default (bpf/maps.bpf.h) */
	bool accept_wait;	    /* --accept-wait: the accept hook may be a syscall tracepoint */
	bool every_event;	    /* --every-event: nothing counted in the kernel */
	unsigned int max_conns;	    /* --max-conns: 0 = the default (bpf/maps.bpf.h MAX_CONNS) */
	uint16_t test_skip_close_port;	 /* tests only: CLI_ENV_TEST_SKIP_CLOSE; 0 = off */
	uint16_t test_skip_release_port; /* tests only: CLI_ENV_TEST_SKIP_RELEASE; 0 = off */
};

/*
 * Tests only, from the environment: PORT has the state probe pass over the
 * closes of that port's connections, or the release probe over their
 * releases, as when the kernel does not run them (README, Overload), so that
 * a test can check exactly what counts them then.
 */
#define CLI_ENV_TEST_SKIP_CLOSE "SOCKTRACE_TEST_SKIP_CLOSE_PORT"
#define CLI_ENV_TEST_SKIP_RELEASE "SOCKTRACE_TEST_SKIP_RELEASE_PORT"

/*
 * Parse argv into cfg. svc resolves service names in --port. Returns 0, or
 * -EINVAL with one line naming the problem in err (nothing else is done).
 */
int cli__parse(int argc, char **argv, const struct services *svc, struct config *cfg, char *err,
	       size_t errlen);

/* The --help text. */
void cli__usage(FILE *out);

#endif /* CLI_H */
