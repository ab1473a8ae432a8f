// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include "agg.h"
#include "seen.h"

/* Open addressing over row indices; the table is kept at most half full. */
struct agg {
	struct agg_row **rows;
	size_t n, cap;
	struct agg_row **slots; /* the rows, hashed by key; NULL = empty */
	size_t nslots;		/* power of two */
	/* The kernel's counters at the last reading, for their growth: */
	struct seen *lost;   /* kind_key -> lost_counts (agg__lost()) */
	struct seen *kinds;  /* kind_key -> kind_counts (agg__kind()) */
	struct seen *procs;  /* proc_key -> events (agg__proc()) */
	struct seen *owners; /* owner_src -> events (agg__owner()) */
};

/* A kind row's owner slot on one CPU. */
struct owner_src {
	struct kind_key key;
	__u32 cpu;
};

static uint32_t row_key(uint16_t port, uint8_t proto, uint8_t dir)
{
	return (uint32_t)port << 16 | (uint32_t)proto << 8 | dir;
}

static size_t key_slot(uint32_t key, size_t nslots)
{
	return (key * 2654435761u) & (nslots - 1); /* Knuth's multiplicative hash */
}

struct agg *agg__new(void)
{
	struct agg *agg = calloc(1, sizeof(*agg));

	if (!agg)
		return NULL;
	agg->nslots = 64;
	agg->slots = calloc(agg->nslots, sizeof(*agg->slots));
	agg->lost = seen__new(sizeof(struct kind_key), sizeof(struct lost_counts));
	agg->kinds = seen__new(sizeof(struct kind_key), sizeof(struct kind_counts));
	agg->procs = seen__new(sizeof(struct proc_key), sizeof(__u64));
	agg->owners = seen__new(sizeof(struct owner_src), sizeof(__u64));
	if (!agg->slots || !agg->lost || !agg->kinds || !agg->procs || !agg->owners) {
		agg__free(agg);
		return NULL;
	}
	return agg;
}

static void stats_free(struct agg_stats *st)
{
	free(st->lat);
	free(st->wait);
	free(st->life);
	free(st->resp);
}

/* Add a sample to a histogram allocated on first use; 0 or -ENOMEM. */
static int sample_add(struct hist **h, uint64_t v)
{
	if (!*h && !(*h = calloc(1, sizeof(**h))))
		return -ENOMEM;
	hist__add(*h, v);
	return 0;
}

/* Fold an interval's histogram into the run's, handing it over when the run has none. */
static void sample_fold(struct hist **run, struct hist **iv)
{
	if (!*iv || !(*iv)->count)
		return;
	if (!*run) {
		*run = *iv;
		*iv = NULL;
		return;
	}
	hist__merge(*run, *iv);
	hist__reset(*iv);
}

void agg__free(struct agg *agg)
{
	if (!agg)
		return;
	for (size_t i = 0; i < agg->n; i++) {
		stats_free(&agg->rows[i]->interval);
		stats_free(&agg->rows[i]->run);
		free(agg->rows[i]);
	}
	free(agg->rows);
	free(agg->slots);
	seen__free(agg->lost);
	seen__free(agg->kinds);
	seen__free(agg->procs);
	seen__free(agg->owners);
	free(agg);
}

static int slots_grow(struct agg *agg)
{
	size_t nslots = agg->nslots * 2;
	struct agg_row **slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < agg->n; i++) {
		struct agg_row *r = agg->rows[i];
		size_t s = key_slot(row_key(r->port, r->proto, r->dir), nslots);

		while (slots[s])
			s = (s + 1) & (nslots - 1);
		slots[s] = r;
	}
	free(agg->slots);
	agg->slots = slots;
	agg->nslots = nslots;
	return 0;
}

static struct agg_row *row_new(struct agg *agg, uint16_t port, uint8_t proto, uint8_t dir)
{
	struct agg_row *row;

	if (agg->n == agg->cap) {
		size_t cap = agg->cap ? agg->cap * 2 : 16;
		struct agg_row **rows = realloc(agg->rows, cap * sizeof(*rows));

		if (!rows)
			return NULL;
		agg->rows = rows;
		agg->cap = cap;
	}
	row = calloc(1, sizeof(*row));
	if (!row)
		return NULL;
	row->port = port;
	row->proto = proto;
	row->dir = dir;
	agg->rows[agg->n++] = row;
	return row;
}

/* The row for (port, proto, dir), created on first use; NULL when out of memory. */
static struct agg_row *row_get(struct agg *agg, uint16_t port, uint8_t proto, uint8_t dir)
{
	uint32_t key = row_key(port, proto, dir);
	size_t s = key_slot(key, agg->nslots);
	struct agg_row *row;

