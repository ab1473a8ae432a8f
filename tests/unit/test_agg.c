// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* agg: rows per (service port, proto, direction), intervals, ordering, processes. */
#include "testutil.h"
#include <errno.h>
#include <math.h>
#include "testevents.h"

static int agg_setup(void **state)
{
	*state = agg__new();
	return *state ? 0 : -1;
}

static int agg_teardown(void **state)
{
	agg__free(*state);
	return 0;
}

/* The row for (port, proto, dir), or NULL; re-sorts the rows like any caller would. */
static struct agg_row *find_row_proto(struct agg *agg, uint16_t port, uint8_t proto, uint8_t dir)
{
	size_t n;
	struct agg_row **rows = agg__rows(agg, &n);

	for (size_t i = 0; i < n; i++) {
		if (rows[i]->port == port && rows[i]->proto == proto && rows[i]->dir == dir)
			return rows[i];
	}
	return NULL;
}

static struct agg_row *find_row(struct agg *agg, uint16_t port, uint8_t dir)
{
	return find_row_proto(agg, port, IPPROTO_TCP, dir);
}

static uint64_t interval_activity(const struct agg_row *row)
{
	return row->interval.opened + row->interval.failed;
}

static size_t row_count(struct agg *agg)
{
	size_t n;

	agg__rows(agg, &n);
	return n;
}

static void test_accept_is_local_port_in(void **state)
{
	struct agg *agg = *state;
	struct agg_row *row;

	add_n(agg, ev_accept(443, 1000), 1);
	assert_int_equal(row_count(agg), 1);
	row = find_row(agg, 443, DIR_IN);
	assert_non_null(row);
	assert_int_equal(row->interval.opened, 1);
	assert_int_equal(row->interval.failed, 0);
	assert_null(find_row(agg, TEST_EPHEMERAL, DIR_IN));
	assert_null(find_row(agg, TEST_EPHEMERAL, DIR_OUT));
}

static void test_connect_is_remote_port_out(void **state)
{
	struct agg *agg = *state;
	struct event udp = ev_connect(443, 0);
	struct agg_row *row;

	add_n(agg, ev_connect(443, 1000), 2);
	add_n(agg, ev_accept(443, 1000), 1);
	udp.proto = IPPROTO_UDP;
	add_n(agg, udp, 1);
	assert_int_equal(row_count(agg), 3); /* 443 tcp out, 443 tcp in, 443 udp out */
	row = find_row(agg, 443, DIR_OUT);
	assert_non_null(row);
	assert_int_equal(row->interval.opened, 2);
	assert_int_equal(find_row(agg, 443, DIR_IN)->interval.opened, 1);
}

static void test_ephemeral_ports_never_rows(void **state)
{
	struct agg *agg = *state;
	size_t n;
	struct agg_row **rows;

	for (int i = 0; i < 200; i++) {
		struct event in = ev_accept(443, 0), out = ev_connect(5432, 0);

		in.dport = (uint16_t)(32768 + i);
		out.sport = (uint16_t)(40000 + i);
		add_n(agg, in, 1);
		add_n(agg, out, 1);
	}
	rows = agg__rows(agg, &n);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_true(rows[i]->port == 443 || rows[i]->port == 5432);
		assert_int_equal(rows[i]->interval.opened, 200);
	}
}

