// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>
#include "csv.h"
#include "format.h"

struct csv {
	FILE *f;
	char *path;   /* NULL for stdout */
	bool created; /* we created the file: remove it if tracing never starts */
	bool regular;
};

const char csv_header[] =
	"timestamp,port,service,proto,direction,opened,failed,"
	"lat_p50_us,lat_p90_us,lat_p99_us,lat_max_us,lat_samples,"
	"failed_refused,failed_timeout,failed_reset,failed_unreachable,failed_aborted,failed_other,"
	"accept_wait_p50_us,accept_wait_p90_us,accept_wait_p99_us,accept_wait_max_us,"
	"accept_wait_samples,"
	"closed,active,bytes_sent,bytes_received,datagrams_sent,datagrams_received,resp_p50_us,"
	"resp_p99_us,retransmits,resets,resets_sent,resets_received,lifetime_p50_us,"
	"lifetime_p99_us,lifetime_max_us,peers,peers_unknown,lost";

/* Create, or open what exists without truncating it; never through a symlink. */
static int open_no_follow(const char *path, bool *created)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

	*created = fd >= 0;
	/* O_NONBLOCK: opening a FIFO with no reader fails (ENXIO) instead of hanging. */
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0 && !*created && fcntl(fd, F_SETFL, 0)) {
		close(fd);
		return -errno;
	}
	return fd < 0 ? -errno : fd;
}

static int csv_fail(int ret, const char *path, char *err, size_t errlen)
{
	if (ret == -ELOOP)
		snprintf(err, errlen, "refusing CSV file '%s': it is a symbolic link", path);
	else
		snprintf(err, errlen, "cannot write CSV file '%s': %s", path, strerror(-ret));
	return ret;
}

int csv__open(struct csv **out, const char *path, char *err, size_t errlen)
{
	struct csv *csv = calloc(1, sizeof(*csv));
	struct stat st;
	int fd;

	if (!csv)
		return csv_fail(-ENOMEM, path, err, errlen);
	if (!strcmp(path, "-")) {
		csv->f = stdout;
		*out = csv;
		return 0;
	}
	fd = open_no_follow(path, &csv->created);
	if (fd < 0) {
		free(csv);
		return csv_fail(fd, path, err, errlen);
	}
	if (fstat(fd, &st) || S_ISBLK(st.st_mode)) {
		close(fd);
		free(csv);
		return csv_fail(-EINVAL, path, err, errlen);
	}
	csv->regular = S_ISREG(st.st_mode);
	csv->path = strdup(path);
	csv->f = fdopen(fd, "w");
	if (!csv->path || !csv->f) {
		if (csv->f)
			fclose(csv->f);
		else
			close(fd);
		if (csv->created)
			unlink(path);
		free(csv->path);
		free(csv);
		return csv_fail(-ENOMEM, path, err, errlen);
	}
	*out = csv;
	return 0;
}

int csv__begin(struct csv *csv)
{
	if (csv->regular && !csv->created && ftruncate(fileno(csv->f), 0))
		return -errno;
	fprintf(csv->f, "%s\r\n", csv_header);
	return fflush(csv->f) ? -errno : 0;
}

void csv__field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* A latency in microseconds, or an empty field when there is no sample. */
static void latency_us(FILE *f, const struct hist *h, double p)
{
	if (h && h->count)
		fprintf(f, "%.1f", (double)hist__percentile(h, p) / 1e3);
}

static void u64_field(FILE *f, uint64_t v)
{
	fprintf(f, ",%llu", (unsigned long long)v);
}

/* closed ... lifetime_max_us; fields that do not apply to the protocol are empty. */
static void lifecycle_fields(FILE *f, const struct agg_row *row)
{
	static const double life_pcts[] = { 50, 99, 100 }, resp_pcts[] = { 50, 99 };
	const struct agg_stats *st = &row->interval;
	bool tcp = row->proto == IPPROTO_TCP;

	if (tcp) {
		u64_field(f, st->closed);
		u64_field(f, agg__active(&row->run, st));
	} else {
		fputs(",,", f);
	}
	u64_field(f, st->bytes_sent);
	u64_field(f, st->bytes_received);
	if (tcp) {
		fputs(",,,,", f); /* datagrams_sent, datagrams_received, resp_p50_us, resp_p99_us */
		u64_field(f, st->retransmits);
		u64_field(f, st->resets_sent + st->resets_received);
		u64_field(f, st->resets_sent);
		u64_field(f, st->resets_received);
		for (size_t i = 0; i < sizeof(life_pcts) / sizeof(life_pcts[0]); i++) {
			fputc(',', f);
			latency_us(f, st->life, life_pcts[i]);
		}
	} else {
		u64_field(f, st->datagrams_sent);
		u64_field(f, st->datagrams_received);
		for (size_t i = 0; i < sizeof(resp_pcts) / sizeof(resp_pcts[0]); i++) {
			fputc(',', f);
			latency_us(f, st->resp, resp_pcts[i]);
		}
		fputs(",,,,,,,", f); /* retransmits ... lifetime_max_us */
	}
	if (tcp) {
		fputs(",,", f); /* peers, peers_unknown */
	} else {
		u64_field(f, row->udp_seen.peers);
		u64_field(f, row->udp_seen.peers_unknown);
	}
	u64_field(f, st->lost);
}

static void csv_row(FILE *f, const char *when, const struct report *r, const struct agg_row *row)
{
	static const double pcts[] = { 50, 90, 99, 100 /* max */ };
	const struct agg_stats *st = &row->interval;

	const char *service = format_service(r->svc, row);

	fprintf(f, "%s,%u,", when, row->port);
	csv__field(f, strcmp(service, "-") ? service : ""); /* no name: empty field */
	fprintf(f, ",%s,%s,%llu,%llu", format_proto(row->proto), format_dir(row->dir),
		(unsigned long long)st->opened, (unsigned long long)st->failed);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		fputc(',', f);
		latency_us(f, st->lat, pcts[i]);
	}
	fprintf(f, ",%llu", (unsigned long long)(st->lat ? st->lat->count : 0));
	for (int i = 0; i < FAIL_MAX; i++)
		fprintf(f, ",%llu", (unsigned long long)st->failed_by[i]);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		fputc(',', f);
		latency_us(f, st->wait, pcts[i]);
	}
	/* "out" and UDP rows have no accept queue: empty, not 0. */
	if (row->dir == DIR_IN && row->proto == IPPROTO_TCP)
		fprintf(f, ",%llu", (unsigned long long)(st->wait ? st->wait->count : 0));
	else
		fputc(',', f);
	lifecycle_fields(f, row);
	fputs("\r\n", f);
}

int csv__interval(struct csv *csv, const struct report *r)
{
	char when[40];

	format_iso8601(when, sizeof(when), &r->end);
	for (size_t i = 0; i < r->n; i++) {
		const struct agg_row *row = r->rows[i];

		if (agg__stats_active(&row->interval))
			csv_row(csv->f, when, r, row);
	}
	return fflush(csv->f) ? -errno : 0;
}

int csv__close(struct csv *csv, bool started)
{
	int ret = 0;

	if (!csv)
		return 0;
	if (csv->f == stdout) {
		ret = fflush(stdout) ? -errno : 0;
	} else {
		if (fclose(csv->f))
			ret = -errno;
		if (!started && csv->created)
			unlink(csv->path);
	}
	free(csv->path);
	free(csv);
	return ret;
}
