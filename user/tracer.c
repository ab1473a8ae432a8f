// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "clock.h"
#include "filter.h"
#include "hooks.h"
#include "iter.h"
#include "kindhot.h"
#include "log.h"
#include "ports.h"
#include "sockinfo.h"
#include "tracer.h"
#include "socktrace.skel.h"

/* Not in Debian 12's <linux/capability.h> for every libc: define what we test. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define BTF_PATH "/sys/kernel/btf/vmlinux"

/* A ring-buffer record: the kernel's 8-byte header and the event, 8-byte aligned. */
#define RINGBUF_RECORD_BYTES (8 + ((sizeof(struct event) + 7) & ~(size_t)7))

struct tracer {
	struct socktrace_bpf *skel;
	struct ring_buffer *rb;
	struct hooks hooks;
	int nr_cpus;
	int stats_fd;	  /* BPF_ENABLE_STATS while held; -1: not asked for */
	char backend[80]; /* tracer__backend() */
	double drained;	  /* when tracer__poll() last emptied the buffer (CLOCK_MONOTONIC s) */
	double early_ms;  /* at the rate then, how soon the next wait should end; 0: not */
	struct kind_hot_copy hot; /* tracer__kind_rows()' copy of kind_hot, kept between readings */
};

/* libbpf's warnings are noise while a failed load will be retried, or attach is being tried. */
static bool quiet_warnings;

static bool cap_effective(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1U << (cap % 32));
}