static void test_connect_fail_reasons(void **state)
{
	static const struct {
		uint32_t err;
		enum fail_reason reason;
		int times;
	} cases[] = {
		{ ECONNREFUSED, FAIL_REFUSED, 3 },
		{ ETIMEDOUT, FAIL_TIMEOUT, 2 },
		{ 0, FAIL_ABORTED, 1 },
	};
	struct agg *agg = *state;
	struct agg_row *row;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		add_n(agg, ev_fail(443, cases[i].err), cases[i].times);
	row = find_row(agg, 443, DIR_OUT);
	assert_non_null(row);
	assert_int_equal(row->interval.failed, 6);
	assert_int_equal(row->interval.opened, 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(row->interval.failed_by[cases[i].reason], cases[i].times);
	assert_int_equal(row->interval.failed_by[FAIL_RESET], 0);
	assert_int_equal(row->interval.failed_by[FAIL_UNREACH], 0);
	assert_int_equal(row->interval.failed_by[FAIL_OTHER], 0);
	assert_true(!row->interval.lat || !row->interval.lat->count);
}

static void test_zero_latency_is_no_sample(void **state)
{
	struct agg *agg = *state;
	struct agg_row *row;

	add_n(agg, ev_connect(443, 0), 2);
	row = find_row(agg, 443, DIR_OUT);
	assert_int_equal(row->interval.opened, 2);
	assert_true(!row->interval.lat || !row->interval.lat->count);
	add_n(agg, ev_connect(443, 5000), 1);
	add_n(agg, ev_connect(443, 0), 1);
	row = find_row(agg, 443, DIR_OUT);
	assert_int_equal(row->interval.opened, 4);
	assert_non_null(row->interval.lat);
	assert_int_equal(row->interval.lat->count, 1);
	assert_int_equal(row->interval.lat->min, 5000);
}

static void assert_interval_empty(const struct agg_row *row)
{
	assert_int_equal(row->interval.opened, 0);
	assert_int_equal(row->interval.failed, 0);
	for (int i = 0; i < FAIL_MAX; i++)
		assert_int_equal(row->interval.failed_by[i], 0);
	assert_true(!row->interval.lat || !row->interval.lat->count);
}

static void test_next_interval_folds_into_run(void **state)
{
	struct agg *agg = *state;
	struct agg_row *row;

	add_n(agg, ev_connect(443, 1000), 3);
	add_n(agg, ev_fail(443, ECONNREFUSED), 1);
	agg__next_interval(agg);
	row = find_row(agg, 443, DIR_OUT);
	assert_interval_empty(row);
	assert_int_equal(row->run.opened, 3);
	assert_int_equal(row->run.failed, 1);
	assert_int_equal(row->run.failed_by[FAIL_REFUSED], 1);
	assert_int_equal(row->run.lat->count, 3);

	add_n(agg, ev_connect(443, 9000), 2);
	add_n(agg, ev_connect(443, 0), 1);
	add_n(agg, ev_fail(443, ETIMEDOUT), 2);
	row = find_row(agg, 443, DIR_OUT);
	assert_int_equal(row->interval.opened, 3);
	assert_int_equal(row->interval.lat->count, 2);
	assert_int_equal(row->run.opened, 3); /* completed intervals only */
	agg__next_interval(agg);
	agg__next_interval(agg); /* an idle interval changes nothing */
	row = find_row(agg, 443, DIR_OUT);
	assert_interval_empty(row);
	assert_int_equal(row->run.opened, 6);
	assert_int_equal(row->run.failed, 3);
	assert_int_equal(row->run.failed_by[FAIL_REFUSED], 1);
	assert_int_equal(row->run.failed_by[FAIL_TIMEOUT], 2);
	assert_int_equal(row->run.lat->count, 5);
	assert_int_equal(row->run.lat->min, 1000);
	assert_int_equal(row->run.lat->max, 9000);
}

/* Busiest interval first; ties by run activity, then by port. */
static void test_row_order(void **state)
{
	static const struct {
		uint16_t port;
		int run, interval;
	} feed[] = {
		{ 22, 0, 1 }, { 3000, 0, 1 }, { 9000, 1, 0 }, { 6000, 2, 1 },
		{ 80, 0, 3 }, { 7000, 4, 1 }, { 443, 0, 5 },
	};
	static const uint16_t want[] = { 443, 80, 7000, 6000, 22, 3000, 9000 };
	struct agg *agg = *state;
	struct agg_row **rows;
	size_t n;
	int failures = 0;

	for (size_t i = 0; i < ARRAY_SIZE(feed); i++)
		add_n(agg, ev_accept(feed[i].port, 0), feed[i].run);
	agg__next_interval(agg);
	for (size_t i = 0; i < ARRAY_SIZE(feed); i++)
		add_n(agg, ev_accept(feed[i].port, 0), feed[i].interval);
	rows = agg__rows(agg, &n);
	assert_int_equal(n, ARRAY_SIZE(want));
	for (size_t i = 0; i < n; i++)
		test_expect(&failures, rows[i]->port == want[i], "row %zu is port %u, want %u", i,
			    rows[i]->port, want[i]);
	test_expect_none(failures);
}

/* With equal activity, lower ports first, on both sides of 32768. */
static void test_tie_order_by_port(void **state)
{
	static const uint16_t ports[] = { 65535, 1, 40000, 32767, 32768, 443 };
	static const uint16_t want[] = { 1, 443, 32767, 32768, 40000, 65535 };
	struct agg *agg = *state;
	struct agg_row **rows;
	size_t n;
	int failures = 0;

	for (size_t i = 0; i < ARRAY_SIZE(ports); i++)
		add_n(agg, ev_accept(ports[i], 0), 1);
	rows = agg__rows(agg, &n);
	assert_int_equal(n, ARRAY_SIZE(want));
	for (size_t i = 0; i < n; i++)
		test_expect(&failures, rows[i]->port == want[i], "row %zu is port %u, want %u", i,
			    rows[i]->port, want[i]);
	test_expect_none(failures);
}

/* 5000 rows grow the hash table many times; each must stay findable after a re-sort. */
static void test_many_rows(void **state)
{
	enum {
		PORTS = 2500
	}; /* each in and out: 5000 rows */
	struct agg *agg = *state;
	static int seen[PORTS + 1][2];
	struct agg_row **rows;
	size_t n;
	int failures = 0;

	memset(seen, 0, sizeof(seen));
	for (int round = 0; round < 2; round++) {
		/* Round 2 adds to rows that agg__rows() has moved around. */
		for (int p = 1; p <= PORTS; p++) {
			add_n(agg, ev_accept((uint16_t)p, 0), 1 + p % 3);
			add_n(agg, ev_connect((uint16_t)p, 0), 1 + p % 5);
		}
		rows = agg__rows(agg, &n);
		assert_int_equal(n, 2 * PORTS);
	}
	for (size_t i = 0; i < n; i++) {
		const struct agg_row *r = rows[i];
		uint64_t want = 2 * (r->dir == DIR_IN ? 1 + r->port % 3 : 1 + r->port % 5);

		test_expect(&failures, r->port >= 1 && r->port <= PORTS && !seen[r->port][r->dir]++,
			    "unexpected or duplicate row %u/%u", r->port, r->dir);
		test_expect(&failures, r->interval.opened == want,
			    "port %u dir %u: opened %llu, want %llu", r->port, r->dir,
			    (unsigned long long)r->interval.opened, (unsigned long long)want);
		test_expect(&failures, !i || interval_activity(r) <= interval_activity(rows[i - 1]),
			    "row %zu out of order", i);
	}
	test_expect_none(failures);
}

static void test_processes(void **state)
{
	static const struct {
		const char *comm;
		uint32_t pid;
		int times;
	} feed[] = {
		{ "nginx", 100, 3 },  { "haproxy", 200, 2 }, { "nginx", 101, 2 },
		{ "envoy", 300, 3 },  { "caddy", 400, 1 },   { "extra1", 500, 2 },
		{ "extra2", 600, 1 }, { "nginx", 102, 1 },   { "", 0, 4 }, /* unknown process */
	};
	static const struct {
		const char *comm;
		uint32_t pid;
		uint64_t count;
	} want[AGG_PROCS] = {
		{ "nginx", 102, 6 },
		{ "envoy", 300, 3 },
		{ "haproxy", 200, 2 },
		{ "caddy", 400, 1 },
	};
	struct agg *agg = *state;
	struct agg_row *row;

	for (size_t i = 0; i < ARRAY_SIZE(feed); i++)
		add_n(agg, with_proc(ev_accept(443, 0), feed[i].comm, feed[i].pid), feed[i].times);
	row = find_row(agg, 443, DIR_IN);
	assert_int_equal(row->interval.opened, 19);
	for (int i = 0; i < AGG_PROCS; i++) {
		assert_string_equal(row->procs[i].comm, want[i].comm);
		assert_int_equal(row->procs[i].pid, want[i].pid);
		assert_int_equal(row->procs[i].count, want[i].count);
	}
	assert_int_equal(row->procs_more, 3); /* extra1 x2, extra2 x1 */
}

/*
 * accept() is not another opened connection: it adds an accept-queue wait
 * sample and names the accepting process. The wait survives the fold into the
 * run, and an interval with only accept() calls in it still counts as active.
 */
static void test_accept_queue_wait(void **state)
{
	struct agg *agg = *state;
	struct agg_row *row;

	add_n(agg, ev_accept(443, 30000), 4);
	add_n(agg, with_proc(ev_accepted(443, 2000000), "nginx", 7), 3);
	row = find_row(agg, 443, DIR_IN);
	assert_int_equal(row->interval.opened, 4);
	assert_int_equal(row->interval.lat->count, 4);
	assert_int_equal(row->interval.wait->count, 3);
	assert_int_equal(hist__percentile(row->interval.wait, 100), 2000000);
	assert_string_equal(row->procs[0].comm, "nginx");
	assert_int_equal(row->procs[0].count, 3);

	agg__next_interval(agg);
	add_n(agg, ev_accepted(443, 1000000), 1); /* the fourth, accepted an interval later */
	row = find_row(agg, 443, DIR_IN);
	assert_true(agg__stats_active(&row->interval));
	assert_int_equal(row->interval.opened, 0);
	assert_int_equal(row->run.opened, 4);
	assert_int_equal(row->run.wait->count, 3);
	agg__next_interval(agg);
	assert_false(agg__stats_active(&row->interval));
	assert_int_equal(row->run.wait->count, 4);
	/* The smallest is reported at its bucket's middle, within 1/64. */
	assert_in_range(hist__percentile(row->run.wait, 1), 1000000 - 1000000 / 64,
			1000000 + 1000000 / 64);
}

/*
 * Lifecycle: closes add lifetime, bytes, retransmits and resets but are not
 * opened connections; connections found at start count as active; ACTIVE is
 * found-at-start + opened - closed over the run, never below 0.
 */
static void test_lifecycle(void **state)
{
	struct agg *agg = *state;
	struct agg_row *row;
	struct event ev;

	add_n(agg,
	      (struct event){ .kind = EV_EXISTING,
			      .dir = DIR_IN,
			      .proto = IPPROTO_TCP,
			      .sport = 443,
			      .dport = TEST_EPHEMERAL },
	      2);
	add_n(agg, ev_accept(443, 30000), 5);
	row = find_row(agg, 443, DIR_IN);
	assert_int_equal(agg__active(&row->run, &row->interval), 7);
	agg__next_interval(agg);

	ev = ev_close(443, DIR_IN, 5000000, 100, 40);
	ev.retrans = 2;
	ev.flags = EVF_RST_RECV;
	add_n(agg, ev, 3);
	add_n(agg, ev_close(443, DIR_IN, 0, 7, 1), 1); /* found at start: no lifetime */
	ev = ev_close(443, DIR_IN, 0, 0, 0);
	ev.kind = EV_RESET;
	ev.flags = EVF_RST_SENT;
	add_n(agg, ev, 1);
	row = find_row(agg, 443, DIR_IN);
	assert_true(agg__stats_active(&row->interval));
	assert_int_equal(row->interval.opened, 0);
	assert_int_equal(row->interval.closed, 4);
	assert_int_equal(row->interval.bytes_sent, 307);
	assert_int_equal(row->interval.bytes_received, 121);
	assert_int_equal(row->interval.retransmits, 6);
	assert_int_equal(row->interval.resets_received, 3);
	assert_int_equal(row->interval.resets_sent, 1);
	assert_int_equal(row->interval.life->count, 3);
	assert_int_equal(hist__percentile(row->interval.life, 100), 5000000);
	assert_int_equal(agg__active(&row->run, &row->interval), 3);
	assert_int_equal(row->procs[0].count, 0); /* closes name no process */
	agg__next_interval(agg);
	assert_int_equal(row->run.closed, 4);
	assert_int_equal(row->run.existing, 2);
	assert_int_equal(row->run.life->count, 3);

	add_n(agg, ev_close(443, DIR_IN, 1000, 0, 0), 5); /* more closes than opens seen */
	assert_int_equal(agg__active(&row->run, &row->interval), 0);
}

/* lost(agg, port, dir, kind, err, flags, events, bytes_sent): the kernel's cumulative count. */
static void lost(struct agg *agg, uint16_t port, uint8_t dir, uint8_t kind, uint16_t err,
		 uint8_t flags, uint64_t events, uint64_t bytes_sent)
{
	struct kind_key key = {
		.port = port, .dir = dir, .kind = kind, .err = err, .flags = flags
	};
	struct lost_counts total = { .events = events, .bytes_sent = bytes_sent };

	assert_int_equal(agg__lost(agg, &key, &total), 0);
}

/* Events lost to a full ring buffer still count where they would have, without samples. */
static void test_lost_events_counted(void **state)
{
	struct agg *agg = *state;
	struct agg_row *out, *in;
	size_t n;

	add_n(agg, ev_connect(443, 1000), 2);
	lost(agg, 443, DIR_OUT, EV_CONNECT_OK, 0, 0, 5, 0);
	lost(agg, 443, DIR_OUT, EV_CONNECT_FAIL, 111, 0, 3, 0); /* ECONNREFUSED */
	lost(agg, 443, DIR_OUT, EV_CLOSE, 0, EVF_RST_SENT, 4, 400);
	lost(agg, 443, DIR_IN, EV_ACCEPTED, 0, 0, 6, 0); /* only a queue-wait sample */
	lost(agg, 443, DIR_IN, EV_LISTEN, 0, 0, 1, 0);	 /* no row of its own */
	out = find_row(agg, 443, DIR_OUT);
	in = find_row(agg, 443, DIR_IN);
	assert_non_null(out);
	assert_non_null(in);
	assert_int_equal(out->interval.opened, 7);
	assert_int_equal(out->interval.lat->count, 2);
	assert_int_equal(out->interval.failed, 3);
	assert_int_equal(out->interval.failed_by[FAIL_REFUSED], 3);
	assert_int_equal(out->interval.closed, 4);
	assert_int_equal(out->interval.resets_sent, 4);
	assert_int_equal(out->interval.bytes_sent, 400);
	assert_int_equal(out->interval.lost, 12);
	assert_int_equal(in->interval.lost, 6);
	assert_int_equal(in->interval.opened, 0);
	assert_true(agg__stats_active(&in->interval));
	agg__rows(agg, &n);
	assert_int_equal(n, 2);
	/* Cumulative: only the growth counts, in the interval it happened. */
	agg__next_interval(agg);
	lost(agg, 443, DIR_OUT, EV_CONNECT_OK, 0, 0, 6, 0);
	out = find_row(agg, 443, DIR_OUT);
	assert_int_equal(out->interval.opened, 1);
	assert_int_equal(out->interval.lost, 1);
	assert_int_equal(out->run.lost, 12);
	assert_int_equal(out->run.opened, 7);
}

/*
 * What bpf/count.bpf.h's event_count() adds to an event's row in the kernel
 * (on one CPU: tracer.c sums the CPUs).
 */
static void kernel_count(struct kind_counts *c, const struct event *ev)
{
	c->n.events++;
	c->n.bytes_sent += ev->bytes_sent;
	c->n.bytes_received += ev->bytes_received;
	c->n.retrans += ev->retrans;
	if (!kind_sampled(ev->kind, ev->lat_ns))
		return;
	if (!c->samples || ev->lat_ns < c->min)
		c->min = ev->lat_ns;
	if (ev->lat_ns > c->max)
		c->max = ev->lat_ns;
	c->samples++;
	c->sum += ev->lat_ns;
	c->buckets[hist_bucket(ev->lat_ns)]++;
}

/* Same counts and buckets; min and max in the same bucket, and exact where exact says. */
static void assert_hist_agrees(const struct hist *sent, const struct hist *counted, bool exact)
{
	if (!sent || !sent->count) {
		assert_true(!counted || !counted->count);
		return;
	}
	assert_non_null(counted);
	assert_int_equal(counted->count, sent->count);
	assert_int_equal(counted->sum, sent->sum);
	assert_memory_equal(counted->buckets, sent->buckets, sizeof(sent->buckets));
	assert_int_equal(hist__bucket(counted->min), hist__bucket(sent->min));
	assert_int_equal(hist__bucket(counted->max), hist__bucket(sent->max));
	if (exact) {
		assert_int_equal(counted->min, sent->min);
		assert_int_equal(counted->max, sent->max);
	}
}

static void assert_stats_agree(const struct agg_stats *sent, const struct agg_stats *counted,
			       bool exact)
{
	assert_int_equal(counted->opened, sent->opened);
	assert_int_equal(counted->failed, sent->failed);
	assert_memory_equal(counted->failed_by, sent->failed_by, sizeof(sent->failed_by));
	assert_int_equal(counted->closed, sent->closed);
	assert_int_equal(counted->bytes_sent, sent->bytes_sent);
	assert_int_equal(counted->bytes_received, sent->bytes_received);
	assert_int_equal(counted->retransmits, sent->retransmits);
	assert_int_equal(counted->resets_sent, sent->resets_sent);
	assert_int_equal(counted->resets_received, sent->resets_received);
	assert_hist_agrees(sent->lat, counted->lat, exact);
	assert_hist_agrees(sent->wait, counted->wait, exact);
	assert_hist_agrees(sent->life, counted->life, exact);
	assert_hist_agrees(sent->resp, counted->resp, exact);
}

/*
 * The same random events, sent (agg__add) and counted in the kernel (read
 * by agg__kind each interval from cumulative counters): every count, sum and
 * bucket is the same per interval, an interval's min and max are in the
 * right bucket, and the run's are exact.
 */
static void test_kernel_counts_agree_with_events(void **state)
{
	struct agg *sent = *state, *counted = agg__new();
	struct event kinds[] = {
		ev_connect(443, 0),
		ev_fail(443, 111),
		ev_accept(80, 0),
		ev_accepted(80, 0),
		ev_close(443, DIR_OUT, 0, 7, 9),
		ev_close(80, DIR_IN, 0, 3, 5),
	};
	enum {
		NKINDS = sizeof(kinds) / sizeof(kinds[0])
	};
	struct kind_counts *kernel = calloc(NKINDS + 1, sizeof(*kernel));
	struct {
		uint16_t port;
		uint8_t proto, dir;
	} rows[] = {
		{ 443, IPPROTO_TCP, DIR_OUT },
		{ 80, IPPROTO_TCP, DIR_IN },
		{ 53, IPPROTO_UDP, DIR_OUT },
	};
	struct event udp = ev_connect(53, 0);

	assert_non_null(counted);
	assert_non_null(kernel);
	udp.kind = EV_UDP_RESPONSE;
	udp.proto = IPPROTO_UDP;
	kinds[5].flags = EVF_RST_RECV;
	srand48(7);
	for (int interval = 0; interval < 4; interval++) {
		uint64_t n = 0, grew_all = 0;

		for (int i = 0; i < 500; i++) {
			int k = (int)(lrand48() % (NKINDS + 1));
			struct event ev = k < NKINDS ? kinds[k] : udp;

			/* Log-uniform up to ~17 s; some opens and closes without a sample. */
			ev.lat_ns = (uint64_t)exp(drand48() * 24);
			if (lrand48() % 8 == 0 && ev.kind != EV_ACCEPTED &&
			    ev.kind != EV_UDP_RESPONSE)
				ev.lat_ns = 0;
			ev.retrans = ev.kind == EV_CLOSE ? (uint32_t)(lrand48() % 3) : 0;
			assert_int_equal(agg__add(sent, &ev), 0);
			kernel_count(&kernel[k], &ev);
			n++;
		}
		for (int k = 0; k <= NKINDS; k++) {
			const struct event *ev = k < NKINDS ? &kinds[k] : &udp;
			struct kind_key key = { .port = agg__service_port(ev),
						.dir = ev->dir,
						.kind = ev->kind,
						.err = ev->err,
						.flags = ev->flags };
			uint64_t grew;

			assert_int_equal(agg__kind(counted, &key, &kernel[k], &grew), 0);
			grew_all += grew;
		}
		assert_int_equal(grew_all, n);
		for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
			struct agg_row *a =
				find_row_proto(sent, rows[r].port, rows[r].proto, rows[r].dir);
			struct agg_row *b =
				find_row_proto(counted, rows[r].port, rows[r].proto, rows[r].dir);

			assert_non_null(a);
			assert_non_null(b);
			assert_stats_agree(&a->interval, &b->interval, interval == 0);
			assert_stats_agree(&a->run, &b->run, true);
		}
		agg__next_interval(sent);
		agg__next_interval(counted);
	}
	free(kernel);
	agg__free(counted);
}

