/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The BPF side seen from user space: load, attach, poll events, read counters. */
#ifndef TRACER_H
#define TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "backend.h"
#include "socktrace.h"

struct bpf_object;
struct filters;
struct hooks;
struct inoset;
struct portset;
struct sockinfo;
struct tracer;

/* Called for each ring-buffer record; the record is not yet decoded. */
typedef int (*tracer_event_fn)(void *ctx, void *data, size_t size);

struct tracer_opts {
	const struct portset *ports;   /* NULL: every port */
	enum backend backend;	       /* BACKEND_AUTO: per hook, the best that attaches */
	int family;		       /* AF_INET or AF_INET6 only; 0: both */
	const struct filters *filters; /* the other filters; NULL: none */
	unsigned int ringbuf_bytes;    /* ring buffer size (a power of two pages); 0: default */
	bool accept_wait;	       /* the accept hook may be a syscall tracepoint (hooks.h) */
	bool every_event;	       /* send each event (--events), none counted in the kernel */
	bool every_program;	       /* --check: load even the programs that cannot attach */
	unsigned int max_conns;	       /* TCP connections remembered at once; 0: default */
	uint16_t test_skip_close_port; /* tests only: see bpf/socktrace.bpf.c; 0: off */
	uint16_t test_skip_release_port; /* tests only: the same, for the release probe */
	tracer_event_fn on_event;
	void *ctx;
};

/*
 * Open, configure, load and attach. 0, or a negative errno after one line
 * saying what failed and what the user can do about it.
 */
int tracer__start(struct tracer **out, const struct tracer_opts *opts);

/*
 * Snapshot what is open at start, after attaching. The listening sockets
 * (TCP listeners, unconnected UDP sockets) that the kernel's socket filters
 * keep go to *kept (free kept->v); a TCP listener the kernel knows no owner
 * of gets the process holding it in socks (the start snapshot; may be
 * NULL), for --pid and --comm. Then the connections already open on traced
 * ports are handed to opts->on_event as EV_EXISTING records, and their
 * closes will be reported. 0 or -errno (said in one line; tracing goes on).
 */
int tracer__seed(struct tracer *t, const struct tracer_opts *opts, const struct sockinfo *socks,
		 size_t n, struct inoset *kept);

/*
 * For --check: load every program (the verifier sees them all) and try each
 * backend of each hook, leaving nothing attached. 0 or -errno as above.
 */
int tracer__probe(struct tracer **out, const struct tracer_opts *opts);
struct bpf_object *tracer__object(const struct tracer *t);
const struct hooks *tracer__hooks(const struct tracer *t);

/* Called per UDP row with the kernel's cumulative counters (summed over CPUs). */
typedef int (*tracer_udp_fn)(void *ctx, const struct udp_key *key, const struct udp_counts *total);

/* Read every UDP row counted in the kernel; stops at fn's first non-zero return. */
int tracer__udp_rows(struct tracer *t, tracer_udp_fn fn, void *ctx);

/*
 * Called per (row, kind, err, flags) with the kernel's cumulative counts of
 * events lost to a full ring buffer (summed over CPUs).
 */
typedef int (*tracer_lost_fn)(void *ctx, const struct kind_key *key,
			      const struct lost_counts *total);

/* Read every lost-event counter; stops at fn's first non-zero return. */
int tracer__lost_rows(struct tracer *t, tracer_lost_fn fn, void *ctx);

/*
 * Called per (row, kind, err, flags) counted in the kernel, with its
 * cumulative counters and histogram summed over CPUs (min and max over them).
 */
typedef int (*tracer_kind_fn)(void *ctx, const struct kind_key *key,
			      const struct kind_counts *total);

/*
 * Called per CPU on which that row has counted events under its first
 * owner's name (struct owner_slot), with that slot's cumulative count.
 */
typedef int (*tracer_slot_fn)(void *ctx, const struct kind_key *key, uint32_t cpu,
			      const struct owner_slot *slot);

/*
 * Read every row counted in the kernel (kind_rows and kind_hot, one total per
 * key), and its owners' slots; stops at the first non-zero return of kind_fn
 * or slot_fn, or a negative errno (nothing read when kind_hot cannot be).
 */
int tracer__kind_rows(struct tracer *t, tracer_kind_fn kind_fn, tracer_slot_fn slot_fn, void *ctx);

/*
 * Called per (row, owner's name) of map proc_rows with its events summed over
 * CPUs, and its latest pid and when: the names that found their row's slot taken.
 */
typedef int (*tracer_proc_fn)(void *ctx, const struct proc_key *key, uint64_t events, uint32_t pid,
			      uint64_t ts_ns);

/* Read every owner counted in the kernel; stops at fn's first non-zero return, or -ENOMEM. */
int tracer__proc_rows(struct tracer *t, tracer_proc_fn fn, void *ctx);

/*
 * Have the kernel time every BPF program run (BPF_ENABLE_STATS, for as long
 * as the tracer lives; kernel.bpf_stats_enabled=1 does the same for all). It
 * costs two clock reads per run. 0 or -errno.
 */
int tracer__measure_probes(struct tracer *t);

/*
 * One program's runs since load, and their time (0 when the kernel does not
 * time them). misses: runs the kernel skipped because the program was already
 * running on that CPU (a softirq's state change interrupting the program in a
 * process's connect(), say): whatever those would have counted is missing.
 */
struct probe_cost {
	const char *name;
	uint64_t runs;
	uint64_t run_ns;
	uint64_t misses;
};

/* The programs that ran or missed (iterators left out), at most max; returns how many. */
size_t tracer__probe_costs(struct tracer *t, struct probe_cost *out, size_t max);

/*
 * Deliver queued events, waiting up to timeout_ms (less at a high event rate:
 * see plan_next_wait()). Count, or -errno (-EINTR on a signal).
 */
int tracer__poll(struct tracer *t, int timeout_ms);

/* Deliver everything queued without waiting. */
int tracer__drain(struct tracer *t);

/*
 * At exit: detach the probes, deliver what is queued, then, to opts->on_event,
 * the closes of connections no probe saw and no new connection at their
 * socket's address found (as STAT_CLOSE_UNSEEN counts those): entries still
 * open in "conns" whose socket is gone. *unseen: how many. 0 or -errno (said
 * once).
 */
int tracer__finish(struct tracer *t, const struct tracer_opts *opts, size_t *unseen);

/* A kernel-side counter summed over CPUs. */
uint64_t tracer__stat(struct tracer *t, enum stat_slot slot);

/* Connects on traced ports whose handshake has not ended (CONN_CONNECTING in "conns"). */
size_t tracer__connects_in_progress(struct tracer *t);

/* The backend the hooks attached with: "fentry", or "connect kprobe, accept tracepoint". */
const char *tracer__backend(const struct tracer *t);

/*
 * Whether the accept hook was left off because here it would be a syscall
 * tracepoint and --accept-wait was not given (hooks.h).
 */
bool tracer__accept_left_off(const struct tracer *t);

/* Whether the UDP hooks attached. */
bool tracer__udp(const struct tracer *t);

/* Detach and free everything; accepts NULL. */
void tracer__stop(struct tracer *t);

/* Preflight: 0, or -EPERM / -ENOENT after one line saying what is missing. */
int tracer__preflight(void);

#endif /* TRACER_H */
