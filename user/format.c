// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <netinet/in.h>
#include <stdio.h>
#include "agg.h"
#include "format.h"
#include "services.h"

void format_latency(char *buf, size_t len, uint64_t ns)
{
	double v = (double)ns;

	if (!ns)
		snprintf(buf, len, "-");
	else if (ns < 1000)
		snprintf(buf, len, "%uns", (unsigned int)ns);
	/* Each bound is where the rounded text would need the next unit. */
	else if (ns < 9950)
		snprintf(buf, len, "%.1fus", v / 1e3);
	else if (ns < 999500)
		snprintf(buf, len, "%.0fus", v / 1e3);
	else if (ns < 9995000)
		snprintf(buf, len, "%.2fms", v / 1e6);
	else if (ns < 999950000)
		snprintf(buf, len, "%.1fms", v / 1e6);
	else
		snprintf(buf, len, "%.2fs", v / 1e9);
}

void format_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	/* Below 9.95 one decimal; the rounded text of the rest fits "1023K". */
	if (v < 9.95)
		snprintf(buf, len, "%.1f%c", v, units[u]);
	else
		snprintf(buf, len, "%.0f%c", v, units[u]);
}

void format_iso8601(char *buf, size_t len, const struct timespec *ts)
{
	struct tm tm;
	char day[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", day, ts->tv_nsec / 1000000);
}

void format_clock(char *buf, size_t len, const struct timespec *ts)
{
	struct tm tm;
	char hms[16];

	localtime_r(&ts->tv_sec, &tm);
	strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ld", hms, ts->tv_nsec / 1000000);
}

const char *format_dir(uint8_t dir)
{
	return dir == DIR_IN ? "in" : "out";
}

const char *format_proto(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

void format_port(char *buf, size_t len, const struct agg_row *row)
{
	snprintf(buf, len, "%u/%s", row->port, format_proto(row->proto));
}

const char *format_service(const struct services *svc, const struct agg_row *row)
{
	const char *name = svc ? services__name(svc, row->port, format_proto(row->proto)) : NULL;

	return name ? name : "-";
}

void format_process(char *buf, size_t len, const struct agg_row *row)
{
	const struct agg_proc *top = &row->procs[0];
	int more = 0;

	if (!top->count) {
		snprintf(buf, len, "-");
		return;
	}
	for (int i = 1; i < AGG_PROCS; i++)
		more += row->procs[i].count > 0;
	if (row->procs_more)
		more++;
	if (more)
		snprintf(buf, len, "%s[%u]+%d", top->comm, top->pid, more);
	else
		snprintf(buf, len, "%s[%u]", top->comm, top->pid);
}

void format_peers(char *buf, size_t len, const struct agg_row *row)
{
	const struct udp_counts *c = &row->udp_seen;

	if (c->peers_unknown && !c->peers)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%llu%s", (unsigned long long)c->peers,
			 c->peers_unknown ? "+" : "");
}

void format_one_line(char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			*s = '?';
	}
}
