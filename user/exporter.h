/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Prometheus exporter: GET /metrics over HTTP (libmicrohttpd, on a thread
 * of its own). The main loop owns the aggregation: it renders the exposition
 * with exporter__update() after every interval, and the HTTP thread serves a
 * copy of the latest one, so scrapes see figures as fresh as the last interval.
 */
#ifndef EXPORTER_H
#define EXPORTER_H

#include <stddef.h>
#include <stdint.h>
#include "report.h"

struct exporter;

/*
 * Listen on addr:port (a numeric IPv4 or IPv6 address) and start serving;
 * /metrics answers 503 until the first exporter__update(). Returns 0, or
 * -errno with one line in err ("cannot listen on ADDR:PORT: <reason>", or
 * that libmicrohttpd cannot be opened: -ENOENT).
 */
int exporter__start(struct exporter **out, const char *addr, uint16_t port, const char *version,
		    char *err, size_t errlen);

/*
 * Render r (counters since start, see metrics__write) and serve it from now
 * on. Returns 0, or -ENOMEM/-EIO; the previous exposition is then kept.
 */
int exporter__update(struct exporter *exp, const struct report *r);

/* Stop serving (waits for the HTTP thread) and free; NULL is fine. */
void exporter__stop(struct exporter *exp);

#endif /* EXPORTER_H */