int tracer__preflight(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data) == 0 && !cap_effective(data, CAP_SYS_ADMIN) &&
	    !(cap_effective(data, CAP_BPF) && cap_effective(data, CAP_PERFMON))) {
		log_err("need root (or CAP_BPF and CAP_PERFMON) to load BPF programs: run with "
			"sudo");
		return -EPERM;
	}
	if (access(BTF_PATH, R_OK)) {
		log_err("kernel lacks BTF (%s: %s): socktrace needs a kernel built with "
			"CONFIG_DEBUG_INFO_BTF=y",
			BTF_PATH, strerror(errno));
		return -ENOENT;
	}
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	/* Warnings always (they carry the verifier's log on a failed load); the rest under -v. */
	if (level != LIBBPF_WARN && !log_verbose)
		return 0;
	if (quiet_warnings && !log_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* The filters, as read-only data: the verifier removes the checks of those not given. */
static void configure_filters(struct socktrace_bpf *skel, const struct filters *f)
{
	skel->rodata->filter_proto = f->proto;
	skel->rodata->filter_dir = f->dir;
	skel->rodata->filter_netns = f->netns;
	skel->rodata->filter_cgroup = f->cgroup_id;
	skel->rodata->filter_cgroup_level = f->cgroup_level;
	skel->rodata->filter_pid = f->pid;
	memcpy((void *)skel->rodata->filter_comm, f->comm, sizeof(f->comm));
}

/*
 * Kernel memory for the rows counted in the kernel: a kind_rows value is
 * ~5 KB on each possible CPU, so a host with many CPUs gets fewer rows (at
 * least KIND_ROWS_MIN); the events of rows past them are sent instead.
 */
#define KIND_ROWS_BUDGET (32u << 20)
#define KIND_ROWS_MIN 64u

static void size_kind_rows(struct socktrace_bpf *skel)
{
	int ncpus = libbpf_num_possible_cpus();
	size_t per_row = sizeof(struct kind_counts) * (size_t)(ncpus > 0 ? ncpus : 1);
	size_t rows = KIND_ROWS_BUDGET / per_row;
	__u32 max = bpf_map__max_entries(skel->maps.kind_rows);

	if (rows < KIND_ROWS_MIN)
		rows = KIND_ROWS_MIN;
	if (rows < max)
		bpf_map__set_max_entries(skel->maps.kind_rows, (__u32)rows);
}

/*
 * kind_hot takes KIND_HOT_SLOTS slots of ~5 KB on each possible CPU; a host
 * with many CPUs gets fewer (a power of two, at least one).
 */
#define KIND_HOT_BUDGET (4u << 20)

static void size_kind_hot(struct socktrace_bpf *skel)
{
	int ncpus = libbpf_num_possible_cpus();
	size_t per_slot = sizeof(struct kind_hot) * (size_t)(ncpus > 0 ? ncpus : 1);
	__u32 slots = KIND_HOT_SLOTS;

	while (slots > 1 && slots * per_slot > KIND_HOT_BUDGET)
		slots /= 2;
	bpf_map__set_max_entries(skel->maps.kind_hot, slots);
	skel->rodata->kind_hot_mask = slots - 1;
}

static void configure(struct socktrace_bpf *skel, const struct tracer_opts *opts)
{
	const struct portset *ports = opts->ports;
	struct port_range eph;

	skel->rodata->filter_ports = ports != NULL;
	skel->rodata->count_in_kernel = !opts->every_event;
	size_kind_rows(skel);
	size_kind_hot(skel);
	skel->rodata->filter_family = opts->family;
	if (ports)
		memcpy((void *)skel->rodata->port_bitmap, ports->bits, sizeof(ports->bits));
	if (opts->filters)
		configure_filters(skel, opts->filters);
	/* The ephemeral range decides which UDP port is the service; else the default. */
	if (!port_range__read(PORT_RANGE_PATH, &eph)) {
		skel->rodata->ephemeral_lo = eph.lo;
		skel->rodata->ephemeral_hi = eph.hi;
	} else {
		log_debug("cannot read %s: UDP uses the default ephemeral range", PORT_RANGE_PATH);
	}
	if (opts->max_conns)
		bpf_map__set_max_entries(skel->maps.conns, opts->max_conns);
	skel->rodata->test_skip_close_port = opts->test_skip_close_port;
	skel->rodata->test_skip_release_port = opts->test_skip_release_port;
	if (opts->ringbuf_bytes) {
		bpf_map__set_max_entries(skel->maps.events, opts->ringbuf_bytes);
		skel->rodata->wakeup_bytes = opts->ringbuf_bytes / 8;
	}
}

static int fail(int err, const char *what)
{
	const char *hint = "";

	if (err == -EPERM || err == -EACCES)
		hint = " (run as root, or grant CAP_BPF and CAP_PERFMON)";
	log_err("failed to %s: %s%s", what, strerror(-err), hint);
	return err;
}

/* The next backend whose programs a failed load should drop, or BACKEND_MAX for none. */
static enum backend next_drop(const struct hooks *h, enum backend only)
{
	for (int b = 0; b < BACKEND_TRACEPOINT; b++) {
		if (!h->load_err[b] && (only == BACKEND_AUTO || b == (int)only))
			return b;
	}
	return BACKEND_MAX;
}

/* One line for a forced backend that cannot be used, with what to do instead. */
static int forced_fail(const char *what, enum backend b, int err)
{
	const char *hint = "";

	if ((err == -EPERM || err == -EACCES) && b != BACKEND_TRACEPOINT)
		hint = b == BACKEND_FENTRY ? ": this kernel refuses BPF trampolines (locked down?)"
					   : ": this kernel refuses kprobes (locked down?)";
	else if (err == -ENOENT)
		hint = b == BACKEND_KPROBE ? ": this kernel offers no kprobes here"
					   : ": not in this kernel";
	log_err("cannot use --backend %s: %s: %s%s; socktrace --check shows what works here",
		backend__name(b), what, strerror(-err), hint);
	return err;
}

/*
 * The kernel's BTF, parsed, or NULL (errno set). Since 6.16 the kernel lets
 * BTF_PATH be mapped: parsed from the mapping, its 5.5 MB need not be read
 * into fresh memory first (18 ms instead of 43 on 6.18 here). Elsewhere
 * libbpf reads it.
 */
static struct btf *vmlinux_btf(void)
{
	int fd = open(BTF_PATH, O_RDONLY | O_CLOEXEC);
	struct btf *btf = NULL;
	struct stat st;
	void *map;

	if (fd >= 0 && !fstat(fd, &st) && st.st_size > 0) {
		map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map != MAP_FAILED) {
			btf = btf__new(map, st.st_size); /* a copy: the mapping can go */
			munmap(map, st.st_size);
		}
	}
	if (fd >= 0)
		close(fd);
	return btf ? btf : btf__load_vmlinux_btf();
}

/*
 * Before the open: the kernel's BTF says which targets exist, and one tiny
 * fentry program whether trampolines load at all (else the whole object
 * fails to load, and is parsed, relocated and verified a second time).
 * Where no kprobe can attach (hooks__kprobes_offered()), their programs are
 * left out.
 */
