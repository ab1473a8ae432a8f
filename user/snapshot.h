/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The TCP and UDP sockets open now, IPv4 and IPv6, with the process holding
 * each: read in one go with BPF iterators (iter/tcp, iter/udp, iter/task_file;
 * bpf/snapshot.bpf.c). What they mean per port is in sockinfo.h and portsum.h.
 */
#ifndef SNAPSHOT_H
#define SNAPSHOT_H

#include <stddef.h>
#include "sockinfo.h"

struct snapshot;

/*
 * Load the iterators, read every socket and every socket file descriptor,
 * join them. The kernel's socket iterators see the network namespace of the
 * calling process. Needs root (CAP_BPF + CAP_PERFMON). Returns 0 with *out
 * set, or -errno after one line on stderr saying what failed (*out NULL).
 */
int snapshot__take(struct snapshot **out);

/*
 * The same in two steps, for a caller that wants the load's memory peak (it
 * parses the kernel's BTF) away from its own: load the iterators (0, or
 * -errno after one line on stderr), read them any time later (as
 * snapshot__take()), unload (accepts NULL).
 */
struct snapshot_iters;
int snapshot__load(struct snapshot_iters **out);
int snapshot__read(struct snapshot_iters *it, struct snapshot **out);
void snapshot__unload(struct snapshot_iters *it);

/* Number of sockets. */
size_t snapshot__count(const struct snapshot *snap);

/* Socket i (0 <= i < count), in the order the iterators gave them: TCP, then UDP. */
const struct sockinfo *snapshot__socket(const struct snapshot *snap, size_t i);

/* All the sockets as one array; *n their count. */
const struct sockinfo *snapshot__sockets(const struct snapshot *snap, size_t *n);

/* Free it; accepts NULL. */
void snapshot__free(struct snapshot *snap);

#endif /* SNAPSHOT_H */
