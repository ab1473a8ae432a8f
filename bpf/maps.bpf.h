/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Maps and the small helpers every handler uses. */
#ifndef MAPS_BPF_H
#define MAPS_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "socktrace.h"
#include "emit.bpf.h"

#define MAX_LISTENERS 4096     /* listening sockets whose owner is remembered */
#define MAX_ACCEPT_QUEUE 16384 /* established children waiting for accept() */
#define MAX_UDP_CALLS 4096     /* threads inside udp_sendmsg/udp_recvmsg (kprobe backend) */
#define UDP_ROW_SLOTS 4096     /* UDP (port, direction) rows counted in the kernel */
#define MAX_UDP_SOCKS 16384    /* UDP sockets remembered: "out" or connected */
#define MAX_UDP_PEERS 65536    /* distinct (UDP row, remote address) pairs counted */
#define MAX_CONNS 65536	       /* connections in their handshake or open, on traced ports */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_LISTENERS);
	__type(key, struct listener_key);
	__type(value, struct listener_owner);
} listeners SEC(".maps");

/* Established passive opens not yet accepted: child socket -> ESTABLISHED time. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_ACCEPT_QUEUE);
	__type(key, __u64);
	__type(value, __u64);
} accept_queue SEC(".maps");

/* TCP connections in their handshake or open (struct conn, socktrace.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_CONNS);
	__type(key, __u64);
	__type(value, struct conn);
} conns SEC(".maps");

/*
 * The connection whose close this CPU counted last: its socket's address and
 * snd_nxt (fixed from CLOSE on, and random from one connection to the next),
 * so that its release right after, on the same CPU, needs no lookup in conns
 * (socktrace.bpf.c handle_release()).
 */
struct close_mark {
	__u64 sk;
	__u32 snd_nxt;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct close_mark);
} close_marks SEC(".maps");

/* kprobe backend: a thread's arguments to udp_sendmsg/udp_recvmsg, for the kretprobe. */
struct udp_call {
	__u64 sk;
	__u64 msg;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_UDP_CALLS);
	__type(key, __u64);
	__type(value, struct udp_call);
} udp_calls SEC(".maps");

/*
 * UDP counters per row, per CPU (no atomics on the datagram path), in the
 * row's slot: an array, so that a datagram costs an array read, not a hash
 * lookup (BENCHMARKS.md). udp_slots says which row has which slot; it is what
 * user space reads to find the rows (socktrace.bpf.c udp_row()).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UDP_ROW_SLOTS);
	__type(key, __u32);
	__type(value, struct udp_counts);
} udp_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UDP_ROW_SLOTS);
	__type(key, __u32); /* the slot */
	__type(value, struct udp_key);
} udp_slots SEC(".maps");

/*
 * Each (port, direction)'s slot in udp_rows, plus one (0: none yet), at
 * port * 2 + direction. A map, not a global: 512 KB that user space, which
 * maps the globals, never reads.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536 * 2);
	__type(key, __u32);
	__type(value, __u32);
} udp_row_slot SEC(".maps");

/*
 * The remote addresses each UDP row has seen: inserted once, counted on insert.
 * Allocated on insert: most hosts see far fewer than MAX_UDP_PEERS, and
 * preallocated the map would hold 6 MB of kernel memory from the start.
 */
struct udp_peer_key {
	struct udp_key row;
	__u32 family;
	__u32 addr[4]; /* IPv4: addr[0]; IPv4-mapped IPv6 is stored as IPv4 */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_UDP_PEERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct udp_peer_key);
	__type(value, __u8);
} udp_peers SEC(".maps");

/*
 * What a UDP socket's next datagram need not do again: sockets of "out" rows
 * (whose response latency is timed) and connected ones (whose peer is
 * fixed). Updated in place; a freed socket's entry ages out of the LRU.
 */
struct udp_sk_entry {
	__u64 sent_ns;		  /* "out": when its unanswered datagram was sent; 0: none */
	struct udp_peer_key peer; /* connected: the (row, peer) it last found counted */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_UDP_SOCKS);
	__type(key, __u64);
	__type(value, struct udp_sk_entry);
} udp_socks SEC(".maps");

#endif /* MAPS_BPF_H */
