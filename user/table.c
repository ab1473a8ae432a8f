// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "format.h"
#include "listeners.h"
#include "table.h"

#define LINE_MAX_LEN 256

struct table {
	FILE *out;
	bool tty;
	bool wide;
	bool header_done;	    /* plain mode prints its header once */
	bool udp_header_done;	    /* and the UDP one before the first UDP line */
	unsigned int listeners_gen; /* plain mode: the listeners as last printed */
	bool listeners_done;
};

struct table *table__new(FILE *out, bool tty, bool wide)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->out = out;
	t->tty = tty;
	t->wide = wide;
	return t;
}

void table__free(struct table *t)
{
	free(t);
}

static uint64_t pct(const struct hist *h, double p)
{
	return h ? hist__percentile(h, p) : 0;
}

/*
 * PORT SERVICE DIR ACTIVE OPEN CLOSE FAIL P50 P99 QWAIT99 [wide columns]
 * PROCESS, for one row's interval: 70 columns before PROCESS, so an 80-column
 * terminal shows most of it. MAX and P90 are in the summary and the CSV.
 */
static const char interval_header[] =
	"PORT      SERVICE  DIR ACTIVE  OPEN CLOSE  FAIL    P50    P99 QWAIT99";
static const char wide_header[] = "   TOTAL   SENT   RECV RETRANS RESETS LIFE50";

static void interval_cells(char *buf, size_t len, const struct table *t, const struct report *r,
			   const struct agg_row *row)
{
	const struct agg_stats *st = &row->interval;
	char port[16], p50[16], p99[16], wait99[16], proc[40], wide[128] = "";
	char sent[16], recv[16], life50[16];

	format_port(port, sizeof(port), row);
	format_latency(p50, sizeof(p50), pct(st->lat, 50));
	format_latency(p99, sizeof(p99), pct(st->lat, 99));
	format_latency(wait99, sizeof(wait99), pct(st->wait, 99));
	format_process(proc, sizeof(proc), row);
	if (t->wide) {
		format_bytes(sent, sizeof(sent), st->bytes_sent);
		format_bytes(recv, sizeof(recv), st->bytes_received);
		format_latency(life50, sizeof(life50), pct(st->life, 50));
		snprintf(wide, sizeof(wide), " %7llu %6s %6s %7llu %6llu %6s",
			 (unsigned long long)(row->run.opened + st->opened), sent, recv,
			 (unsigned long long)st->retransmits,
			 (unsigned long long)(st->resets_sent + st->resets_received), life50);
	}
	snprintf(buf, len, "%-9s %-8.8s %-3s %6llu %5llu %5llu %5llu %6s %6s %7s%s %s", port,
		 format_service(r->svc, row), format_dir(row->dir),
		 (unsigned long long)agg__active(&row->run, st), (unsigned long long)st->opened,
		 (unsigned long long)st->closed, (unsigned long long)st->failed, p50, p99, wait99,
		 wide, proc);
}

/*
 * UDP rows: datagrams and bytes each way, distinct peers since start,
 * response latency ("out"), send errors; 76 columns before PROCESS.
 */
static const char udp_header[] =
	"PORT      SERVICE  DIR  DGR-IN DGR-OUT  B-IN B-OUT PEERS RESP50 RESP99 ERRS PROCESS";

static void udp_cells(char *buf, size_t len, const struct report *r, const struct agg_row *row,
		      const struct agg_stats *st)
{
	char port[16], bin[16], bout[16], peers[24], p50[16], p99[16], proc[40];

	format_port(port, sizeof(port), row);
	format_bytes(bin, sizeof(bin), st->bytes_received);
	format_bytes(bout, sizeof(bout), st->bytes_sent);
	format_peers(peers, sizeof(peers), row);
	format_latency(p50, sizeof(p50), pct(st->resp, 50));
	format_latency(p99, sizeof(p99), pct(st->resp, 99));
	format_process(proc, sizeof(proc), row);
	snprintf(buf, len, "%-9s %-8.8s %-3s %7llu %7llu %5s %5s %5s %6s %6s %4llu %s", port,
		 format_service(r->svc, row), format_dir(row->dir),
		 (unsigned long long)st->datagrams_received, (unsigned long long)st->datagrams_sent,
		 bin, bout, peers, p50, p99, (unsigned long long)st->send_errors, proc);
}

static bool is_udp(const struct agg_row *row)
{
	return row->proto == IPPROTO_UDP;
}

static void header(char *buf, size_t len, const struct table *t)
{
	snprintf(buf, len, "%s%s PROCESS", interval_header, t->wide ? wide_header : "");
}

