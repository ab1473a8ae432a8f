/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading a socket's identity into an event: ports, addresses, family, netns. */
#ifndef SOCK_BPF_H
#define SOCK_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "socktrace.h"

#define AF_INET 2
#define AF_INET6 10

/*
 * KREAD(btf, p, field) is p->field, with CO-RE relocation either way. btf
 * says whether the verifier knows p by its BTF type (a tp_btf program's
 * argument): then it is a plain load, which the JIT guards against faults;
 * otherwise (kprobes, fexit's raw ctx, a pointer read out of memory) a
 * bpf_probe_read_kernel() call. The call costs 15-20 ns and the load about
 * one, and an event reads ten fields or more, on hooks that fire ten times per
 * TCP connection (BENCHMARKS.md). btf is a constant at every call site: after
 * inlining the compiler keeps one branch, and the verifier never sees a
 * plain load from a pointer it does not know.
 *
 * Scalar fields only. A plain load of a pointer field (sk->sk_socket,
 * skc_net.net) makes the kernel's verifier ask whether the pointer it gets is
 * trusted, by looking names up in the kernel's BTF one type at a time: about
 * 1 ms per load per path it explores. Those loads cost socktrace 100 ms of
 * start-up on 6.18 (perf: btf_nested_type_is_trusted), so pointer fields are
 * always probe reads (sk_netns(), sk_has_socket()).
 */
#define SK_BTF true  /* tp_btf: an argument the verifier knows by its type */
#define SK_RAW false /* kprobes, fexit's ctx[], iterators, a pointer read from memory */

#define KREAD(btf, p, field) ((btf) ? (p)->field : BPF_CORE_READ(p, field))

/* The same for a field copied whole (an address) into *dst. */
#define KREAD_INTO(btf, dst, p, field)                                                             \
	do {                                                                                       \
		if (btf)                                                                           \
			__builtin_memcpy(dst, &(p)->field, sizeof(*(dst)));                        \
		else                                                                               \
			BPF_CORE_READ_INTO(dst, p, field);                                         \
	} while (0)

static __always_inline __u16 sk_local_port(const struct sock *sk, bool btf)
{
	return KREAD(btf, sk, __sk_common.skc_num); /* host order already */
}

static __always_inline __u16 sk_remote_port(const struct sock *sk, bool btf)
{
	return bpf_ntohs(KREAD(btf, sk, __sk_common.skc_dport));
}

/*
 * A TCP socket's local port from inet_sport, which the kernel keeps to the
 * end: at CLOSE, inet_put_port() has already zeroed skc_num (before the state
 * store that fires the tracepoint).
 */
static __always_inline __u16 tcp_bound_port(const struct tcp_sock *tp, bool btf)
{
	return bpf_ntohs(KREAD(btf, tp, inet_conn.icsk_inet.inet_sport));
}

/* Probe reads on every hook: pointer fields (see KREAD()). */
static __always_inline __u32 sk_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/*
 * Whether the socket has its struct socket: a listener's child gets one only
 * in accept() (sk_clone_lock() clears sk_socket); an active opener has one.
 */
static __always_inline bool sk_has_socket(const struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_socket) != NULL;
}

/*
 * Whether sock, a socket's struct socket (NULL: none), is an active opener's
 * still in connect(): SS_CONNECTING until connect() returns
 * (inet_stream_connect() holds the socket lock, so the handshake's segments
 * find it so). A listener's child has no struct socket until accept(), which
 * makes it SS_CONNECTED at once; with TCP Fast Open accept() can take the
 * child before the client's ACK moves it to ESTABLISHED, so having a struct
 * socket alone does not tell. No read when there is none, as for a child not
 * yet accepted.
 */
static __always_inline bool sock_connecting(const struct socket *sock)
{
	return sock && BPF_CORE_READ(sock, state) == SS_CONNECTING;
}

/*
 * sk as the tcp_sock it is, to read TCP fields. The verifier refuses the cast
 * of a BTF pointer to a larger type: bpf_skc_to_tcp_sock() checks the socket
 * and gives the pointer that type (NULL if sk is not a full TCP socket). A raw
 * pointer is cast.
 */
static __always_inline const struct tcp_sock *sk_tcp(const struct sock *sk, bool btf)
{
	if (btf)
		return (const struct tcp_sock *)bpf_skc_to_tcp_sock((void *)sk);
	return (const struct tcp_sock *)sk;
}

