/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one definition shared by the BPF programs and user space.
 * No includes but the histogram's layout: the BPF side gets the __uN types
 * from vmlinux.h, user space from <linux/types.h>. No pointers; largest
 * fields first so that the layout is the same on both sides without padding
 * surprises.
 */
#ifndef SOCKTRACE_H
#define SOCKTRACE_H

#include "hist_layout.h"

#define TASK_COMM_LEN 16

/* What happened to the socket. */
enum event_kind {
	EV_CONNECT_OK = 1,    /* active open reached ESTABLISHED */
	EV_CONNECT_FAIL = 2,  /* active open closed before ESTABLISHED; err says why */
	EV_ACCEPT = 3,	      /* passive open reached ESTABLISHED on a listening port */
	EV_ACCEPTED = 4,      /* accept() handed an ESTABLISHED connection to a process */
	EV_CLOSE = 5,	      /* a connection seen open closed: lifetime, bytes, retransmits */
	EV_EXISTING = 6,      /* a connection already open at start (from the snapshot) */
	EV_RESET = 7,	      /* a reset sent on a connection after it closed (flags) */
	EV_UDP_RESPONSE = 8,  /* UDP "out": first datagram back after one sent; lat_ns */
	EV_LISTEN = 9,	      /* a socket started listening (sock_ino; pid: who called listen()) */
	EV_LISTEN_CLOSE = 10, /* a listening socket closed (sock_ino) */
	EV_KIND_MAX = EV_LISTEN_CLOSE,
};

/* event.flags */
enum event_flag {
	EVF_RST_SENT = 1, /* this host sent a reset on the connection */
	EVF_RST_RECV = 2, /* the peer reset the connection */
	EVF_UNSEEN = 4,	  /* a close no probe ran for, found later: no time, addresses or bytes */
};

enum event_dir {
	DIR_IN = 0,  /* passive: accepted on a local listening port */
	DIR_OUT = 1, /* active: connected out to a remote port */
};

/* Kernel-side counters, one slot each in the per-CPU "stats" array. */
enum stat_slot {
	STAT_RB_FULL = 0,    /* events that could not be reserved in the ring buffer */
	STAT_NO_START,	     /* connect completions whose start was not seen */
	STAT_ACCEPT_MISSED,  /* accepted connections whose accept() the hook did not see */
	STAT_UDP_NO_PORT,    /* UDP datagrams without a service port (unconnected, no address) */
	STAT_PROC_FULL,	     /* events counted without their owner's name: proc_rows was full */
	STAT_CLOSE_NO_ENTRY, /* TCP closes counted with no entry in conns (evicted) */
	STAT_CLOSE_LATE,     /* TCP closes counted at the socket's release: the state probe's
				run was skipped */
	STAT_CLOSE_UNSEEN,   /* TCP closes no probe ran for: found when a new connection took
				the socket's address, or at exit (EVF_UNSEEN) */
	STAT_MAX,
};

/* UDP is counted in the kernel, per row: the key and the counters of map udp_rows. */
struct udp_key {
	__u16 port; /* service port */
	__u8 dir;   /* enum event_dir */
	__u8 pad;
};

struct udp_counts {
	__u64 datagrams_sent;
	__u64 bytes_sent; /* payload */
	__u64 datagrams_received;
	__u64 bytes_received;
	__u64 send_errors;   /* sends that returned an error */
	__u64 peers;	     /* distinct remote addresses seen since start */
	__u64 peers_unknown; /* datagrams whose remote address the hook could not see */
};

/*
 * A row and what happened on it: the key of map "kind_rows", where the
 * kernel counts events itself (bpf/count.bpf.h), and of map "lost_rows":
 * what the events that found the ring buffer full would have counted, so that
 * opened, failed, closed, bytes and resets stay exact when user space falls
 * behind. Only the lost path touches lost_rows.
 */
struct kind_key {
	__u16 port; /* service port */
	__u8 dir;   /* enum event_dir */
	__u8 kind;  /* enum event_kind; EV_UDP_RESPONSE is UDP, the others TCP */
	__u16 err;  /* EV_CONNECT_FAIL: sk_err */
	__u8 flags; /* EV_CLOSE, EV_RESET: enum event_flag */
	__u8 pad;
};

