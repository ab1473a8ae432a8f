/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Adding up the kind rows the kernel counts in two places: kind_rows' per-CPU
 * values, and the per-CPU slots of kind_hot (bpf/socktrace.h), where a key
 * may have a slot on some CPUs and a kind_rows value on others. A reading
 * copies kind_hot whole; each kind_rows key then takes its slots from the
 * copy, and the keys left have slots only.
 */
#ifndef KINDHOT_H
#define KINDHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "socktrace.h"

/* An owner's slot in a row on a CPU (tracer_slot_fn's shape). */
typedef int (*kind_owner_fn)(void *ctx, const struct kind_key *key, uint32_t cpu,
			     const struct owner_slot *slot);

/* A copy of kind_hot: nslots * ncpus values, slot-major, as the map gives them. */
struct kind_hot_copy {
	struct kind_hot *v;
	uint32_t nslots;
	int ncpus;
};

/* Add one CPU's counts of a row into total (counters, samples, min, max, buckets). */
void kind_counts_add(struct kind_counts *total, const struct kind_counts *cpu);

/*
 * Add key's slots in hot into total, call owner_fn for each slot's owner that
 * has a name (a slot with none is still being taken: read again next time),
 * and free them in the copy, so that each slot is taken once. The first
 * non-zero return of owner_fn, else 0.
 */
int kind_hot_take(struct kind_hot_copy *hot, const struct kind_key *key, struct kind_counts *total,
		  kind_owner_fn owner_fn, void *ctx);

/*
 * The key of the next slot not taken yet, from *pos on, into *key (its pad
 * cleared, as kind_rows' keys have it); *pos moves past it. False: none left.
 */
bool kind_hot_next(const struct kind_hot_copy *hot, size_t *pos, struct kind_key *key);

#endif /* KINDHOT_H */
