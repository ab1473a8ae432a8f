// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "hooks.h"
#include "log.h"

#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing" /* libbpf's first choice when present */

/* One backend of one hook: programs that must all attach, and how to say it. */
struct variant {
	const char *progs[HOOK_PROGS]; /* names in bpf/socktrace.bpf.c; none: rides on "state" */
	const char *how;
};

struct hook_def {
	const char *name;
	struct variant v[BACKEND_MAX];
};

/* The one table of which program serves which hook with which backend. */
static const struct hook_def defs[HOOK_MAX] = {
	[HOOK_STATE] = {
		"state",
		{ [BACKEND_TRACEPOINT] = { { "tp_inet_sock_set_state", "tp_tcp_send_reset",
					     "tp_tcp_receive_reset", "tp_tcp_destroy_sock" },
					   "tp_btf sock:inet_sock_set_state, tcp:tcp_*_reset, "
					   "tcp:tcp_destroy_sock" } },
	},
	[HOOK_CONNECT] = {
		"connect",
		{ [BACKEND_FENTRY] = { { "fentry_tcp_connect" }, "fentry tcp_connect" },
		  [BACKEND_KPROBE] = { { "kprobe_tcp_connect" }, "kprobe tcp_connect" },
		  [BACKEND_TRACEPOINT] = { { NULL }, "sock:inet_sock_set_state -> SYN_SENT" } },
	},
	[HOOK_ACCEPT] = {
		"accept",
		{ [BACKEND_FENTRY] = { { "fexit_inet_csk_accept" }, "fexit inet_csk_accept" },
		  [BACKEND_KPROBE] = { { "kretprobe_inet_csk_accept" },
				       "kretprobe inet_csk_accept" },
		  [BACKEND_TRACEPOINT] = { { "tp_sys_exit_accept4", "tp_sys_exit_accept" },
					   "syscalls:sys_exit_accept4, sys_exit_accept" } },
	},
	[HOOK_UDP_SEND] = {
		"udp_send",
		{ [BACKEND_FENTRY] = { { "fexit_udp_sendmsg", "fexit_udpv6_sendmsg" },
				       "fexit udp_sendmsg, udpv6_sendmsg" },
		  [BACKEND_KPROBE] = { { "kprobe_udp_sendmsg", "kretprobe_udp_sendmsg",
					 "kprobe_udpv6_sendmsg", "kretprobe_udpv6_sendmsg" },
				       "kprobe+kretprobe udp_sendmsg, udpv6_sendmsg" },
		  [BACKEND_TRACEPOINT] = { { "tp_sock_send_length" },
					   "tp_btf sock:sock_send_length" } },
	},
	[HOOK_UDP_RECV] = {
		"udp_recv",
		{ [BACKEND_FENTRY] = { { "fexit_udp_recvmsg", "fexit_udpv6_recvmsg" },
				       "fexit udp_recvmsg, udpv6_recvmsg" },
		  [BACKEND_KPROBE] = { { "kprobe_udp_recvmsg", "kretprobe_udp_recvmsg",
					 "kprobe_udpv6_recvmsg", "kretprobe_udpv6_recvmsg" },
				       "kprobe+kretprobe udp_recvmsg, udpv6_recvmsg" },
		  [BACKEND_TRACEPOINT] = { { "tp_sock_recv_length" },
					   "tp_btf sock:sock_recv_length" } },
	},
};

/* The variants that are syscall tracepoints: opt-in (hooks.syscall_tracepoints). */
static bool syscall_tracepoint(enum hook_id id, enum backend b)
{
	return id == HOOK_ACCEPT && b == BACKEND_TRACEPOINT;
}

const char *hooks__name(enum hook_id id)
{
	return id < HOOK_MAX ? defs[id].name : "?";
}

const char *hooks__describe(enum hook_id id, enum backend b)
{
	return id < HOOK_MAX && b < BACKEND_MAX ? defs[id].v[b].how : NULL;
}