struct lost_counts {
	__u64 events;
	__u64 bytes_sent; /* EV_CLOSE: what the lost closes carried */
	__u64 bytes_received;
	__u64 retrans;
};

/*
 * The first owner's name a kind_rows row met on a CPU, and its events there:
 * most rows have one name (a service, a client), counted here without a
 * proc_rows lookup. The name is written once, before the first event; events
 * comes first so that a reader copying in order sees no count before its name.
 */
struct owner_slot {
	__u64 events;
	__u64 ts_ns; /* the latest, for the pid */
	__u32 pid;   /* tgid */
	__u32 pad;
	__u8 comm[TASK_COMM_LEN];
};

/*
 * Map "kind_rows": the events of one kind_key counted in the kernel, per CPU,
 * with their latency samples in the histogram's buckets (hist_layout.h).
 */
struct kind_counts {
	struct lost_counts n;	 /* events, and what closes carried */
	__u64 samples;		 /* latency samples: see kind_sampled() */
	__u64 sum;		 /* their total, ns */
	__u64 min, max;		 /* this CPU's smallest and largest since start */
	struct owner_slot owner; /* kind_names_owner() kinds: the first name */
	__u32 buckets[HIST_BUCKETS];
};

/*
 * Map "kind_hot": on each CPU, KIND_HOT_SLOTS kind rows counted in an array
 * instead of kind_rows' hash, for the kinds of the TCP state hook
 * (kind_is_hot()): the slot is found by a hash of the key, no lookup in a
 * hash map (bpf/count.bpf.h kind_hot_row()). A slot is taken for good by the
 * first key to come; user space adds each key's slots to its kind_rows
 * total (user/kindhot.c). On a CPU a key has a slot or a kind_rows value,
 * never both.
 */
#define KIND_HOT_SLOTS 32 /* a power of two; fewer on many CPUs (tracer.c) */
#define KIND_KEY_HOT 1	  /* kind_key.pad in a taken slot; a free slot's key is all zero */
struct kind_hot {
	struct kind_key key;
	struct kind_counts c;
};

/* The kinds that only the TCP state hook counts (see kind_hot). */
static inline int kind_is_hot(__u8 kind)
{
	return kind == EV_CONNECT_OK || kind == EV_CONNECT_FAIL || kind == EV_ACCEPT ||
	       kind == EV_CLOSE;
}

/* Whether an event of this kind carries a latency sample (lat_ns). */
static inline int kind_sampled(__u8 kind, __u64 lat_ns)
{
	return lat_ns || kind == EV_ACCEPTED || kind == EV_UDP_RESPONSE;
}

/* Whether an event of this kind counts under its owner's name (the opens, the waits). */
static inline int kind_names_owner(__u8 kind)
{
	return kind != EV_CLOSE && kind != EV_RESET && kind != EV_EXISTING;
}

/*
 * Map "proc_rows": a row's events per owner's name, counted with kind_rows,
 * those of each kind row's first name on a CPU excepted (struct owner_slot).
 */
#define MAX_PROC_ROWS 4096 /* (row, owner's name) pairs */
struct proc_key {
	__u8 comm[TASK_COMM_LEN];
	__u16 port; /* service port */
	__u8 dir;   /* enum event_dir */
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
};

struct proc_counts {
	__u64 events;
	__u64 ts_ns; /* the latest, for the pid: this CPU's last one */
	__u32 pid;   /* tgid */
	__u32 pad;
};

/* A process: who owns a connection or a listening socket. */
struct proc {
	__u8 comm[TASK_COMM_LEN]; /* empty when unknown */
	__u32 pid;		  /* tgid; 0 when unknown */
};

/*
 * Map "conns": a TCP connection on a traced port, keyed by its socket's
 * address, from connect() (CONN_CONNECTING: the start, for its latency and
 * owner) or from its open (its row, for its close). User space counts the
 * connects still in their handshake at exit.
 */
