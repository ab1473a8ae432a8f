// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * socktrace probes. Each handler is a static __always_inline function taking
 * the socket; the SEC() programs at the bottom are thin wrappers that map a
 * kernel hook onto handlers, one group per hook and one wrapper per backend
 * (fentry/fexit, kprobe/kretprobe, tracepoint). User space loads them all and
 * attaches, per hook, the best backend this kernel allows (user/tracer.c).
 * Handlers take btf, SK_BTF or SK_RAW from the wrapper: whether the socket
 * pointer is one the verifier knows by its type, so that the tp_btf hooks
 * that fire on every state change read fields with plain loads (KREAD(),
 * sock.bpf.h).
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "socktrace.h"
#include "maps.bpf.h"
#include "count.bpf.h"
#include "sock.bpf.h"
#include "core_fixes.bpf.h"

/* Set by user space between open and load. */
const volatile bool filter_ports = false;
const volatile __u64 port_bitmap[65536 / 64] = {};
/* ip_local_port_range: a local port outside it is a service port (port_ephemeral()). */
const volatile __u16 ephemeral_lo = 32768;
const volatile __u16 ephemeral_hi = 60999;

/*
 * Set by user space after attaching (.data is mmapped, so no reload): which
 * hooks the state tracepoint stands in for.
 */
volatile bool connect_via_state = true; /* no connect hook: SYN_SENT starts a connect */
volatile bool accept_hooked = false;	/* an accept hook reports accept() */
volatile bool accept_at_exit = false;	/* ... at the syscall's exit, after the socket has a file */
volatile int seed_pass;			/* iter_tcp_seed: 0 listeners, 1 connections, 2 exit */
volatile bool seeded;			/* the snapshot's connections pass has run */

static __always_inline bool port_traced(__u16 port)
{
	if (!filter_ports)
		return true;
	return port_bitmap[(port >> 6) & 1023] & (1ULL << (port & 63));
}

/* Whether the kernel picks local ports like this one for clients (a port of no service). */
static __always_inline bool port_ephemeral(__u16 port)
{
	return port >= ephemeral_lo && port <= ephemeral_hi;
}

/* The other filters (README "Filters"); 0, -1 or empty: any. */
const volatile __u16 filter_family = 0;		     /* -4 / -6: AF_INET or AF_INET6 */
const volatile __u8 filter_proto = 0;		     /* --proto: IPPROTO_TCP or IPPROTO_UDP */
const volatile int filter_dir = -1;		     /* --dir: DIR_IN or DIR_OUT */
const volatile __u32 filter_netns = 0;		     /* --netns: the namespace's inode */
const volatile __u64 filter_cgroup = 0;		     /* --cgroup: the cgroup's id (inode) */
const volatile __u32 filter_cgroup_level = 0;	     /* its depth below the root */
const volatile __u32 filter_pid = 0;		     /* --pid: a tgid */
const volatile __u8 filter_comm[TASK_COMM_LEN] = {}; /* --comm, as the kernel truncates */

/*
 * The filters a socket answers by itself, in softirq as in a process: port,
 * protocol, direction, family, namespace and cgroup (the one the socket was
 * created in; an accepted socket inherits its listener's). Every event and
 * counter starts here or from a map entry made after passing here.
 */
static __always_inline bool traced(const struct sock *sk, __u8 proto, __u16 port, __u8 dir,
				   bool btf)
{
	if ((filter_proto && proto != filter_proto) || (filter_dir >= 0 && dir != filter_dir))
		return false;
	if (!port_traced(port) || (filter_netns && sk_netns(sk) != filter_netns))
		return false;
	if (filter_family && sk_family(sk, btf) != filter_family)
		return false;
	return !filter_cgroup || sk_cgroup_ancestor(sk, filter_cgroup_level) == filter_cgroup;
}

/*
 * Tests only (user/cli.c, SOCKTRACE_TEST_SKIP_CLOSE_PORT and ..._RELEASE_PORT):
 * the state probe passes over the close of a connection on this port, or the
 * release probe over its release, as when the kernel does not run them, so
 * that a test can check what counts it then (handle_release(),
 * conn_unseen_close()). 0 but in tests, and then the verifier drops the test.
 */
const volatile __u16 test_skip_close_port = 0;
const volatile __u16 test_skip_release_port = 0;

/*
 * Whether a TCP socket leaving its connection (CLOSE, a reset) can have an
 * entry in conns at all: every entry's service port, remote for "out" and
 * local for "in", passed port_traced() when it opened. So with a port filter
 * a connection on no traced port costs no lookup. The local port is
 * tcp_bound_port(): at CLOSE skc_num is 0.
 */
static __always_inline bool conn_port_traced(const struct sock *sk, bool btf)
{
	const struct tcp_sock *tp;

	if (!filter_ports || port_traced(sk_remote_port(sk, btf)))
		return true;
	tp = sk_tcp(sk, btf);
	return !tp || port_traced(tcp_bound_port(tp, btf));
}

/* Tests only: whether a TCP socket's connection is on port (either end); never for 0. */
static __always_inline bool test_port_of(const struct sock *sk, __u16 port, bool btf)
{
	const struct tcp_sock *tp;

	if (!port)
		return false;
	if (sk_remote_port(sk, btf) == port)
		return true;
	tp = sk_tcp(sk, btf);
	return tp && tcp_bound_port(tp, btf) == port;
}

static __always_inline bool owner_filtered(void)
{
	return filter_pid || filter_comm[0];
}

/*
 * --pid and --comm, given: whether p is the process they name. A function of
 * its own, not inlined: in the one inlined program, comparing a name on the
 * stack byte by byte made 6.18's verifier fail the load ("verifier bug: stack
 * slot 27, total slots 18", in precision tracking) once the program's stack
 * grew.
 */
static __noinline bool owner_matches(const struct proc *p)
{
	if (!p || !p->pid || (filter_pid && p->pid != filter_pid))
		return false;
	for (int i = 0; i < TASK_COMM_LEN && filter_comm[0]; i++) {
		if (p->comm[i] != filter_comm[i])
			return false;
		if (!p->comm[i])
			break;
	}
	return true;
}

