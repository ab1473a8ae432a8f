/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The records the snapshot iterators (bpf/snapshot.bpf.c) write with
 * bpf_seq_write() and user space (user/snapshot.c) reads from the iterator fds.
 * No includes: the BPF side gets the __uN types from vmlinux.h, user space
 * from <linux/types.h>. No pointers; largest fields first, no implicit padding.
 */
#ifndef SNAPSHOT_RECORDS_H
#define SNAPSHOT_RECORDS_H

#define SNAP_COMM_LEN 16

/* One socket, from iter/tcp (full, request and timewait sockets) or iter/udp. */
struct snap_sock {
	__u64 ino; /* socket inode, as ss -e shows it; 0: no file (not yet accepted, ...) */
	union {
		__u32 saddr_v4;
		__u8 saddr_v6[16];
	};
	union {
		__u32 daddr_v4;
		__u8 daddr_v6[16];
	};
	__u32 netns;	       /* network namespace inode */
	__u32 drops;	       /* sk_drops: TCP listener: SYNs/ACKs dropped, accept queue full
				* (tcp_listendrop()); UDP: datagrams dropped on receive */
	__u32 ack_backlog;     /* TCP LISTEN: connections in the accept queue now */
	__u32 max_ack_backlog; /* TCP LISTEN: the accept queue's limit (listen() backlog) */
	__u16 sport;	       /* local port, host order */
	__u16 dport;	       /* remote port, host order; 0: not connected */
	__u16 family;	       /* AF_INET or AF_INET6 */
	__u8 proto;	       /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 state;	       /* TCP_ESTABLISHED, TCP_LISTEN, ... (UDP: TCP_CLOSE unconnected,
				* TCP_ESTABLISHED connected); timewait: its substate */
};

/* One open file descriptor that is a socket, from iter/task_file: who holds which socket. */
struct snap_file {
	__u64 ino;		  /* the socket's inode */
	__u8 comm[SNAP_COMM_LEN]; /* the process's name */
	__u32 pid;		  /* process id (tgid) */
	__u32 fd;
};

#endif /* SNAPSHOT_RECORDS_H */
