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

/* Number of sockets. */
size_t snapshot__count(const struct snapshot *snap);

/* Socket i (0 <= i < count), in the order the iterators gave them: TCP, then UDP. */
const struct sockinfo *snapshot__socket(const struct snapshot *snap, size_t i);

/* All the sockets as one array; *n their count. */
const struct sockinfo *snapshot__sockets(const struct snapshot *snap, size_t *n);

/* Free it; accepts NULL. */
void snapshot__free(struct snapshot *snap);

#endif /* SNAPSHOT_H */
