/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel differences, one helper each, with the change that caused it. */
#ifndef CORE_FIXES_BPF_H
#define CORE_FIXES_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>

/*
 * sk_protocol was an 8-bit bitfield until v5.6, commit bf9765145b85
 * ("sock: Make sk_protocol a 16-bit value"). The probed bitfield read works
 * for both the bitfield and the plain u16.
 */
static __always_inline __u16 sk_protocol(const struct sock *sk)
{
	return (__u16)BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
}

/*
 * A socket's drop count, read as the kernel's sk_drops_read() does. Until
 * v6.18 it is the atomic_t sk_drops. v6.18 added sk->sk_drop_counters
 * ("net: add sk->sk_drop_counters", then "udp: add drop_counters to udp
 * socket" and the same for raw sockets): when set, drops are counted in its
 * two per-NUMA-node atomics and sk_drops stays 0. TCP sockets have none and
 * still use sk_drops, so tcp_listendrop() lands there on both kernels.
 */
static __always_inline __u32 sk_drops_read(const struct sock *sk)
{
	struct numa_drop_counters *ndc = NULL;
	__u32 drops = 0;

	if (bpf_core_field_exists(sk->sk_drop_counters) &&
	    bpf_core_type_exists(struct numa_drop_counters))
		ndc = BPF_CORE_READ(sk, sk_drop_counters);
	if (ndc)
		return BPF_CORE_READ(ndc, drops0.counter) + BPF_CORE_READ(ndc, drops1.counter);
	if (bpf_core_field_exists(sk->sk_drops))
		drops = BPF_CORE_READ(sk, sk_drops.counter);
	return drops;
}

#endif /* CORE_FIXES_BPF_H */
