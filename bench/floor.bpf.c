// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The benchmark's floor, and the steps up from it: programs on the
 * tracepoints socktrace's tracepoint backend uses (bpf/socktrace.bpf.c) that
 * do one thing each, set before load (bench/floor.c):
 *
 *   FLOOR_EMPTY  return at once: the price of any BPF program on these hooks;
 *   FLOOR_COUNT  add one to a per-CPU counter per hit: a tracer that counts,
 *                like a bpftrace count() but with no hash lookup;
 *   FLOOR_RING   count, and send one record the size of socktrace's event
 *                through a ring buffer for each TCP change to ESTABLISHED or
 *                CLOSE: the events a storm connection gives socktrace
 *                (connected, accepted, two closes), at the price of the ring
 *                buffer alone.
 *
 * A storm's throughput under each, next to socktrace's, shows what its cost is
 * made of (BENCHMARKS.md). The untaken branches are removed at load time.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "core_fixes.bpf.h"
#include "socktrace.h"
#include "floor.h"

#define RINGBUF_BYTES (1 << 20) /* socktrace's default */

const volatile __u32 mode = FLOOR_EMPTY;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLOOR_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
} records SEC(".maps");

static __always_inline void stat_inc(__u32 slot)
{
	__u64 *val = bpf_map_lookup_elem(&stats, &slot);

	if (val)
		*val += 1;
}

/* socktrace's way: no wake-up until an eighth of the buffer is unread (bpf/maps.bpf.h). */
static __always_inline void record_send(void)
{
	struct event e = { .ts_ns = bpf_ktime_get_ns(), .proto = IPPROTO_TCP };
	__u64 unread = bpf_ringbuf_query(&records, BPF_RB_AVAIL_DATA);
	__u64 flags = unread >= RINGBUF_BYTES / 8 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_output(&records, &e, sizeof(e), flags))
		stat_inc(FLOOR_STAT_LOST);
}

static __always_inline int hit(void)
{
	if (mode != FLOOR_EMPTY)
		stat_inc(FLOOR_STAT_HITS);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_state, const struct sock *sk, int oldstate, int newstate)
{
	if (mode == FLOOR_RING && (newstate == TCP_ESTABLISHED || newstate == TCP_CLOSE) &&
	    sk_protocol(sk, true) == IPPROTO_TCP)
		record_send();
	return hit();
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(floor_receive_reset)
{
	return hit();
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(floor_send_reset)
{
	return hit();
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(floor_send_length)
{
	return hit();
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(floor_recv_length)
{
	return hit();
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
