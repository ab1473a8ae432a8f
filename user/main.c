// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * socktrace: per-port TCP connection counts and latencies from BPF.
 * Lifecycle: parse options -> preflight -> listen (--listen) -> open the CSV -> load and attach
 * -> poll, reporting every interval -> final interval and summary -> cleanup.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>
#include "agg.h"
#include "check.h"
#include "clock.h"
#include "cli.h"
#include "csv.h"
#include "events.h"
#include "evprint.h"
#include "exporter.h"
#include "filter.h"
#include "histview.h"
#include "jsonstats.h"
#include "listeners.h"
#include "log.h"
#include "ports.h"
#include "portsview.h"
#include "report.h"
#include "services.h"
#include "snapshot.h"
#include "table.h"
#include "tracer.h"

#define SOCKTRACE_VERSION "0.1.0"
#define POLL_MAX_MS 100 /* wake at least this often to notice signals */

enum exit_code {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2
};

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	if (exiting)
		_exit(130); /* a second Ctrl-C: stop now */
	exiting = 1;
}

/*
 * SIGINT, SIGTERM and SIGHUP ask for the final report. SA_RESTART: a write
 * blocked on a full pipe or a paused terminal goes on instead of failing
 * with EINTR (the poll loop wakes anyway: epoll_wait is never restarted).
 * SIGPIPE is ignored: writing to a stdout without reader fails (EPIPE) instead
 * of killing socktrace, and stdout_gone() tells that apart from a real error.
 */
static void handle_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Closed stdin, stdout or stderr become /dev/null, so no file we open takes their place. */
static void std_fds_open(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			_exit(EXIT_RUNTIME);
}

struct run {
	struct config cfg;
	struct filters filters; /* cfg's, resolved for the kernel */
	struct services *svc;
	struct agg *agg;
	struct table *table; /* NULL when the CSV goes to stdout, or --quiet */
	struct csv *csv;
	struct exporter *exporter; /* --listen */
	struct tracer *tracer;
	struct snapshot_iters *snap_iters; /* loaded before the probes, read and unloaded after */
	struct evprint evp; /* --events */
	struct listeners *listeners;
	struct port_range eph;
	bool csv_stdout; /* --csv - */
	char ports[128];
	int agg_err;
	int out_err;		     /* stdout could not be written (--events) */
	bool stdout_gone;	     /* its reader went away (`| head`): a quiet end */
	int csv_err;		     /* the CSV could not be written: said once, no more rows */
	uint64_t events, events_run; /* counted in the kernel or decoded: interval, run */
	uint64_t malformed;
	uint64_t lost_seen;    /* kernel's lost counter at the last report */
	size_t unseen_at_exit; /* closes no probe saw, found at exit (tracer__finish()) */
	double start, last;    /* CLOCK_MONOTONIC seconds */
	double cpu_start;      /* cpu_seconds() once attached */
};

/* This process's user + system CPU time so far. */
static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

#define MAX_PROGS 64

/* What the run cost: socktrace's CPU since attach, and its probes' runs and time. */
static void report_cost(struct run *run, struct report *r)
{
	struct probe_cost c[MAX_PROGS];
	size_t n = tracer__probe_costs(run->tracer, c, MAX_PROGS);

	r->cpu_s = cpu_seconds() - run->cpu_start;
	for (size_t i = 0; i < n; i++) {
		r->probe_runs += c[i].runs;
		r->probe_ns += c[i].run_ns;
		r->probe_misses += c[i].misses;
		if (c[i].run_ns)
			log_debug("probe %-28s %10llu runs %6.0f ns per run", c[i].name,
				  (unsigned long long)c[i].runs, (double)c[i].run_ns / c[i].runs);
	}
}

/*
 * Whether stdout's reader went away (a pipe without reader, a hung-up
 * terminal). Polled, not learnt from errno, so an idle run sees it too.
 */