/*
 * --pid and --comm: whether p, the process a connection belongs to, is
 * traced. NULL (or pid 0) is an owner not known, traced only when neither
 * filter is given. Which process that is depends on the hook: the callers say.
 */
static __always_inline bool owner_traced(const struct proc *p)
{
	return !owner_filtered() || owner_matches(p);
}

/*
 * The name is a key (proc_rows), all 16 bytes of it: cleared first, as 6.1's
 * helper copies with strscpy() and leaves the bytes after the name as they
 * were (the stack's), which split one name over several keys there; 6.18's
 * pads with zeros.
 */
static __always_inline void current_owner(struct proc *p)
{
	p->pid = bpf_get_current_pid_tgid() >> 32;
	__builtin_memset(p->comm, 0, TASK_COMM_LEN);
	bpf_get_current_comm(p->comm, TASK_COMM_LEN);
}

static __always_inline void event_owner(struct event *e, const struct proc *p)
{
	e->pid = p->pid;
	__builtin_memcpy(e->comm, p->comm, TASK_COMM_LEN);
}

/* For hooks that run in the process the traffic belongs to (not in softirq). */
static __always_inline bool current_traced(void)
{
	struct proc p;

	if (!owner_filtered())
		return true;
	current_owner(&p);
	return owner_traced(&p);
}

/*
 * A new connection found c, an open entry, at its socket's address: the
 * socket before it, whose entry that is, was freed, so its close went
 * unseen. Sent, not counted here: the connect hook calls this too, and the
 * state probe's rows have one writer (count.bpf.h). A function of its own,
 * so that its event does not grow its callers' stacks.
 */
static __noinline void conn_unseen_close(const struct conn *c)
{
	struct event e = {};

	conn_unseen_close_event(&e, c, bpf_ktime_get_ns());
	stat_inc(STAT_CLOSE_UNSEEN);
	event_emit(&e);
}

/*
 * Make c the entry of socket key; at: its entry, when the caller has looked
 * it up. The kernel reuses a freed socket's address at once, so the key is
 * usually there already, from the socket before: overwritten in place, a
 * lookup instead of an LRU update, which swaps nodes under a lock. Nothing
 * else writes that entry meanwhile: the socket before is gone, and this
 * socket's events come one at a time. An entry still open there is a close
 * no probe saw (conn_unseen_close()).
 */
static __always_inline void conn_put(__u64 key, struct conn *at, const struct conn *c)
{
	if (!at) {
		at = bpf_map_lookup_elem(&conns, &key);
		if (at && conn_is_open(at))
			conn_unseen_close(at);
	}
	if (at)
		*at = *c;
	else
		bpf_map_update_elem(&conns, &key, c, BPF_ANY);
}

/* A connection on a traced port is open: remember its row for its close. */
static __always_inline void conn_open(const struct sock *sk, struct conn *at, __u16 port, __u8 dir,
				      __u64 ts, bool btf)
{
	struct conn c = { .start_ns = ts, .port = port, .dir = dir };

	c.sport = sk_local_port(sk, btf);
	c.dport = sk_remote_port(sk, btf);
	conn_put((__u64)sk, at, &c);
}

/* sk's entry while in its handshake (see handle_connect_start()), else NULL. */
static __always_inline struct conn *conn_connecting(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&conns, &key);

	return c && (c->flags & CONN_CONNECTING) ? c : NULL;
}

/*
 * Active open begins, in the connecting process: remember who and when, in
 * the entry the connection keeps once open (the ports come then: the local
 * one may not be chosen yet).
 */
static __always_inline int handle_connect_start(const struct sock *sk, bool btf)
{
	struct conn start = { .dir = DIR_OUT, .flags = CONN_CONNECTING };

	if (!traced(sk, IPPROTO_TCP, sk_remote_port(sk, btf), DIR_OUT, btf))
		return 0;
	current_owner(&start.proc);
	if (!owner_traced(&start.proc))
		return 0;
	start.start_ns = bpf_ktime_get_ns();
	conn_put((__u64)sk, NULL, &start);
	return 0;
}

/*
 * Active open ends: established, or closed before it got there. Runs in
 * softirq on completion, so the owner comes from the start record, never
 * from the current task (bcc issue #2304). With --pid or --comm, no start
 * record means not traced: connect() was not that process's, or came before
 * attach. The start record becomes the open connection's entry, or goes.
 */
static __always_inline int handle_connect_done(const struct sock *sk, bool ok, bool btf)
{
	struct conn *start;
	__u64 key = (__u64)sk;
	struct event e = {};

	if (!traced(sk, IPPROTO_TCP, sk_remote_port(sk, btf), DIR_OUT, btf))
		return 0;
	start = conn_connecting(sk);
	if (!start && owner_filtered())
		return 0;
	sk_fill_tuple(&e, sk, btf);
	e.ts_ns = ok ? tcp_established_ns(sk_tcp(sk, btf), start ? start->start_ns : 0, btf)
		     : bpf_ktime_get_ns();
	e.kind = ok ? EV_CONNECT_OK : EV_CONNECT_FAIL;
	e.dir = DIR_OUT;
	if (!ok)
		e.err = KREAD(btf, sk, sk_err); /* set before tcp_done() moves to CLOSE */
	if (start) {
		e.lat_ns = ok ? e.ts_ns - start->start_ns : 0;
		event_owner(&e, &start->proc);
	} else {
		stat_inc(STAT_NO_START);
	}
	if (ok)
		conn_open(sk, start, e.dport, DIR_OUT, e.ts_ns, btf);
	else if (start)
		bpf_map_delete_elem(&conns, &key);
	event_report(&e, sk);
	return 0;
}

/*
 * A traced listener opened or closed: tell user space, which keeps the list.
 * owner: who called listen(), for --pid and --comm.
 */
static __always_inline void listener_event(const struct sock *sk, __u8 kind,
					   const struct proc *owner, bool btf)
{
	struct event e = {};

	if (!traced(sk, IPPROTO_TCP, sk_local_port(sk, btf), DIR_IN, btf) || !owner_traced(owner))
		return;
	sk_fill_tuple(&e, sk, btf);
	e.netns = sk_netns(sk);
	e.ts_ns = bpf_ktime_get_ns();
	e.kind = kind;
	e.dir = DIR_IN;
	/* Both run in the process's close() or listen(): the file is still there. */
	e.sock_ino = BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
	event_owner(&e, owner);
	event_emit(&e); /* the listener list needs every one */
}