static int open_prepared(struct tracer *t, const struct tracer_opts *opts, bool first)
{
	struct btf *vmlinux = vmlinux_btf();
	int err;

	if (!vmlinux)
		log_debug("cannot read the kernel's BTF: %s", strerror(errno));
	if (first && (opts->backend == BACKEND_AUTO || opts->backend == BACKEND_FENTRY)) {
		err = hooks__try_trampoline(vmlinux);
		if (err)
			log_debug("a test fentry program does not load (%s): no fentry programs",
				  strerror(-err));
		t->hooks.load_err[BACKEND_FENTRY] = err;
	}
	/* Not verified for nothing; --check and --backend kprobe load them all the same. */
	if (first && opts->backend == BACKEND_AUTO && !opts->every_program) {
		err = hooks__kprobes_offered();
		if (err)
			log_debug("this kernel has no kprobes: no kprobe programs");
		t->hooks.load_err[BACKEND_KPROBE] = err;
	}
	t->skel = socktrace_bpf__open();
	err = t->skel ? 0 : -errno;
	if (t->skel) {
		configure(t->skel, opts);
		hooks__prepare(&t->hooks, t->skel->obj, opts->backend, vmlinux);
	}
	/* Freed before the load reads its own copy: one 5.5 MB copy at a time. */
	btf__free(vmlinux);
	return err;
}

/*
 * Open, configure and load. Every program this run may attach is loaded, so
 * the verifier sees them all. A failed load is retried without the fentry
 * programs, then without the kprobe ones: a kernel that cannot load a backend
 * then simply does not offer it (and a forced one is reported as such).
 */
static int load(struct tracer *t, const struct tracer_opts *opts)
{
	enum backend drop;
	int err;

	for (bool first = true;; first = false) {
		err = open_prepared(t, opts, first);
		if (err)
			return fail(err, "open BPF object");
		drop = next_drop(&t->hooks, opts->backend);
		quiet_warnings = drop != BACKEND_MAX; /* the last try shows the verifier's log */
		err = socktrace_bpf__load(t->skel);
		quiet_warnings = false;
		if (!err)
			break;
		socktrace_bpf__destroy(t->skel);
		t->skel = NULL;
		if (drop == BACKEND_MAX)
			return fail(err,
				    "load BPF programs (socktrace -v shows the verifier's log)");
		log_debug("loading failed (%s); retrying without %s programs", strerror(-err),
			  backend__name(drop));
		t->hooks.load_err[drop] = err;
	}
	if (opts->backend < BACKEND_TRACEPOINT && t->hooks.load_err[opts->backend])
		return forced_fail("its BPF programs do not load", opts->backend,
				   t->hooks.load_err[opts->backend]);
	return 0;
}

/* A forced backend that does not attach for one hook. */
static int forced_attach_fail(enum hook_id id, enum backend b, int err)
{
	char what[96];

	snprintf(what, sizeof(what), "the %s hook (%s) does not attach", hooks__name(id),
		 hooks__describe(id, b));
	return forced_fail(what, b, err);
}

static void backend_summary(struct tracer *t)
{
	enum backend c = t->hooks.hook[HOOK_CONNECT].backend;
	enum backend a = t->hooks.hook[HOOK_ACCEPT].backend;

	/* An accept hook left off by choice is said in the start line, not here. */
	if (a == c || tracer__accept_left_off(t))
		snprintf(t->backend, sizeof(t->backend), "%s", backend__name(c));
	else if (a == BACKEND_MAX)
		snprintf(t->backend, sizeof(t->backend), "%s, no accept hook", backend__name(c));
	else
		snprintf(t->backend, sizeof(t->backend), "connect %s, accept %s", backend__name(c),
			 backend__name(a));
}

/*
 * UDP is optional: a kernel without its hooks still traces TCP, unless UDP
 * is all that was asked for (--proto udp). --proto tcp leaves them off.
 */
static int attach_udp(struct tracer *t, enum backend only, int proto)
{
	int err = 0;

	if (proto == IPPROTO_TCP)
		return 0;
	for (int id = HOOK_UDP_SEND; id <= HOOK_UDP_RECV && !err; id++)
		err = hooks__attach(&t->hooks, t->skel->obj, id, only);
	if (!err)
		return 0;
	hooks__detach_one(&t->hooks, HOOK_UDP_SEND);
	if (proto == IPPROTO_UDP)
		return fail(err, "attach the UDP hooks (--proto udp)");
	log_info("no UDP hook attaches here (%s): UDP is not traced", strerror(-err));
	return 0;
}

/*
 * State first: the connect and accept hooks' tracepoint variants ride on it.
 * Then tell the state handler which hooks it no longer stands in for.
 */