static bool stdout_gone(struct run *run)
{
	struct pollfd p = { .fd = STDOUT_FILENO };

	if (!run->stdout_gone && !run->cfg.quiet && poll(&p, 1, 0) == 1 &&
	    (p.revents & (POLLERR | POLLHUP)))
		run->stdout_gone = true;
	return run->stdout_gone;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct run *run = ctx;
	struct event ev;
	int err;

	if (event__decode(data, size, &ev)) {
		run->malformed++;
		return 0;
	}
	run->events++;
	/* Once stdout is gone, events are still counted for the CSV and the exporter. */
	if (run->cfg.mode == OUT_EVENTS && !run->stdout_gone &&
	    (err = evprint__event(&run->evp, &ev)) && !stdout_gone(run))
		return run->out_err = err;
	if (ev.kind == EV_LISTEN || ev.kind == EV_LISTEN_CLOSE)
		run->agg_err = listeners__event(run->listeners, &ev);
	else
		run->agg_err = agg__add(run->agg, &ev);
	return run->agg_err; /* non-zero stops the poll */
}

static void report_fill(struct run *run, struct report *r, double elapsed)
{
	memset(r, 0, sizeof(*r));
	r->rows = agg__rows(run->agg, &r->n);
	r->svc = run->svc;
	clock_gettime(CLOCK_REALTIME, &r->end);
	r->elapsed_s = elapsed;
	r->backend = tracer__backend(run->tracer);
	r->ports = run->ports;
	r->listeners = run->listeners;
	r->eph = &run->eph;
}

static int on_udp_row(void *ctx, const struct udp_key *key, const struct udp_counts *total)
{
	return agg__udp(ctx, key->port, key->dir, total);
}

static int on_lost_row(void *ctx, const struct kind_key *key, const struct lost_counts *total)
{
	return agg__lost(ctx, key, total);
}

/* Events counted in the kernel count as events seen, as those sent do. */
static int on_kind_row(void *ctx, const struct kind_key *key, const struct kind_counts *total)
{
	struct run *run = ctx;
	uint64_t grew;
	int err = agg__kind(run->agg, key, total, &grew);

	run->events += grew;
	return err;
}

static int on_owner_slot(void *ctx, const struct kind_key *key, uint32_t cpu,
			 const struct owner_slot *slot)
{
	struct run *run = ctx;

	return agg__owner(run->agg, key, cpu, slot);
}

static int on_proc_row(void *ctx, const struct proc_key *key, uint64_t events, uint32_t pid,
		       uint64_t ts_ns)
{
	return agg__proc(ctx, key, events, pid, ts_ns);
}

/*
 * Serve r on /metrics from now on, with events and drops since start (the
 * other sinks get them per interval). A failed update keeps the last one.
 */
static void export_report(struct run *run, struct report *r, uint64_t lost)
{
	int err;

	if (!run->exporter)
		return;
	r->events = run->events_run + run->events;
	r->lost = lost;
	if ((err = exporter__update(run->exporter, r)))
		log_err("failed to update the metrics: %s", strerror(-err));
}

/* The interval on stdout, as the mode wants it (--events prints as events come). */
static int out_interval(struct run *run, const struct report *r)
{
	if (run->csv_stdout)
		return csv__interval(run->csv, r);
	if (run->cfg.mode == OUT_HIST)
		return histview__interval(stdout, r);
	if (run->cfg.mode == OUT_EVENTS)
		return 0;
	if (run->cfg.json)
		return jsonstats__interval(stdout, r);
	return run->table ? table__interval(run->table, r) : 0;
}

/* The whole run on stdout; --events only notes its count on stderr, as bcc's tools end. */
static int out_summary(struct run *run, const struct report *r)
{
	if (run->cfg.mode == OUT_HIST)
		return histview__summary(stdout, r);
	if (run->cfg.mode == OUT_EVENTS) {
		log_info("%llu events, %llu lost (ring buffer full)", (unsigned long long)r->events,
			 (unsigned long long)r->lost);
		return 0;
	}
	if (run->cfg.json)
		return jsonstats__summary(stdout, r);
	return table__summary(run->table ? stdout : stderr, r) ? -EIO : 0;
}

