// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "kindhot.h"

void kind_counts_add(struct kind_counts *total, const struct kind_counts *cpu)
{
	total->n.events += cpu->n.events;
	total->n.bytes_sent += cpu->n.bytes_sent;
	total->n.bytes_received += cpu->n.bytes_received;
	total->n.retrans += cpu->n.retrans;
	if (!cpu->samples)
		return;
	if (!total->samples || cpu->min < total->min)
		total->min = cpu->min;
	if (cpu->max > total->max)
		total->max = cpu->max;
	total->samples += cpu->samples;
	total->sum += cpu->sum;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++)
		total->buckets[i] += cpu->buckets[i];
}

/* A slot's key as kind_rows has it: the kernel marks a taken slot in pad. */
static bool slot_is(const struct kind_hot *slot, const struct kind_key *key)
{
	struct kind_key k = slot->key;

	if (k.pad != KIND_KEY_HOT)
		return false;
	k.pad = key->pad;
	return !memcmp(&k, key, sizeof(k));
}

int kind_hot_take(struct kind_hot_copy *hot, const struct kind_key *key, struct kind_counts *total,
		  kind_owner_fn owner_fn, void *ctx)
{
	size_t n = (size_t)hot->nslots * (size_t)hot->ncpus;
	struct kind_hot *slot;
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		slot = &hot->v[i];
		if (!slot_is(slot, key))
			continue;
		kind_counts_add(total, &slot->c);
		if (!err && slot->c.owner.events && slot->c.owner.comm[0])
			err = owner_fn(ctx, key, (uint32_t)(i % (size_t)hot->ncpus),
				       &slot->c.owner);
		memset(&slot->key, 0, sizeof(slot->key));
	}
	return err;
}

bool kind_hot_next(const struct kind_hot_copy *hot, size_t *pos, struct kind_key *key)
{
	size_t n = (size_t)hot->nslots * (size_t)hot->ncpus;

	for (size_t i = *pos; i < n; i++) {
		if (hot->v[i].key.pad != KIND_KEY_HOT || !hot->v[i].c.n.events)
			continue; /* free, or taken and not counted in yet */
		*key = hot->v[i].key;
		key->pad = 0;
		*pos = i + 1;
		return true;
	}
	return false;
}
