/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Hand-made events for the unit tests, and feeding them to an agg. */
#ifndef TESTEVENTS_H
#define TESTEVENTS_H

#include "testutil.h"
#include <netinet/in.h>
#include "agg.h"

#define TEST_EPHEMERAL 51000 /* the client side of every test connection */

/* Accepted on local port `port` from a client's ephemeral port. */
static inline struct event ev_accept(uint16_t port, uint64_t lat_ns)
{
	return (struct event){ .kind = EV_ACCEPT, .dir = DIR_IN, .proto = IPPROTO_TCP,
			       .family = AF_INET, .sport = port, .dport = TEST_EPHEMERAL,
			       .lat_ns = lat_ns };
}

/* accept() took a connection on local port `port` after wait_ns in the queue. */
static inline struct event ev_accepted(uint16_t port, uint64_t wait_ns)
{
	struct event ev = ev_accept(port, wait_ns);

	ev.kind = EV_ACCEPTED;
	return ev;
}

/* A connection on service port `port` closed after lifetime_ns (0: unknown). */
static inline struct event ev_close(uint16_t port, uint8_t dir, uint64_t lifetime_ns,
				    uint64_t sent, uint64_t received)
{
	struct event ev = ev_accept(port, lifetime_ns);

	if (dir == DIR_OUT) {
		ev.sport = TEST_EPHEMERAL;
		ev.dport = port;
	}
	ev.kind = EV_CLOSE;
	ev.dir = dir;
	ev.bytes_sent = sent;
	ev.bytes_received = received;
	return ev;
}

/* Connected out to remote port `port` from a local ephemeral port. */
static inline struct event ev_connect(uint16_t port, uint64_t lat_ns)
{
	return (struct event){ .kind = EV_CONNECT_OK, .dir = DIR_OUT, .proto = IPPROTO_TCP,
			       .family = AF_INET, .sport = TEST_EPHEMERAL, .dport = port,
			       .lat_ns = lat_ns };
}

/* A connect to remote port `port` that failed with err (0: aborted). */
static inline struct event ev_fail(uint16_t port, uint32_t err)
{
	struct event ev = ev_connect(port, 0);

	ev.kind = EV_CONNECT_FAIL;
	ev.err = err;
	return ev;
}

static inline struct event with_proc(struct event ev, const char *comm, uint32_t pid)
{
	snprintf((char *)ev.comm, sizeof(ev.comm), "%s", comm);
	ev.pid = pid;
	return ev;
}

/* Count ev n times; every add must succeed. */
static inline void add_n(struct agg *agg, struct event ev, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(agg__add(agg, &ev), 0);
}

#endif /* TESTEVENTS_H */
