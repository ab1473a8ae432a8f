/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Counting in the kernel: unless user space wants every event (--events,
 * --every-event), an event is not sent at all but added to its row's
 * counters and latency histogram (map kind_hot or kind_rows) and to its
 * owner's count (the row's slot, or map proc_rows), per CPU, and user space
 * reads the growth each interval. A storm connection then costs a few map lookups instead of
 * four records through the ring buffer's lock. A row that finds kind_rows
 * full is sent as an event, as before.
 */
#ifndef COUNT_BPF_H
#define COUNT_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "socktrace.h"
#include "emit.bpf.h"
#include "sock.bpf.h"

#define MAX_KIND_ROWS 1024 /* (row, kind, err, flags) counted; fewer on many CPUs */

/* Set by user space before load: false with --events, which prints each event. */
const volatile bool count_in_kernel = false;

/* Allocated on first use: a value is ~5 KB per CPU, and most keys never occur. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_KIND_ROWS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct kind_key);
	__type(value, struct kind_counts);
} kind_rows SEC(".maps");

/* A new kind_rows value starts from here: it is too large for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kind_counts);
} kind_zero SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_PROC_ROWS);
	__type(key, struct proc_key);
	__type(value, struct proc_counts);
} proc_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KIND_HOT_SLOTS);
	__type(key, __u32);
	__type(value, struct kind_hot);
} kind_hot SEC(".maps");

/* kind_hot's max_entries less one, as user space sized it. */
const volatile __u32 kind_hot_mask = KIND_HOT_SLOTS - 1;

#define KIND_HOT_PROBES 2 /* slots a key tries, from its own */

/*
 * key's row in kind_hot on this CPU (socktrace.h), taking a free slot if it
 * has none; NULL when the slots it may take are others'. Only
 * tp_inet_sock_set_state counts the kinds kept here (kind_is_hot()), and a
 * program does not nest in itself on a CPU: no other writer comes between
 * finding a slot free and taking it, so plain stores do.
 */
static __always_inline struct kind_counts *kind_hot_row(const struct kind_key *key)
{
	struct kind_key mine = *key;
	struct kind_hot *h;
	__u64 k;
	__u32 home, idx;

	_Static_assert(sizeof(mine) == sizeof(k), "kind_key: one word");
	mine.pad = KIND_KEY_HOT;
	k = *(__u64 *)&mine;
	home = (__u32)((k * 0x9E3779B97F4A7C15ULL) >> 32); /* Fibonacci hashing */
	for (int i = 0; i < KIND_HOT_PROBES; i++) {
		idx = (home + i) & kind_hot_mask;
		h = bpf_map_lookup_elem(&kind_hot, &idx);
		if (!h)
			return NULL;
		if (*(__u64 *)&h->key == k)
			return &h->c;
		if (!*(__u64 *)&h->key) {
			*(__u64 *)&h->key = k; /* one store: user space never sees half a key */
			return &h->c;
		}
	}
	return NULL;
}

/*
 * Count e under its owner in its kind row's slot, if the slot is this name's
 * or free (the row's first name on this CPU takes it for good); false for
 * another name. Only one program writes a row on a CPU (its kind's hook), and
 * a program does not nest in itself, so plain stores do, but for the first
 * count: a locked add, so that the name is stored before the count that makes
 * user space read it (tracer.c kind_row()).
 */
static __always_inline bool owner_slot_count(struct owner_slot *s, const struct event *e)
{
	const __u64 *name = (const __u64 *)e->comm;
	__u64 *mine = (__u64 *)s->comm;

	if (!s->events) {
		mine[0] = name[0];
		mine[1] = name[1];
		s->ts_ns = e->ts_ns;
		s->pid = e->pid;
		__sync_fetch_and_add(&s->events, 1);
		return true;
	}
	if (mine[0] != name[0] || mine[1] != name[1])
		return false;
	s->events++;
	s->ts_ns = e->ts_ns;
	s->pid = e->pid;
	return true;
}

/*
 * The owner's count: in the row's slot when it can, else in proc_rows. Past
 * MAX_PROC_ROWS (row, name) pairs there a new name is not counted under its
 * owner (its event still is, in its row): STAT_PROC_FULL says how many, for
 * the summary.
 */
static __always_inline void proc_count(const struct event *e, __u16 port, struct owner_slot *slot)
{
	struct proc_key key = { .port = port, .dir = e->dir, .proto = e->proto };
	struct proc_counts *p, zero = {};

	if (owner_slot_count(slot, e))
		return;
	__builtin_memcpy(key.comm, e->comm, TASK_COMM_LEN);
	p = map_lookup_or_init(&proc_rows, &key, &zero);
	if (!p) {
		stat_inc(STAT_PROC_FULL);
		return;
	}
	p->events++;
	p->ts_ns = e->ts_ns;
	p->pid = e->pid;
}

/* Count one event, and what a close carried (its kind row). */
static __always_inline void event_add(struct lost_counts *cnt, const struct event *e)
{
	cnt->events++;
	cnt->bytes_sent += e->bytes_sent;
	cnt->bytes_received += e->bytes_received;
	cnt->retrans += e->retrans;
}

/* Count e under its row in the kernel; false when its row has no room (send it instead). */
static __always_inline bool event_count(const struct event *e)
{
	struct kind_key key = event_kind_key(e);
	struct kind_counts *cnt, *zero;
	__u64 b;
	__u32 idx = 0;

	cnt = kind_is_hot(e->kind) ? kind_hot_row(&key) : NULL;
	if (!cnt)
		cnt = bpf_map_lookup_elem(&kind_rows, &key);
	if (!cnt) {
		zero = bpf_map_lookup_elem(&kind_zero, &idx);
		if (!zero)
			return false;
		cnt = map_lookup_or_init(&kind_rows, &key, zero);
		if (!cnt)
			return false;
	}
	event_add(&cnt->n, e);
	if (kind_sampled(e->kind, e->lat_ns)) {
		if (!cnt->samples || e->lat_ns < cnt->min)
			cnt->min = e->lat_ns;
		if (e->lat_ns > cnt->max)
			cnt->max = e->lat_ns;
		cnt->samples++;
		cnt->sum += e->lat_ns;
		/*
		 * 64 bits, and pinned to one register past the check: older
		 * verifiers (6.1) lose the bound when clang checks one copy and
		 * indexes with another, zero-extended again.
		 */
		b = hist_bucket(e->lat_ns);
		barrier_var(b);
		if (b < HIST_BUCKETS)
			cnt->buckets[b]++;
	}
	if (e->pid && kind_names_owner(e->kind))
		proc_count(e, key.port, &cnt->owner);
	return true;
}

/*
 * An event on sk for user space's counts: counted here when it may be, sent
 * through the ring buffer when every event is wanted or its row has no room;
 * only a sent one needs sk's namespace.
 */
static __always_inline void event_report(struct event *e, const struct sock *sk)
{
	if (count_in_kernel && event_count(e))
		return;
	e->netns = sk_netns(sk);
	event_emit(e);
}

#endif /* COUNT_BPF_H */