/* Hand one interval to the sinks and start the next. 0 or -errno. */
static int report_interval(struct run *run)
{
	uint64_t lost = tracer__stat(run->tracer, STAT_RB_FULL);
	double now = now_mono();
	struct report r;
	int err = 0;

	if (tracer__udp_rows(run->tracer, on_udp_row, run->agg))
		log_err("failed to count UDP rows: %s", strerror(ENOMEM));
	if (tracer__lost_rows(run->tracer, on_lost_row, run->agg))
		log_err("failed to count lost events: %s", strerror(ENOMEM));
	if ((err = tracer__kind_rows(run->tracer, on_kind_row, on_owner_slot, run)) ||
	    (err = tracer__proc_rows(run->tracer, on_proc_row, run->agg)))
		log_err("failed to read the counts kept in the kernel: %s", strerror(-err));
	err = 0;
	report_fill(run, &r, now - run->last);
	r.events = run->events;
	r.lost = lost - run->lost_seen;
	if (!run->stdout_gone && (err = out_interval(run, &r)) && !stdout_gone(run))
		log_err("failed to write stdout: %s", strerror(-err));
	else if (run->csv && !run->csv_stdout && !run->csv_err &&
		 (err = run->csv_err = csv__interval(run->csv, &r)))
		log_err("failed to write CSV file '%s': %s", run->cfg.csv_path, strerror(-err));
	else
		err = 0;
	export_report(run, &r, lost);
	run->lost_seen = lost;
	run->events_run += run->events;
	run->events = 0;
	run->last = now;
	agg__next_interval(run->agg);
	return err;
}

static int report_summary(struct run *run)
{
	uint64_t no_start = tracer__stat(run->tracer, STAT_NO_START);
	uint64_t missed = tracer__stat(run->tracer, STAT_ACCEPT_MISSED);
	uint64_t no_port = tracer__stat(run->tracer, STAT_UDP_NO_PORT);
	uint64_t no_owner = tracer__stat(run->tracer, STAT_PROC_FULL);
	uint64_t no_entry = tracer__stat(run->tracer, STAT_CLOSE_NO_ENTRY);
	uint64_t late = tracer__stat(run->tracer, STAT_CLOSE_LATE);
	uint64_t unseen = tracer__stat(run->tracer, STAT_CLOSE_UNSEEN) + run->unseen_at_exit;
	size_t in_progress = tracer__connects_in_progress(run->tracer);
	struct report r;
	int err;

	report_fill(run, &r, now_mono() - run->start);
	r.events = run->events_run;
	r.lost = run->lost_seen;
	report_cost(run, &r);
	if (run->malformed)
		log_err("skipped %llu malformed events", (unsigned long long)run->malformed);
	if (no_start)
		log_info("%llu connects began before tracing (or left the connection map): "
			 "counted without latency or owner",
			 (unsigned long long)no_start);
	if (no_entry)
		log_info("%llu connections closed that the kernel no longer remembered (more open "
			 "at once than --max-conns): counted, without lifetime or resets",
			 (unsigned long long)no_entry);
	if (late)
		log_info("%llu connections closed where the kernel skipped the state probe: "
			 "counted when their socket was released, lifetime up to then",
			 (unsigned long long)late);
	if (unseen)
		log_info("%llu connections closed where the kernel ran neither the state nor the "
			 "release probe: counted when a new connection took their socket's address, "
			 "or at exit, without lifetime or bytes",
			 (unsigned long long)unseen);
	if (in_progress)
		log_info("%zu connects were still in their handshake at exit: not in the counts",
			 in_progress);
	if (no_port)
		log_info("%llu UDP datagrams had no service port (an unconnected socket on an "
			 "ephemeral port, and a hook that does not see the address): not counted",
			 (unsigned long long)no_port);
	if (no_owner)
		log_info("%llu events were counted without their process name (more than %d "
			 "port and process name pairs): left out of the per-process counts",
			 (unsigned long long)no_owner, MAX_PROC_ROWS);
	if (missed)
		log_info("%llu connections were accepted where the accept hook could not see it "
			 "(a thread already blocked in accept() at start, or past the kretprobe's "
			 "maxactive): counted, without accept-queue wait",
			 (unsigned long long)missed);
	if (run->stdout_gone || !(err = out_summary(run, &r)) || stdout_gone(run))
		return 0;
	log_err("failed to write stdout: %s", strerror(-err));
	return err;
}