/* listen(): remember the owner of the port's passive sockets. */
static __always_inline int handle_listen(const struct sock *sk, bool btf)
{
	struct listener_key lk = { .netns = sk_netns(sk), .port = sk_local_port(sk, btf) };
	struct listener_owner owner = { .sk = (__u64)sk };

	current_owner(&owner.proc);
	bpf_map_update_elem(&listeners, &lk, &owner, BPF_ANY);
	listener_event(sk, EV_LISTEN, &owner.proc, btf);
	return 0;
}

/* The listener's owner is who called listen() (or held it at start), not who closes it. */
static __always_inline int handle_listen_close(const struct sock *sk, bool btf)
{
	struct listener_key lk = { .netns = sk_netns(sk), .port = sk_local_port(sk, btf) };
	struct listener_owner *entry = bpf_map_lookup_elem(&listeners, &lk);
	struct proc owner;

	/* With SO_REUSEPORT another socket may own the entry now: leave it. */
	if (entry && entry->sk == (__u64)sk) {
		owner = entry->proc;
		bpf_map_delete_elem(&listeners, &lk);
	} else {
		current_owner(&owner);
	}
	listener_event(sk, EV_LISTEN_CLOSE, &owner, btf);
	return 0;
}

/*
 * A passive open reached ESTABLISHED (in softirq: the current task is
 * whoever was interrupted), or a Fast Open child left SYN_RECV for FIN_WAIT1.
 * Latency is the kernel's own SYN-ACK -> ACK measurement: tcp_check_req()
 * calls tcp_synack_rtt_meas() on the child before it moves to ESTABLISHED,
 * so srtt_us holds that one sample (<<3), or 0 when there is none (the
 * SYN-ACK was retransmitted and the ACK echoes no timestamp, or it is not yet
 * acknowledged at FIN_WAIT1). With an accept hook the owner shown comes from
 * accept(), else (and when the child was accepted already) from whoever
 * called listen().
 * --pid and --comm look at the listen() caller on both: the acceptor is not
 * known yet, and an accept hook is not on every kernel. Stamped with the
 * ACK's processing (tcp_established_ns()) on ESTABLISHED; on FIN_WAIT1 (in
 * close()) the socket's clock is as old as its last segment: read the clock.
 */
static __always_inline int handle_passive_established(const struct sock *sk, int newstate,
						      bool accepted, bool btf)
{
	struct listener_key lk = { .port = sk_local_port(sk, btf) };
	struct listener_owner *owner;
	const struct tcp_sock *tp;
	__u64 key = (__u64)sk;
	struct event e = {};

	if (!traced(sk, IPPROTO_TCP, lk.port, DIR_IN, btf))
		return 0;
	lk.netns = sk_netns(sk);
	owner = bpf_map_lookup_elem(&listeners, &lk);
	if (!owner_traced(owner ? &owner->proc : NULL))
		return 0;
	sk_fill_tuple(&e, sk, btf);
	tp = sk_tcp(sk, btf);
	e.ts_ns = newstate == TCP_ESTABLISHED ? tcp_established_ns(tp, 0, btf) : bpf_ktime_get_ns();
	e.kind = EV_ACCEPT;
	e.dir = DIR_IN;
	e.lat_ns = tp ? (__u64)(KREAD(btf, tp, srtt_us) >> 3) * 1000 : 0;
	/* A Fast Open child may have been accepted already: no queue wait to measure. */
	if (accept_hooked && !accepted)
		bpf_map_update_elem(&accept_queue, &key, &e.ts_ns, BPF_ANY);
	else if (owner)
		event_owner(&e, &owner->proc);
	conn_open(sk, NULL, lk.port, DIR_IN, e.ts_ns, btf);
	event_report(&e, sk);
	return 0;
}

/*
 * accept() returned sk to the current process: the accept-queue wait is from
 * ESTABLISHED to now. Sockets not in accept_queue (another protocol, an
 * untraced port, established before attach) cost one failed lookup.
 */
static __always_inline int handle_accepted(const struct sock *sk, bool btf)
{
	__u64 key = (__u64)sk, *established;
	struct proc owner;
	struct event e = {};

	established = bpf_map_lookup_elem(&accept_queue, &key);
	if (!established)
		return 0;
	sk_fill_tuple(&e, sk, btf);
	e.ts_ns = bpf_ktime_get_ns();
	e.kind = EV_ACCEPTED;
	e.dir = DIR_IN;
	e.lat_ns = e.ts_ns - *established;
	current_owner(&owner);
	event_owner(&e, &owner);
	event_report(&e, sk);
	bpf_map_delete_elem(&accept_queue, &key);
	return 0;
}

/*
 * A passive child leaves ESTABLISHED or CLOSE_WAIT. If it is still queued
 * here yet has a struct socket, some process accepted it where the accept
 * hook could not see: a thread already blocked in accept() when the fexit or
 * kretprobe was attached, more concurrent accepts than the kretprobe's
 * maxactive (bcc issues #1072, #2165), or an accept that bypassed the syscall.
 * Count it so the summary can say how many queue waits are missing. Not with
 * the syscall tracepoint: accept() gives the socket its struct socket before
 * the syscall returns, so a peer's FIN in between (a client that closes at
 * once) would look like a miss, and the hook is about to see that accept().
 */
static __always_inline int handle_passive_leaving(const struct sock *sk, bool btf)
{
	__u64 key = (__u64)sk;

	if (!accept_hooked || accept_at_exit || !bpf_map_lookup_elem(&accept_queue, &key))
		return 0;
	if (!sk_has_socket(sk))
		return 0; /* closing while still in the queue: accept() may yet take it */
	stat_inc(STAT_ACCEPT_MISSED);
	bpf_map_delete_elem(&accept_queue, &key);
	return 0;
}

