/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Port sets from user specs: "443", "80,443", "8000-8100", "https". */
#ifndef PORTS_H
#define PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct services;

#define PORTSET_WORDS (65536 / 64)

/* A set of TCP/UDP ports; the same bit layout the BPF filter reads. */
struct portset {
	uint64_t bits[PORTSET_WORDS];
};

static inline bool portset__has(const struct portset *set, int port)
{
	return set->bits[port >> 6] & (1ULL << (port & 63));
}

/*
 * Add the ports of spec to set: comma-separated items, each a port (1-65535),
 * a range "lo-hi" (lo <= hi) or a service name from svc (tcp). Returns 0, or
 * -EINVAL with one line naming the bad item in err; set is then unchanged.
 */
int portset__parse(struct portset *set, const char *spec, const struct services *svc, char *err,
		   size_t errlen);

/* Number of ports in the set. */
int portset__count(const struct portset *set);

/* A decimal port 1-65535 with nothing after it; -1 when s is not one. */
int ports__number(const char *s);

/* "443", "80,443", "8000-8100,9000": the set as a compact spec, truncated to len. */
void portset__format(const struct portset *set, char *buf, size_t len);

#endif /* PORTS_H */