static int attach(struct tracer *t, enum backend only, int proto)
{
	struct bpf_object *obj = t->skel->obj;
	int err;

	err = hooks__attach(&t->hooks, obj, HOOK_STATE, BACKEND_TRACEPOINT);
	if (err)
		return fail(err, "attach tracepoint sock:inet_sock_set_state");
	err = hooks__attach(&t->hooks, obj, HOOK_CONNECT, only);
	if (err)
		return only == BACKEND_AUTO ? fail(err, "attach the connect hook")
					    : forced_attach_fail(HOOK_CONNECT, only, err);
	t->skel->data->connect_via_state =
		t->hooks.hook[HOOK_CONNECT].backend == BACKEND_TRACEPOINT;
	err = hooks__attach(&t->hooks, obj, HOOK_ACCEPT, only);
	if (err && t->hooks.hook[HOOK_ACCEPT].left_off)
		log_debug("accept hook off: only a syscall tracepoint sees accept() here, and it "
			  "slows every syscall on the host; --accept-wait turns it on (accept-queue "
			  "wait, and the accepting process as owner instead of listen()'s caller)");
	else if (err && only != BACKEND_AUTO)
		return forced_attach_fail(HOOK_ACCEPT, only, err);
	else if (err)
		log_info("no accept hook attaches here (%s): no accept-queue wait, and passive "
			 "opens are owned by the process that called listen()",
			 strerror(-err));
	t->skel->bss->accept_hooked = !err;
	t->skel->bss->accept_at_exit = t->hooks.hook[HOOK_ACCEPT].backend == BACKEND_TRACEPOINT;
	err = attach_udp(t, only, proto);
	if (err)
		return err;
	backend_summary(t);
	return 0;
}

/* A tracer with its programs loaded and nothing attached: 0, or -errno (said). */
static int tracer_load(struct tracer **out, const struct tracer_opts *opts)
{
	struct tracer *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return fail(-ENOMEM, "allocate tracer");
	libbpf_set_print(libbpf_print);
	hooks__init(&t->hooks);
	t->hooks.syscall_tracepoints = opts->accept_wait;
	t->nr_cpus = libbpf_num_possible_cpus();
	t->stats_fd = -1;
	err = load(t, opts);
	if (err) {
		tracer__stop(t);
		return err;
	}
	*out = t;
	return 0;
}

int tracer__start(struct tracer **out, const struct tracer_opts *opts)
{
	struct tracer *t;
	int err;

	err = tracer_load(&t, opts);
	if (err)
		return err;
	quiet_warnings = true;
	err = attach(t, opts->backend, opts->filters ? opts->filters->proto : 0);
	quiet_warnings = false;
	if (err)
		goto cleanup;
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), opts->on_event, opts->ctx,
				 NULL);
	if (!t->rb) {
		err = fail(-errno, "create ring buffer");
		goto cleanup;
	}
	*out = t;
	return 0;
cleanup:
	tracer__stop(t);
	return err;
}

int tracer__probe(struct tracer **out, const struct tracer_opts *opts)
{
	struct tracer_opts all = *opts;
	struct tracer *t;
	int err;

	all.accept_wait = true; /* --check tries every program */
	all.every_program = true;
	err = tracer_load(&t, &all);
	if (err)
		return err;
	quiet_warnings = true;
	for (int id = 0; id < HOOK_MAX; id++)
		hooks__probe(&t->hooks, t->skel->obj, id);
	quiet_warnings = false;
	*out = t;
	return 0;
}

/* Pass 1 of the snapshot iterator: each record goes to on_event like a ring-buffer one. */
static int seed_connections(struct tracer *t, const struct tracer_opts *opts)
{
	struct iter_out out = {};
	int err;

	t->skel->bss->seed_pass = 1;
	err = iter__read(t->skel->progs.iter_tcp_seed, &out);
	for (size_t off = 0; !err && off + sizeof(struct event) <= out.len;
	     off += sizeof(struct event))
		opts->on_event(opts->ctx, out.data + off, sizeof(struct event));
	free(out.data);
	return err;
}

/*
 * A listener found by the iterator has no owner (pid 0): give it the process
 * holding it, as the start snapshot saw. Only where the kernel still has
 * none: a listen() seen since then knows better.
 */
