/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --events: one line per event, aligned under a header as bcc's tcpconnect and
 * tcplife print them, or (--json) one JSON object per event. Every line is
 * flushed as it is written, so pipes see events as they happen.
 */
#ifndef EVPRINT_H
#define EVPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "events.h"

struct services;

struct evprint {
	FILE *out;
	bool json;
	const struct services *svc; /* names the service port in JSON; may be NULL */
	int64_t clock_offset_ns;    /* CLOCK_REALTIME - CLOCK_MONOTONIC, for ts_ns */
};

/* Set up p; measures the clock offset now. */
void evprint__init(struct evprint *p, FILE *out, bool json, const struct services *svc);

/* The column header (text only; JSON has none). 0 or -EIO. */
int evprint__begin(const struct evprint *p);

/* One event: a line or an object. 0, or -EIO when out cannot be written. */
int evprint__event(const struct evprint *p, const struct event *ev);

/* "connect", "accept", "accepted", "close", "existing", "reset", "response",
 * "listen", "unlisten"; "?" for a kind not known. */
const char *evprint__kind(uint8_t kind);

/* What came of it: "ok", a failure reason ("refused"...), "open", "rst-out"... */
const char *evprint__result(const struct event *ev);

/* comm as one word for a column: printable ASCII kept, but "\\" for a backslash and
 * \xNN for a space and any other byte; "-" when empty. */
void evprint__comm(char *buf, size_t len, const uint8_t *comm);

/* "127.0.0.1:8080", "[::1]:8080". */
void evprint__endpoint(char *buf, size_t len, uint16_t family, const void *addr, uint16_t port);

#endif /* EVPRINT_H */
