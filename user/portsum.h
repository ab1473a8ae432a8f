/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The sockets open now summed up per (port, proto): listeners with their
 * owners and accept queues, connections in and out, top peers; and the text
 * `socktrace ports` prints. Pure: built from struct sockinfo, no BPF, no root.
 */
#ifndef PORTSUM_H
#define PORTSUM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include "sockinfo.h"

struct portset;
struct services;
struct portsum;

#define PORTSUM_PEERS 3 /* top peers kept per row */

struct portsum_peer {
	struct in6_addr addr; /* remote address (IPv4 as IPv4-mapped) */
	uint32_t count;	      /* connected sockets of the row with that remote address */
};

/* One (port, proto). */
struct portsum_row {
	struct sockinfo *listeners; /* TCP LISTEN and unconnected UDP sockets on the port */
	size_t nlisteners;	    /* ordered by family, address, pid */
	uint32_t in;		    /* established TCP / connected UDP sockets, `in` */
	uint32_t out;		    /* likewise, `out` */
	uint32_t other;		    /* TCP sockets in any other state (handshake, closing,
				     * TIME_WAIT), both directions */
	struct portsum_peer
		peers[PORTSUM_PEERS]; /* most connected sockets first, then by address */
	uint32_t npeers;
	uint32_t more_peers; /* distinct remote addresses beyond those */
	uint16_t port;
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
};

/*
 * Classify socks (sockinfo__classify_all) and sum them up per (port, proto),
 * keeping only ports in only (NULL: every port). Rows are ordered by port, TCP
 * before UDP. NULL when out of memory. socks may be freed afterwards.
 */
struct portsum *portsum__build(const struct sockinfo *socks, size_t n, const struct port_range *eph,
			       const struct portset *only);
void portsum__free(struct portsum *ps);

/* The rows; *n their count. */
const struct portsum_row *portsum__rows(const struct portsum *ps, size_t *n);

/*
 * Print the rows: a header, then per row one line (port, service, class,
 * counts), one line per listener and one with the top peers if it has any.
 * svc may be NULL. 0, or -EIO when out could not be written.
 */
int portsum__print(FILE *out, const struct portsum *ps, const struct services *svc,
		   const struct port_range *eph);

#endif /* PORTSUM_H */
