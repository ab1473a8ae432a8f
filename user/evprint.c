// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>
#include "agg.h"
#include "evprint.h"
#include "format.h"
#include "json.h"
#include "services.h"

#define ENDPOINT_LEN (INET6_ADDRSTRLEN + 8) /* "[addr]:65535" */
#define COMM_TEXT_LEN (TASK_COMM_LEN * 4)   /* every byte as \xNN */

static const char header[] = "TIME         PID     COMM            PROTO DIR EVENT    RESULT      "
			     "LATENCY LOCAL                 -> REMOTE";

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void evprint__init(struct evprint *p, FILE *out, bool json, const struct services *svc)
{
	p->out = out;
	p->json = json;
	p->svc = svc;
	/* Events carry bpf_ktime_get_ns(), CLOCK_MONOTONIC; the wall clock is an offset away. */
	p->clock_offset_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
}

static int flushed(FILE *f)
{
	return fflush(f) || ferror(f) ? -EIO : 0;
}

int evprint__begin(const struct evprint *p)
{
	if (p->json)
		return 0;
	fprintf(p->out, "%s\n", header);
	return flushed(p->out);
}

const char *evprint__kind(uint8_t kind)
{
	static const char *const names[EV_KIND_MAX + 1] = {
		[EV_CONNECT_OK] = "connect", [EV_CONNECT_FAIL] = "connect",
		[EV_ACCEPT] = "accept",	     [EV_ACCEPTED] = "accepted",
		[EV_CLOSE] = "close",	     [EV_EXISTING] = "existing",
		[EV_RESET] = "reset",	     [EV_UDP_RESPONSE] = "response",
		[EV_LISTEN] = "listen",	     [EV_LISTEN_CLOSE] = "unlisten",
	};

	return kind <= EV_KIND_MAX && names[kind] ? names[kind] : "?";
}

static const char *resets(uint8_t flags)
{
	switch (flags & (EVF_RST_SENT | EVF_RST_RECV)) {
	case EVF_RST_SENT:
		return "rst-out";
	case EVF_RST_RECV:
		return "rst-in";
	case EVF_RST_SENT | EVF_RST_RECV:
		return "rst-both";
	default:
		return "ok";
	}
}

const char *evprint__result(const struct event *ev)
{
	switch (ev->kind) {
	case EV_CONNECT_FAIL:
		return fail_reason__name(fail_reason__from_errno(ev->err));
	case EV_CLOSE:
		return ev->flags & EVF_UNSEEN ? "unseen" : resets(ev->flags);
	case EV_RESET:
		return resets(ev->flags);
	case EV_EXISTING:
		return "open";
	default:
		return "ok";
	}
}

void evprint__comm(char *buf, size_t len, const uint8_t *comm)
{
	size_t n = 0;

	if (!comm[0]) {
		snprintf(buf, len, "-");
		return;
	}
	buf[0] = '\0';
	for (int i = 0; i < TASK_COMM_LEN && comm[i] && n < len; i++) {
		uint8_t c = comm[i];

		if (c == '\\')
			n += snprintf(buf + n, len - n, "\\\\");
		else if (c > ' ' && c < 0x7f)
			n += snprintf(buf + n, len - n, "%c", c);
		else
			n += snprintf(buf + n, len - n, "\\x%02x", c);
	}
}

/* "?" for an address not known: a close found unseen (EVF_UNSEEN) has none. */
static void address(char *buf, size_t len, uint16_t family, const void *addr)
{
	if ((family != AF_INET && family != AF_INET6) || !inet_ntop(family, addr, buf, len))
		snprintf(buf, len, "?");
}

void evprint__endpoint(char *buf, size_t len, uint16_t family, const void *addr, uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	address(a, sizeof(a), family, addr);
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}

/* Listen events are about a local socket alone: no remote end. */
static bool has_remote(const struct event *ev)
{
	return ev->kind != EV_LISTEN && ev->kind != EV_LISTEN_CLOSE;
}

/* The event's latency in ns, or -1 when its kind has none or it was not measured. */
static int64_t latency(const struct event *ev)
{
	switch (ev->kind) {
	case EV_ACCEPTED: /* queue wait, 0 is a real value */
	case EV_UDP_RESPONSE:
		return (int64_t)ev->lat_ns;
	case EV_CONNECT_OK:
	case EV_ACCEPT:
	case EV_CLOSE: /* lifetime */
		return ev->lat_ns ? (int64_t)ev->lat_ns : -1;
	default:
		return -1;
	}
}

/* Unsigned: a record's ts_ns is any 64-bit value, and a signed sum could overflow. */
static struct timespec wall_time(const struct evprint *p, const struct event *ev)
{
	uint64_t ns = ev->ts_ns + (uint64_t)p->clock_offset_ns;

	return (struct timespec){ .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };
}

