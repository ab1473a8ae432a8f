// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * loadgen: a loopback storm for socktrace's benchmarks.
 *
 *   loadgen tcp [-c CLIENTS] [-s SERVERS] [-d SECONDS] [-p PORT]
 *   loadgen udp [-c SENDERS] [-s RECEIVERS] [-d SECONDS] [-p PORT] [-b BYTES]
 *
 * tcp: CLIENTS threads loop connect() -> read() until EOF -> close() against
 * SERVERS threads that loop accept() -> close(). The server closes first, so
 * TIME_WAIT stays on the server's side (port PORT), where it never blocks a
 * new connection: the client's ephemeral port is free again as soon as its
 * close() completes (LAST_ACK -> CLOSED), and a SYN that meets a server-side
 * TIME_WAIT of the same 4-tuple recycles it (RFC 6191, timestamps are on).
 * There is no ephemeral-port exhaustion and no RST, and every connection
 * goes through the full lifecycle a tracer sees on a real server. One
 * operation is one connection the client saw through to EOF.
 *
 * udp: SENDERS threads send() BYTES-byte datagrams as fast as they can over
 * sockets connect()ed to the receiver, so that every hook, even one that does
 * not see a destination address, knows the service port. RECEIVERS threads
 * recv() on one socket. One operation is one datagram received.
 *
 * Prints one line of key=value pairs; persec= are the operations in each
 * whole second of the run, to show that the rate holds steady.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"

#define MAX_THREADS 64
#define MAX_SECONDS 3600
#define UDP_MAX_BYTES 1472 /* one datagram fits a 1500-byte MTU */

struct opts {
	bool udp;
	int clients, servers;
	int seconds;
	int port;
	int bytes;
};

/* One counter per thread, each on its own cache line: no sharing on the hot path. */
struct counter {
	_Atomic unsigned long ops;
	_Atomic unsigned long errors;
	char pad[64 - 2 * sizeof(unsigned long)];
};

static struct counter counters[MAX_THREADS];
/* Clients stop first; servers only after, so no client waits on a connection nobody accepts. */
static atomic_bool stopping, servers_stopping;
static struct opts opts;
static int listen_fd = -1;
static struct sockaddr_in server_addr;

static void die(const char *what)
{
	fprintf(stderr, "loadgen: failed to %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage_error(const char *msg, const char *arg)
{
	fprintf(stderr,
		"loadgen: %s '%s' (usage: loadgen tcp|udp [-c N] [-s N] [-d SEC] "
		"[-p PORT] [-b BYTES])\n",
		msg, arg);
	exit(2);
}

static int parse_int(const char *s, int min, int max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		usage_error("invalid number", s);
	return (int)v;
}

static void parse_opts(int argc, char **argv)
{
	int c;

	if (argc < 2 || (strcmp(argv[1], "tcp") && strcmp(argv[1], "udp")))
		usage_error("unknown mode", argc < 2 ? "" : argv[1]);
	opts = (struct opts){ .udp = !strcmp(argv[1], "udp"),
			      .clients = 4,
			      .servers = 2,
			      .seconds = 5,
			      .port = 9099,
			      .bytes = 64 };
	optind = 2;
	opterr = 0; /* one message of our own */
	while ((c = getopt(argc, argv, "c:s:d:p:b:")) != -1) {
		switch (c) {
		case 'c':
			opts.clients = parse_int(optarg, 1, MAX_THREADS / 2);
			break;
		case 's':
			opts.servers = parse_int(optarg, 1, MAX_THREADS / 2);
			break;
		case 'd':
			opts.seconds = parse_int(optarg, 1, MAX_SECONDS);
			break;
		case 'p':
			opts.port = parse_int(optarg, 1, 65535);
			break;
		case 'b':
			opts.bytes = parse_int(optarg, 1, UDP_MAX_BYTES);
			break;
		default: {
			char opt[3] = { '-', (char)optopt, 0 };

			usage_error("invalid option", opt);
		}
		}
	}
	if (optind != argc)
		usage_error("unexpected argument", argv[optind]);
}

/* A blocked accept()/recv() wakes at least this often to see the stop flag. */
static void set_timeout(int fd)
{
	struct timeval tv = { .tv_usec = 100 * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		die("set SO_RCVTIMEO");
}

static void *tcp_server(void *arg)
{
	struct counter *ctr = arg;

	while (!atomic_load_explicit(&servers_stopping, memory_order_relaxed)) {
		int fd = accept(listen_fd, NULL, NULL);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				atomic_fetch_add_explicit(&ctr->errors, 1, memory_order_relaxed);
			continue;
		}
		close(fd); /* server closes first: TIME_WAIT lands here */
	}
	return NULL;
}

/* One connection through to the server's EOF; 0 or -1. */
static int tcp_once(void)
{
	char buf[16];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int ret = -1;

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&server_addr, sizeof(server_addr)) == 0)
		ret = read(fd, buf, sizeof(buf)) == 0 ? 0 : -1;
	close(fd);
	return ret;
}

