/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command-line options. */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "backend.h"
#include "ports.h"

struct services;

#define INTERVAL_MIN_S 0.1
#define INTERVAL_MAX_S 3600.0
#define DURATION_MAX_S (366.0 * 24 * 3600)

enum cli_action {
	CLI_RUN,
	CLI_HELP,
	CLI_VERSION,
	CLI_CHECK, /* --check: report what this kernel offers, then exit */
	CLI_PORTS, /* "socktrace ports": the sockets open now, grouped by port, then exit */
};

struct config {
	enum cli_action action;
	struct portset ports; /* traced ports when filter_ports */
	bool filter_ports;    /* false: every port */
	double interval_s;    /* table/CSV refresh */
	double duration_s;    /* 0: until Ctrl-C / SIGTERM */
	const char *csv_path; /* NULL: no CSV; "-": stdout */
	enum backend backend; /* BACKEND_AUTO unless --backend */
	bool verbose;
	bool wide;  /* -w: more columns in the live table */
	int family; /* -4: AF_INET, -6: AF_INET6, 0: both */
};

/*
 * Parse argv into cfg. svc resolves service names in --port. Returns 0, or
 * -EINVAL with one line naming the problem in err (nothing else is done).
 */
int cli__parse(int argc, char **argv, const struct services *svc, struct config *cfg, char *err,
	       size_t errlen);

/* The --help text. */
void cli__usage(FILE *out);

#endif /* CLI_H */