/* Owners counted in the kernel: each reading adds its growth under the name. */
static void test_kernel_counted_owners(void **state)
{
	struct agg *agg = *state;
	struct proc_key curl = {
		.comm = "curl", .port = 443, .dir = DIR_OUT, .proto = IPPROTO_TCP
	};
	struct proc_key wget = curl;
	struct agg_row *out;

	memcpy(wget.comm, "wget", 5);
	add_n(agg, with_proc(ev_connect(443, 1000), "curl", 10), 2);
	assert_int_equal(agg__proc(agg, &curl, 5, 11, 1100), 0);
	assert_int_equal(agg__proc(agg, &wget, 1, 12, 1200), 0);
	assert_int_equal(agg__proc(agg, &curl, 8, 13, 1300), 0); /* 3 more */
	assert_int_equal(agg__proc(agg, &wget, 1, 14, 1400), 0); /* none more: pid kept */
	out = find_row(agg, 443, DIR_OUT);
	assert_non_null(out);
	assert_string_equal(out->procs[0].comm, "curl");
	assert_int_equal(out->procs[0].count, 10);
	assert_int_equal(out->procs[0].pid, 13);
	assert_string_equal(out->procs[1].comm, "wget");
	assert_int_equal(out->procs[1].count, 1);
	assert_int_equal(out->procs[1].pid, 12);
}

