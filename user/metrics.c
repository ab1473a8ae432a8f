// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include "format.h"
#include "metrics.h"

/* Which rows a metric has series for: one bit per (proto, direction). */
enum row_set {
	TCP_IN = 1,
	TCP_OUT = 2,
	UDP_IN = 4,
	UDP_OUT = 8,
	TCP = TCP_IN | TCP_OUT,
	UDP = UDP_IN | UDP_OUT,
	ANY = TCP | UDP,
};

static bool row_in(const struct agg_row *row, unsigned int set)
{
	unsigned int bit = 1u << ((row->proto == IPPROTO_UDP) * 2 + (row->dir == DIR_OUT));

	return set & bit;
}

/* A uint64_t of struct agg_stats (at off), since start: the run plus the interval. */
static uint64_t stat_total(const struct agg_row *row, size_t off)
{
	return *(const uint64_t *)((const char *)&row->run + off) +
	       *(const uint64_t *)((const char *)&row->interval + off);
}

static const struct hist *stat_hist(const struct agg_stats *st, size_t off)
{
	return *(struct hist *const *)((const char *)st + off);
}

struct counter {
	const char *name, *help;
	unsigned int rows; /* enum row_set */
	size_t off;	   /* the uint64_t in struct agg_stats */
};

#define STAT(field) offsetof(struct agg_stats, field)

static const struct counter counters[] = {
	{ "socktrace_connections_opened_total",
	  "TCP connections established: out, connect() completed; in, handshake completed on a "
	  "listening port.",
	  TCP, STAT(opened) },
	{ "socktrace_connections_closed_total",
	  "TCP connections closed (seen open, or open at start).", TCP, STAT(closed) },
	{ "socktrace_bytes_sent_total",
	  "Payload bytes sent: TCP, acknowledged by the peer, counted when the connection closes; "
	  "UDP, per datagram.",
	  ANY, STAT(bytes_sent) },
	{ "socktrace_bytes_received_total",
	  "Payload bytes received: TCP, counted when the connection closes; UDP, per datagram.",
	  ANY, STAT(bytes_received) },
	{ "socktrace_datagrams_sent_total", "UDP datagrams sent.", UDP, STAT(datagrams_sent) },
	{ "socktrace_datagrams_received_total", "UDP datagrams received.", UDP,
	  STAT(datagrams_received) },
	{ "socktrace_udp_send_errors_total", "UDP sends that returned an error.", UDP,
	  STAT(send_errors) },
	{ "socktrace_retransmits_total",
	  "TCP segments retransmitted, counted when the connection closes.", TCP,
	  STAT(retransmits) },
};

struct histogram {
	const char *name, *help;
	unsigned int rows;
	size_t off; /* the struct hist * in struct agg_stats */
};

static const struct histogram histograms[] = {
	{ "socktrace_connect_latency_seconds",
	  "TCP handshake time: out, SYN sent to ESTABLISHED; in, SYN-ACK sent to the final ACK.",
	  TCP, STAT(lat) },
	{ "socktrace_accept_wait_seconds",
	  "Time an established connection waited in the accept queue until accept().", TCP_IN,
	  STAT(wait) },
	{ "socktrace_connection_lifetime_seconds",
	  "Lifetime of TCP connections seen open, ESTABLISHED to close.", TCP, STAT(life) },
	{ "socktrace_udp_response_seconds",
	  "UDP out: a datagram sent to the first datagram back on the same socket.", UDP_OUT,
	  STAT(resp) },
};

void metrics__label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