static void own_listeners(struct tracer *t, const struct sockinfo *socks, size_t n)
{
	int fd = bpf_map__fd(t->skel->maps.listeners);

	for (size_t i = 0; i < n; i++) {
		const struct sockinfo *s = &socks[i];
		struct listener_key key = { .netns = s->netns, .port = s->lport };
		struct listener_owner owner;

		if (s->proto != IPPROTO_TCP || s->state != SK_LISTEN || !s->pid)
			continue;
		if (bpf_map_lookup_elem(fd, &key, &owner) || owner.proc.pid)
			continue;
		owner.proc.pid = s->pid;
		memcpy(owner.proc.comm, s->comm, sizeof(owner.proc.comm));
		bpf_map_update_elem(fd, &key, &owner, BPF_EXIST);
	}
}

/* Pass 0 (TCP listeners) and the UDP iterator: the inodes the filters keep. */
static int seed_listeners(struct tracer *t, struct inoset *kept)
{
	struct iter_out out = {};
	int err;

	t->skel->bss->seed_pass = 0;
	err = iter__read(t->skel->progs.iter_tcp_seed, &out);
	if (!err)
		err = iter__read(t->skel->progs.iter_udp_seed, &out);
	if (err) {
		free(out.data);
		return err;
	}
	kept->v = (uint64_t *)out.data; /* records of one __u64 each */
	kept->n = out.len / sizeof(uint64_t);
	inoset__sort(kept);
	return 0;
}

int tracer__seed(struct tracer *t, const struct tracer_opts *opts, const struct sockinfo *socks,
		 size_t n, struct inoset *kept)
{
	int err;

	memset(kept, 0, sizeof(*kept));
	err = seed_listeners(t, kept);
	if (!err) {
		own_listeners(t, socks, n);
		err = seed_connections(t, opts);
	}
	/*
	 * From now on a close with no entry is one whose entry was evicted:
	 * counted. Without a snapshot it may be of a connection open before
	 * start, in no count: so none is counted.
	 */
	t->skel->bss->seeded = !err;
	if (err)
		log_info("no snapshot of open connections (%s): ACTIVE counts only those opened "
			 "from now on",
			 strerror(-err));
	return err;
}

/* The __u64 counters of ncpus per-CPU copies of a value, summed into sum[nvals]. */
static void cpu_sums(const __u64 *vals, int ncpus, size_t nvals, __u64 *sum)
{
	memset(sum, 0, nvals * sizeof(*sum));
	for (int cpu = 0; cpu < ncpus; cpu++) {
		for (size_t i = 0; i < nvals; i++)
			sum[i] += vals[cpu * nvals + i];
	}
}

/*
 * Call fn for each entry of a per-CPU hash whose values are all __u64
 * counters, with the counters summed over CPUs; stop at fn's first non-zero.
 */
static int percpu_sums(struct tracer *t, const struct bpf_map *map, size_t nvals,
		       int (*fn)(void *ctx, const void *key, const __u64 *sum), void *ctx)
{
	int fd = bpf_map__fd(map), n = t->nr_cpus > 0 ? t->nr_cpus : 1;
	size_t ksize = bpf_map__key_size(map);
	__u64 vals[n * nvals], sum[nvals];
	char key[ksize], next[ksize];
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, ksize);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, vals))
			continue; /* gone in between */
		cpu_sums(vals, n, nvals, sum);
		err = fn(ctx, key, sum);
		if (err)
			return err;
	}
	return 0;
}

_Static_assert(sizeof(struct udp_counts) % sizeof(__u64) == 0, "udp_counts: __u64 only");
_Static_assert(sizeof(struct lost_counts) % sizeof(__u64) == 0, "lost_counts: __u64 only");

/* The typed callers' callbacks, behind percpu_sums()' untyped one. */
struct rows_fn {
	tracer_lost_fn lost;
	tracer_kind_fn kind;
	tracer_slot_fn slot;
	tracer_proc_fn proc;
	void *ctx;
	void *scratch; /* kind_row()'s sum */
	struct kind_hot_copy *hot;
};

static int lost_row(void *ctx, const void *key, const __u64 *sum)
{
	struct rows_fn *f = ctx;
	struct lost_counts total;

	memcpy(&total, sum, sizeof(total));
	return f->lost(f->ctx, key, &total);
}

/*
 * The UDP rows: udp_slots names each row's slot of the per-CPU array
 * udp_rows (bpf/socktrace.bpf.c udp_row()).
 */
