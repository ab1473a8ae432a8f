/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* All messages go through here, to stderr, prefixed "socktrace: ". */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>

extern bool log_verbose;

/* One line: "socktrace: <message>\n". */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress the user should see (same shape as errors, still stderr). */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, only under -v. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* LOG_H */
