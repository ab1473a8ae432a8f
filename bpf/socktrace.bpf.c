// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * socktrace probes. Each handler is a static __always_inline function taking
 * the socket; the SEC() programs at the bottom are thin wrappers that map a
 * kernel hook onto handlers, so another backend adds wrappers, not logic.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "socktrace.h"
#include "maps.bpf.h"
#include "sock.bpf.h"
#include "core_fixes.bpf.h"

/* Set by user space between open and load. */
const volatile bool filter_ports = false;
const volatile __u64 port_bitmap[65536 / 64] = {};

static __always_inline bool port_traced(__u16 port)
{
	if (!filter_ports)
		return true;
	return port_bitmap[(port >> 6) & 1023] & (1ULL << (port & 63));
}

static __always_inline void current_owner(__u32 *pid, __u8 *comm)
{
	*pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(comm, TASK_COMM_LEN);
}

/* Active open begins, in the connecting process: remember who and when. */
static __always_inline int handle_connect_start(const struct sock *sk)
{
	struct connect_start start = {};
	__u64 key = (__u64)sk;

	if (!port_traced(sk_remote_port(sk)))
		return 0;
	start.ts_ns = bpf_ktime_get_ns();
	current_owner(&start.pid, start.comm);
	bpf_map_update_elem(&inflight, &key, &start, BPF_ANY);
	return 0;
}

/*
 * Active open ends: established, or closed before it got there. Runs in
 * softirq on completion, so the owner comes from the start record, never
 * from the current task (bcc issue #2304).
 */
static __always_inline int handle_connect_done(const struct sock *sk, bool ok)
{
	struct connect_start *start;
	__u64 key = (__u64)sk;
	struct event *e;

	if (!port_traced(sk_remote_port(sk)))
		return 0;
	e = event_reserve();
	if (!e)
		goto out;
	sk_fill_tuple(e, sk);
	e->ts_ns = bpf_ktime_get_ns();
	e->kind = ok ? EV_CONNECT_OK : EV_CONNECT_FAIL;
	e->dir = DIR_OUT;
	if (!ok)
		e->err = BPF_CORE_READ(sk, sk_err); /* set before tcp_done() moves to CLOSE */
	start = bpf_map_lookup_elem(&inflight, &key);
	if (start) {
		e->lat_ns = ok ? e->ts_ns - start->ts_ns : 0;
		e->pid = start->pid;
		__builtin_memcpy(e->comm, start->comm, TASK_COMM_LEN);
	} else {
		stat_inc(STAT_NO_START);
	}
	bpf_ringbuf_submit(e, 0);
out:
	bpf_map_delete_elem(&inflight, &key);
	return 0;
}

/* listen(): remember the owner of the port's passive sockets. */
static __always_inline int handle_listen(const struct sock *sk)
{
	struct listener_key lk = { .netns = sk_netns(sk), .port = sk_local_port(sk) };
	struct listener_owner owner = { .sk = (__u64)sk };

	current_owner(&owner.pid, owner.comm);
	bpf_map_update_elem(&listeners, &lk, &owner, BPF_ANY);
	return 0;
}

static __always_inline int handle_listen_close(const struct sock *sk)
{
	struct listener_key lk = { .netns = sk_netns(sk), .port = sk_local_port(sk) };
	struct listener_owner *owner = bpf_map_lookup_elem(&listeners, &lk);

	/* With SO_REUSEPORT another socket may own the entry now: leave it. */
	if (owner && owner->sk == (__u64)sk)
		bpf_map_delete_elem(&listeners, &lk);
	return 0;
}

/*
 * A passive open reached ESTABLISHED. Latency is the kernel's own SYN-ACK ->
 * ACK measurement: tcp_check_req() calls tcp_synack_rtt_meas() on the child
 * before it moves to ESTABLISHED, so srtt_us holds that one sample (<<3), or
 * 0 when there is none (the SYN-ACK was retransmitted).
 */
static __always_inline int handle_accept(const struct sock *sk)
{
	struct listener_key lk = { .netns = sk_netns(sk), .port = sk_local_port(sk) };
	struct listener_owner *owner;
	struct event *e;

	if (!port_traced(lk.port))
		return 0;
	e = event_reserve();
	if (!e)
		return 0;
	sk_fill_tuple(e, sk);
	e->ts_ns = bpf_ktime_get_ns();
	e->kind = EV_ACCEPT;
	e->dir = DIR_IN;
	e->lat_ns = (__u64)(BPF_CORE_READ((struct tcp_sock *)sk, srtt_us) >> 3) * 1000;
	owner = bpf_map_lookup_elem(&listeners, &lk);
	if (owner) {
		e->pid = owner->pid;
		__builtin_memcpy(e->comm, owner->comm, TASK_COMM_LEN);
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* One TCP state change, mapped onto the handlers above. */
static __always_inline int handle_tcp_state(const struct sock *sk, int oldstate, int newstate)
{
	__u64 key = (__u64)sk;

	switch (newstate) {
	case TCP_SYN_SENT:
		return handle_connect_start(sk);
	case TCP_LISTEN:
		return handle_listen(sk);
	case TCP_ESTABLISHED:
		if (oldstate == TCP_SYN_SENT)
			return handle_connect_done(sk, true);
		if (oldstate != TCP_SYN_RECV)
			return 0;
		/*
		 * SYN_RECV is also the middle of a simultaneous open. A listener's
		 * child has no struct socket until accept() (sk_clone_lock() clears
		 * sk_socket); an active opener has one. One read, no map lookup.
		 */
		if (BPF_CORE_READ(sk, sk_socket))
			return handle_connect_done(sk, true);
		return handle_accept(sk);
	case TCP_CLOSE:
		if (oldstate == TCP_SYN_SENT)
			return handle_connect_done(sk, false);
		/* Only a handshake can close from SYN_RECV: look it up there, not on every close.
		 */
		if (oldstate == TCP_SYN_RECV && bpf_map_lookup_elem(&inflight, &key))
			return handle_connect_done(sk, false);
		if (oldstate == TCP_LISTEN)
			return handle_listen_close(sk);
		return 0;
	}
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_inet_sock_set_state, const struct sock *sk, int oldstate, int newstate)
{
	if (sk_protocol(sk) != IPPROTO_TCP)
		return 0;
	return handle_tcp_state(sk, oldstate, newstate);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