/*
 * A connection socktrace has no entry for: one open at start (the snapshot),
 * or one closing after its entry left conns (more connections open at once
 * than the map holds: --max-conns). Its direction is read off the socket:
 * "in" when its local port, lport, has a listener in its namespace, or else
 * when lport is a service port (outside the ephemeral range) and the remote
 * port is not (a server that has closed its listener); otherwise "out". Fills
 * c and *netns; false when the filters leave it out. For --pid and --comm an
 * "in" is its listener's owner's; who called connect() for an "out" is not
 * known now, so those filters leave every "out" out. Not inlined: the storm
 * never comes here.
 */
static __noinline bool conn_found(const struct sock *sk, __u16 lport, struct conn *c, __u32 *netns,
				  bool btf)
{
	struct listener_key lk = { .netns = sk_netns(sk), .port = lport };
	struct listener_owner *owner = bpf_map_lookup_elem(&listeners, &lk);
	__u16 rport = sk_remote_port(sk, btf);

	*c = (struct conn){ .sport = lport, .dport = rport };
	c->dir = owner || (!port_ephemeral(lport) && port_ephemeral(rport)) ? DIR_IN : DIR_OUT;
	c->port = c->dir == DIR_IN ? lport : rport;
	*netns = lk.netns;
	return traced(sk, IPPROTO_TCP, c->port, c->dir, btf) &&
	       owner_traced(owner ? &owner->proc : NULL);
}

/* This CPU's close_marks entry (NULL only to please the verifier). */
static __always_inline struct close_mark *close_mark_here(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&close_marks, &zero);
}

/* Remember that this CPU counted sk's close (close_marks, handle_release()). */
static __always_inline void close_mark(const struct sock *sk, const struct tcp_sock *tp, bool btf)
{
	struct close_mark *m = close_mark_here();

	if (m) {
		m->sk = (__u64)sk;
		m->snd_nxt = KREAD(btf, tp, snd_nxt);
	}
}

static __always_inline bool close_marked(const struct sock *sk, const struct tcp_sock *tp, bool btf)
{
	struct close_mark *m = close_mark_here();

	return m && m->sk == (__u64)sk && m->snd_nxt == KREAD(btf, tp, snd_nxt);
}

/* The close of sk, whose entry is c: its lifetime up to now, and what it carried. */
static __always_inline void conn_close_event(struct event *e, const struct sock *sk,
					     const struct tcp_sock *tp, const struct conn *c,
					     bool btf)
{
	sk_fill_tuple(e, sk, btf);
	e->ts_ns = bpf_ktime_get_ns();
	e->kind = EV_CLOSE;
	e->dir = c->dir;
	conn_ports(e, c);
	e->lat_ns = c->start_ns ? e->ts_ns - c->start_ns : 0;
	if (tp) {
		e->bytes_sent = tcp_payload_sent(tp, btf);
		e->bytes_received = tcp_payload_received(tp, btf);
		e->retrans = KREAD(btf, tp, total_retrans);
	}
	e->flags = c->flags & (EVF_RST_SENT | EVF_RST_RECV);
}

/*
 * A connection socktrace saw open (or found at start) reaches CLOSE: report
 * its lifetime and what it carried. The entry stays, marked closed, because
 * the kernel sends the reset of an abortive close (unread data, SO_LINGER 0)
 * only after the socket is already in CLOSE. was_open: the socket comes from
 * a state past the handshake; one with no entry then is a connection whose
 * entry left the map: still counted, found as at start (conn_found()),
 * without lifetime or resets, and without an entry, which would push another
 * connection's out. Until the snapshot has run, one with no entry opened
 * before attach: counted only if the snapshot finds it, and it may have read
 * it open already, so it gets a closed entry, which keeps the snapshot's
 * insert out (counted in neither).
 */
static __always_inline int handle_conn_close(const struct sock *sk, bool was_open, bool btf)
{
	const struct tcp_sock *tp = sk_tcp(sk, btf);
	__u64 key = (__u64)sk;
	struct event e = {};
	struct conn *c, found;

	if (!conn_port_traced(sk, btf))
		return 0;
	c = bpf_map_lookup_elem(&conns, &key);
	if (c && !conn_is_open(c))
		return 0;
	if (c) {
		c->flags |= CONN_CLOSED;
	} else if (!was_open || !tp) {
		return 0;
	} else if (!seeded) {
		found = (struct conn){ .flags = CONN_CLOSED }; /* matches no socket's ports */
		bpf_map_update_elem(&conns, &key, &found, BPF_NOEXIST);
		return 0;
	} else if (conn_found(sk, tcp_bound_port(tp, btf), &found, &e.netns, btf)) {
		stat_inc(STAT_CLOSE_NO_ENTRY);
		c = &found;
	} else {
		return 0;
	}
	conn_close_event(&e, sk, tp, c, btf);
	if (tp)
		close_mark(sk, tp, btf);
	event_report(&e, sk);
	return 0;
}

/*
 * The socket is released (tcp_v4_destroy_sock(), always after CLOSE): the
 * backstop for a close the state probe did not see. The kernel skips a run
 * of a program that would nest in a run of the same program on its CPU (a
 * softirq's state change interrupting the state probe in a process; README,
 * Overload): a connection whose CLOSE went unseen so still has an open entry
 * here, and is counted now, its lifetime up to now. A program of its own: the
 * kernel's skip is per program, so a state probe in progress on this CPU
 * does not make it skip this one. A close counted on this CPU just before,
 * the usual case (a socket its process has closed is released as it reaches
 * CLOSE), costs no lookup (close_marks). The late close is sent, never
 * counted here: this probe runs inside the interrupted state probe then,
 * which may be in the middle of counting a close on the same row, with plain
 * stores (count.bpf.h); the two would lose one count.
 */
static __always_inline int handle_release(const struct sock *sk, bool btf)
{
	const struct tcp_sock *tp;
	__u64 key = (__u64)sk;
	struct event e = {};
	struct conn *c;

	if (!conn_port_traced(sk, btf) || test_port_of(sk, test_skip_release_port, btf))
		return 0;
	tp = sk_tcp(sk, btf);
	if (!tp || close_marked(sk, tp, btf))
		return 0;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c || !conn_is_open(c))
		return 0;
	c->flags |= CONN_CLOSED;
	conn_close_event(&e, sk, tp, c, btf);
	stat_inc(STAT_CLOSE_LATE);
	e.netns = sk_netns(sk);
	event_emit(&e);
	return 0;
}