void metrics__seconds(FILE *f, uint64_t ns)
{
	unsigned long long frac = ns % 1000000000;
	int digits = 9;

	fprintf(f, "%llu", (unsigned long long)(ns / 1000000000));
	if (!frac)
		return;
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	fprintf(f, ".%0*llu", digits, frac);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* `name{port="443",service="https",proto="tcp",direction="in"` with the brace left open. */
static void series(FILE *f, const char *name, const char *suffix, const struct report *r,
		   const struct agg_row *row)
{
	const char *service = format_service(r->svc, row);

	fprintf(f, "%s%s{port=\"%u\",service=\"", name, suffix, row->port);
	metrics__label_value(f, service[0] == '-' && !service[1] ? "" : service);
	fprintf(f, "\",proto=\"%s\",direction=\"%s\"", format_proto(row->proto),
		format_dir(row->dir));
}

static void write_counter(FILE *f, const struct report *r, const struct counter *c)
{
	family(f, c->name, "counter", c->help);
	for (size_t i = 0; i < r->n; i++) {
		if (!row_in(r->rows[i], c->rows))
			continue;
		series(f, c->name, "", r, r->rows[i]);
		fprintf(f, "} %llu\n", (unsigned long long)stat_total(r->rows[i], c->off));
	}
}

/* A counter with one more label: a series per (row, value) of label, for the rows in set. */
static void write_labelled(FILE *f, const struct report *r, const char *name, const char *help,
			   unsigned int set, const char *label, const char *const *values,
			   const size_t *offs, size_t nvalues)
{
	family(f, name, "counter", help);
	for (size_t i = 0; i < r->n; i++) {
		if (!row_in(r->rows[i], set))
			continue;
		for (size_t v = 0; v < nvalues; v++) {
			series(f, name, "", r, r->rows[i]);
			fprintf(f, ",%s=\"%s\"} %llu\n", label, values[v],
				(unsigned long long)stat_total(r->rows[i], offs[v]));
		}
	}
}

static void write_failed(FILE *f, const struct report *r)
{
	const char *reasons[FAIL_MAX];
	size_t offs[FAIL_MAX];

	for (int i = 0; i < FAIL_MAX; i++) {
		reasons[i] = fail_reason__name(i);
		offs[i] = STAT(failed_by) + i * sizeof(uint64_t);
	}
	write_labelled(f, r, "socktrace_connections_failed_total",
		       "TCP connects that failed, by reason.", TCP_OUT, "reason", reasons, offs,
		       FAIL_MAX);
}

static void write_resets(FILE *f, const struct report *r)
{
	static const char *const kinds[] = { "sent", "received" };
	static const size_t offs[] = { STAT(resets_sent), STAT(resets_received) };

	write_labelled(f, r, "socktrace_resets_total",
		       "TCP connections reset: sent, by this host; received, from the peer.", TCP,
		       "kind", kinds, offs, 2);
}

/* Gauges: levels as of the last update, one function each. */
static uint64_t tcp_active(const struct agg_row *row)
{
	return agg__active(&row->run, &row->interval);
}

static uint64_t udp_peers(const struct agg_row *row)
{
	return row->udp_seen.peers;
}

static uint64_t udp_peers_unknown(const struct agg_row *row)
{
	return row->udp_seen.peers_unknown;
}

static const struct gauge {
	const char *name, *help;
	unsigned int rows; /* row_in() set */
	uint64_t (*value)(const struct agg_row *row);
} gauges[] = {
	{ "socktrace_connections_active", "TCP connections open now (as of the last update).", TCP,
	  tcp_active },
	{ "socktrace_udp_peers", "UDP: distinct remote addresses seen since start.", UDP,
	  udp_peers },
	{ "socktrace_udp_peers_unknown",
	  "UDP: datagrams whose remote address the hook could not "
	  "see (socktrace_udp_peers is then a lower bound).",
	  UDP, udp_peers_unknown },
};

static void write_gauge(FILE *f, const struct report *r, const struct gauge *g)
{
	family(f, g->name, "gauge", g->help);
	for (size_t i = 0; i < r->n; i++) {
		if (!row_in(r->rows[i], g->rows))
			continue;
		series(f, g->name, "", r, r->rows[i]);
		fprintf(f, "} %llu\n", (unsigned long long)g->value(r->rows[i]));
	}
}

/* counts[b] += the samples of h below bound b. */
static void add_cumulative(uint64_t *counts, const struct hist *h)
{
	uint64_t seen = 0;
	unsigned int i = 0;

	if (!h)
		return;
	for (unsigned int b = 0; b < METRICS_BOUNDS; b++) {
		unsigned int end = hist__bucket(metrics__bound_ns(b)); /* its first bucket */

		for (; i < end; i++)
			seen += h->buckets[i];
		counts[b] += seen;
	}
}

static void write_hist_row(FILE *f, const struct report *r, const struct histogram *hg,
			   const struct agg_row *row)
{
	const struct hist *run = stat_hist(&row->run, hg->off);
	const struct hist *iv = stat_hist(&row->interval, hg->off);
	uint64_t counts[METRICS_BOUNDS] = { 0 };
	uint64_t count = (run ? run->count : 0) + (iv ? iv->count : 0);
	uint64_t sum = (run ? run->sum : 0) + (iv ? iv->sum : 0);

	add_cumulative(counts, run);
	add_cumulative(counts, iv);
	for (unsigned int b = 0; b < METRICS_BOUNDS; b++) {
		series(f, hg->name, "_bucket", r, row);
		fputs(",le=\"", f);
		metrics__seconds(f, metrics__bound_ns(b));
		fprintf(f, "\"} %llu\n", (unsigned long long)counts[b]);
	}
	series(f, hg->name, "_bucket", r, row);
	fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)count);
	series(f, hg->name, "_sum", r, row);
	fputs("} ", f);
	metrics__seconds(f, sum);
	fputc('\n', f);
	series(f, hg->name, "_count", r, row);
	fprintf(f, "} %llu\n", (unsigned long long)count);
}

