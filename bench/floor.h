/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What bench/floor's programs do per hit. */
#ifndef FLOOR_H
#define FLOOR_H

enum floor_mode {
	FLOOR_EMPTY = 0, /* return at once */
	FLOOR_COUNT = 1, /* count hits in a per-CPU array */
	FLOOR_RING = 2,	 /* count, and send a record per TCP ESTABLISHED or CLOSE */
};

#endif /* FLOOR_H */