static struct owner_slot slot_of(const char *comm, uint64_t events, uint32_t pid)
{
	struct owner_slot s = { .events = events, .pid = pid, .ts_ns = pid * 100 };

	strncpy((char *)s.comm, comm, sizeof(s.comm));
	return s;
}

/*
 * Owners in kind rows' slots: each (row, CPU) slot grows on its own, a name's
 * slots and its proc_rows entry add up under the one name, per row, and the
 * pid shown is the latest by time, whichever place it was read from last.
 */
static void test_kernel_owner_slots(void **state)
{
	struct agg *agg = *state;
	struct kind_key ok = { .port = 443, .dir = DIR_OUT, .kind = EV_CONNECT_OK };
	struct kind_key fail = ok, resp = { .port = 53, .dir = DIR_OUT, .kind = EV_UDP_RESPONSE };
	struct proc_key curl = {
		.comm = "curl", .port = 443, .dir = DIR_OUT, .proto = IPPROTO_TCP
	};
	struct owner_slot s;
	struct agg_row *out, *dns;

	fail.kind = EV_CONNECT_FAIL;
	fail.err = ECONNREFUSED;
	s = slot_of("curl", 5, 21);
	assert_int_equal(agg__owner(agg, &ok, 0, &s), 0);
	s = slot_of("curl", 3, 22);
	assert_int_equal(agg__owner(agg, &ok, 1, &s), 0);
	s = slot_of("curl", 2, 23);
	assert_int_equal(agg__owner(agg, &fail, 0, &s), 0);
	assert_int_equal(agg__proc(agg, &curl, 4, 24, 2400), 0);
	s = slot_of("wget", 6, 25);
	assert_int_equal(agg__owner(agg, &fail, 1, &s), 0);
	s = slot_of("dig", 9, 26);
	assert_int_equal(agg__owner(agg, &resp, 1, &s), 0);
	/* The next reading: only what each source grew by. */
	s = slot_of("curl", 7, 27);
	assert_int_equal(agg__owner(agg, &ok, 0, &s), 0); /* 2 more */
	s = slot_of("curl", 3, 22);
	assert_int_equal(agg__owner(agg, &ok, 1, &s), 0);	 /* none */
	assert_int_equal(agg__proc(agg, &curl, 5, 28, 2000), 0); /* 1 more, not the latest */
	out = find_row(agg, 443, DIR_OUT);
	assert_non_null(out);
	assert_string_equal(out->procs[0].comm, "curl");
	assert_int_equal(out->procs[0].count, 5 + 3 + 2 + 4 + 2 + 1);
	assert_int_equal(out->procs[0].pid, 27);
	assert_string_equal(out->procs[1].comm, "wget");
	assert_int_equal(out->procs[1].count, 6);
	dns = find_row_proto(agg, 53, IPPROTO_UDP, DIR_OUT);
	assert_non_null(dns);
	assert_string_equal(dns->procs[0].comm, "dig");
	assert_int_equal(dns->procs[0].count, 9);
}

static void test_empty_and_free_null(void **state)
{
	assert_int_equal(row_count(*state), 0);
	agg__next_interval(*state);
	agg__free(NULL);
}

int main(void)
{
#define AGG_TEST(f) cmocka_unit_test_setup_teardown(f, agg_setup, agg_teardown)
	const struct CMUnitTest tests[] = {
		AGG_TEST(test_accept_is_local_port_in),
		AGG_TEST(test_connect_is_remote_port_out),
		AGG_TEST(test_ephemeral_ports_never_rows),
		AGG_TEST(test_connect_fail_reasons),
		AGG_TEST(test_zero_latency_is_no_sample),
		AGG_TEST(test_next_interval_folds_into_run),
		AGG_TEST(test_row_order),
		AGG_TEST(test_tie_order_by_port),
		AGG_TEST(test_many_rows),
		AGG_TEST(test_accept_queue_wait),
		AGG_TEST(test_lifecycle),
		AGG_TEST(test_processes),
		AGG_TEST(test_lost_events_counted),
		AGG_TEST(test_kernel_owner_slots),
		AGG_TEST(test_kernel_counts_agree_with_events),
		AGG_TEST(test_kernel_counted_owners),
		AGG_TEST(test_empty_and_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
