/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The listening sockets on the traced ports, for the live view: TCP listeners
 * and unconnected UDP sockets found by the snapshot at start (with the
 * process holding each), then TCP listeners kept current from EV_LISTEN and
 * EV_LISTEN_CLOSE events. One entry per socket, known by its inode.
 */
#ifndef LISTENERS_H
#define LISTENERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "events.h"
#include "sockinfo.h"

struct listeners;
struct services;

/* NULL when out of memory. */
struct listeners *listeners__new(void);
void listeners__free(struct listeners *ls);

/*
 * Add the listening sockets among socks (from the start snapshot) whose port
 * keep() accepts. A socket already known (same inode) is not added twice.
 * 0 or -ENOMEM.
 */
int listeners__seed(struct listeners *ls, const struct sockinfo *socks, size_t n,
		    bool (*keep)(void *ctx, const struct sockinfo *s), void *ctx);

/* Apply one EV_LISTEN or EV_LISTEN_CLOSE event. 0 or -ENOMEM. */
int listeners__event(struct listeners *ls, const struct event *ev);

/* Changes so far: a number that grows with every change, to redraw only then. */
unsigned int listeners__generation(const struct listeners *ls);

/* Number of listening sockets. */
size_t listeners__count(const struct listeners *ls);

/*
 * Print one line per (port, proto) with listeners, under a header: port,
 * service, IANA class, whether the port is in the ephemeral range, how many
 * sockets, their addresses and owners. Lines are cut at width (0: no limit);
 * prefix goes before each (the plain output's time stamp), may be "".
 */
void listeners__print(FILE *out, const struct listeners *ls, const struct services *svc,
		      const struct port_range *eph, int width, const char *prefix);

#endif /* LISTENERS_H */