	for (; (row = agg->slots[s]); s = (s + 1) & (agg->nslots - 1)) {
		if (row_key(row->port, row->proto, row->dir) == key)
			return row;
	}
	if ((agg->n + 1) * 2 > agg->nslots) {
		if (slots_grow(agg))
			return NULL;
		return row_get(agg, port, proto, dir); /* slot positions moved */
	}
	row = row_new(agg, port, proto, dir);
	if (row)
		agg->slots[s] = row;
	return row;
}

/*
 * Count n events of a process under its name, the latest of them by pid at
 * ts_ns (one name's counts come from several places, in no order of time);
 * names past AGG_PROCS go to procs_more.
 */
static void procs_add(struct agg_row *row, const __u8 comm[TASK_COMM_LEN], uint32_t pid,
		      uint64_t ts_ns, uint64_t n)
{
	for (int i = 0; i < AGG_PROCS; i++) {
		struct agg_proc *p = &row->procs[i];

		if (p->count && strncmp(p->comm, (const char *)comm, sizeof(p->comm)))
			continue;
		if (!p->count)
			memcpy(p->comm, comm, sizeof(p->comm));
		if (ts_ns >= p->pid_ns) {
			p->pid = pid;
			p->pid_ns = ts_ns;
		}
		p->count += n;
		return;
	}
	row->procs_more += n;
}

/*
 * The counters n events of this kind (with this err and flags) add to; the
 * same for events received and for those the kernel counted as lost.
 */
static void count_kind(struct agg_stats *st, __u8 kind, __u32 err, __u8 flags, uint64_t n)
{
	switch (kind) {
	case EV_CONNECT_OK:
	case EV_ACCEPT:
		st->opened += n;
		break;
	case EV_CONNECT_FAIL:
		st->failed += n;
		st->failed_by[fail_reason__from_errno(err)] += n;
		break;
	case EV_CLOSE:
		st->closed += n;
		/* a close can carry resets */
		__attribute__((fallthrough));
	case EV_RESET:
		st->resets_sent += flags & EVF_RST_SENT ? n : 0;
		st->resets_received += flags & EVF_RST_RECV ? n : 0;
		break;
	case EV_EXISTING:
		st->existing += n;
		break;
	}
}

/* The histogram an event kind's latency samples go to (kind_sampled()); NULL: none. */
static struct hist **kind_hist(struct agg_stats *st, __u8 kind)
{
	switch (kind) {
	case EV_CONNECT_OK:
	case EV_ACCEPT:
		return &st->lat;
	case EV_ACCEPTED:
		return &st->wait;
	case EV_CLOSE:
		return &st->life;
	case EV_UDP_RESPONSE:
		return &st->resp;
	}
	return NULL;
}

/* The event's latency sample, in the histogram its kind feeds; 0 or -ENOMEM. */
static int sample_event(struct agg_stats *st, const struct event *ev)
{
	struct hist **h = kind_hist(st, ev->kind);

	return h && kind_sampled(ev->kind, ev->lat_ns) ? sample_add(h, ev->lat_ns) : 0;
}

int agg__add(struct agg *agg, const struct event *ev)
{
	struct agg_row *row = row_get(agg, agg__service_port(ev), ev->proto, ev->dir);
	struct agg_stats *st;

	if (!row)
		return -ENOMEM;
	st = &row->interval;
	if (sample_event(st, ev))
		return -ENOMEM;
	count_kind(st, ev->kind, ev->err, ev->flags, 1);
	if (ev->kind == EV_CLOSE) {
		st->bytes_sent += ev->bytes_sent;
		st->bytes_received += ev->bytes_received;
		st->retransmits += ev->retrans;
	}
	/* Closes and resets: the owner was counted when the connection opened. */
	if (ev->pid && kind_names_owner(ev->kind))
		procs_add(row, ev->comm, ev->pid, ev->ts_ns, 1);
	return 0;
}

/* What grew since the last reading (a counter never goes back; if it did, take it whole). */
static uint64_t growth(__u64 now, __u64 *seen)
{
	__u64 d = now >= *seen ? now - *seen : now;

	*seen = now;
	return d;
}

int agg__udp(struct agg *agg, uint16_t port, uint8_t dir, const struct udp_counts *total)
{
	struct agg_row *row = row_get(agg, port, IPPROTO_UDP, dir);
	struct udp_counts *seen;
	struct agg_stats *st;

	if (!row)
		return -ENOMEM;
	seen = &row->udp_seen;
	st = &row->interval;
	st->datagrams_sent += growth(total->datagrams_sent, &seen->datagrams_sent);
	st->bytes_sent += growth(total->bytes_sent, &seen->bytes_sent);
	st->datagrams_received += growth(total->datagrams_received, &seen->datagrams_received);
	st->bytes_received += growth(total->bytes_received, &seen->bytes_received);
	st->send_errors += growth(total->send_errors, &seen->send_errors);
	seen->peers = total->peers; /* levels since start, not growth */
	seen->peers_unknown = total->peers_unknown;
	return 0;
}