/* A reset on a connection: noted for its close, or reported now if it came after. */
static __always_inline int handle_reset(const struct sock *sk, __u8 flag, bool btf)
{
	__u64 key = (__u64)sk;
	struct event e = {};
	struct conn *c;
	__u16 lport;

	if (!conn_port_traced(sk, btf))
		return 0;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c || (c->flags & CONN_CONNECTING))
		return 0; /* in the handshake: its end says how it failed */
	/* Another socket at a reused address? (CLOSE releases the local port: 0.) */
	lport = sk_local_port(sk, btf);
	if (c->dport != sk_remote_port(sk, btf) || (lport && lport != c->sport)) {
		bpf_map_delete_elem(&conns, &key);
		return 0;
	}
	if (!(c->flags & CONN_CLOSED)) {
		c->flags |= flag;
		return 0;
	}
	sk_fill_tuple(&e, sk, btf);
	e.ts_ns = bpf_ktime_get_ns();
	e.kind = EV_RESET;
	e.dir = c->dir;
	conn_ports(&e, c);
	e.flags = flag;
	event_report(&e, sk);
	bpf_map_delete_elem(&conns, &key);
	return 0;
}

/* An IPv6 address that carries IPv4 (::ffff:a.b.c.d) is kept as IPv4. */
static __always_inline void peer_fold_v4mapped(struct udp_peer_key *peer)
{
	if (peer->family == AF_INET6 && !peer->addr[0] && !peer->addr[1] &&
	    peer->addr[2] == bpf_htonl(0x0000ffff)) {
		peer->family = AF_INET;
		peer->addr[0] = peer->addr[3];
		peer->addr[2] = peer->addr[3] = 0;
	}
}

/*
 * The datagram's address in msg (send: destination; receive: source, which
 * udp_recvmsg() has written by the time it returns). Returns its port, 0 if
 * there is none; peer gets the address.
 */
static __always_inline __u16 msghdr_peer(const struct msghdr *msg, struct udp_peer_key *peer)
{
	struct {
		__u16 family;
		__be16 port; /* same place in sockaddr_in and sockaddr_in6 */
		__u32 v4;    /* sockaddr_in's address, sockaddr_in6's flowinfo */
		__u32 v6[4];
	} addr = {};
	void *name;

	if (!msg)
		return 0;
	name = BPF_CORE_READ(msg, msg_name);
	if (!name || bpf_probe_read_kernel(&addr, sizeof(addr), name))
		return 0;
	if (addr.family == AF_INET) {
		peer->addr[0] = addr.v4;
	} else if (addr.family == AF_INET6) {
		__builtin_memcpy(peer->addr, addr.v6, sizeof(peer->addr));
	} else {
		return 0;
	}
	peer->family = addr.family;
	peer_fold_v4mapped(peer);
	return bpf_ntohs(addr.port);
}

/* A connected socket's remote address. */
static __always_inline void sk_peer(const struct sock *sk, struct udp_peer_key *peer, bool btf)
{
	peer->family = KREAD(btf, sk, __sk_common.skc_family);
	if (peer->family == AF_INET6)
		KREAD_INTO(btf, &peer->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32);
	else
		peer->addr[0] = KREAD(btf, sk, __sk_common.skc_daddr);
	peer_fold_v4mapped(peer);
}

/*
 * Distinct remote addresses per row: a new one is inserted once and counted
 * by the CPU that inserted it, so the per-CPU sum is exact. Per datagram that
 * is one lookup. Without an address (or with the set full) the datagram is
 * counted as one whose peer is unknown, and the count becomes a lower bound.
 * Returns whether the peer is in the set.
 */
static __always_inline bool udp_count_peer(struct udp_counts *cnt, struct udp_peer_key *peer)
{
	__u8 one = 1;

	if (!peer->family) {
		cnt->peers_unknown++;
		return false;
	}
	if (bpf_map_lookup_elem(&udp_peers, peer))
		return true;
	if (!bpf_map_update_elem(&udp_peers, peer, &one, BPF_NOEXIST)) {
		cnt->peers++;
		return true;
	}
	if (bpf_map_lookup_elem(&udp_peers, peer))
		return true; /* another CPU inserted it first */
	cnt->peers_unknown++; /* the set is full (or no memory for the entry) */
	return false;
}

static __always_inline bool peer_equal(const struct udp_peer_key *a, const struct udp_peer_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	_Static_assert(sizeof(*a) == 3 * sizeof(__u64), "udp_peer_key: three words");
	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2];
}

/* The socket's entry in udp_socks, made on its first counted datagram; NULL if none can be. */
static __always_inline struct udp_sk_entry *udp_sk_get(const struct sock *sk)
{
	struct udp_sk_entry zero = {};
	__u64 key = (__u64)sk;

	return map_lookup_or_init(&udp_socks, &key, &zero);
}

/* UDP "out": the first datagram back on the socket after one sent: one sample. */
static __always_inline void udp_response(const struct sock *sk, const struct udp_key *row,
					 __u64 sent_ns, bool btf)
{
	struct proc owner;
	struct event e = {};

	sk_fill_tuple(&e, sk, btf);
	e.proto = IPPROTO_UDP;
	e.ts_ns = bpf_ktime_get_ns();
	e.lat_ns = e.ts_ns - sent_ns;
	e.kind = EV_UDP_RESPONSE;
	e.dir = DIR_OUT;
	e.dport = row->port;
	current_owner(&owner);
	event_owner(&e, &owner);
	event_report(&e, sk);
}

#define UDP_SLOT_PROBES 16 /* slots a new row tries, from its own (udp_row_claim()) */

static __always_inline bool udp_key_equal(const struct udp_key *a, const struct udp_key *b)
{
	return a->port == b->port && a->dir == b->dir;
}

/*
 * A slot of udp_rows for a row's first datagram, plus one (0: none): the
 * first free one from a hash of the row on (open addressing), made its own
 * by inserting it in udp_slots. A CPU that comes second finds it taken by
 * the same row, and takes it too.
 */
