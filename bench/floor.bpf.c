// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The benchmark's floor, and the steps up from it: programs on the
 * tracepoints socktrace's tracepoint backend uses (bpf/socktrace.bpf.c) that
 * do one thing each, set before load (bench/floor.c):
 *
 *   FLOOR_EMPTY  return at once: the price of any BPF program on these hooks;
 *   FLOOR_COUNT  add one to a per-CPU counter per hit: a tracer that counts,
 *                like a bpftrace count() but with no hash lookup;
 *   FLOOR_RING   count, and send a socktrace event through socktrace's own
 *                event path (bpf/emit.bpf.h) for each TCP change to
 *                ESTABLISHED or CLOSE: the events a storm connection gives
 *                socktrace (connected, accepted, two closes), at the price of
 *                the ring buffer alone.
 *
 * And another kind of hook, to show what it would cost instead of these
 * tracepoints (only its program is loaded then, on the cgroup v2 root, where
 * every socket's cgroup leads):
 *
 *   FLOOR_SOCKOPS        a sock_ops program that returns at once: the kernel
 *                        calls it at points of every TCP connection's setup
 *                        (connect, handshake timers, windows, established);
 *   FLOOR_SOCKOPS_STATE  the same, asking for the state changes of every TCP
 *                        socket it sees connect or accepted: what a tracer of
 *                        closes on this hook starts from.
 *
 * A storm's throughput under each, next to socktrace's, shows what its cost is
 * made of (BENCHMARKS.md). The untaken branches are removed at load time.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "core_fixes.bpf.h"
#include "emit.bpf.h"
#include "floor.h"

const volatile __u32 mode = FLOOR_EMPTY;

/* Program runs (FLOOR_COUNT, FLOOR_RING), one slot per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline int hit(void)
{
	__u32 zero = 0;
	__u64 *n;

	if (mode != FLOOR_EMPTY && (n = bpf_map_lookup_elem(&hits, &zero)))
		*n += 1;
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_state, const struct sock *sk, int oldstate, int newstate)
{
	if (mode == FLOOR_RING && (newstate == TCP_ESTABLISHED || newstate == TCP_CLOSE) &&
	    sk_protocol(sk, true) == IPPROTO_TCP) {
		struct event e = { .ts_ns = bpf_ktime_get_ns(), .proto = IPPROTO_TCP };

		event_emit(&e);
	}
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

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(floor_destroy_sock)
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

SEC("sockops")
int floor_sockops(struct bpf_sock_ops *skops)
{
	if (mode == FLOOR_SOCKOPS_STATE && (skops->op == BPF_SOCK_OPS_TCP_CONNECT_CB ||
					    skops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB))
		bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_STATE_CB_FLAG);
	return 1; /* uncounted: bench/run's profile runs count its runs */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
