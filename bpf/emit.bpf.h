/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How an event reaches user space: the ring buffer, and when it is full the
 * kernel-side counters that keep the counts exact. Apart from the other maps
 * (maps.bpf.h) so that bench/floor.bpf.c sends its records the same way.
 */
#ifndef EMIT_BPF_H
#define EMIT_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "socktrace.h"

#define MAX_LOST_ROWS 4096	/* (row, kind) pairs with events lost to a full ring buffer */
#define RINGBUF_BYTES (1 << 20) /* default; user space may resize it (--ring-buffer) */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Per CPU: the lost path of one CPU never waits for another (event_lost()). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_LOST_ROWS);
	__type(key, struct kind_key);
	__type(value, struct lost_counts);
} lost_rows SEC(".maps");

/*
 * Events are submitted without waking user space, which drains the buffer on
 * a short timer (user/main.c POLL_MAX_MS): one wake-up per batch instead of
 * one per event. Past this much unread data (an eighth of the buffer, set by
 * user space) every submit wakes it, so a burst is drained long before the
 * buffer is full.
 */
const volatile __u64 wakeup_bytes = RINGBUF_BYTES / 8;

/*
 * The value at key, made from init if there is none yet; NULL when the map is
 * full. A failed insert may be another CPU's that came first: look again.
 */
static __always_inline void *map_lookup_or_init(void *map, const void *key, const void *init)
{
	void *val = bpf_map_lookup_elem(map, key);

	if (val)
		return val;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

/*
 * A locked add, though the slot is this CPU's: a program in a softirq can run
 * inside another one interrupted in a process on this CPU (README, Overload),
 * and several programs count some slots. Every slot counts something rare.
 */
static __always_inline void stat_inc(__u32 slot)
{
	__u64 *val = bpf_map_lookup_elem(&stats, &slot);

	if (val)
		__sync_fetch_and_add(val, 1);
}

/* The row and kind an event counts under: the service port, local for "in", remote for "out". */
static __always_inline struct kind_key event_kind_key(const struct event *e)
{
	struct kind_key key = {
		.port = e->dir == DIR_IN ? e->sport : e->dport,
		.dir = e->dir,
		.kind = e->kind,
		.err = e->err,
		.flags = e->flags,
	};

	return key;
}

/*
 * An event the ring buffer had no room for, counted under its row. Every
 * program comes here, two of them maybe on one row and CPU at once (as
 * stat_inc()): locked adds, so that neither count is lost. Only a full ring
 * buffer takes this path.
 */
static __always_inline void event_lost(const struct event *e)
{
	struct kind_key key = event_kind_key(e);
	struct lost_counts *cnt, zero = {};

	stat_inc(STAT_RB_FULL);
	cnt = map_lookup_or_init(&lost_rows, &key, &zero);
	if (!cnt)
		return; /* more rows than MAX_LOST_ROWS: still in STAT_RB_FULL */
	__sync_fetch_and_add(&cnt->events, 1);
	__sync_fetch_and_add(&cnt->bytes_sent, e->bytes_sent);
	__sync_fetch_and_add(&cnt->bytes_received, e->bytes_received);
	__sync_fetch_and_add(&cnt->retrans, e->retrans);
}

/*
 * Hand an event, built on the stack, to user space (see wakeup_bytes); when
 * the ring buffer is full, count what it would have counted instead.
 */
static __always_inline void event_emit(const struct event *e)
{
	__u64 unread = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 flags = unread >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_output(&events, (void *)e, sizeof(*e), flags))
		event_lost(e);
}

#endif /* EMIT_BPF_H */