static __always_inline __u32 udp_row_claim(const struct udp_key *row, __u32 idx)
{
	__u32 home = (idx * 2654435761u) >> 20, s; /* the hash's top 12 bits */
	struct udp_key *taken;

	_Static_assert(UDP_ROW_SLOTS == 1 << 12, "udp_row_claim(): a 12-bit hash");
	for (int i = 0; i < UDP_SLOT_PROBES; i++) {
		s = (home + i) & (UDP_ROW_SLOTS - 1);
		if (!bpf_map_update_elem(&udp_slots, &s, row, BPF_NOEXIST))
			return s + 1;
		taken = bpf_map_lookup_elem(&udp_slots, &s);
		if (taken && udp_key_equal(taken, row))
			return s + 1; /* this row's, from another CPU */
	}
	return 0;
}

/*
 * The counters of a UDP row on this CPU. Its slot is claimed once and kept
 * in udp_row_slot: every later datagram costs two array reads and no hash
 * lookup. NULL when no slot is free within UDP_SLOT_PROBES of its own.
 */
static __always_inline struct udp_counts *udp_row(const struct udp_key *row)
{
	__u32 idx = (__u32)row->port << 1 | (row->dir & 1), s;
	__u32 *slot = bpf_map_lookup_elem(&udp_row_slot, &idx);

	if (!slot)
		return NULL;
	if (!*slot) {
		s = udp_row_claim(row, idx);
		if (!s)
			return NULL;
		*slot = s; /* the same value from every CPU that writes it */
	}
	s = *slot - 1;
	return bpf_map_lookup_elem(&udp_rows, &s);
}

/*
 * A UDP datagram sent or received (ret: bytes, or -errno). Counted in the
 * kernel, per CPU, under its row: a local port outside the ephemeral range
 * is a service ("in"); otherwise the row is the remote port ("out"), from
 * the connected socket or the datagram's address (msg, where the hook has
 * it). A failed receive (EAGAIN...) is not a datagram: nothing to count.
 * These hooks run in the sending or receiving process: it owns the datagram.
 * Per datagram that is a few reads, a range test, the row's slot (two array
 * reads) and one map lookup: the socket's entry (connected or "out") or
 * else the peer.
 */
static __always_inline int handle_udp(const struct sock *sk, const struct msghdr *msg, long ret,
				      bool send, bool btf)
{
	struct udp_counts *cnt;
	__u16 lport = sk_local_port(sk, btf), rport = sk_remote_port(sk, btf);
	struct udp_peer_key peer = {};
	struct udp_sk_entry *us;

	if (ret < 0 && !send)
		return 0;
	if (!port_ephemeral(lport)) {
		peer.row.dir = DIR_IN;
		peer.row.port = lport;
	} else {
		peer.row.dir = DIR_OUT;
		peer.row.port = rport ?: msghdr_peer(msg, &peer); /* unconnected: the datagram's */
	}
	if (!peer.row.port) {
		stat_inc(STAT_UDP_NO_PORT);
		return 0;
	}
	if (!traced(sk, IPPROTO_UDP, peer.row.port, peer.row.dir, btf) || !current_traced())
		return 0;
	cnt = udp_row(&peer.row);
	if (!cnt)
		return 0;
	if (ret < 0) {
		if (send)
			cnt->send_errors++;
		return 0;
	}
	if (send) {
		cnt->datagrams_sent++;
		cnt->bytes_sent += ret;
	} else {
		cnt->datagrams_received++;
		cnt->bytes_received += ret;
	}
	/*
	 * The remote address, read only for traffic that is counted (and only
	 * once). A connected socket's peer is fixed: once its entry says the
	 * (row, peer) is counted, the set is not looked up again.
	 */
	us = rport || peer.row.dir == DIR_OUT ? udp_sk_get(sk) : NULL;
	if (rport) {
		sk_peer(sk, &peer, btf);
		if ((!us || !peer_equal(&us->peer, &peer)) && udp_count_peer(cnt, &peer) && us)
			us->peer = peer;
	} else {
		if (!peer.family)
			msghdr_peer(msg, &peer);
		udp_count_peer(cnt, &peer);
	}
	/* "out": a datagram sent starts the clock unless one is waiting; one back stops it. */
	if (peer.row.dir != DIR_OUT || !us)
		return 0;
	if (send && !us->sent_ns) {
		us->sent_ns = bpf_ktime_get_ns();
	} else if (!send && us->sent_ns) {
		udp_response(sk, &peer.row, us->sent_ns, btf);
		us->sent_ns = 0;
	}
	return 0;
}

/*
 * sk leaves SYN_RECV for ESTABLISHED, or for FIN_WAIT1: a Fast Open child
 * that its server closed before the client's ACK of the SYN-ACK came
 * (shutdown() does nothing in SYN_RECV) never passes ESTABLISHED. SYN_RECV is
 * also the middle of a simultaneous open, told by its struct socket (no map
 * lookup), read once here.
 */
static __always_inline int handle_syn_recv_left(const struct sock *sk, int newstate, bool btf)
{
	const struct socket *sock = BPF_CORE_READ(sk, sk_socket);

	if (sock_connecting(sock))
		return newstate == TCP_ESTABLISHED ? handle_connect_done(sk, true, btf) : 0;
	return handle_passive_established(sk, newstate, sock != NULL, btf);
}

/* One TCP state change, mapped onto the handlers above. */
static __always_inline int handle_tcp_state(const struct sock *sk, int oldstate, int newstate,
					    bool btf)
{
	switch (newstate) {
	case TCP_SYN_SENT:
		return connect_via_state ? handle_connect_start(sk, btf) : 0;
	case TCP_LISTEN:
		return handle_listen(sk, btf);
	case TCP_ESTABLISHED:
		if (oldstate == TCP_SYN_SENT)
			return handle_connect_done(sk, true, btf);
		/* fall through */
	case TCP_FIN_WAIT1:
		if (oldstate == TCP_SYN_RECV)
			return handle_syn_recv_left(sk, newstate, btf);
		break;
	case TCP_CLOSE:
		if (oldstate == TCP_SYN_SENT)
			return handle_connect_done(sk, false, btf);
		/* Only a handshake can close from SYN_RECV: look it up there, not on every close.
		 */
		if (oldstate == TCP_SYN_RECV && conn_port_traced(sk, btf) && conn_connecting(sk))
			return handle_connect_done(sk, false, btf);
		if (oldstate == TCP_LISTEN)
			return handle_listen_close(sk, btf);
		break;
	}
	if (oldstate == TCP_ESTABLISHED || oldstate == TCP_CLOSE_WAIT)
		handle_passive_leaving(sk, btf);
	/* Past the handshake: open. */
	if (newstate == TCP_CLOSE && !test_port_of(sk, test_skip_close_port, btf))
		return handle_conn_close(sk, oldstate != TCP_SYN_RECV && oldstate != TCP_CLOSE,
					 btf);
	return 0;
}