static void *tcp_client(void *arg)
{
	struct counter *ctr = arg;

	while (!atomic_load_explicit(&stopping, memory_order_relaxed)) {
		if (tcp_once() == 0)
			atomic_fetch_add_explicit(&ctr->ops, 1, memory_order_relaxed);
		else
			atomic_fetch_add_explicit(&ctr->errors, 1, memory_order_relaxed);
	}
	return NULL;
}

static void *udp_receiver(void *arg)
{
	struct counter *ctr = arg;
	char buf[UDP_MAX_BYTES];

	while (!atomic_load_explicit(&servers_stopping, memory_order_relaxed)) {
		if (recv(listen_fd, buf, sizeof(buf), 0) >= 0)
			atomic_fetch_add_explicit(&ctr->ops, 1, memory_order_relaxed);
	}
	return NULL;
}

static void *udp_sender(void *arg)
{
	struct counter *ctr = arg;
	char buf[UDP_MAX_BYTES] = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		die("create a UDP socket");
	if (connect(fd, (struct sockaddr *)&server_addr, sizeof(server_addr)))
		die("connect the UDP sender");
	while (!atomic_load_explicit(&stopping, memory_order_relaxed)) {
		/* ENOBUFS/ECONNREFUSED are the storm outrunning the receiver: count, go on */
		if (send(fd, buf, (size_t)opts.bytes, 0) < 0)
			atomic_fetch_add_explicit(&ctr->errors, 1, memory_order_relaxed);
	}
	close(fd);
	return NULL;
}

static void open_server(void)
{
	int one = 1, rcvbuf = 4 << 20;

	server_addr = (struct sockaddr_in){ .sin_family = AF_INET,
					    .sin_port = htons((uint16_t)opts.port),
					    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	listen_fd = socket(AF_INET, opts.udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (listen_fd < 0)
		die("create the server socket");
	if (setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("set SO_REUSEADDR");
	if (opts.udp)
		setsockopt(listen_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(listen_fd, (struct sockaddr *)&server_addr, sizeof(server_addr)))
		die("bind the server port");
	if (!opts.udp && listen(listen_fd, 4096))
		die("listen");
	set_timeout(listen_fd);
}

static unsigned long sum(bool errors)
{
	unsigned long n = 0;

	for (int i = 0; i < MAX_THREADS; i++)
		n += errors ? atomic_load(&counters[i].errors) : atomic_load(&counters[i].ops);
	return n;
}

/* Sample the total at each whole second of the run; fills persec[0..seconds-1]. */
static double measure(unsigned long *persec)
{
	struct timespec next;
	unsigned long last = 0;
	double start = now_mono();

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (int s = 0; s < opts.seconds; s++) {
		unsigned long total;

		next.tv_sec++;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		total = sum(false);
		persec[s] = total - last;
		last = total;
	}
	return now_mono() - start;
}

int main(int argc, char **argv)
{
	pthread_t threads[MAX_THREADS];
	unsigned long persec[MAX_SECONDS], ops;
	int n = 0;
	double elapsed;

	parse_opts(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	open_server();
	/* Servers (receivers) first, then clients (senders); counters by thread. */
	for (int i = 0; i < opts.servers; i++, n++)
		if (pthread_create(&threads[n], NULL, opts.udp ? udp_receiver : tcp_server,
				   &counters[n]))
			die("start a server thread");
	for (int i = 0; i < opts.clients; i++, n++)
		if (pthread_create(&threads[n], NULL, opts.udp ? udp_sender : tcp_client,
				   &counters[n]))
			die("start a client thread");
	elapsed = measure(persec);
	ops = sum(false);
	atomic_store(&stopping, true);
	for (int i = opts.servers; i < n; i++)
		pthread_join(threads[i], NULL);
	atomic_store(&servers_stopping, true);
	for (int i = 0; i < opts.servers; i++)
		pthread_join(threads[i], NULL);

	printf("mode=%s seconds=%.3f ops=%lu rate=%.0f errors=%lu persec=",
	       opts.udp ? "udp" : "tcp", elapsed, ops, (double)ops / elapsed, sum(true));
	for (int s = 0; s < opts.seconds; s++)
		printf("%s%lu", s ? "," : "", persec[s]);
	printf("\n");
	close(listen_fd);
	return 0;
}
