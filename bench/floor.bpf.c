// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The benchmark's floor: programs that do nothing, on the tracepoints
 * socktrace's tracepoint backend uses (bpf/socktrace.bpf.c). What a storm
 * loses under them is the price of any BPF program on those hooks, before
 * socktrace does any work of its own (BENCHMARKS.md).
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_state)
{
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(floor_receive_reset)
{
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(floor_send_reset)
{
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(floor_send_length)
{
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(floor_recv_length)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
