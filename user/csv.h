/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CSV sink (RFC 4180): a header, then one row per (port, proto, direction)
 * with activity in each interval. Opening checks the path without losing
 * anything: an existing file is truncated only by csv__begin(), once tracing
 * is attached, and a file csv__open() created is removed if tracing never starts.
 */
#ifndef CSV_H
#define CSV_H

#include <stdbool.h>
#include <stddef.h>
#include "report.h"

struct csv;

/* The header line, without the line ending. */
extern const char csv_header[];

/*
 * Open path for writing ("-" is stdout): create it (0644 under the umask), or
 * open an existing regular file that has one link and, in a world-writable
 * sticky directory, is ours. Never follows a symlink, never opens anything
 * else (FIFO, device, directory). 0, or a negative errno with one line in err.
 */
int csv__open(struct csv **out, const char *path, char *err, size_t errlen);

/* Truncate an existing file and write the header. 0 or -errno. */
int csv__begin(struct csv *csv);

/* Rows of one interval, stamped with r->end. 0 or -errno. */
int csv__interval(struct csv *csv, const struct report *r);

/*
 * Flush and close. started = false removes a file csv__open() created.
 * Accepts NULL. 0, or -errno when buffered rows could not be written.
 */
int csv__close(struct csv *csv, bool started);

/* Write s as one CSV field, quoted when it holds , " CR or LF. */
void csv__field(FILE *f, const char *s);

#endif /* CSV_H */
