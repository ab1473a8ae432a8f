/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Hooks: what socktrace needs to see in the kernel, and, per hook, the BPF
 * programs that see it with each backend. Which backend a hook gets is
 * decided by really attaching, in order of preference, never by version.
 */
#ifndef HOOKS_H
#define HOOKS_H

#include <stdbool.h>
#include <stdio.h>
#include "backend.h"

struct btf;
struct bpf_object;
struct bpf_link;
struct bpf_program;

enum hook_id {
	HOOK_STATE,    /* TCP state changes: connect done/failed, listen, passive open */
	HOOK_CONNECT,  /* active open starts, in the connecting process */
	HOOK_ACCEPT,   /* accept() returns a connection, in the accepting process */
	HOOK_UDP_SEND, /* a datagram sent (used by the UDP rows, not yet attached) */
	HOOK_UDP_RECV, /* a datagram received */
	HOOK_MAX,
};

#define HOOK_PROGS 4 /* programs one backend of one hook may need */

/* The result of trying one backend of one hook. */
struct hook_try {
	bool tried;
	int err; /* 0: attached; else -errno (-ENOENT: no such kernel function/event) */
};

struct hook_state {
	enum backend backend; /* BACKEND_MAX: not attached */
	bool left_off;	      /* a backend was not tried: a syscall tracepoint, not allowed */
	struct bpf_link *links[HOOK_PROGS];
	struct hook_try tries[BACKEND_MAX];
};

struct hooks {
	struct hook_state hook[HOOK_MAX];
	int load_err[BACKEND_MAX]; /* non-zero: this backend's programs failed to load */
	/*
	 * Whether a hook may use a syscall tracepoint (the accept hook's tracepoint
	 * variant). Enabling any syscall tracepoint sends every syscall of every
	 * process through the kernel's slow path, so it is opt-in (--accept-wait);
	 * when false, such programs are neither loaded nor attached.
	 */
	bool syscall_tracepoints;
};

/* "state", "connect", "accept", "udp_send", "udp_recv". */
const char *hooks__name(enum hook_id id);

/* How a hook is reached with a backend, e.g. "fexit inet_csk_accept"; NULL if it has none. */
const char *hooks__describe(enum hook_id id, enum backend b);

/*
 * Before load: turn off autoload for programs socktrace will not attach
 * (other backends than `only`, unless BACKEND_AUTO) and for those whose
 * kernel function or event does not exist in `vmlinux` (the kernel's BTF;
 * NULL: unreadable), and for backends whose programs already failed to load
 * (h->load_err).
 */
void hooks__prepare(const struct hooks *h, struct bpf_object *obj, enum backend only,
		    const struct btf *vmlinux);

/*
 * Does this kernel load BPF trampoline (fentry/fexit) programs? One tiny
 * fentry program on tcp_connect answers: 0, or the -errno its load gave.
 * 0 as well when that cannot be asked (no BTF, no tcp_connect in it): the
 * real load then decides.
 */
int hooks__try_trampoline(const struct btf *vmlinux);

#define KPROBE_PMU "/sys/bus/event_source/devices/kprobe"

/*
 * Whether kprobes can be attached here at all, as libbpf attaches them: 0
 * when the kernel has the kprobe PMU (kernels with kprobe events do since
 * 4.17), or a mounted tracefs shows kprobe_events (the legacy way); else
 * -ENOENT.
 */
int hooks__kprobes_offered(void);

/* Why a program is not loaded: -ENOENT (no such target here) or its backend's load error. */
int hooks__why_unloaded(const struct hooks *h, const struct bpf_program *prog);

/*
 * Attach hook `id` with `only`, or with each backend in order when
 * BACKEND_AUTO, keeping the first that attaches. A syscall tracepoint is
 * skipped unless h->syscall_tracepoints (and left_off set). 0, or the error
 * of the last backend tried (-ENOENT: none was).
 */
int hooks__attach(struct hooks *h, struct bpf_object *obj, enum hook_id id, enum backend only);

/* Try every backend of hook `id` in turn, detaching after each; for --check. */
void hooks__probe(struct hooks *h, struct bpf_object *obj, enum hook_id id);

/* Detach everything, or one hook. */
void hooks__detach(struct hooks *h);
void hooks__detach_one(struct hooks *h, enum hook_id id);

/* Initialise: nothing attached, nothing tried. */
void hooks__init(struct hooks *h);

/* Make sure tracefs is mounted (libbpf attaches syscall tracepoints through it). */
int hooks__ensure_tracefs(bool *mounted_now);

#endif /* HOOKS_H */