/*
 * Hook "state" (tracepoint on every backend): completion, failure, listen,
 * passive establishment. The kernel's stable ABI for TCP state, since 4.16.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_inet_sock_set_state, const struct sock *sk, int oldstate, int newstate)
{
	if (sk_protocol(sk, SK_BTF) != IPPROTO_TCP)
		return 0;
	return handle_tcp_state(sk, oldstate, newstate, SK_BTF);
}

/* Hook "state", its backstop: a TCP socket is released (handle_release()). */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(tp_tcp_destroy_sock, const struct sock *sk)
{
	return handle_release(sk, SK_BTF);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tp_tcp_receive_reset, const struct sock *sk)
{
	return handle_reset(sk, EVF_RST_RECV, SK_BTF);
}

/* sk is NULL for a reset in reply to a segment that matched no socket. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tp_tcp_send_reset, const struct sock *sk)
{
	return sk ? handle_reset(sk, EVF_RST_SENT, SK_BTF) : 0;
}

/*
 * Snapshot at start (iter/tcp, run twice by user space): pass 0 records the
 * listening ports, and writes the inode of each listener that the socket
 * filters keep (user space lists those); pass 1 the connections open on
 * traced ports, classified by conn_found(). Each is written to the
 * iterator's output as a struct event, and remembered for its close.
 * BPF_NOEXIST: a connection the hooks already saw (or saw close, while
 * socktrace started) is not counted. Pass 2, at exit with the probes
 * detached, marks the open entries whose connection is still there
 * (conn_check_alive()), once, at the walk's end: user space counts the
 * others as closed (tracer.c tracer__finish()).
 */
static __always_inline int seed_conn(struct seq_file *seq, const struct sock *sk, int state,
				     bool btf)
{
	struct event e = {};
	__u64 key = (__u64)sk;
	struct conn c;

	switch (state) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
	case TCP_CLOSING:
		break;
	default:
		return 0;
	}
	if (!conn_found(sk, sk_local_port(sk, btf), &c, &e.netns, btf))
		return 0;
	if (bpf_map_update_elem(&conns, &key, &c, BPF_NOEXIST))
		return 0;
	sk_fill_tuple(&e, sk, btf);
	e.kind = EV_EXISTING;
	e.dir = c.dir;
	e.ts_ns = bpf_ktime_get_ns();
	/*
	 * A full buffer (8 pages a read()): the kernel runs this socket again
	 * in the next read(), where the entry would make the insert fail and
	 * the record be lost: take the entry back.
	 */
	if (bpf_seq_write(seq, &e, sizeof(e)))
		bpf_map_delete_elem(&conns, &key);
	return 0;
}

/*
 * Whether the connection whose open entry c is (at socket address key) is
 * still there: the socket at that address is not closed and has the ports it
 * opened with. Read with probe reads: it may have been freed. TCP sockets'
 * memory stays TCP sockets' until an RCU grace period after its slab page is
 * released, so a freed one reads CLOSE (its last state) or another
 * connection's ports. Any namespace's socket, unlike the iterator's.
 */
static long conn_check_alive(struct bpf_map *map, const __u64 *key, struct conn *c, void *ctx)
{
	const struct sock *sk = (const struct sock *)*key;

	if (conn_is_open(c) && BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_CLOSE &&
	    sk_local_port(sk, SK_RAW) == c->sport && sk_remote_port(sk, SK_RAW) == c->dport)
		c->flags |= CONN_ALIVE;
	return 0;
}

/* A listening socket open at start: its inode, if the socket filters keep it. */
static __always_inline void seed_listener(struct seq_file *seq, const struct sock *sk, __u8 proto,
					  bool btf)
{
	__u64 ino;

	if (!traced(sk, proto, sk_local_port(sk, btf), DIR_IN, btf))
		return;
	ino = BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
	bpf_seq_write(seq, &ino, sizeof(ino));
}

SEC("iter/tcp")
int iter_tcp_seed(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct listener_key lk = {};
	struct listener_owner owner = {};
	const struct sock *sk;
	int state;

	if (!skc) { /* the end of the walk */
		if (seed_pass == 2)
			bpf_for_each_map_elem(&conns, conn_check_alive, NULL, 0);
		return 0;
	}
	if (seed_pass == 2)
		return 0;
	sk = (const struct sock *)bpf_skc_to_tcp_sock(skc); /* no request or timewait socks */
	if (!sk)
		return 0;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (seed_pass == 1)
		return seed_conn(ctx->meta->seq, sk, state, SK_RAW);
	if (state != TCP_LISTEN)
		return 0;
	lk.netns = sk_netns(sk);
	lk.port = sk_local_port(sk, SK_RAW);
	owner.sk = (__u64)sk;
	/* Owner unknown here (pid 0): user space gives it the holder it found. */
	bpf_map_update_elem(&listeners, &lk, &owner, BPF_NOEXIST);
	seed_listener(ctx->meta->seq, sk, IPPROTO_TCP, SK_RAW);
	return 0;
}

/* The unconnected UDP sockets (the live view's UDP listeners) the socket filters keep. */
SEC("iter/udp")
int iter_udp_seed(struct bpf_iter__udp *ctx)
{
	const struct sock *sk = (const struct sock *)ctx->udp_sk;

	if (sk && !sk_remote_port(sk, SK_RAW) && sk_local_port(sk, SK_RAW))
		seed_listener(ctx->meta->seq, sk, IPPROTO_UDP, SK_RAW);
	return 0;
}