/* The row a kind_key counts under: UDP for responses, TCP for the rest. */
static struct agg_row *kind_row(struct agg *agg, const struct kind_key *key)
{
	uint8_t proto = key->kind == EV_UDP_RESPONSE ? IPPROTO_UDP : IPPROTO_TCP;

	return row_get(agg, key->port, proto, key->dir);
}

/*
 * Add what a kind_key's cumulative counters grew by since seen into st, as
 * that many events would have counted; seen catches up. Returns the events.
 */
static uint64_t kind_grow(struct agg_stats *st, const struct kind_key *key,
			  const struct lost_counts *total, struct lost_counts *seen)
{
	uint64_t n = growth(total->events, &seen->events);

	count_kind(st, key->kind, key->err, key->flags, n);
	st->bytes_sent += growth(total->bytes_sent, &seen->bytes_sent);
	st->bytes_received += growth(total->bytes_received, &seen->bytes_received);
	st->retransmits += growth(total->retrans, &seen->retrans);
	return n;
}

int agg__lost(struct agg *agg, const struct kind_key *key, const struct lost_counts *total)
{
	struct lost_counts *seen;
	struct agg_row *row;

	/* A lost listen or unlisten leaves the LISTEN block stale: only the total says so. */
	if (key->kind == EV_LISTEN || key->kind == EV_LISTEN_CLOSE)
		return 0;
	seen = seen__get(agg->lost, key);
	row = seen ? kind_row(agg, key) : NULL;
	if (!row)
		return -ENOMEM;
	row->interval.lost += kind_grow(&row->interval, key, total, seen);
	return 0;
}

/*
 * The range of the samples a reading added, whose histogram says only their
 * buckets: where the run's min (max) moved, the new one is exact; else the
 * new samples lie between the old min and max, within their buckets.
 */
static void delta_range(const struct kind_counts *now, const struct kind_counts *seen, uint64_t *lo,
			uint64_t *hi)
{
	unsigned int first = HIST_BUCKETS, last = 0;

	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		if (now->buckets[i] == seen->buckets[i])
			continue;
		if (first == HIST_BUCKETS)
			first = i;
		last = i;
	}
	if (!seen->samples || now->min < seen->min)
		*lo = now->min;
	else
		*lo = first < HIST_BUCKETS && hist__bucket_low(first) > seen->min
			      ? hist__bucket_low(first)
			      : seen->min;
	if (now->max > seen->max)
		*hi = now->max;
	else
		*hi = hist__bucket_high(last) < seen->max ? hist__bucket_high(last) : seen->max;
}

/*
 * Add the samples a kind_rows reading grew by to h (allocated on first use);
 * 0 or -ENOMEM. Counted by their buckets, not by `samples`: a CPU's value is
 * copied while its probe may be writing it, so a reading can have a sample's
 * bucket and not yet its count (or the other way round), and a bucket must
 * not be lost that way.
 */
static int samples_grow(struct hist **h, const struct kind_counts *now,
			const struct kind_counts *seen)
{
	uint64_t n = 0, lo, hi;
	bool empty;

	for (unsigned int i = 0; i < HIST_BUCKETS; i++)
		n += (uint32_t)(now->buckets[i] - seen->buckets[i]);
	if (!n)
		return 0;
	if (!*h && !(*h = calloc(1, sizeof(**h))))
		return -ENOMEM;
	empty = !(*h)->count;
	delta_range(now, seen, &lo, &hi);
	for (unsigned int i = 0; i < HIST_BUCKETS; i++)
		hist__add_bucket(*h, i, (uint32_t)(now->buckets[i] - seen->buckets[i]));
	(*h)->sum += now->sum - seen->sum;
	if (empty || lo < (*h)->min)
		(*h)->min = lo;
	if (hi > (*h)->max)
		(*h)->max = hi;
	return 0;
}

int agg__kind(struct agg *agg, const struct kind_key *key, const struct kind_counts *total,
	      uint64_t *grew)
{
	struct kind_counts *seen = seen__get(agg->kinds, key);
	struct agg_row *row = seen ? kind_row(agg, key) : NULL;
	struct hist **h;

	*grew = 0;
	if (!row)
		return -ENOMEM;
	h = kind_hist(&row->interval, key->kind);
	if (h && samples_grow(h, total, seen))
		return -ENOMEM;
	*grew = kind_grow(&row->interval, key, &total->n, &seen->n);
	*seen = *total; /* the histogram's part too (kind_grow() did the counters) */
	return 0;
}