static void text_line(const struct evprint *p, const struct event *ev)
{
	struct timespec ts = wall_time(p, ev);
	char when[16], pid[16] = "-", comm[COMM_TEXT_LEN], lat[16] = "-";
	char local[ENDPOINT_LEN], remote[ENDPOINT_LEN] = "-";
	int64_t ns = latency(ev);

	format_clock(when, sizeof(when), &ts);
	if (ev->pid)
		snprintf(pid, sizeof(pid), "%u", ev->pid);
	evprint__comm(comm, sizeof(comm), ev->comm);
	if (ns >= 0)
		format_latency(lat, sizeof(lat), (uint64_t)ns);
	evprint__endpoint(local, sizeof(local), ev->family, &ev->saddr_v6, ev->sport);
	if (has_remote(ev))
		evprint__endpoint(remote, sizeof(remote), ev->family, &ev->daddr_v6, ev->dport);
	fprintf(p->out, "%-12s %-7s %-15s %-5s %-3s %-8s %-11s %7s %-21s -> %s", when, pid, comm,
		format_proto(ev->proto), format_dir(ev->dir), evprint__kind(ev->kind),
		evprint__result(ev), lat, local, remote);
	if (ev->kind == EV_CLOSE)
		fprintf(p->out, " sent=%llu recv=%llu retrans=%u",
			(unsigned long long)ev->bytes_sent, (unsigned long long)ev->bytes_received,
			ev->retrans);
	else if (!has_remote(ev))
		fprintf(p->out, " ino=%llu", (unsigned long long)ev->sock_ino);
	fputc('\n', p->out);
}

/* A member that only some kinds have: the value, or null. */
static void u64_or_null(struct json *j, const char *key, bool has, uint64_t val)
{
	if (has)
		json__u64(j, key, val);
	else
		json__null(j, key);
}

static void json_addresses(struct json *j, const struct event *ev)
{
	bool known = !(ev->flags & EVF_UNSEEN); /* addresses: null when not known */
	char a[INET6_ADDRSTRLEN];

	json__str(j, "family", !known ? NULL : ev->family == AF_INET6 ? "ipv6" : "ipv4");
	address(a, sizeof(a), ev->family, &ev->saddr_v6);
	json__str(j, "local_addr", known ? a : NULL);
	json__u64(j, "local_port", ev->sport);
	address(a, sizeof(a), ev->family, &ev->daddr_v6);
	json__str(j, "remote_addr", has_remote(ev) && known ? a : NULL);
	u64_or_null(j, "remote_port", has_remote(ev), ev->dport);
}

static void json_object(const struct evprint *p, const struct event *ev)
{
	struct timespec ts = wall_time(p, ev);
	uint16_t port = agg__service_port(ev);
	const char *service = p->svc ? services__name(p->svc, port, format_proto(ev->proto)) : NULL;
	bool closed = ev->kind == EV_CLOSE, resets = closed || ev->kind == EV_RESET;
	bool listen = !has_remote(ev);
	int64_t ns = latency(ev);
	char when[40];
	struct json j;

	format_iso8601(when, sizeof(when), &ts);
	json__begin(&j, p->out);
	json__str(&j, "type", "event");
	json__str(&j, "time", when);
	json__u64(&j, "ts_ns", ev->ts_ns);
	json__str(&j, "kind", evprint__kind(ev->kind));
	json__str(&j, "result", evprint__result(ev));
	u64_or_null(&j, "pid", ev->pid, ev->pid);
	json__str(&j, "comm", ev->comm[0] ? (const char *)ev->comm : NULL);
	json__str(&j, "proto", format_proto(ev->proto));
	json__str(&j, "direction", format_dir(ev->dir));
	json__u64(&j, "port", port);
	json__str(&j, "service", service);
	json_addresses(&j, ev);
	if (ns >= 0)
		json__double(&j, "lat_us", (double)ns / 1e3, 3);
	else
		json__null(&j, "lat_us");
	u64_or_null(&j, "errno", ev->kind == EV_CONNECT_FAIL, ev->err);
	u64_or_null(&j, "bytes_sent", closed, ev->bytes_sent);
	u64_or_null(&j, "bytes_received", closed, ev->bytes_received);
	u64_or_null(&j, "retransmits", closed, ev->retrans);
	u64_or_null(&j, "resets_sent", resets, !!(ev->flags & EVF_RST_SENT));
	u64_or_null(&j, "resets_received", resets, !!(ev->flags & EVF_RST_RECV));
	u64_or_null(&j, "sock_ino", listen, ev->sock_ino);
	json__u64(&j, "netns", ev->netns);
	json__end(&j);
}

int evprint__event(const struct evprint *p, const struct event *ev)
{
	if (p->json)
		json_object(p, ev);
	else
		text_line(p, ev);
	return flushed(p->out);
}