void hooks__init(struct hooks *h)
{
	memset(h, 0, sizeof(*h));
	for (int i = 0; i < HOOK_MAX; i++)
		h->hook[i].backend = BACKEND_MAX;
}

/* Which hook and backend a program serves; false for a program not in the table. */
static bool prog_role(const char *name, enum hook_id *id, enum backend *b)
{
	for (int i = 0; i < HOOK_MAX; i++) {
		for (int be = 0; be < BACKEND_MAX; be++) {
			for (int p = 0; p < HOOK_PROGS && defs[i].v[be].progs[p]; p++) {
				if (!strcmp(defs[i].v[be].progs[p], name)) {
					*id = i;
					*b = be;
					return true;
				}
			}
		}
	}
	return false;
}

/*
 * Does the kernel have what this program must name at load time? fentry and
 * fexit need the function in the kernel's BTF, tp_btf the btf_trace_ typedef.
 * kprobes and classic tracepoints are resolved at attach, where a missing
 * target is just a failed attach.
 */
static bool target_exists(const struct btf *vmlinux, const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog), *slash = strchr(sec, '/');
	char name[128];

	if (!slash)
		return true;
	if (!strncmp(sec, "fentry/", 7) || !strncmp(sec, "fexit/", 6))
		return vmlinux && btf__find_by_name_kind(vmlinux, slash + 1, BTF_KIND_FUNC) > 0;
	if (!strncmp(sec, "tp_btf/", 7)) {
		snprintf(name, sizeof(name), "btf_trace_%s", slash + 1);
		return vmlinux && btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF) > 0;
	}
	return true;
}

void hooks__prepare(const struct hooks *h, struct bpf_object *obj, enum backend only,
		    const struct btf *vmlinux)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
	{
		const char *name = bpf_program__name(prog);
		enum hook_id id;
		enum backend b;
		bool load;

		if (!strncmp(bpf_program__section_name(prog), "iter/", 5)) {
			load = true; /* the snapshot at start: run, not attached to a hook */
		} else if (!prog_role(name, &id, &b)) {
			log_err("BPF program %s serves no hook: fix the table in user/hooks.c",
				name);
			load = false;
		} else if (!target_exists(vmlinux, prog)) {
			log_debug("program %s: %s is not in this kernel", name,
				  bpf_program__section_name(prog));
			load = false;
		} else {
			/* A hook with one backend only ("state") loads whatever is forced. */
			load = !h->load_err[b] &&
			       (only == BACKEND_AUTO || b == only || id == HOOK_STATE) &&
			       (!syscall_tracepoint(id, b) || h->syscall_tracepoints);
		}
		bpf_program__set_autoload(prog, load);
	}
}

int hooks__try_trampoline(const struct btf *vmlinux)
{
	const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	int id, fd;

	id = vmlinux ? btf__find_by_name_kind(vmlinux, "tcp_connect", BTF_KIND_FUNC) : -1;
	if (id <= 0)
		return 0;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "st_try_fentry", "GPL", ret0, 2, &opts);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int hooks__kprobes_offered(void)
{
	if (!access(KPROBE_PMU, F_OK) || !access(TRACEFS "/kprobe_events", F_OK) ||
	    !access(DEBUGFS_TRACING "/kprobe_events", F_OK))
		return 0;
	return -ENOENT;
}

int hooks__why_unloaded(const struct hooks *h, const struct bpf_program *prog)
{
	enum hook_id id;
	enum backend b;

	if (prog_role(bpf_program__name(prog), &id, &b) && h->load_err[b])
		return h->load_err[b];
	return -ENOENT;
}

/* Whether this process mounted tracefs: release_tracefs() unmounts it again. */
static bool tracefs_ours;

int hooks__ensure_tracefs(bool *mounted_now)
{
	struct statfs st;

	*mounted_now = false;
	if (!statfs(TRACEFS, &st) && st.f_type == TRACEFS_MAGIC)
		return 0;
	if (!access(DEBUGFS_TRACING "/events", F_OK))
		return 0;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL))
		return -errno;
	*mounted_now = tracefs_ours = true;
	return 0;
}

