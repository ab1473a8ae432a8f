/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What bench/floor's programs do per hit. */
#ifndef FLOOR_H
#define FLOOR_H

enum floor_mode {
	FLOOR_EMPTY = 0,	 /* return at once */
	FLOOR_COUNT = 1,	 /* count hits in a per-CPU array */
	FLOOR_RING = 2,		 /* count, and send a record per TCP ESTABLISHED or CLOSE */
	FLOOR_SOCKOPS = 3,	 /* instead of the tracepoints: a cgroup sock_ops program, empty */
	FLOOR_SOCKOPS_STATE = 4, /* the same, asking for every TCP socket's state changes */
};

static inline int floor_uses_sockops(int mode)
{
	return mode == FLOOR_SOCKOPS || mode == FLOOR_SOCKOPS_STATE;
}

#endif /* FLOOR_H */
