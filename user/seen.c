// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "seen.h"

/* Open addressing over entries (key, then value), kept at most half full. */
struct seen {
	size_t ksize, vsize;
	size_t voff;	       /* the value's offset in an entry: ksize, 8-byte aligned */
	unsigned char **slots; /* NULL = empty */
	size_t nslots;	       /* power of two */
	size_t n;
};

static uint64_t key_hash(const unsigned char *key, size_t size)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */

	for (size_t i = 0; i < size; i++)
		h = (h ^ key[i]) * 1099511628211ULL;
	return h;
}

struct seen *seen__new(size_t key_size, size_t value_size)
{
	struct seen *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ksize = key_size;
	s->vsize = value_size;
	s->voff = (key_size + 7) & ~(size_t)7;
	s->nslots = 16;
	s->slots = calloc(s->nslots, sizeof(*s->slots));
	if (!s->slots) {
		free(s);
		return NULL;
	}
	return s;
}

void seen__free(struct seen *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nslots; i++)
		free(s->slots[i]);
	free(s->slots);
	free(s);
}

/* The slot holding key, or the empty one where it belongs. */
static size_t slot_of(const struct seen *s, unsigned char **slots, size_t nslots, const void *key)
{
	size_t i = key_hash(key, s->ksize) & (nslots - 1);

	while (slots[i] && memcmp(slots[i], key, s->ksize))
		i = (i + 1) & (nslots - 1);
	return i;
}

static int slots_grow(struct seen *s)
{
	size_t nslots = s->nslots * 2;
	unsigned char **slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < s->nslots; i++) {
		if (s->slots[i])
			slots[slot_of(s, slots, nslots, s->slots[i])] = s->slots[i];
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = nslots;
	return 0;
}

void *seen__get(struct seen *s, const void *key)
{
	size_t i = slot_of(s, s->slots, s->nslots, key);
	unsigned char *e;

	if (s->slots[i])
		return s->slots[i] + s->voff;
	if ((s->n + 1) * 2 > s->nslots) {
		if (slots_grow(s))
			return NULL;
		i = slot_of(s, s->slots, s->nslots, key);
	}
	e = calloc(1, s->voff + s->vsize);
	if (!e)
		return NULL;
	memcpy(e, key, s->ksize);
	s->slots[i] = e;
	s->n++;
	return e + s->voff;
}