/* Hook "connect": active open starts, in the connecting process. */
SEC("fentry/tcp_connect")
int BPF_PROG(fentry_tcp_connect, struct sock *sk)
{
	return handle_connect_start(sk, SK_RAW);
}

SEC("kprobe/tcp_connect")
int BPF_KPROBE(kprobe_tcp_connect, struct sock *sk)
{
	return handle_connect_start(sk, SK_RAW);
}

/*
 * Hook "accept": accept() returns a connection, in the accepting process.
 * inet_csk_accept()'s arguments changed in 6.10 (struct proto_accept_arg);
 * the return value did not, so fexit reads only that.
 */
SEC("fexit/inet_csk_accept")
int BPF_PROG(fexit_inet_csk_accept)
{
	__u64 newsk = 0;

	bpf_get_func_ret(ctx, &newsk);
	return handle_accepted((const struct sock *)newsk, SK_RAW);
}

SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(kretprobe_inet_csk_accept, const struct sock *newsk)
{
	return handle_accepted(newsk, SK_RAW);
}

/* Layout of a syscalls:sys_exit_* record (see its format file in tracefs). */
struct syscall_exit {
	__u64 common;
	int nr;
	long ret;
};

/* The socket behind a file descriptor of the current process, or NULL. */
static __always_inline const struct sock *fd_sock(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct socket *sock;
	struct file *file;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

SEC("tp/syscalls/sys_exit_accept4")
int tp_sys_exit_accept4(const struct syscall_exit *ctx)
{
	const struct sock *sk = fd_sock(ctx->ret);

	return sk ? handle_accepted(sk, SK_RAW) : 0;
}

SEC("tp/syscalls/sys_exit_accept")
int tp_sys_exit_accept(const struct syscall_exit *ctx)
{
	const struct sock *sk = fd_sock(ctx->ret);

	return sk ? handle_accepted(sk, SK_RAW) : 0;
}

/*
 * Hooks "udp_send" and "udp_recv" (IPv4 and IPv6): the size and the result
 * are the return value, so fexit and kretprobe; the kprobe keeps the
 * arguments for its kretprobe. inet_sendmsg()/inet_recvmsg() call these
 * through the protocol, so the same wrappers serve both directions.
 */
static __always_inline int fexit_udp(unsigned long long *ctx, bool send)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return handle_udp((const struct sock *)ctx[0], (const struct msghdr *)ctx[1], (long)ret,
			  send, SK_RAW);
}

SEC("fexit/udp_sendmsg")
int BPF_PROG(fexit_udp_sendmsg)
{
	return fexit_udp(ctx, true);
}

SEC("fexit/udpv6_sendmsg")
int BPF_PROG(fexit_udpv6_sendmsg)
{
	return fexit_udp(ctx, true);
}

SEC("fexit/udp_recvmsg")
int BPF_PROG(fexit_udp_recvmsg)
{
	return fexit_udp(ctx, false);
}

SEC("fexit/udpv6_recvmsg")
int BPF_PROG(fexit_udpv6_recvmsg)
{
	return fexit_udp(ctx, false);
}

static __always_inline int kprobe_udp_entry(const struct sock *sk, const struct msghdr *msg)
{
	struct udp_call call = { .sk = (__u64)sk, .msg = (__u64)msg };
	__u64 id = bpf_get_current_pid_tgid();

	bpf_map_update_elem(&udp_calls, &id, &call, BPF_ANY);
	return 0;
}

static __always_inline int kprobe_udp_return(long ret, bool send)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct udp_call *call = bpf_map_lookup_elem(&udp_calls, &id);

	if (!call)
		return 0;
	handle_udp((const struct sock *)call->sk, (const struct msghdr *)call->msg, ret, send,
		   SK_RAW);
	bpf_map_delete_elem(&udp_calls, &id);
	return 0;
}

SEC("kprobe/udp_sendmsg")
int BPF_KPROBE(kprobe_udp_sendmsg, struct sock *sk, struct msghdr *msg)
{
	return kprobe_udp_entry(sk, msg);
}

SEC("kretprobe/udp_sendmsg")
int BPF_KRETPROBE(kretprobe_udp_sendmsg, long ret)
{
	return kprobe_udp_return(ret, true);
}

SEC("kprobe/udpv6_sendmsg")
int BPF_KPROBE(kprobe_udpv6_sendmsg, struct sock *sk, struct msghdr *msg)
{
	return kprobe_udp_entry(sk, msg);
}

SEC("kretprobe/udpv6_sendmsg")
int BPF_KRETPROBE(kretprobe_udpv6_sendmsg, long ret)
{
	return kprobe_udp_return(ret, true);
}

SEC("kprobe/udp_recvmsg")
int BPF_KPROBE(kprobe_udp_recvmsg, struct sock *sk, struct msghdr *msg)
{
	return kprobe_udp_entry(sk, msg);
}

SEC("kretprobe/udp_recvmsg")
int BPF_KRETPROBE(kretprobe_udp_recvmsg, long ret)
{
	return kprobe_udp_return(ret, false);
}

SEC("kprobe/udpv6_recvmsg")
int BPF_KPROBE(kprobe_udpv6_recvmsg, struct sock *sk, struct msghdr *msg)
{
	return kprobe_udp_entry(sk, msg);
}

SEC("kretprobe/udpv6_recvmsg")
int BPF_KRETPROBE(kretprobe_udpv6_recvmsg, long ret)
{
	return kprobe_udp_return(ret, false);
}

/*
 * sock:sock_send_length and sock_recv_length (6.3+) pass every protocol and
 * no address: an unconnected client socket's datagrams have no row here.
 */
SEC("tp_btf/sock_send_length")
int BPF_PROG(tp_sock_send_length, struct sock *sk, int ret, int flags)
{
	return sk_protocol(sk, SK_BTF) == IPPROTO_UDP ? handle_udp(sk, NULL, ret, true, SK_BTF) : 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(tp_sock_recv_length, struct sock *sk, int ret, int flags)
{
	return sk_protocol(sk, SK_BTF) == IPPROTO_UDP ? handle_udp(sk, NULL, ret, false, SK_BTF)
						      : 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