/* Unmount tracefs if hooks__ensure_tracefs() mounted it; hooks__detach() calls it last. */
static void release_tracefs(void)
{
	if (!tracefs_ours)
		return;
	tracefs_ours = false;
	/* Not MNT_DETACH: a file another process opened there meanwhile keeps it mounted. */
	if (umount2(TRACEFS, UMOUNT_NOFOLLOW))
		log_info("left tracefs mounted on %s: %s", TRACEFS, strerror(errno));
	else
		log_info("unmounted tracefs from %s", TRACEFS);
}

static void links_destroy(struct hook_state *hs)
{
	for (int p = 0; p < HOOK_PROGS; p++) {
		bpf_link__destroy(hs->links[p]);
		hs->links[p] = NULL;
	}
}

/* Attach every program of one variant, or none: 0 or -errno. */
static int variant_attach(const struct hooks *h, struct hook_state *hs, struct bpf_object *obj,
			  const struct variant *v)
{
	for (int p = 0; p < HOOK_PROGS && v->progs[p]; p++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, v->progs[p]);
		bool mounted;
		int err;

		if (!prog || bpf_program__fd(prog) < 0) {
			links_destroy(hs);
			return prog ? hooks__why_unloaded(h, prog) : -ENOENT;
		}
		if (!strncmp(bpf_program__section_name(prog), "tp/", 3)) {
			err = hooks__ensure_tracefs(&mounted);
			if (err) {
				log_debug("cannot mount tracefs on %s: %s", TRACEFS,
					  strerror(-err));
			} else if (mounted) {
				log_info("mounted tracefs on %s for syscall tracepoints", TRACEFS);
			}
		}
		hs->links[p] = bpf_program__attach(prog);
		if (!hs->links[p]) {
			err = -errno;
			log_debug("attach %s: %s", v->progs[p], strerror(-err));
			links_destroy(hs);
			return err ? err : -EINVAL;
		}
	}
	return 0;
}

int hooks__attach(struct hooks *h, struct bpf_object *obj, enum hook_id id, enum backend only)
{
	struct hook_state *hs = &h->hook[id];
	int err = -ENOENT;

	for (int b = 0; b < BACKEND_MAX; b++) {
		if ((only != BACKEND_AUTO && b != (int)only) || !defs[id].v[b].how)
			continue;
		if (syscall_tracepoint(id, b) && !h->syscall_tracepoints) {
			hs->left_off = true;
			continue;
		}
		err = variant_attach(h, hs, obj, &defs[id].v[b]);
		hs->tries[b] = (struct hook_try){ .tried = true, .err = err };
		if (!err) {
			hs->backend = b;
			log_debug("hook %s: backend %s (%s)", defs[id].name, backend__name(b),
				  defs[id].v[b].how);
			return 0;
		}
	}
	return err;
}

void hooks__probe(struct hooks *h, struct bpf_object *obj, enum hook_id id)
{
	struct hook_state *hs = &h->hook[id];

	for (int b = 0; b < BACKEND_MAX; b++) {
		if (!defs[id].v[b].how)
			continue;
		hs->tries[b].tried = true;
		hs->tries[b].err = variant_attach(h, hs, obj, &defs[id].v[b]);
		if (!hs->tries[b].err && hs->backend == BACKEND_MAX)
			hs->backend = b;
		links_destroy(hs);
	}
}

void hooks__detach_one(struct hooks *h, enum hook_id id)
{
	links_destroy(&h->hook[id]);
	h->hook[id].backend = BACKEND_MAX;
}

void hooks__detach(struct hooks *h)
{
	for (int i = 0; i < HOOK_MAX; i++)
		links_destroy(&h->hook[i]);
	release_tracefs(); /* after the links: legacy kprobes are removed through it */
}
