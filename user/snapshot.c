// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "iter.h"
#include "log.h"
#include "snapshot.h"
/* The records shared with the BPF side ("snapshot.h" alone is this directory's). */
#include "../bpf/snapshot.h"
#include "snapshot.skel.h"

/* No padding in the records: both sides agree on their size. */
_Static_assert(sizeof(struct snap_sock) == 64 && sizeof(struct snap_file) == 32,
	       "struct snap_sock or snap_file has padding");

struct snapshot {
	struct sockinfo *socks;
	size_t n;
};

/* libbpf's messages (its warnings carry the verifier's log) only under -v. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return log_verbose ? vfprintf(stderr, fmt, args) : 0;
}

/* IPv4 addresses as IPv4-mapped IPv6 ones, so that one type holds both. */
static void addr_set(struct in6_addr *a, __u16 family, __u32 v4, const __u8 *v6)
{
	if (family == AF_INET6) {
		memcpy(a, v6, sizeof(*a));
		return;
	}
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	memcpy(&a->s6_addr[12], &v4, sizeof(v4)); /* network order, as the kernel keeps it */
}

static void sock_from_record(struct sockinfo *s, const struct snap_sock *r)
{
	memset(s, 0, sizeof(*s));
	addr_set(&s->laddr, r->family, r->saddr_v4, r->saddr_v6);
	addr_set(&s->raddr, r->family, r->daddr_v4, r->daddr_v6);
	s->ino = r->ino;
	s->netns = r->netns;
	s->qlen = r->ack_backlog;
	s->backlog = r->max_ack_backlog;
	s->drops = r->drops;
	s->lport = r->sport;
	s->rport = r->dport;
	s->family = r->family;
	s->proto = r->proto;
	s->state = r->state;
}

/* The sockets of both iterators, with their owners from the file iterator. 0 or -errno. */
static int snapshot_fill(struct snapshot *snap, const struct iter_out *tcp,
			 const struct iter_out *udp, const struct iter_out *files)
{
	const size_t ssz = sizeof(struct snap_sock), fsz = sizeof(struct snap_file);
	size_t ntcp = tcp->len / ssz, m = files->len / fsz;
	struct sock_owner *owners;

	if (tcp->len % ssz || udp->len % ssz || files->len % fsz)
		return -EPROTO;
	snap->n = ntcp + udp->len / ssz;
	snap->socks = calloc(snap->n ? snap->n : 1, sizeof(*snap->socks));
	owners = calloc(m ? m : 1, sizeof(*owners));
	if (!snap->socks || !owners) {
		free(owners);
		return -ENOMEM;
	}
	for (size_t i = 0; i < snap->n; i++) {
		const struct iter_out *src = i < ntcp ? tcp : udp;
		struct snap_sock r;

		memcpy(&r, src->data + (i < ntcp ? i : i - ntcp) * ssz, ssz);
		sock_from_record(&snap->socks[i], &r);
	}
	for (size_t i = 0; i < m; i++) {
		struct snap_file f;

		memcpy(&f, files->data + i * fsz, fsz);
		owners[i].ino = f.ino;
		owners[i].pid = f.pid;
		memcpy(owners[i].comm, f.comm, sizeof(owners[i].comm));
		owners[i].comm[sizeof(owners[i].comm) - 1] = '\0';
	}
	sockinfo__set_owners(snap->socks, snap->n, owners, m);
	log_debug("snapshot: %zu TCP and %zu UDP sockets, %zu socket file descriptors", ntcp,
		  snap->n - ntcp, m);
	free(owners);
	return 0;
}

/* Run the three iterators; 0, or -errno after one line saying which failed. */
static int snapshot_read(struct snapshot_bpf *skel, struct iter_out out[3])
{
	struct {
		struct bpf_program *prog;
		const char *what;
	} iters[3] = {
		{ skel->progs.snap_tcp, "TCP sockets (iter/tcp)" },
		{ skel->progs.snap_udp, "UDP sockets (iter/udp)" },
		{ skel->progs.snap_files, "the processes' sockets (iter/task_file)" },
	};

	for (int i = 0; i < 3; i++) {
		int err = iter__read(iters[i].prog, &out[i]);

		if (err) {
			log_err("failed to read %s: %s", iters[i].what, strerror(-err));
			return err;
		}
	}
	return 0;
}

struct snapshot_iters {
	struct snapshot_bpf *skel;
};

int snapshot__load(struct snapshot_iters **out)
{
	libbpf_print_fn_t old_print = libbpf_set_print(libbpf_print);
	struct snapshot_iters *it = calloc(1, sizeof(*it));
	int err = it && (it->skel = snapshot_bpf__open_and_load()) ? 0 : -errno;

	libbpf_set_print(old_print);
	if (err) {
		log_err("failed to load the snapshot iterators: %s%s", strerror(-err),
			log_verbose ? "" : " (-v shows libbpf's log)");
		free(it);
		it = NULL;
	}
	*out = it;
	return err;
}

int snapshot__read(struct snapshot_iters *it, struct snapshot **out)
{
	libbpf_print_fn_t old_print = libbpf_set_print(libbpf_print);
	struct iter_out iters[3] = {};
	struct snapshot *snap = NULL;
	int err;

	*out = NULL;
	err = snapshot_read(it->skel, iters);
	if (err)
		goto cleanup;
	snap = calloc(1, sizeof(*snap));
	err = snap ? snapshot_fill(snap, &iters[0], &iters[1], &iters[2]) : -ENOMEM;
	if (err) {
		log_err("failed to read the snapshot: %s", strerror(-err));
		snapshot__free(snap);
		goto cleanup;
	}
	*out = snap;
cleanup:
	for (int i = 0; i < 3; i++)
		free(iters[i].data);
	libbpf_set_print(old_print);
	return err;
}

void snapshot__unload(struct snapshot_iters *it)
{
	if (!it)
		return;
	snapshot_bpf__destroy(it->skel);
	free(it);
}

int snapshot__take(struct snapshot **out)
{
	struct snapshot_iters *it;
	int err;

	*out = NULL;
	err = snapshot__load(&it);
	if (err)
		return err;
	err = snapshot__read(it, out);
	snapshot__unload(it);
	return err;
}

size_t snapshot__count(const struct snapshot *snap)
{
	return snap->n;
}

const struct sockinfo *snapshot__socket(const struct snapshot *snap, size_t i)
{
	return i < snap->n ? &snap->socks[i] : NULL;
}

const struct sockinfo *snapshot__sockets(const struct snapshot *snap, size_t *n)
{
	*n = snap->n;
	return snap->socks;
}

void snapshot__free(struct snapshot *snap)
{
	if (!snap)
		return;
	free(snap->socks);
	free(snap);
}
