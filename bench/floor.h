/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What bench/floor's programs do per hit, and the counters they keep. */
#ifndef FLOOR_H
#define FLOOR_H

enum floor_mode {
	FLOOR_EMPTY = 0, /* return at once */
	FLOOR_COUNT = 1, /* count hits in a per-CPU array */
	FLOOR_RING = 2,	 /* count, and send a record per TCP ESTABLISHED or CLOSE */
};

/* Slots of the per-CPU "stats" array. */
enum floor_stat {
	FLOOR_STAT_HITS = 0, /* program runs (FLOOR_COUNT, FLOOR_RING) */
	FLOOR_STAT_LOST = 1, /* records that found the ring buffer full */
	FLOOR_STAT_MAX,
};

#endif /* FLOOR_H */
