// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "log.h"
#include "ports.h"
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

struct tracer {
	struct socktrace_bpf *skel;
	struct ring_buffer *rb;
	int nr_cpus;
};

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
	return vfprintf(stderr, fmt, args);
}

static void configure(struct socktrace_bpf *skel, const struct portset *ports)
{
	skel->rodata->filter_ports = ports != NULL;
	if (ports)
		memcpy((void *)skel->rodata->port_bitmap, ports->bits, sizeof(ports->bits));
}

static int fail(int err, const char *what)
{
	const char *hint = "";

	if (err == -EPERM || err == -EACCES)
		hint = " (run as root, or grant CAP_BPF and CAP_PERFMON)";
	log_err("failed to %s: %s%s", what, strerror(-err), hint);
	return err;
}

int tracer__start(struct tracer **out, const struct tracer_opts *opts)
{
	struct tracer *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return fail(-ENOMEM, "allocate tracer");
	libbpf_set_print(libbpf_print);
	t->nr_cpus = libbpf_num_possible_cpus();
	t->skel = socktrace_bpf__open();
	if (!t->skel) {
		err = fail(-errno, "open BPF object");
		goto cleanup;
	}
	configure(t->skel, opts->ports);
	err = socktrace_bpf__load(t->skel);
	if (err) {
		fail(err, "load BPF programs (socktrace -v shows the verifier's log)");
		goto cleanup;
	}
	err = socktrace_bpf__attach(t->skel);
	if (err) {
		fail(err, "attach tracepoint sock:inet_sock_set_state");
		goto cleanup;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), opts->on_event, opts->ctx,
				 NULL);
	if (!t->rb) {
		err = fail(-errno, "create ring buffer");
		goto cleanup;
	}
	log_debug("hook inet_sock_set_state: backend tracepoint (tp_btf)");
	*out = t;
	return 0;
cleanup:
	tracer__stop(t);
	return err;
}

int tracer__poll(struct tracer *t, int timeout_ms)
{
	return ring_buffer__poll(t->rb, timeout_ms);
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

const char *tracer__backend(const struct tracer *t)
{
	(void)t;
	return "tracepoint";
}

void tracer__stop(struct tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	socktrace_bpf__destroy(t->skel);
	free(t);
}