struct conn {
	__u64 start_ns;	  /* connecting: connect()'s start; open: when it opened (0: at start) */
	__u16 port;	  /* service port */
	__u8 dir;	  /* enum event_dir */
	__u8 flags;	  /* enum event_flag, plus the CONN_ flags */
	__u16 sport;	  /* the socket's own ports: a freed socket's address is */
	__u16 dport;	  /* reused, and a stale entry must not match the new one */
	struct proc proc; /* connecting: who called connect() */
};

#define CONN_ALIVE 0x20	     /* at exit: its socket is still there (iter_tcp_seed, pass 2) */
#define CONN_CONNECTING 0x40 /* in its handshake; start_ns and proc are the connect's */
#define CONN_CLOSED 0x80     /* closed, kept for a reset the kernel sends after CLOSE */

/*
 * Map "listeners": the process that called listen() on a port, the owner of
 * its passive sockets. User space fills in the owners of those found at start.
 */
struct listener_key {
	__u32 netns;
	__u16 port;
	__u16 pad;
};

struct listener_owner {
	/*
	 * First, so that &owner->proc is owner: `owner ? &owner->proc : NULL`
	 * then needs no arithmetic on a pointer the verifier has not seen
	 * checked for NULL yet, which it refuses.
	 */
	struct proc proc;
	__u32 pad;
	__u64 sk; /* the listening socket (another may take the port: SO_REUSEPORT) */
};

struct event {
	__u64 ts_ns;	      /* bpf_ktime_get_ns() when the event happened */
	__u64 lat_ns;	      /* connect: SYN sent -> ESTABLISHED; accept: SYN-ACK -> ACK;
			       * accepted: ESTABLISHED -> accept() returned (queue wait);
			       * close: lifetime, ESTABLISHED -> CLOSE; 0 = no sample */
	__u64 bytes_sent;     /* close: payload bytes sent, each once (no retransmissions) */
	__u64 bytes_received; /* close: payload bytes received */
	__u64 sock_ino;	      /* EV_LISTEN, EV_LISTEN_CLOSE: the socket's inode (ss -e's ino) */
	union {
		__u32 saddr_v4;
		__u8 saddr_v6[16];
	};
	union {
		__u32 daddr_v4;
		__u8 daddr_v6[16];
	};
	__u8 comm[TASK_COMM_LEN]; /* owning process; empty when unknown */
	__u32 pid;		  /* owning process (tgid); 0 when unknown */
	__u32 netns;		  /* network namespace inode */
	__u32 err;		  /* EV_CONNECT_FAIL: sk_err (ECONNREFUSED...); 0: aborted */
	__u32 retrans;		  /* close: segments retransmitted over the connection's life */
	__u16 sport;		  /* local port, host order */
	__u16 dport;		  /* remote port, host order */
	__u16 family;		  /* AF_INET or AF_INET6 */
	__u8 kind;		  /* enum event_kind */
	__u8 dir;		  /* enum event_dir */
	__u8 proto;		  /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 flags;		  /* enum event_flag */
	__u8 pad[6];
};

/* Whether entry c is an open connection's: past its handshake, not closed. */
static inline int conn_is_open(const struct conn *c)
{
	return !(c->flags & (CONN_CONNECTING | CONN_CLOSED));
}

/*
 * The ports a connection had when it opened: by CLOSE the kernel has released
 * the local port (it reads 0), and --events shows both ends. The service port
 * is among them (sport for "in", dport for "out").
 */
static inline void conn_ports(struct event *e, const struct conn *c)
{
	e->sport = c->sport;
	e->dport = c->dport;
}

/*
 * The close of the connection whose open entry is c, that no probe ran for
 * (README, Overload), as its entry tells it: its row and ports, not when it
 * closed, its addresses, lifetime or bytes (EVF_UNSEEN). ts_ns: when it was
 * found. Built here for the BPF side (a new connection at its address) and
 * user space (at exit) alike.
 */
static inline void conn_unseen_close_event(struct event *e, const struct conn *c, __u64 ts_ns)
{
	e->ts_ns = ts_ns;
	e->kind = EV_CLOSE;
	e->proto = 6; /* IPPROTO_TCP (no includes here) */
	e->dir = c->dir;
	e->flags = EVF_UNSEEN | (c->flags & (EVF_RST_SENT | EVF_RST_RECV));
	conn_ports(e, c);
}

#endif /* SOCKTRACE_H */