struct listener_filter {
	const struct inoset *kept; /* what the kernel's socket filters keep */
	const struct filters *filters;
};

/*
 * A listener the snapshot found: kept by the kernel's filters (the same code
 * as for events), and held by a process --pid and --comm accept.
 */
static bool listener_traced(void *ctx, const struct sockinfo *s)
{
	const struct listener_filter *lf = ctx;

	return inoset__has(lf->kept, s->ino) && filters__owner(lf->filters, s->pid, s->comm);
}

/*
 * What is open at start, after attach. The sockets with their holders
 * (iter/task_file) give the owners of the listeners to the kernel, then the
 * connections open now are counted and the listening sockets listed: one
 * opened in between is both an event and in the snapshot, and counted once
 * (by its inode). Without the snapshot the list starts empty.
 */
static void seed(struct run *run, const struct tracer_opts *topts)
{
	struct snapshot *snap = NULL;
	const struct sockinfo *socks = NULL;
	struct inoset kept = {};
	struct listener_filter lf = { .kept = &kept, .filters = &run->filters };
	size_t n = 0;

	if (!run->snap_iters || snapshot__read(run->snap_iters, &snap))
		log_info("listeners open before start are not shown (the snapshot failed)");
	else
		socks = snapshot__sockets(snap, &n);
	tracer__seed(run->tracer, topts, socks, n, &kept); /* says so if it cannot */
	if (listeners__seed(run->listeners, socks, n, listener_traced, &lf))
		log_err("failed to list the listeners open now: %s", strerror(ENOMEM));
	free(kept.v);
	snapshot__free(snap);
	snapshot__unload(run->snap_iters);
	run->snap_iters = NULL;
}

/* "TCP connections and UDP datagrams", as the filters and the kernel allow. */
static const char *traced_what(const struct run *run)
{
	if (run->filters.proto == IPPROTO_UDP)
		return "UDP datagrams";
	if (run->filters.proto == IPPROTO_TCP || !tracer__udp(run->tracer))
		return "TCP connections";
	return "TCP connections and UDP datagrams";
}

/* For the start line: passive opens are traced, but not their accept() (tracer.h). */
static const char *accept_note(const struct run *run)
{
	bool passive = run->filters.proto != IPPROTO_UDP && run->filters.dir != DIR_OUT;

	return passive && tracer__accept_left_off(run->tracer)
		       ? "; accept-queue wait off (--accept-wait)"
		       : "";
}

/* Poll until a signal, --duration, or an error; report every interval. */
static int poll_loop(struct run *run)
{
	double interval = run->cfg.interval_s;
	double end = run->cfg.duration_s ? run->start + run->cfg.duration_s : INFINITY;
	double next = run->start + interval, now;
	int err;

	while (!exiting && !stdout_gone(run) && (now = now_mono()) < end) {
		double wake = fmin(fmin(next, end) - now, POLL_MAX_MS / 1000.0);

		err = tracer__poll(run->tracer, (int)ceil(fmax(wake, 0) * 1000));
		if (run->out_err) { /* stdout failed, and is not merely gone */
			log_err("failed to write stdout: %s", strerror(-run->out_err));
			return run->out_err;
		}
		if (run->agg_err) {
			log_err("failed to count event: %s", strerror(-run->agg_err));
			return run->agg_err;
		}
		if (err < 0 && err != -EINTR) {
			log_err("failed to poll the ring buffer: %s", strerror(-err));
			return err;
		}
		if (now_mono() >= next) {
			err = report_interval(run);
			if (err)
				return err;
			next += interval;
			if (next <= now_mono()) /* fell behind: skip, don't burst */
				next = now_mono() + interval;
		}
	}
	return 0;
}

