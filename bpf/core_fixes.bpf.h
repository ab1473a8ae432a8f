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

#endif /* CORE_FIXES_BPF_H */
