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

static __always_inline __u16 sk_local_port(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_num); /* host order already */
}

static __always_inline __u16 sk_remote_port(const struct sock *sk)
{
	return bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

static __always_inline __u32 sk_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/*
 * Payload bytes, each counted once: bytes_sent counts retransmitted payload
 * again (bytes_retrans says how much); bytes_received is rcv_nxt's progress,
 * which takes one more for the peer's FIN, once tcp_fin() has set SOCK_DONE.
 */
static __always_inline __u64 tcp_payload_sent(const struct tcp_sock *tp)
{
	return BPF_CORE_READ(tp, bytes_sent) - BPF_CORE_READ(tp, bytes_retrans);
}

static __always_inline __u64 tcp_payload_received(const struct sock *sk)
{
	__u64 fin = BPF_CORE_READ(sk, __sk_common.skc_flags) >>
		    bpf_core_enum_value(enum sock_flags, SOCK_DONE);

	return BPF_CORE_READ((const struct tcp_sock *)sk, bytes_received) - (fin & 1);
}

/* ::ffff:a.b.c.d, an IPv4 address on an IPv6 socket. */
static __always_inline bool in6_v4mapped(const struct in6_addr *a)
{
	return a->in6_u.u6_addr32[0] == 0 && a->in6_u.u6_addr32[1] == 0 &&
	       a->in6_u.u6_addr32[2] == bpf_htonl(0x0000ffff);
}

/*
 * The socket's address family as the traffic has it: an IPv6 socket whose
 * peer (or, unconnected, whose local address) is IPv4-mapped carries IPv4.
 */
static __always_inline __u16 sk_family(const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	struct in6_addr a;

	if (family != AF_INET6)
		return family;
	BPF_CORE_READ_INTO(&a, sk, __sk_common.skc_v6_daddr);
	if (in6_v4mapped(&a))
		return AF_INET;
	if (a.in6_u.u6_addr32[0] | a.in6_u.u6_addr32[1] | a.in6_u.u6_addr32[2] |
	    a.in6_u.u6_addr32[3])
		return AF_INET6;
	BPF_CORE_READ_INTO(&a, sk, __sk_common.skc_v6_rcv_saddr);
	return in6_v4mapped(&a) ? AF_INET : AF_INET6;
}

/* Fill the socket 5-tuple part of an event. */
static __always_inline void sk_fill_tuple(struct event *e, const struct sock *sk)
{
	e->family = sk_family(sk); /* IPv4-mapped IPv6 is reported as IPv4 */
	e->sport = sk_local_port(sk);
	e->dport = sk_remote_port(sk);
	e->netns = sk_netns(sk);
	e->proto = IPPROTO_TCP;
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->saddr_v6, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->daddr_v6, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else if (BPF_CORE_READ(sk, __sk_common.skc_family) == AF_INET6) {
		/* IPv4-mapped: the IPv4 address is the last 32 bits */
		e->saddr_v4 = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32[3]);
		e->daddr_v4 = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32[3]);
	} else {
		e->saddr_v4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		e->daddr_v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	}
}

#endif /* SOCK_BPF_H */
