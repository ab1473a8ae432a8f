// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * aggbench: socktrace's user-space cost alone. Decodes a synthetic stream of
 * ring-buffer records with event__decode() and counts them with agg__add(),
 * the real code the ring-buffer callback runs, and folds an interval every
 * million events as the report does. One thread: the result is events per
 * second per core, measured on the thread's CPU clock.
 *
 *   aggbench [-n EVENTS] [-P PORTS]
 *
 * The stream is a TCP storm's: per connection connect (out), accept (in),
 * accepted (in, queue wait), and a close on each side, over PORTS service
 * ports, eight process names, latencies spread over four decades.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "agg.h"
#include "events.h"

#define POOL 4095 /* records: 819 connections of 5 */
#define INTERVAL_EVENTS 1000000

static const char *const comms[] = { "nginx",	 "curl", "envoy",   "redis-server",
				     "postgres", "java", "python3", "loadgen" };

static unsigned int rnd_state = 12345;

static unsigned int rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u; /* reproducible, not random */
	return rnd_state >> 8;
}

/* Roughly log-uniform over 1 us .. 10 ms. */
static __u64 rnd_latency(void)
{
	return 1000ull << (rnd() % 14) | (rnd() & 1023);
}

static void fill_event(struct event *ev, __u8 kind, __u8 dir, __u16 port, unsigned int c)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->dir = dir;
	ev->proto = IPPROTO_TCP;
	ev->family = 2; /* AF_INET */
	ev->saddr_v4 = htonl(INADDR_LOOPBACK);
	ev->daddr_v4 = htonl(INADDR_LOOPBACK);
	ev->sport = dir == DIR_IN ? port : (__u16)(32768 + rnd() % 28000);
	ev->dport = dir == DIR_IN ? (__u16)(32768 + rnd() % 28000) : port;
	ev->pid = 1000 + c;
	snprintf((char *)ev->comm, sizeof(ev->comm), "%s", comms[c]);
	ev->lat_ns = rnd_latency();
	if (kind == EV_CLOSE) {
		ev->bytes_sent = rnd() % 100000;
		ev->bytes_received = rnd() % 10000;
	}
}

/* POOL records, five per connection, as the ring buffer would hold them. */
static struct event *make_pool(unsigned int ports)
{
	struct event *pool = calloc(POOL, sizeof(*pool));

	if (!pool)
		return NULL;
	for (int i = 0; i < POOL; i += 5) {
		__u16 port = (__u16)(8000 + rnd() % ports);
		unsigned int client = rnd() % 8, server = rnd() % 8;

		fill_event(&pool[i], EV_CONNECT_OK, DIR_OUT, port, client);
		fill_event(&pool[i + 1], EV_ACCEPT, DIR_IN, port, server);
		fill_event(&pool[i + 2], EV_ACCEPTED, DIR_IN, port, server);
		fill_event(&pool[i + 3], EV_CLOSE, DIR_OUT, port, client);
		fill_event(&pool[i + 4], EV_CLOSE, DIR_IN, port, server);
	}
	return pool;
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long parse_count(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max) {
		fprintf(stderr,
			"aggbench: invalid number '%s' (usage: aggbench [-n EVENTS] "
			"[-P PORTS])\n",
			s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long events = 50000000, ports = 64, i;
	struct event *pool, ev;
	struct agg *agg;
	size_t nrows = 0;
	double t0, cpu;
	int c;

	opterr = 0;
	while ((c = getopt(argc, argv, "n:P:")) != -1) {
		if (c == 'n')
			events = parse_count(optarg, 1, 1L << 40);
		else if (c == 'P')
			ports = parse_count(optarg, 1, 50000);
		else {
			fprintf(stderr,
				"aggbench: invalid option '-%c' (usage: aggbench "
				"[-n EVENTS] [-P PORTS])\n",
				optopt);
			return 2;
		}
	}
	pool = make_pool((unsigned int)ports);
	agg = agg__new();
	if (!pool || !agg) {
		fprintf(stderr, "aggbench: failed to allocate: %s\n", strerror(ENOMEM));
		return 1;
	}

	t0 = cpu_seconds();
	for (i = 0; i < events; i++) {
		if (event__decode(&pool[i % POOL], sizeof(pool[0]), &ev) || agg__add(agg, &ev)) {
			fprintf(stderr, "aggbench: failed to count event %ld\n", i);
			return 1;
		}
		if ((i + 1) % INTERVAL_EVENTS == 0) {
			agg__rows(agg, &nrows);
			agg__next_interval(agg);
		}
	}
	cpu = cpu_seconds() - t0;

	printf("events=%ld rows=%zu cpu_s=%.3f rate=%.0f ns_per_event=%.1f\n", events, nrows, cpu,
	       (double)events / cpu, cpu * 1e9 / (double)events);
	agg__free(agg);
	free(pool);
	return 0;
}
