// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <netinet/in.h>
#include "format.h"
#include "histview.h"

#define STARS_MAX 40

void histview__log2(const struct hist *h, uint64_t slots[HISTVIEW_SLOTS])
{
	for (unsigned int k = 0; k < HISTVIEW_SLOTS; k++)
		slots[k] = 0;
	if (!h)
		return;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		uint64_t low = hist__bucket_low(i);

		if (h->buckets[i])
			slots[low < 2 ? 0 : 63 - __builtin_clzll(low)] += h->buckets[i];
	}
}

/* bcc's _stars(): floor(val * width / max) stars. */
static void stars(FILE *f, uint64_t val, uint64_t max, int width)
{
	int n = max ? (int)((unsigned __int128)val * width / max) : 0;

	for (int i = 0; i < width; i++)
		fputc(i < n ? '*' : ' ', f);
}

void histview__print(FILE *f, const uint64_t slots[HISTVIEW_SLOTS], const char *unit)
{
	int first = -1, last = -1, width, nstars;
	uint64_t max = 0;

	for (int k = 0; k < HISTVIEW_SLOTS; k++) {
		if (!slots[k])
			continue;
		if (first < 0)
			first = k;
		last = k;
		if (slots[k] > max)
			max = slots[k];
	}
	if (last < 0)
		return;
	/* bcc widens the columns and halves the bar past 32 lines (values of 2^32 and up). */
	width = last < 32 ? 10 : 20;
	nstars = last < 32 ? STARS_MAX : STARS_MAX / 2;
	fprintf(f, "%*s%-*s : count     distribution\n", width - 5, "", width + 9, unit);
	for (int k = first; k <= last; k++) {
		unsigned long long low = k ? 1ULL << k : 0, high = (2ULL << k) - 1;

		fprintf(f, "%*llu -> %-*llu : %-8llu |", width, low, width, high,
			(unsigned long long)slots[k]);
		stars(f, slots[k], max, nstars);
		fputs("|\n", f);
	}
}

/* One histogram under its title; nothing without a sample. */
static void hist_block(FILE *f, const char *title, const char *what, const struct hist *h)
{
	uint64_t slots[HISTVIEW_SLOTS];

	if (!h || !h->count)
		return;
	fprintf(f, "%s: %s, %llu samples\n", title, what, (unsigned long long)h->count);
	histview__log2(h, slots);
	histview__print(f, slots, "nsecs");
	fputc('\n', f);
}

/* "[14:02:11] 8080/tcp in http-alt" (the service left out when it has no name). */
static void row_title(char *buf, size_t len, const char *when, const struct report *r,
		      const struct agg_row *row)
{
	const char *service = format_service(r->svc, row);
	char port[16];

	format_port(port, sizeof(port), row);
	snprintf(buf, len, "[%s] %s %s%s%s", when, port, format_dir(row->dir),
		 service[0] == '-' ? "" : " ", service[0] == '-' ? "" : service);
}

static void row_hists(FILE *f, const char *title, const struct agg_row *row,
		      const struct agg_stats *st)
{
	if (row->proto == IPPROTO_UDP) {
		hist_block(f, title, "response latency", st->resp);
		return;
	}
	hist_block(f, title, "connection latency", st->lat);
	hist_block(f, title, "accept-queue wait", st->wait);
}

static int rows_hists(FILE *f, const char *when, const struct report *r, bool run)
{
	char title[96];

	for (size_t i = 0; i < r->n; i++) {
		const struct agg_row *row = r->rows[i];
		const struct agg_stats *st = run ? &row->run : &row->interval;

		row_title(title, sizeof(title), when, r, row);
		row_hists(f, title, row, st);
	}
	return fflush(f) || ferror(f) ? -EIO : 0;
}

int histview__interval(FILE *f, const struct report *r)
{
	char when[16];

	format_clock(when, sizeof(when), &r->end);
	when[8] = '\0'; /* whole seconds, as bcc's interval stamps */
	return rows_hists(f, when, r, false);
}

int histview__summary(FILE *f, const struct report *r)
{
	char when[32];

	snprintf(when, sizeof(when), "run %.1fs", r->elapsed_s);
	return rows_hists(f, when, r, true);
}