int tracer__udp_rows(struct tracer *t, tracer_udp_fn fn, void *ctx)
{
	int slots = bpf_map__fd(t->skel->maps.udp_slots);
	int rows = bpf_map__fd(t->skel->maps.udp_rows);
	int n = t->nr_cpus > 0 ? t->nr_cpus : 1;
	const size_t nvals = sizeof(struct udp_counts) / sizeof(__u64);
	__u64 vals[n * nvals], sum[nvals];
	__u32 slot, next, *prev = NULL;
	struct udp_counts total;
	struct udp_key key;
	int err;

	while (!bpf_map_get_next_key(slots, prev, &next)) {
		slot = next;
		prev = &slot;
		if (bpf_map_lookup_elem(slots, &slot, &key) ||
		    bpf_map_lookup_elem(rows, &slot, vals))
			continue; /* not there: no slot is ever freed, so not yet */
		cpu_sums(vals, n, nvals, sum);
		memcpy(&total, sum, sizeof(total));
		err = fn(ctx, &key, &total);
		if (err)
			return err;
	}
	return 0;
}

int tracer__lost_rows(struct tracer *t, tracer_lost_fn fn, void *ctx)
{
	struct rows_fn f = { .lost = fn, .ctx = ctx };

	return percpu_sums(t, t->skel->maps.lost_rows, sizeof(struct lost_counts) / sizeof(__u64),
			   lost_row, &f);
}

/*
 * Call fn for each entry of a per-CPU hash, with its values of all CPUs (at
 * their kernel stride: value_size rounded up to 8); stop at fn's first
 * non-zero. For values that are not all counters to sum.
 */
static int percpu_each(struct tracer *t, const struct bpf_map *map,
		       int (*fn)(void *ctx, const void *key, const void *vals, int ncpus),
		       void *ctx)
{
	int fd = bpf_map__fd(map), n = t->nr_cpus > 0 ? t->nr_cpus : 1;
	size_t ksize = bpf_map__key_size(map);
	size_t stride = (bpf_map__value_size(map) + 7) & ~(size_t)7;
	char key[ksize], next[ksize];
	void *vals = calloc(n, stride), *prev = NULL;
	int err = 0;

	if (!vals)
		return -ENOMEM;
	while (!err && !bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, ksize);
		prev = key;
		if (!bpf_map_lookup_elem(fd, key, vals))
			err = fn(ctx, key, vals, n);
	}
	free(vals);
	return err;
}

_Static_assert(sizeof(struct kind_counts) % 8 == 0, "kind_counts: no stride padding");
_Static_assert(sizeof(struct proc_counts) % 8 == 0, "proc_counts: no stride padding");

/* A row's total: its kind_rows values on each CPU, and its kind_hot slots. */
static int kind_row(void *ctx, const void *key, const void *vals, int ncpus)
{
	const struct kind_counts *cpu = vals;
	struct rows_fn *f = ctx;
	struct kind_counts *total = f->scratch;
	int err;

	memset(total, 0, sizeof(*total));
	for (int c = 0; c < ncpus; c++)
		kind_counts_add(total, &cpu[c]);
	err = kind_hot_take(f->hot, key, total, f->slot, f->ctx);
	if (!err)
		err = f->kind(f->ctx, key, total);
	/* A slot without a name yet is being claimed: read again next time. */
	for (int c = 0; c < ncpus && !err; c++)
		if (cpu[c].owner.events && cpu[c].owner.comm[0])
			err = f->slot(f->ctx, key, c, &cpu[c].owner);
	return err;
}

/*
 * Copy kind_hot whole into t->hot (allocated on first use, kept). All or
 * nothing: a row read without some of its slots would seem to have shrunk.
 */
static int read_kind_hot(struct tracer *t)
{
	struct kind_hot_copy *hot = &t->hot;
	int fd = bpf_map__fd(t->skel->maps.kind_hot);

	if (!hot->v) {
		hot->ncpus = t->nr_cpus > 0 ? t->nr_cpus : 1;
		hot->nslots = bpf_map__max_entries(t->skel->maps.kind_hot);
		hot->v = calloc((size_t)hot->nslots * (size_t)hot->ncpus, sizeof(*hot->v));
		if (!hot->v)
			return -ENOMEM;
	}
	for (__u32 i = 0; i < hot->nslots; i++)
		if (bpf_map_lookup_elem(fd, &i, &hot->v[(size_t)i * (size_t)hot->ncpus]))
			return -errno;
	return 0;
}

