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

/* Fill the socket 5-tuple part of an event. */
static __always_inline void sk_fill_tuple(struct event *e, const struct sock *sk)
{
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->sport = sk_local_port(sk);
	e->dport = sk_remote_port(sk);
	e->netns = sk_netns(sk);
	e->proto = IPPROTO_TCP;
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->saddr_v6, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->daddr_v6, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		e->saddr_v4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		e->daddr_v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	}
}

#endif /* SOCK_BPF_H */
