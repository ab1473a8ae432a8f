/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the kernel's cumulative counters read at the last interval, per map
 * key: a hash from a fixed-size key to a fixed-size value, so that agg.c can
 * take each interval's growth. Entries are never removed (the kernel's
 * counters are not either).
 */
#ifndef SEEN_H
#define SEEN_H

#include <stddef.h>

struct seen;

/* NULL on allocation failure. */
struct seen *seen__new(size_t key_size, size_t value_size);
void seen__free(struct seen *s);

/* The value stored under key, all zeroes when new; NULL when out of memory. */
void *seen__get(struct seen *s, const void *key);

#endif /* SEEN_H */
