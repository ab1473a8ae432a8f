/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The one clock intervals and waits are measured on. */
#ifndef CLOCK_H
#define CLOCK_H

#include <time.h>

/* CLOCK_MONOTONIC, in seconds. */
static inline double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif /* CLOCK_H */
