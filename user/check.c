// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Everything here is measured, not inferred: the BPF programs are loaded (the
 * verifier's verdict) and every backend of every hook is really attached and
 * detached again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/libbpf.h>
#include "check.h"
#include "hooks.h"
#include "tracer.h"

#define BTF_PATH "/sys/kernel/btf/vmlinux"
#define SECURITYFS "/sys/kernel/security"
#define BPF_STATS_SYSCTL "/proc/sys/kernel/bpf_stats_enabled"

/* Short names for the errors an attach gives, so the table stays narrow. */
static const char *err_word(int err)
{
	switch (-err) {
	case 0:
		return "ok";
	case EPERM:
		return "refused";
	case ENOENT:
		return "absent";
	case EINVAL:
		return "invalid";
	case EOPNOTSUPP:
	case 524: /* ENOTSUPP, kernel-internal */
		return "unsupported";
	default:
		return strerror(-err);
	}
}

/* The active lockdown mode, "[integrity]" -> "integrity"; mounts securityfs if needed. */
static void lockdown_mode(char *buf, size_t len)
{
	char line[128], *open, *close;
	struct statfs st;
	FILE *f;

	if (statfs(SECURITYFS, &st) || st.f_type != SECURITYFS_MAGIC)
		mount("securityfs", SECURITYFS, "securityfs", 0, NULL);
	f = fopen(SECURITYFS "/lockdown", "re");
	if (!f) {
		snprintf(buf, len, "unknown (%s/lockdown: %s)", SECURITYFS, strerror(errno));
		return;
	}
	if (fgets(line, sizeof(line), f) && (open = strchr(line, '[')) &&
	    (close = strchr(open, ']'))) {
		*close = '\0';
		snprintf(buf, len, "%s", open + 1);
	} else {
		snprintf(buf, len, "unknown (unreadable %s/lockdown)", SECURITYFS);
	}
	fclose(f);
}

/* Did any hook attach with backend b? "yes", or "no (<first error>)". */
static void backend_offered(const struct hooks *h, enum backend b, char *buf, size_t len)
{
	int first_err = 0;

	for (int id = 0; id < HOOK_MAX; id++) {
		const struct hook_try *t = &h->hook[id].tries[b];

		if (!t->tried || !hooks__describe(id, b))
			continue;
		if (!t->err) {
			snprintf(buf, len, "yes");
			return;
		}
		if (!first_err)
			first_err = t->err;
	}
	snprintf(buf, len, "no (%s%s)", first_err ? strerror(-first_err) : "no hook uses it",
		 b == BACKEND_KPROBE && hooks__kprobes_offered() < 0
			 ? "; no " KPROBE_PMU ", no kprobe_events in tracefs"
			 : "");
}

/* Whether the kernel times BPF program runs now (kernel.bpf_stats_enabled). */
static const char *probe_timing(void)
{
	FILE *f = fopen(BPF_STATS_SYSCTL, "re");
	int c = f ? fgetc(f) : EOF;

	if (f)
		fclose(f);
	if (c == '1')
		return "on (kernel.bpf_stats_enabled=1): the summary gives ns per probe run";
	return "off: -v (or sysctl kernel.bpf_stats_enabled=1) times the probes for the summary";
}

static void print_kernel(FILE *out)
{
	char lockdown[128], tracefs[128];
	struct utsname u;
	bool mounted;
	int err;

	uname(&u);
	fprintf(out, "%-14s %s %s\n", "kernel", u.release, u.machine);
	fprintf(out, "%-14s %s\n", "btf", access(BTF_PATH, R_OK) ? "no" : "yes (" BTF_PATH ")");
	lockdown_mode(lockdown, sizeof(lockdown));
	fprintf(out, "%-14s %s\n", "lockdown", lockdown);
	fprintf(out, "%-14s %s\n", "ring buffer",
		libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) > 0 ? "yes" : "no");
	err = hooks__ensure_tracefs(&mounted);
	if (err)
		snprintf(tracefs, sizeof(tracefs), "not mounted, and mounting failed: %s",
			 strerror(-err));
	else
		snprintf(tracefs, sizeof(tracefs), "mounted%s",
			 mounted ? " (by socktrace, for this check)" : "");
	fprintf(out, "%-14s %s\n", "tracefs", tracefs);
	fprintf(out, "%-14s %s\n", "probe timing", probe_timing());
}

static void print_programs(FILE *out, const struct hooks *h, struct bpf_object *obj)
{
	struct bpf_program *prog;
	char why[64];

	fprintf(out, "\n%-28s %-30s %s\n", "PROGRAM", "SECTION", "VERIFIER");
	bpf_object__for_each_program(prog, obj)
	{
		int err = hooks__why_unloaded(h, prog);
		const char *state = why;

		if (bpf_program__fd(prog) >= 0)
			state = "passed";
		else if (err == -ENOENT)
			state = "not loaded: no such function or event here";
		else
			snprintf(why, sizeof(why), "not loaded: this backend's programs %s (%s)",
				 err_word(err), strerror(-err));

		fprintf(out, "%-28s %-30s %s\n", bpf_program__name(prog),
			bpf_program__section_name(prog), state);
	}
}

static void print_hooks(FILE *out, const struct hooks *h)
{
	fprintf(out, "\n%-9s %-11s %-11s %-11s %-11s %s\n", "HOOK", "USES", "FENTRY", "KPROBE",
		"TRACEPOINT", "VIA");
	for (int id = 0; id < HOOK_MAX; id++) {
		const struct hook_state *hs = &h->hook[id];
		enum backend used = hs->backend;

		fprintf(out, "%-9s %-11s", hooks__name(id),
			used < BACKEND_MAX ? backend__name(used) : "none");
		for (int b = 0; b < BACKEND_MAX; b++)
			fprintf(out, " %-11s",
				!hooks__describe(id, b) ? "-" : err_word(hs->tries[b].err));
		fprintf(out, " %s\n", used < BACKEND_MAX ? hooks__describe(id, used) : "");
	}
	if (h->hook[HOOK_ACCEPT].backend == BACKEND_TRACEPOINT)
		fprintf(out, "\nThe accept hook here is a syscall tracepoint, which slows every syscall "
			     "on the host:\nsocktrace attaches it only with --accept-wait.\n");
}

int check__run(FILE *out)
{
	struct tracer_opts opts = { .backend = BACKEND_AUTO };
	const struct hooks *h;
	struct tracer *t;
	char buf[128];
	bool can_run;
	int err;

	print_kernel(out);
	fflush(out);
	err = tracer__probe(&t, &opts);
	if (err) {
		fprintf(out, "\nsocktrace cannot run here: its BPF programs do not load\n");
		return err;
	}
	h = tracer__hooks(t);
	for (int b = 0; b < BACKEND_MAX; b++) {
		backend_offered(h, b, buf, sizeof(buf));
		fprintf(out, "%-14s %s\n",
			b == BACKEND_FENTRY   ? "fentry/fexit"
			: b == BACKEND_KPROBE ? "kprobes"
					      : "tracepoints",
			buf);
	}
	print_programs(out, h, tracer__object(t));
	print_hooks(out, h);
	can_run = h->hook[HOOK_STATE].backend < BACKEND_MAX &&
		  h->hook[HOOK_CONNECT].backend < BACKEND_MAX;
	fprintf(out, "\nsocktrace %s here\n", can_run ? "can run" : "cannot run");
	tracer__stop(t);
	return can_run ? 0 : -EOPNOTSUPP;
}
