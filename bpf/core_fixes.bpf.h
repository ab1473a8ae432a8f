/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel differences, one helper each, with the change that caused it. */
#ifndef CORE_FIXES_BPF_H
#define CORE_FIXES_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/*
 * sk_protocol was an 8-bit bitfield until v5.6, commit bf9765145b85
 * ("sock: Make sk_protocol a 16-bit value"). The bitfield reads work for both
 * the bitfield and the plain u16; btf as for KREAD() (sock.bpf.h).
 */
static __always_inline __u16 sk_protocol(const struct sock *sk, bool btf)
{
	if (btf)
		return (__u16)BPF_CORE_READ_BITFIELD(sk, sk_protocol);
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

/*
 * The id of the cgroup (v2) a socket was created in, or of its ancestor at
 * level (0: the root); 0 when that cgroup is above level. sk_cgrp_data.cgroup
 * is a plain pointer since v5.15, "bpf, cgroups: Fix cgroup v2 fallback on
 * v1/v2 mixed mode" (before, a tagged union); cgroup->ancestors[] replaced
 * ancestor_ids[] in v6.0, "cgroup: Replace cgroup->ancestor_ids[] with
 * ->ancestors[]". Both 6.1 and 6.18 have these; an older kernel fails to
 * load only with --cgroup (the read is dead code otherwise).
 */
static __always_inline __u64 sk_cgroup_ancestor(const struct sock *sk, __u32 level)
{
	struct cgroup *cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup), *anc = NULL;

	if (!cg || (__u32)BPF_CORE_READ(cg, level) < level)
		return 0;
	if (bpf_probe_read_kernel(&anc, sizeof(anc), &cg->ancestors[level]) || !anc)
		return 0;
	return BPF_CORE_READ(anc, kn, id);
}

#endif /* CORE_FIXES_BPF_H */