/*
 * An owner's cumulative count as the kernel keeps it, counted on row by its
 * growth since seen (the last reading); row or seen NULL: out of memory.
 */
static int procs_grow(struct agg_row *row, __u64 *seen, const __u8 comm[TASK_COMM_LEN],
		      uint32_t pid, uint64_t ts_ns, uint64_t events)
{
	uint64_t n;

	if (!seen || !row)
		return -ENOMEM;
	n = growth(events, seen);
	if (n)
		procs_add(row, comm, pid, ts_ns, n);
	return 0;
}

int agg__proc(struct agg *agg, const struct proc_key *key, uint64_t events, uint32_t pid,
	      uint64_t ts_ns)
{
	__u64 *seen = seen__get(agg->procs, key);

	return procs_grow(seen ? row_get(agg, key->port, key->proto, key->dir) : NULL, seen,
			  key->comm, pid, ts_ns, events);
}

int agg__owner(struct agg *agg, const struct kind_key *key, uint32_t cpu,
	       const struct owner_slot *slot)
{
	struct owner_src src = { .key = *key, .cpu = cpu };
	__u64 *seen = seen__get(agg->owners, &src);

	return procs_grow(seen ? kind_row(agg, key) : NULL, seen, slot->comm, slot->pid,
			  slot->ts_ns, slot->events);
}

static uint64_t activity(const struct agg_stats *st)
{
	return st->opened + st->failed + st->datagrams_sent + st->datagrams_received;
}

static int row_cmp(const void *a, const void *b)
{
	const struct agg_row *x = *(const struct agg_row *const *)a;
	const struct agg_row *y = *(const struct agg_row *const *)b;
	uint64_t xi = activity(&x->interval), yi = activity(&y->interval);
	uint64_t xr = activity(&x->run) + xi, yr = activity(&y->run) + yi;
	uint32_t kx = row_key(x->port, x->proto, x->dir), ky = row_key(y->port, y->proto, y->dir);

	if (xi != yi)
		return xi > yi ? -1 : 1;
	if (xr != yr)
		return xr > yr ? -1 : 1;
	return kx < ky ? -1 : kx > ky; /* unsigned: ports >= 32768 must not overflow */
}

static int proc_cmp(const void *a, const void *b)
{
	const struct agg_proc *x = a, *y = b;

	return x->count == y->count ? 0 : x->count > y->count ? -1 : 1;
}

struct agg_row **agg__rows(struct agg *agg, size_t *n)
{
	/* The hash slots point at rows, not positions: sorting leaves them valid. */
	if (agg->n)
		qsort(agg->rows, agg->n, sizeof(*agg->rows), row_cmp);
	for (size_t i = 0; i < agg->n; i++)
		qsort(agg->rows[i]->procs, AGG_PROCS, sizeof(agg->rows[i]->procs[0]), proc_cmp);
	*n = agg->n;
	return agg->rows;
}

static void stats_fold(struct agg_stats *run, struct agg_stats *iv)
{
	run->opened += iv->opened;
	run->failed += iv->failed;
	for (int i = 0; i < FAIL_MAX; i++)
		run->failed_by[i] += iv->failed_by[i];
	run->closed += iv->closed;
	run->existing += iv->existing;
	run->bytes_sent += iv->bytes_sent;
	run->bytes_received += iv->bytes_received;
	run->retransmits += iv->retransmits;
	run->resets_sent += iv->resets_sent;
	run->resets_received += iv->resets_received;
	sample_fold(&run->lat, &iv->lat);
	sample_fold(&run->wait, &iv->wait);
	sample_fold(&run->life, &iv->life);
	sample_fold(&run->resp, &iv->resp);
	run->datagrams_sent += iv->datagrams_sent;
	run->datagrams_received += iv->datagrams_received;
	run->send_errors += iv->send_errors;
	run->lost += iv->lost;
	iv->lost = 0;
	iv->datagrams_sent = iv->datagrams_received = iv->send_errors = 0;
	iv->opened = iv->failed = iv->closed = iv->existing = 0;
	iv->bytes_sent = iv->bytes_received = iv->retransmits = 0;
	iv->resets_sent = iv->resets_received = 0;
	memset(iv->failed_by, 0, sizeof(iv->failed_by));
}

void agg__next_interval(struct agg *agg)
{
	for (size_t i = 0; i < agg->n; i++)
		stats_fold(&agg->rows[i]->run, &agg->rows[i]->interval);
}