static int terminal_width(FILE *out)
{
	struct winsize ws;

	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static int table_tty(struct table *t, const struct report *r)
{
	int width = terminal_width(t->out);
	char line[LINE_MAX_LEN], when[40];

	format_iso8601(when, sizeof(when), &r->end);
	/* Home the cursor and clear the screen, then draw. */
	fprintf(t->out, "\033[H\033[2J");
	fprintf(t->out, "socktrace  ports %s  backend %s  %s\n\n", r->ports, r->backend, when);
	header(line, sizeof(line), t);
	fprintf(t->out, "%.*s\n", width, line);
	for (size_t i = 0; i < r->n; i++) {
		if (is_udp(r->rows[i]))
			continue;
		interval_cells(line, sizeof(line), t, r, r->rows[i]);
		fprintf(t->out, "%.*s\n", width, line);
	}
	for (size_t i = 0, first = 1; i < r->n; i++) {
		if (!is_udp(r->rows[i]))
			continue;
		if (first)
			fprintf(t->out, "\n%.*s\n", width, udp_header);
		first = 0;
		udp_cells(line, sizeof(line), r, r->rows[i], &r->rows[i]->interval);
		fprintf(t->out, "%.*s\n", width, line);
	}
	if (!r->n)
		fprintf(t->out, "(no connections yet)\n");
	if (r->listeners && listeners__count(r->listeners)) {
		fputc('\n', t->out);
		listeners__print(t->out, r->listeners, r->svc, r->eph, width, "");
	}
	fprintf(t->out, "\nevents %llu (%.0f/s)  lost %llu\n", (unsigned long long)r->events,
		r->elapsed_s > 0 ? (double)r->events / r->elapsed_s : 0.0,
		(unsigned long long)r->lost);
	fflush(t->out);
	return ferror(t->out) ? -EIO : 0;
}

static int table_plain(struct table *t, const struct report *r)
{
	char line[LINE_MAX_LEN], when[40];

	if (!t->header_done) {
		header(line, sizeof(line), t);
		fprintf(t->out, "%-24s %s\n", "TIME", line);
		t->header_done = true;
	}
	format_iso8601(when, sizeof(when), &r->end);
	/* The listeners at the first interval, and again whenever they change. */
	if (r->listeners &&
	    (!t->listeners_done || listeners__generation(r->listeners) != t->listeners_gen)) {
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "%-24s ", when);
		listeners__print(t->out, r->listeners, r->svc, r->eph, 0, prefix);
		t->listeners_gen = listeners__generation(r->listeners);
		t->listeners_done = true;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct agg_row *row = r->rows[i];

		if (!agg__stats_active(&row->interval))
			continue;
		if (is_udp(row) && !t->udp_header_done) {
			fprintf(t->out, "%-24s %s\n", "TIME", udp_header);
			t->udp_header_done = true;
		}
		if (is_udp(row))
			udp_cells(line, sizeof(line), r, row, &row->interval);
		else
			interval_cells(line, sizeof(line), t, r, row);
		fprintf(t->out, "%-24s %s\n", when, line);
	}
	if (r->lost)
		fprintf(t->out, "%-24s lost %llu events\n", when, (unsigned long long)r->lost);
	fflush(t->out);
	return ferror(t->out) ? -EIO : 0;
}

int table__interval(struct table *t, const struct report *r)
{
	return t->tty ? table_tty(t, r) : table_plain(t, r);
}

/* "refused 3, timeout 1" for a row's failed connects. */
static void failure_reasons(char *buf, size_t len, const struct agg_stats *st)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < FAIL_MAX && used < len; i++) {
		int n;

		if (!st->failed_by[i])
			continue;
		n = snprintf(buf + used, len - used, "%s%s %llu", used ? ", " : "",
			     fail_reason__name(i), (unsigned long long)st->failed_by[i]);
		used += n > 0 ? (size_t)n : 0;
	}
}

/* Per row with closes: what the connections carried and how long they lived. */
static void lifecycle_summary(FILE *out, const struct report *r)
{
	char port[16], sent[16], recv[16], l50[16], l99[16], lmax[16];
	bool header_done = false;

	for (size_t i = 0; i < r->n; i++) {
		const struct agg_row *row = r->rows[i];
		const struct agg_stats *st = &row->run;

		if (!st->closed && !st->resets_sent && !st->resets_received)
			continue;
		if (!header_done) {
			fprintf(out, "\nPORT      DIR  ACTIVE CLOSED   SENT   RECV RETRANS "
				     "RST-OUT RST-IN LIFE50 LIFE99 LIFEMAX\n");
			header_done = true;
		}
		format_port(port, sizeof(port), row);
		format_bytes(sent, sizeof(sent), st->bytes_sent);
		format_bytes(recv, sizeof(recv), st->bytes_received);
		format_latency(l50, sizeof(l50), pct(st->life, 50));
		format_latency(l99, sizeof(l99), pct(st->life, 99));
		format_latency(lmax, sizeof(lmax), pct(st->life, 100));
		fprintf(out, "%-9s %-3s %7llu %6llu %6s %6s %7llu %7llu %6llu %6s %6s %7s\n", port,
			format_dir(row->dir), (unsigned long long)agg__active(st, &row->interval),
			(unsigned long long)st->closed, sent, recv,
			(unsigned long long)st->retransmits, (unsigned long long)st->resets_sent,
			(unsigned long long)st->resets_received, l50, l99, lmax);
	}
}

