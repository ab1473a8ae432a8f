/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Turning numbers into text for people and for files. */
#ifndef FORMAT_H
#define FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct agg_row;
struct services;

/* "850ns", "3.2us", "412us", "1.23ms", "12.3ms", "1.23s"; "-" for no sample (hist NULL/empty). */
void format_latency(char *buf, size_t len, uint64_t ns);

/* ISO 8601 UTC with milliseconds: "2026-11-21T09:15:28.123Z". */
/* Bytes in at most 6 characters: "512", "1.5K", "23M", "1.2G" (powers of 1024). */
void format_bytes(char *buf, size_t len, uint64_t bytes);

void format_iso8601(char *buf, size_t len, const struct timespec *ts);

/* Local time of day with milliseconds, as bcc's tools print it: "14:02:11.123". */
void format_clock(char *buf, size_t len, const struct timespec *ts);

/* "443/tcp". */
void format_port(char *buf, size_t len, const struct agg_row *row);

/* "https", or "-" when the port has no name. */
const char *format_service(const struct services *svc, const struct agg_row *row);

/*
 * Replace each control character of s (newline, escape...) with '?': a message that
 * quotes user input stays one line and cannot drive the terminal.
 */
void format_one_line(char *s);

/* "in" / "out", "tcp" / "udp". */
const char *format_dir(uint8_t dir);
const char *format_proto(uint8_t proto);

/* The row's busiest process: "nginx[812]", "+N" for N more names; "-" when unknown. */
/*
 * A UDP row's distinct remote addresses since start: "12", "12+" when some
 * datagrams' addresses were not seen (a lower bound), "?" when none was.
 */
void format_peers(char *buf, size_t len, const struct agg_row *row);

void format_process(char *buf, size_t len, const struct agg_row *row);

#endif /* FORMAT_H */