/*
 * When a socket that just reached ESTABLISHED got there, without reading the
 * clock: tcp_rcv_state_process() refreshes the socket's clock cache
 * (tcp_mstamp_refresh(): tcp_clock_cache = ktime_get_ns(), the clock
 * bpf_ktime_get_ns() reads) before it handles a SYN_SENT socket's SYN-ACK,
 * and before a SYN_RECV socket's ACK; every move from those states to
 * ESTABLISHED is in that handling, but for TCP_REPAIR (no segment: the cache
 * is older). So on those two moves the cache is the time the segment that
 * made the connection began to be processed, hundreds of ns before the state
 * change. A read of the clock costs ~50 ns on this VM (BENCHMARKS.md), and
 * every connection has one of these moves at each end. Not for any other
 * state change: there the cache can be as old as the socket's last segment.
 * The clock when the kernel has no cache (before 4.20) or it is older than
 * not_before, the connection's start when the caller knows it.
 */
static __always_inline __u64 tcp_established_ns(const struct tcp_sock *tp, __u64 not_before,
						 bool btf)
{
	__u64 t = 0;

	if (tp && bpf_core_field_exists(tp->tcp_clock_cache))
		t = KREAD(btf, tp, tcp_clock_cache);
	return t && t >= not_before ? t : bpf_ktime_get_ns();
}

/*
 * Payload bytes, each counted once: bytes_sent counts retransmitted payload
 * again (bytes_retrans says how much); bytes_received is rcv_nxt's progress,
 * which takes one more for the peer's FIN, once tcp_fin() has set SOCK_DONE.
 */
static __always_inline __u64 tcp_payload_sent(const struct tcp_sock *tp, bool btf)
{
	return KREAD(btf, tp, bytes_sent) - KREAD(btf, tp, bytes_retrans);
}

static __always_inline __u64 tcp_payload_received(const struct tcp_sock *tp, bool btf)
{
	__u64 fin = KREAD(btf, tp, inet_conn.icsk_inet.sk.__sk_common.skc_flags) >>
		    bpf_core_enum_value(enum sock_flags, SOCK_DONE);

	return KREAD(btf, tp, bytes_received) - (fin & 1);
}

/* ::ffff:a.b.c.d, an IPv4 address on an IPv6 socket. */
static __always_inline bool in6_v4mapped(const struct in6_addr *a)
{
	return a->in6_u.u6_addr32[0] == 0 && a->in6_u.u6_addr32[1] == 0 &&
	       a->in6_u.u6_addr32[2] == bpf_htonl(0x0000ffff);
}

/*
 * The socket's address family as the traffic has it, given its own
 * (skc_family): an IPv6 socket whose peer (or, unconnected, whose local
 * address) is IPv4-mapped carries IPv4.
 */
static __always_inline __u16 sk_traffic_family(const struct sock *sk, __u16 family, bool btf)
{
	struct in6_addr a;

	if (family != AF_INET6)
		return family;
	KREAD_INTO(btf, &a, sk, __sk_common.skc_v6_daddr);
	if (in6_v4mapped(&a))
		return AF_INET;
	if (a.in6_u.u6_addr32[0] | a.in6_u.u6_addr32[1] | a.in6_u.u6_addr32[2] |
	    a.in6_u.u6_addr32[3])
		return AF_INET6;
	KREAD_INTO(btf, &a, sk, __sk_common.skc_v6_rcv_saddr);
	return in6_v4mapped(&a) ? AF_INET : AF_INET6;
}

static __always_inline __u16 sk_family(const struct sock *sk, bool btf)
{
	return sk_traffic_family(sk, KREAD(btf, sk, __sk_common.skc_family), btf);
}

/*
 * Fill the socket 5-tuple part of an event. Not the namespace (e->netns): two
 * probe reads that an event counted in the kernel has no use for, so the
 * callers that send one read it (event_report(), listener_event()).
 */
static __always_inline void sk_fill_tuple(struct event *e, const struct sock *sk, bool btf)
{
	__u16 sock_family = KREAD(btf, sk, __sk_common.skc_family);

	e->family = sk_traffic_family(sk, sock_family, btf); /* IPv4-mapped: IPv4 */
	e->sport = sk_local_port(sk, btf);
	e->dport = sk_remote_port(sk, btf);
	e->proto = IPPROTO_TCP;
	if (e->family == AF_INET6) {
		KREAD_INTO(btf, &e->saddr_v6, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		KREAD_INTO(btf, &e->daddr_v6, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else if (sock_family == AF_INET6) {
		/* IPv4-mapped: the IPv4 address is the last 32 bits */
		e->saddr_v4 = KREAD(btf, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32[3]);
		e->daddr_v4 = KREAD(btf, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32[3]);
	} else {
		e->saddr_v4 = KREAD(btf, sk, __sk_common.skc_rcv_saddr);
		e->daddr_v4 = KREAD(btf, sk, __sk_common.skc_daddr);
	}
}

#endif /* SOCK_BPF_H */
