// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `socktrace ports`: the sockets open now, read with BPF iterators. iter/tcp
 * and iter/udp write one struct snap_sock per socket, iter/task_file one
 * struct snap_file per file descriptor that is a socket (who holds it, as
 * ss -p shows). User space (user/snapshot.c) creates each iterator, reads its
 * output and joins the two on the socket's inode. The kernel's socket
 * iterators walk the network namespace of the process that creates them.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "snapshot.h"
#include "core_fixes.bpf.h"

#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define O_PATH 010000000

/*
 * Addresses, ports, family, state and netns: in the sock_common that full,
 * request and timewait sockets all begin with.
 */
static __always_inline void fill_common(struct snap_sock *r, const struct sock_common *skc)
{
	r->family = BPF_CORE_READ(skc, skc_family);
	r->state = BPF_CORE_READ(skc, skc_state);
	r->sport = BPF_CORE_READ(skc, skc_num);
	r->dport = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
	r->netns = BPF_CORE_READ(skc, skc_net.net, ns.inum);
	if (r->family == AF_INET6) {
		BPF_CORE_READ_INTO(&r->saddr_v6, skc, skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&r->daddr_v6, skc, skc_v6_daddr.in6_u.u6_addr8);
	} else {
		r->saddr_v4 = BPF_CORE_READ(skc, skc_rcv_saddr);
		r->daddr_v4 = BPF_CORE_READ(skc, skc_daddr);
	}
}

/* What only a full socket has: its file (for the owner), drops, the accept queue. */
static __always_inline void fill_full(struct snap_sock *r, const struct sock *sk)
{
	r->ino = BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
	r->drops = sk_drops_read(sk);
	if (r->state == TCP_LISTEN) {
		r->ack_backlog = BPF_CORE_READ(sk, sk_ack_backlog);
		r->max_ack_backlog = BPF_CORE_READ(sk, sk_max_ack_backlog);
	}
}

/*
 * Every TCP socket, IPv4 and IPv6. Besides full sockets the iterator yields
 * request socks (TCP_NEW_SYN_RECV, a handshake in progress on a listener) and
 * timewait socks; the bpf_skc_to_*() casts tell them apart, as the kernel's
 * selftests bpf_iter_tcp4.c and bpf_iter_tcp6.c do. The addresses are in
 * sock_common for all three (IPv6 ones included), so no tcp6 cast is needed.
 */
SEC("iter/tcp")
int snap_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_timewait_sock *tw;
	struct snap_sock r = {};
	struct tcp_sock *tp;

	if (!skc)
		return 0;
	fill_common(&r, skc);
	if (r.family != AF_INET && r.family != AF_INET6)
		return 0;
	r.proto = IPPROTO_TCP;
	tp = bpf_skc_to_tcp_sock(skc);
	if (tp) {
		fill_full(&r, (const struct sock *)tp);
	} else {
		/* TIME_WAIT in sock_common; FIN_WAIT2 or TIME_WAIT in the substate (as ss). */
		tw = bpf_skc_to_tcp_timewait_sock(skc);
		if (tw)
			r.state = BPF_CORE_READ(tw, tw_sk.tw_substate);
	}
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

/* Every UDP socket (one table holds IPv4 and IPv6). */
SEC("iter/udp")
int snap_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *up = ctx->udp_sk;
	struct snap_sock r = {};
	const struct sock *sk;

	if (!up)
		return 0;
	sk = (const struct sock *)up;
	fill_common(&r, &sk->__sk_common);
	if (r.family != AF_INET && r.family != AF_INET6)
		return 0;
	r.proto = IPPROTO_UDP;
	fill_full(&r, sk);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

/*
 * Every file descriptor of every process that is a socket. The iterator
 * skips threads that share their leader's file table. O_PATH descriptors of a
 * socket's path have an S_IFSOCK inode that is no socket: skipped.
 */
SEC("iter/task_file")
int snap_files(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct snap_file r = {};
	struct inode *inode;

	if (!task || !file)
		return 0;
	if (BPF_CORE_READ(file, f_flags) & O_PATH)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	r.ino = BPF_CORE_READ(inode, i_ino);
	r.pid = BPF_CORE_READ(task, tgid);
	r.fd = ctx->fd;
	BPF_CORE_READ_INTO(&r.comm, task, comm);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
