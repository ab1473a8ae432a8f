// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "cli.h"

enum {
	OPT_CSV = 256,
	OPT_BACKEND,
	OPT_CHECK,
};

static const struct option long_opts[] = {
	{ "port", required_argument, NULL, 'p' },
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "wide", no_argument, NULL, 'w' },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ 0 },
};

void cli__usage(FILE *out)
{
	fputs("Usage: socktrace [OPTIONS]\n"
	      "       socktrace ports [-p SPEC]\n"
	      "Trace TCP connections per port: opened, failed, connect latency.\n"
	      "`socktrace ports` prints the sockets open now, grouped by port, and exits.\n"
	      "\n"
	      "  -p, --port SPEC      ports to trace: 443, 80,443, 8000-8100, https\n"
	      "                       (repeatable; default: every port)\n"
	      "  -i, --interval SEC   refresh the table and CSV every SEC seconds (default 1)\n"
	      "  -d, --duration SEC   stop after SEC seconds (default: until Ctrl-C)\n"
	      "      --csv FILE       also write per-port figures as CSV (- for stdout)\n"
	      "  -w, --wide           more table columns: total, bytes, retransmits,\n"
	      "                       resets, lifetime\n"
	      "  -4, --ipv4, -6, --ipv6  IPv4 or IPv6 only (IPv4-mapped IPv6 counts as IPv4)\n"
	      "      --backend NAME   attach with fentry, kprobe or tracepoint only\n"
	      "                       (default auto: per hook, the first that attaches)\n"
	      "      --check          show what this kernel offers and which backend each\n"
	      "                       hook would use; exit 0 if socktrace can run here\n"
	      "  -v, --verbose        debug output, including libbpf's\n"
	      "  -h, --help           show this help\n"
	      "  -V, --version        show the version\n"
	      "\n"
	      "Exit status: 0 normal end, 1 cannot trace here (privileges, kernel),\n"
	      "2 bad option or value.\n",
	      out);
}

/* A number of seconds in [min, max]; -EINVAL with a message otherwise. */
static int parse_seconds(const char *opt, const char *s, double min, double max, double *out,
			 char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v)) {
		snprintf(err, errlen, "invalid %s '%s': not a number of seconds", opt, s);
		return -EINVAL;
	}
	if (v < min || v > max) {
		snprintf(err, errlen, "invalid %s '%s': must be between %g and %g seconds", opt, s,
			 min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->action = CLI_RUN;
	cfg->interval_s = 1.0;
	cfg->backend = BACKEND_AUTO;
}

/* One option; 0 or -EINVAL with err set. */
static int parse_opt(int opt, const char *arg, const struct services *svc, struct config *cfg,
		     char *err, size_t errlen)
{
	switch (opt) {
	case 'p':
		cfg->filter_ports = true;
		return portset__parse(&cfg->ports, arg, svc, err, errlen);
	case 'i':
		return parse_seconds("interval", arg, INTERVAL_MIN_S, INTERVAL_MAX_S,
				     &cfg->interval_s, err, errlen);
	case 'd':
		/* The smallest duration is one millisecond: 0 would mean "forever". */
		return parse_seconds("duration", arg, 0.001, DURATION_MAX_S, &cfg->duration_s, err,
				     errlen);
	case OPT_CSV:
		if (!*arg) {
			snprintf(err, errlen, "empty --csv file name");
			return -EINVAL;
		}
		cfg->csv_path = arg;
		return 0;
	case OPT_BACKEND:
		if (backend__parse(arg, &cfg->backend)) {
			snprintf(err, errlen,
				 "invalid backend '%s': use auto, fentry, kprobe or tracepoint",
				 arg);
			return -EINVAL;
		}
		return 0;
	case OPT_CHECK:
		cfg->action = CLI_CHECK;
		return 0;
	case 'w':
		cfg->wide = true;
		return 0;
	case '4':
	case '6':
		if (cfg->family && cfg->family != (opt == '4' ? AF_INET : AF_INET6)) {
			snprintf(err, errlen,
				 "-4 and -6 exclude each other: give one, or neither "
				 "for both");
			return -EINVAL;
		}
		cfg->family = opt == '4' ? AF_INET : AF_INET6;
		return 0;
	case 'v':
		cfg->verbose = true;
		return 0;
	case 'h':
		cfg->action = CLI_HELP;
		return 0;
	case 'V':
		cfg->action = CLI_VERSION;
		return 0;
	}
	return -EINVAL;
}

/* getopt's own complaint, as one line of ours. */
static void bad_option(int opt, char **argv, char *err, size_t errlen)
{
	const char *word = argv[optind - 1];

	if (opt == ':')
		snprintf(err, errlen, "option '%s' needs a value", word);
	else if (optopt)
		snprintf(err, errlen, "unknown option '-%c'", optopt);
	else
		snprintf(err, errlen, "unknown option '%s'", word);
}

int cli__parse(int argc, char **argv, const struct services *svc, struct config *cfg, char *err,
	       size_t errlen)
{
	int opt, ret;

	config_defaults(cfg);
	optind = 0; /* 0, not 1: glibc then also resets its internal state */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":p:i:d:w46vhV", long_opts, NULL)) != -1) {
		if (opt == '?' || opt == ':') {
			bad_option(opt, argv, err, errlen);
			return -EINVAL;
		}
		ret = parse_opt(opt, optarg, svc, cfg, err, errlen);
		if (ret)
			return ret;
	}
	/* One command word, anywhere among the options (getopt moves it to the end). */
	if (optind < argc && !strcmp(argv[optind], "ports") && cfg->action == CLI_RUN) {
		cfg->action = CLI_PORTS;
		optind++;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return 0;
}
