// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>
#include "csv.h"
#include "format.h"

struct csv {
	FILE *f;
	char *path;   /* NULL for stdout */
	bool created; /* we created the file: remove it if tracing never starts */
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

/* Whether path's directory is shared: world-writable and sticky, as /tmp. */
static bool in_shared_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX] = ".";
	struct stat st;

	if (slash && (size_t)(slash - path) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return !stat(dir, &st) && (st.st_mode & (S_IWOTH | S_ISVTX)) == (S_IWOTH | S_ISVTX);
}

/* A file of the kernel's interfaces: writing there as root changes settings. */
static bool kernel_fs(const char *path)
{
	static const long types[] = { PROC_SUPER_MAGIC,	  SYSFS_MAGIC,	 CGROUP2_SUPER_MAGIC,
				      CGROUP_SUPER_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC,
				      SECURITYFS_MAGIC,	  BPF_FS_MAGIC };
	struct statfs sfs;

	if (statfs(path, &sfs))
		return false;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (sfs.f_type == types[i])
			return true;
	return false;
}

/*
 * An existing file we may overwrite: a regular file with no other name (a hard
 * link could point anywhere), not in /proc or /sys, and in a shared directory
 * only our own (what fs.protected_regular refuses to O_CREAT). 0, or -errno
 * for csv_fail().
 */
static int check_existing(const char *path, const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return -ELOOP;
	if (!S_ISREG(st->st_mode) || kernel_fs(path))
		return -EINVAL;
	if (st->st_nlink > 1)
		return -EMLINK;
	if (st->st_uid != geteuid() && in_shared_dir(path))
		return -EPERM;
	return 0;
}

/*
 * Create (mode 0644, narrowed by the umask), or open what exists without
 * truncating it; never through a symlink. An existing file is checked before
 * it is opened, as opening a device or a FIFO can act or block, and after, in
 * case it was swapped in between.
 */
static int open_no_follow(const char *path, bool *created)
{
	int flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
	struct stat st, fst;
	int fd, err;

	fd = open(path, flags | O_CREAT | O_EXCL, 0644);
	*created = fd >= 0;
	if (fd >= 0 || errno != EEXIST)
		return fd < 0 ? -errno : fd;
	if (lstat(path, &st))
		return -errno;
	if ((err = check_existing(path, &st)))
		return err;
	/* O_NONBLOCK: a FIFO swapped in fails (ENXIO) instead of hanging. */
	fd = open(path, flags | O_NONBLOCK);
	if (fd < 0)
		return errno == ENXIO ? -EINVAL : -errno;
	if (fstat(fd, &fst) || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static int csv_fail(int ret, const char *path, char *err, size_t errlen)
{
	const char *why = NULL;

	if (ret == -ELOOP)
		why = "it is a symbolic link";
	else if (ret == -EINVAL)
		why = "not a regular file";
	else if (ret == -EMLINK)
		why = "it has other hard links";
	else if (ret == -EPERM)
		why = "another user's file in a world-writable directory";
	if (why)
		snprintf(err, errlen, "refusing CSV file '%s': %s", path, why);
	else
		snprintf(err, errlen, "cannot write CSV file '%s': %s", path, strerror(-ret));
	return ret;
}

int csv__open(struct csv **out, const char *path, char *err, size_t errlen)
{
	struct csv *csv = calloc(1, sizeof(*csv));
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
	if (csv->path && !csv->created && ftruncate(fileno(csv->f), 0))
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
