// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include "format.h"
#include "json.h"
#include "jsonstats.h"

/* Percentile p of h in microseconds, one decimal as in the CSV; null without a sample. */
static void pct_us(struct json *j, const char *key, const struct hist *h, double p)
{
	if (h && h->count)
		json__double(j, key, (double)hist__percentile(h, p) / 1e3, 1);
	else
		json__null(j, key);
}

/* prefix_p50_us, prefix_p90_us ...: one member per percentile. */
static void pcts_us(struct json *j, const char *prefix, const struct hist *h,
		    const char *const *names, const double *pcts, size_t n)
{
	char key[48];

	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%s_%s_us", prefix, names[i]);
		pct_us(j, key, h, pcts[i]);
	}
}

static void u64_if(struct json *j, const char *key, bool has, uint64_t val)
{
	if (has)
		json__u64(j, key, val);
	else
		json__null(j, key);
}

static uint64_t samples(const struct hist *h)
{
	return h ? h->count : 0;
}

static void connection_members(struct json *j, const struct agg_row *row,
			       const struct agg_stats *st)
{
	static const char *const names[] = { "p50", "p90", "p99", "max" };
	static const double pcts[] = { 50, 90, 99, 100 };
	static const char *const reasons[FAIL_MAX] = {
		[FAIL_REFUSED] = "failed_refused", [FAIL_TIMEOUT] = "failed_timeout",
		[FAIL_RESET] = "failed_reset",	   [FAIL_UNREACH] = "failed_unreachable",
		[FAIL_ABORTED] = "failed_aborted", [FAIL_OTHER] = "failed_other",
	};
	bool queue = row->dir == DIR_IN && row->proto == IPPROTO_TCP;

	json__u64(j, "opened", st->opened);
	json__u64(j, "failed", st->failed);
	pcts_us(j, "lat", st->lat, names, pcts, 4);
	json__u64(j, "lat_samples", samples(st->lat));
	for (int i = 0; i < FAIL_MAX; i++)
		json__u64(j, reasons[i], st->failed_by[i]);
	pcts_us(j, "accept_wait", st->wait, names, pcts, 4);
	u64_if(j, "accept_wait_samples", queue, samples(st->wait));
}

static void lifecycle_members(struct json *j, const struct agg_row *row, const struct agg_stats *st,
			      uint64_t active)
{
	static const char *const life_names[] = { "p50", "p99", "max" };
	static const double life_pcts[] = { 50, 99, 100 };
	bool tcp = row->proto == IPPROTO_TCP;

	u64_if(j, "closed", tcp, st->closed);
	u64_if(j, "active", tcp, active);
	json__u64(j, "bytes_sent", st->bytes_sent);
	json__u64(j, "bytes_received", st->bytes_received);
	u64_if(j, "datagrams_sent", !tcp, st->datagrams_sent);
	u64_if(j, "datagrams_received", !tcp, st->datagrams_received);
	pcts_us(j, "resp", st->resp, life_names, life_pcts, 2); /* p50, p99 */
	u64_if(j, "retransmits", tcp, st->retransmits);
	u64_if(j, "resets", tcp, st->resets_sent + st->resets_received);
	u64_if(j, "resets_sent", tcp, st->resets_sent);
	u64_if(j, "resets_received", tcp, st->resets_received);
	pcts_us(j, "lifetime", st->life, life_names, life_pcts, 3);
	u64_if(j, "peers", !tcp, row->udp_seen.peers);
	u64_if(j, "peers_unknown", !tcp, row->udp_seen.peers_unknown);
	json__u64(j, "lost", st->lost);
}

/* One row's object: type "interval" (st = the interval) or "total" (st = the run). */
static void row_object(FILE *f, const char *type, const char *when, const struct report *r,
		       const struct agg_row *row, const struct agg_stats *st, uint64_t active)
{
	const char *service = format_service(r->svc, row);
	struct json j;

	json__begin(&j, f);
	json__str(&j, "type", type);
	json__str(&j, "timestamp", when);
	json__double(&j, "elapsed_s", r->elapsed_s, 3);
	json__u64(&j, "port", row->port);
	json__str(&j, "service", strcmp(service, "-") ? service : NULL);
	json__str(&j, "proto", format_proto(row->proto));
	json__str(&j, "direction", format_dir(row->dir));
	connection_members(&j, row, st);
	lifecycle_members(&j, row, st, active);
	json__end(&j);
}

int jsonstats__interval(FILE *f, const struct report *r)
{
	char when[40];

	format_iso8601(when, sizeof(when), &r->end);
	for (size_t i = 0; i < r->n; i++) {
		const struct agg_row *row = r->rows[i];

		if (agg__stats_active(&row->interval))
			row_object(f, "interval", when, r, row, &row->interval,
				   agg__active(&row->run, &row->interval));
	}
	return fflush(f) || ferror(f) ? -EIO : 0;
}

int jsonstats__summary(FILE *f, const struct report *r)
{
	static const struct agg_stats none;
	char when[40];
	struct json j;

	format_iso8601(when, sizeof(when), &r->end);
	for (size_t i = 0; i < r->n; i++) {
		const struct agg_row *row = r->rows[i];

		if (agg__stats_active(&row->run))
			row_object(f, "total", when, r, row, &row->run,
				   agg__active(&row->run, &none));
	}
	json__begin(&j, f);
	json__str(&j, "type", "summary");
	json__str(&j, "timestamp", when);
	json__double(&j, "elapsed_s", r->elapsed_s, 3);
	json__str(&j, "ports", r->ports);
	json__str(&j, "backend", r->backend);
	json__u64(&j, "events", r->events);
	json__u64(&j, "lost", r->lost);
	json__end(&j);
	return fflush(f) || ferror(f) ? -EIO : 0;
}