static void write_histogram(FILE *f, const struct report *r, const struct histogram *hg)
{
	family(f, hg->name, "histogram", hg->help);
	for (size_t i = 0; i < r->n; i++) {
		if (row_in(r->rows[i], hg->rows))
			write_hist_row(f, r, hg, r->rows[i]);
	}
}

/* socktrace's own health: events, drops, backend and version, freshness. */
static void write_health(FILE *f, const struct report *r, const char *version)
{
	family(f, "socktrace_events_total", "counter",
	       "Events seen since start: counted in the kernel, or decoded from its ring buffer.");
	fprintf(f, "socktrace_events_total %llu\n", (unsigned long long)r->events);
	family(f, "socktrace_events_lost_total", "counter",
	       "Events the kernel dropped because the ring buffer was full.");
	fprintf(f, "socktrace_events_lost_total %llu\n", (unsigned long long)r->lost);
	family(f, "socktrace_info", "gauge", "The running socktrace: attach backend and version.");
	fputs("socktrace_info{backend=\"", f);
	metrics__label_value(f, r->backend ? r->backend : "");
	fputs("\",version=\"", f);
	metrics__label_value(f, version);
	fputs("\"} 1\n", f);
	family(f, "socktrace_last_update_timestamp_seconds", "gauge",
	       "When these figures were taken (Unix time); they are refreshed every interval.");
	fputs("socktrace_last_update_timestamp_seconds ", f);
	metrics__seconds(f, (uint64_t)r->end.tv_sec * 1000000000 + (uint64_t)r->end.tv_nsec);
	fputc('\n', f);
}

int metrics__write(FILE *f, const struct report *r, const char *version)
{
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		write_counter(f, r, &counters[i]);
	write_failed(f, r);
	write_resets(f, r);
	for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++)
		write_gauge(f, r, &gauges[i]);
	for (size_t i = 0; i < sizeof(histograms) / sizeof(histograms[0]); i++)
		write_histogram(f, r, &histograms[i]);
	write_health(f, r, version);
	return ferror(f) ? -EIO : 0;
}