int tracer__kind_rows(struct tracer *t, tracer_kind_fn kind_fn, tracer_slot_fn slot_fn, void *ctx)
{
	struct rows_fn f = { .kind = kind_fn, .slot = slot_fn, .ctx = ctx, .hot = &t->hot };
	struct kind_key key;
	size_t pos = 0;
	int err = read_kind_hot(t);

	if (err)
		return err;
	f.scratch = malloc(sizeof(struct kind_counts)); /* ~5 KB: not on the stack */
	if (!f.scratch)
		return -ENOMEM;
	err = percpu_each(t, t->skel->maps.kind_rows, kind_row, &f);
	/* The keys with slots only. */
	while (!err && kind_hot_next(f.hot, &pos, &key)) {
		memset(f.scratch, 0, sizeof(struct kind_counts));
		err = kind_hot_take(f.hot, &key, f.scratch, slot_fn, ctx);
		if (!err)
			err = kind_fn(ctx, &key, f.scratch);
	}
	free(f.scratch);
	return err;
}

/* An owner's events, over CPUs; its pid is the one of the CPU that saw it last. */
static int proc_row(void *ctx, const void *key, const void *vals, int ncpus)
{
	const struct proc_counts *cpu = vals;
	struct rows_fn *f = ctx;
	uint64_t events = 0, last = 0;
	uint32_t pid = 0;

	for (int c = 0; c < ncpus; c++) {
		events += cpu[c].events;
		if (cpu[c].events && cpu[c].ts_ns >= last) {
			last = cpu[c].ts_ns;
			pid = cpu[c].pid;
		}
	}
	return f->proc(f->ctx, key, events, pid, last);
}

int tracer__proc_rows(struct tracer *t, tracer_proc_fn fn, void *ctx)
{
	struct rows_fn f = { .proc = fn, .ctx = ctx };

	return percpu_each(t, t->skel->maps.proc_rows, proc_row, &f);
}

int tracer__measure_probes(struct tracer *t)
{
	if (t->stats_fd < 0)
		t->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	return t->stats_fd < 0 ? -errno : 0;
}

size_t tracer__probe_costs(struct tracer *t, struct probe_cost *out, size_t max)
{
	struct bpf_program *prog;
	size_t n = 0;

	bpf_object__for_each_program(prog, t->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		/* The start snapshot's iterators are not probes. */
		if (n == max || fd < 0 || bpf_program__expected_attach_type(prog) == BPF_TRACE_ITER)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
		    (!info.run_cnt && !info.recursion_misses))
			continue;
		out[n].name = bpf_program__name(prog);
		out[n].runs = info.run_cnt;
		out[n].run_ns = info.run_time_ns;
		out[n].misses = info.recursion_misses;
		n++;
	}
	return n;
}

struct bpf_object *tracer__object(const struct tracer *t)
{
	return t->skel->obj;
}

const struct hooks *tracer__hooks(const struct tracer *t)
{
	return &t->hooks;
}

/*
 * The probes wake user space themselves only past wakeup_bytes of unread
 * data (bpf/maps.bpf.h), and from there each event they submit may raise an
 * interrupt until the buffer is drained: in a TCP storm (190k events/s) that
 * was 8% of the probes' time (perf: arch_irq_work_raise). So at a high event
 * rate the wait ends early, when the buffer should be a quarter of the way
 * to that mark at the rate of the last round, and the probes need not wake
 * anyone. At a low rate the caller's timeout stands.
 */
static void plan_next_wait(struct tracer *t, int consumed)
{
	double now = now_mono(), dt = now - t->drained;
	double quarter = t->skel->rodata->wakeup_bytes / 4.0 / RINGBUF_RECORD_BYTES;

	t->early_ms = consumed > 0 && dt > 0 ? 1000.0 * quarter * dt / consumed : 0;
	t->drained = now;
}

/* Wait for events at most timeout_ms (less in a storm), then consume what is there. */
int tracer__poll(struct tracer *t, int timeout_ms)
{
	int n, m;

	if (t->early_ms > 0 && t->early_ms < timeout_ms)
		timeout_ms = t->early_ms < 1 ? 1 : (int)t->early_ms;
	n = ring_buffer__poll(t->rb, timeout_ms);
	if (n < 0 && n != -EINTR)
		return n;
	m = ring_buffer__consume(t->rb);
	if (m < 0)
		return m;
	plan_next_wait(t, (n > 0 ? n : 0) + m);
	return n;
}

int tracer__drain(struct tracer *t)
{
	return ring_buffer__consume(t->rb);
}