static void udp_summary(FILE *out, const struct report *r)
{
	char line[LINE_MAX_LEN];
	bool header_done = false;

	for (size_t i = 0; i < r->n; i++) {
		if (!is_udp(r->rows[i]))
			continue;
		if (!header_done)
			fprintf(out, "\n%s\n", udp_header);
		header_done = true;
		udp_cells(line, sizeof(line), r, r->rows[i], &r->rows[i]->run);
		fprintf(out, "%s\n", line);
	}
}

/*
 * Rows that lost events to a full ring buffer: their counts include them
 * (the kernel counted what they would have), their samples do not.
 */
static void lost_summary(FILE *out, const struct report *r)
{
	char port[16];

	for (size_t i = 0; i < r->n; i++) {
		const struct agg_row *row = r->rows[i];
		const struct agg_stats *st = &row->run;

		if (!st->lost)
			continue;
		format_port(port, sizeof(port), row);
		fprintf(out, "lost %s %s: %llu events, counted in the figures above; latency "
			     "percentiles rest on the SAMPLES that arrived\n",
			port, format_dir(row->dir), (unsigned long long)st->lost);
	}
}

/* What socktrace cost: its events per second, its own CPU, its probes' time. */
static void cost_line(FILE *out, const struct report *r)
{
	double per_s = r->elapsed_s > 0 ? (double)r->events / r->elapsed_s : 0;

	fprintf(out, "cost: %.0f events/s; socktrace's CPU %.2f s", per_s, r->cpu_s);
	if (r->events)
		fprintf(out, " (%.2f s per million events)", r->cpu_s * 1e6 / (double)r->events);
	fprintf(out, "; probes %llu runs", (unsigned long long)r->probe_runs);
	if (r->probe_ns && r->probe_runs)
		fprintf(out, ", %.0f ns per run, %.2f s in all\n",
			(double)r->probe_ns / (double)r->probe_runs, (double)r->probe_ns / 1e9);
	else
		fprintf(out, " (time per run: -v, or sysctl kernel.bpf_stats_enabled=1)\n");
	if (r->probe_misses)
		fprintf(out,
			"missed: the kernel skipped %llu probe runs (a probe interrupted on its "
			"CPU by another run of itself); the figures below may be short by as "
			"many events\n",
			(unsigned long long)r->probe_misses);
}

int table__summary(FILE *out, const struct report *r)
{
	char port[16], p50[16], p90[16], p99[16], max[16], w50[16], w99[16], proc[40], why[160];
	size_t tcp_rows = 0;

	fprintf(out, "\nsocktrace summary: %.1fs, ports %s, backend %s, %llu events, %llu lost\n",
		r->elapsed_s, r->ports, r->backend, (unsigned long long)r->events,
		(unsigned long long)r->lost);
	cost_line(out, r);
	fprintf(out, "PORT      SERVICE  DIR  OPENED FAILED     P50     P90     P99     MAX "
		     "SAMPLES QWAIT50 QWAIT99 PROCESS\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct agg_row *row = r->rows[i];
		const struct agg_stats *st = &row->run;

		if (is_udp(row))
			continue;
		tcp_rows++;
		format_port(port, sizeof(port), row);
		format_latency(p50, sizeof(p50), pct(st->lat, 50));
		format_latency(p90, sizeof(p90), pct(st->lat, 90));
		format_latency(p99, sizeof(p99), pct(st->lat, 99));
		format_latency(max, sizeof(max), pct(st->lat, 100));
		format_latency(w50, sizeof(w50), pct(st->wait, 50));
		format_latency(w99, sizeof(w99), pct(st->wait, 99));
		format_process(proc, sizeof(proc), row);
		fprintf(out, "%-9s %-8.8s %-3s %7llu %6llu %7s %7s %7s %7s %7llu %7s %7s %s\n",
			port, format_service(r->svc, row), format_dir(row->dir),
			(unsigned long long)st->opened, (unsigned long long)st->failed, p50, p90,
			p99, max, (unsigned long long)(st->lat ? st->lat->count : 0), w50, w99,
			proc);
	}
	if (!tcp_rows)
		fprintf(out, "(no TCP connections)\n");
	lifecycle_summary(out, r);
	udp_summary(out, r);
	if (r->listeners && listeners__count(r->listeners)) {
		fputc('\n', out);
		listeners__print(out, r->listeners, r->svc, r->eph, 0, "");
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct agg_row *row = r->rows[i];

		if (!row->run.failed)
			continue;
		format_port(port, sizeof(port), row);
		failure_reasons(why, sizeof(why), &row->run);
		fprintf(out, "failed %s %s: %s\n", port, format_dir(row->dir), why);
	}
	lost_summary(out, r);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