/* Everything after option parsing; returns the exit code. */
static int run_tracer(struct run *run)
{
	struct tracer_opts topts = { .on_event = on_event, .ctx = run };
	char err_line[256], filters[256];
	bool csv_stdout = run->csv_stdout = run->cfg.csv_path && !strcmp(run->cfg.csv_path, "-");
	/* The table only in table mode; without it (--quiet, --csv -), the summary on stderr. */
	bool table = !csv_stdout && !run->cfg.quiet && run->cfg.mode == OUT_TABLE && !run->cfg.json;
	struct report r;
	int ret = EXIT_RUNTIME, err;

	/* Preflight: privileges and BTF, before touching any file. */
	if (tracer__preflight())
		return EXIT_RUNTIME;
	/* The exporter's port: one that is taken stops the run before anything is traced. */
	if (run->cfg.listen_port &&
	    exporter__start(&run->exporter, run->cfg.listen_addr, run->cfg.listen_port,
			    SOCKTRACE_VERSION, err_line, sizeof(err_line))) {
		log_err("%s", err_line);
		return EXIT_RUNTIME;
	}
	/* Open the CSV before attaching so a bad path costs nothing. */
	if (run->cfg.csv_path &&
	    csv__open(&run->csv, run->cfg.csv_path, err_line, sizeof(err_line))) {
		log_err("%s", err_line);
		ret = EXIT_USAGE;
		goto cleanup;
	}
	/* The ephemeral range: whether a listener's port is in it (the kernel reads it too). */
	if ((err = port_range__read(PORT_RANGE_PATH, &run->eph))) {
		log_err("failed to read %s: %s", PORT_RANGE_PATH, strerror(-err));
		goto cleanup;
	}
	run->agg = agg__new();
	run->listeners = listeners__new();
	run->table = table ? table__new(stdout, isatty(STDOUT_FILENO), run->cfg.wide) : NULL;
	if (!run->agg || !run->listeners || (table && !run->table)) {
		log_err("failed to allocate: %s", strerror(ENOMEM));
		goto cleanup;
	}
	/* Load and attach the probes. */
	topts.ports = run->cfg.filter_ports ? &run->cfg.ports : NULL;
	topts.backend = run->cfg.backend;
	topts.family = run->cfg.family;
	topts.filters = &run->filters;
	topts.ringbuf_bytes = run->cfg.ringbuf_bytes;
	topts.max_conns = run->cfg.max_conns;
	topts.test_skip_close_port = run->cfg.test_skip_close_port;
	topts.test_skip_release_port = run->cfg.test_skip_release_port;
	topts.accept_wait = run->cfg.accept_wait;
	topts.every_event = run->cfg.mode == OUT_EVENTS || run->cfg.every_event;
	/*
	 * The snapshot's iterators, loaded before the probes, read after them:
	 * each load parses the kernel's BTF (12 MB for a moment), and the probes'
	 * ring buffer, mapped by now otherwise, would add its 2 MB to that peak.
	 * seed() says so if they fail to load; tracing goes on without them.
	 */
	snapshot__load(&run->snap_iters);
	if (tracer__start(&run->tracer, &topts))
		goto cleanup;
	evprint__init(&run->evp, stdout, run->cfg.json, run->svc);
	if (run->cfg.mode == OUT_EVENTS && evprint__begin(&run->evp) && !stdout_gone(run)) {
		log_err("failed to write stdout: %s", strerror(EIO));
		goto cleanup;
	}
	seed(run, &topts);
	/*
	 * Loading parsed the kernel's BTF and the snapshot read every process's
	 * files: megabytes freed by now, which glibc keeps in the heap unless asked.
	 */
	malloc_trim(0);
	if (run->csv && (err = csv__begin(run->csv)) && !(csv_stdout && stdout_gone(run))) {
		log_err("failed to write CSV file '%s': %s", run->cfg.csv_path, strerror(-err));
		run->csv_err = err; /* said: not again at close */
		goto cleanup;
	}
	filters__format(&run->filters, &run->cfg, filters, sizeof(filters));
	log_info("tracing %s on ports %s%s%s (backend %s)%s; Ctrl-C to stop", traced_what(run),
		 run->ports, *filters ? ", only" : "", filters, tracer__backend(run->tracer),
		 accept_note(run));
	/* -v: the kernel times the probes, for the summary's cost line. */
	if (run->cfg.verbose && (err = tracer__measure_probes(run->tracer)))
		log_debug("cannot time the probes (BPF_ENABLE_STATS): %s", strerror(-err));
	run->start = run->last = now_mono();
	run->cpu_start = cpu_seconds();
	report_fill(run, &r, 0);
	export_report(run, &r, 0); /* /metrics answers from now on */
	/* Poll and report until told to stop, or until an output fails. */
	if (poll_loop(run) && !run->csv_err)
		goto cleanup;
	/* Final interval and summary, always; after a failed CSV (a full disk) too, then exit 1. */
	tracer__finish(run->tracer, &topts, &run->unseen_at_exit);
	if (report_interval(run) || report_summary(run) || run->csv_err)
		goto cleanup;
	ret = EXIT_OK;
cleanup:
	snapshot__unload(run->snap_iters);
	exporter__stop(run->exporter);
	tracer__stop(run->tracer);
	err = csv__close(run->csv, run->tracer != NULL);
	if (err && !run->csv_err && !(csv_stdout && stdout_gone(run))) { /* said once */
		log_err("failed to write CSV file '%s': %s", run->cfg.csv_path, strerror(-err));
		ret = EXIT_RUNTIME;
	}
	table__free(run->table);
	listeners__free(run->listeners);
	agg__free(run->agg);
	return ret;
}