uint64_t tracer__stat(struct tracer *t, enum stat_slot slot)
{
	uint64_t vals[t->nr_cpus > 0 ? t->nr_cpus : 1], sum = 0;
	__u32 key = slot;

	if (t->nr_cpus <= 0 || bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.stats), &key, vals))
		return 0;
	for (int i = 0; i < t->nr_cpus; i++)
		sum += vals[i];
	return sum;
}

/*
 * Call fn for each entry of map "conns", read in batches (BPF_MAP_LOOKUP_BATCH
 * walks the buckets): the probes may still be attached, and a walk with
 * get-next-key starts over whenever the key it stands on is deleted under it.
 * 0, or -errno when the walk did not end.
 */
static int conns_walk(struct tracer *t, void (*fn)(void *ctx, const struct conn *c), void *ctx)
{
	const __u32 batch = 1024; /* entries per call: the map's 65536 would be 3 MB */
	int fd = bpf_map__fd(t->skel->maps.conns), err = 0;
	__u64 *keys = calloc(batch, sizeof(*keys)), token[2];
	struct conn *vals = calloc(batch, sizeof(*vals));
	__u32 count;

	for (bool first = true; keys && vals; first = false) {
		count = batch;
		err = bpf_map_lookup_batch(fd, first ? NULL : &token[0], &token[1], keys, vals,
					   &count, NULL);
		if (err && errno != ENOENT) {
			err = -errno;
			break;
		}
		for (__u32 i = 0; i < count; i++)
			fn(ctx, &vals[i]);
		if (err) { /* ENOENT: the walk is over, count was its last batch */
			err = 0;
			break;
		}
		token[0] = token[1];
	}
	if (!keys || !vals)
		err = -ENOMEM;
	free(keys);
	free(vals);
	return err;
}

static void count_connecting(void *ctx, const struct conn *c)
{
	*(size_t *)ctx += (c->flags & CONN_CONNECTING) != 0;
}

size_t tracer__connects_in_progress(struct tracer *t)
{
	size_t total = 0;

	return conns_walk(t, count_connecting, &total) ? 0 : total; /* no figure if cut short */
}

struct unseen_sweep {
	const struct tracer_opts *opts;
	__u64 now_ns;
	size_t n;
};

/* An entry left open whose socket is gone (not CONN_ALIVE): a close no probe saw. */
static void sweep_unseen(void *ctx, const struct conn *c)
{
	struct unseen_sweep *sw = ctx;
	struct event e = {};

	if (!conn_is_open(c) || (c->flags & CONN_ALIVE))
		return;
	conn_unseen_close_event(&e, c, sw->now_ns);
	sw->opts->on_event(sw->opts->ctx, &e, sizeof(e));
	sw->n++;
}

int tracer__finish(struct tracer *t, const struct tracer_opts *opts, size_t *unseen)
{
	struct unseen_sweep sw = { .opts = opts };
	struct iter_out out = {};
	struct timespec now;
	int err;

	*unseen = 0;
	hooks__detach(&t->hooks); /* nothing writes conns from here on */
	tracer__drain(t);
	t->skel->bss->seed_pass = 2;
	err = iter__read(t->skel->progs.iter_tcp_seed, &out); /* marks the live; writes nothing */
	free(out.data);
	clock_gettime(CLOCK_MONOTONIC, &now); /* bpf_ktime_get_ns()'s clock */
	sw.now_ns = (__u64)now.tv_sec * 1000000000ULL + (__u64)now.tv_nsec;
	if (!err)
		err = conns_walk(t, sweep_unseen, &sw);
	*unseen = sw.n;
	if (err)
		log_info("cannot look for connections that closed unseen (%s): ACTIVE may still "
			 "count some",
			 strerror(-err));
	return err;
}

bool tracer__udp(const struct tracer *t)
{
	return t->hooks.hook[HOOK_UDP_SEND].backend < BACKEND_MAX &&
	       t->hooks.hook[HOOK_UDP_RECV].backend < BACKEND_MAX;
}

const char *tracer__backend(const struct tracer *t)
{
	return t->backend;
}

bool tracer__accept_left_off(const struct tracer *t)
{
	return t->hooks.hook[HOOK_ACCEPT].backend == BACKEND_MAX &&
	       t->hooks.hook[HOOK_ACCEPT].left_off;
}

void tracer__stop(struct tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	if (t->stats_fd >= 0)
		close(t->stats_fd);
	hooks__detach(&t->hooks);
	socktrace_bpf__destroy(t->skel);
	free(t->hot.v);
	free(t);
}
