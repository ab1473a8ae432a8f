/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Attach backends: the ways a BPF program can hook a kernel function or event. */
#ifndef BACKEND_H
#define BACKEND_H

/* In order of preference: cheapest first. */
enum backend {
	BACKEND_FENTRY,	    /* fentry/fexit: BPF trampolines, BTF-typed arguments */
	BACKEND_KPROBE,	    /* kprobe/kretprobe: breakpoints via ftrace or int3 */
	BACKEND_TRACEPOINT, /* tp_btf and syscall tracepoints: the kernel's stable ABI */
	BACKEND_MAX,
	BACKEND_AUTO = BACKEND_MAX, /* per hook, the first above that attaches */
};

/* "fentry", "kprobe", "tracepoint", "auto". */
const char *backend__name(enum backend b);

/* Parse one of the names above; 0 or -EINVAL. */
int backend__parse(const char *s, enum backend *out);

#endif /* BACKEND_H */