int main(int argc, char **argv)
{
	struct run run = {};
	char err_line[256];
	int ret;

	/*
	 * A fixed threshold: large blocks (libbpf's copies of the kernel's BTF,
	 * 5.5 MB each) always get their own mapping, which free() gives back.
	 * glibc's default raises the threshold past a freed block's size, so the
	 * next parse's copies come from the heap and stay resident.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	std_fds_open();
	/* Parse options: a bad value stops here, before anything is loaded. */
	run.svc = services__load(SERVICES_PATH);
	if (!run.svc) {
		log_err("failed to load %s: %s", SERVICES_PATH, strerror(ENOMEM));
		return EXIT_RUNTIME;
	}
	if (cli__parse(argc, argv, run.svc, &run.cfg, err_line, sizeof(err_line))) {
		log_err("%s", err_line);
		ret = EXIT_USAGE;
		goto cleanup;
	}
	log_verbose = run.cfg.verbose;
	if (run.cfg.action == CLI_CHECK) {
		ret = tracer__preflight() || check__run(stdout) ? EXIT_RUNTIME : EXIT_OK;
		goto cleanup;
	}
	if (run.cfg.action == CLI_PORTS) {
		/* portsview__run() prints its own one-line error. */
		ret = tracer__preflight() || portsview__run(stdout, &run.cfg, run.svc)
			      ? EXIT_RUNTIME
			      : EXIT_OK;
		goto cleanup;
	}
	if (run.cfg.action != CLI_RUN) {
		if (run.cfg.action == CLI_HELP)
			cli__usage(stdout);
		else
			printf("socktrace %s\n", SOCKTRACE_VERSION);
		ret = EXIT_OK;
		goto cleanup;
	}
	/* Filters named by path: resolved now, so that a bad one is a usage error. */
	if (filters__resolve(&run.filters, &run.cfg, err_line, sizeof(err_line))) {
		log_err("%s", err_line);
		ret = EXIT_USAGE;
		goto cleanup;
	}
	if (run.cfg.filter_ports)
		portset__format(&run.cfg.ports, run.ports, sizeof(run.ports));
	else
		snprintf(run.ports, sizeof(run.ports), "all");
	handle_signals();
	ret = run_tracer(&run);
cleanup:
	services__free(run.svc);
	return ret;
}
