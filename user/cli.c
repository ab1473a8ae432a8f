// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "cli.h"
#include "format.h"

enum {
	OPT_CSV = 256,
	OPT_BACKEND,
	OPT_CHECK,
	OPT_EVENTS,
	OPT_JSON,
	OPT_HIST,
	OPT_LISTEN,
	OPT_QUIET,
	OPT_PID,
	OPT_COMM,
	OPT_CGROUP,
	OPT_NETNS,
	OPT_DIR,
	OPT_PROTO,
	OPT_RING_BUFFER,
	OPT_ACCEPT_WAIT,
	OPT_EVERY_EVENT,
	OPT_MAX_CONNS,
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
	{ "events", no_argument, NULL, OPT_EVENTS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "hist", no_argument, NULL, OPT_HIST },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "proto", required_argument, NULL, OPT_PROTO },
	{ "ring-buffer", required_argument, NULL, OPT_RING_BUFFER },
	{ "accept-wait", no_argument, NULL, OPT_ACCEPT_WAIT },
	{ "every-event", no_argument, NULL, OPT_EVERY_EVENT },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ 0 },
};

void cli__usage(FILE *out)
{
	fputs("Usage: socktrace [OPTIONS]\n"
	      "       socktrace ports [-p SPEC]\n"
	      "Per-port TCP connections and UDP datagrams: counts, latency, lifecycle.\n"
	      "`socktrace ports` prints the sockets open now, grouped by port, and exits.\n"
	      "\n"
	      "What to trace (filters combine):\n"
	      "  -p, --port SPEC      443, 80,443, 8000-8100, https (repeatable; default all)\n"
	      "  -4, --ipv4, -6, --ipv6  IPv4 or IPv6 only (IPv4-mapped counts as IPv4)\n"
	      "      --proto tcp|udp  one protocol\n"
	      "      --dir in|out     accepted here, or connected out from here\n"
	      "      --pid PID        one process      --comm NAME   processes named NAME\n"
	      "      --cgroup PATH    a cgroup v2 directory (and the cgroups below it)\n"
	      "      --netns NS       a network namespace: inode number or path\n"
	      "\n"
	      "Output:\n"
	      "  -i, --interval SEC   refresh every SEC seconds (default 1)\n"
	      "  -d, --duration SEC   stop after SEC seconds (default: until Ctrl-C)\n"
	      "  -w, --wide           more table columns\n"
	      "      --events         one line per event instead of the table\n"
	      "      --hist           latency histograms per port instead of the table\n"
	      "      --json           NDJSON: one object per event, or per row and interval\n"
	      "      --csv FILE       also write per-port figures as CSV (- for stdout)\n"
	      "      --listen [ADDR:]PORT  serve Prometheus metrics on /metrics\n"
	      "                       (ADDR default 127.0.0.1; [::1]:PORT for IPv6)\n"
	      "      --quiet          nothing on stdout (with --listen or --csv)\n"
	      "\n"
	      "Kernel:\n"
	      "      --backend NAME   fentry, kprobe or tracepoint only (default auto)\n"
	      "      --ring-buffer SIZE  kernel -> socktrace event buffer: 4K to 256M, a power\n"
	      "                       of two (default 1M); counts stay exact when it overflows\n"
	      "      --accept-wait    see accept() also where only a syscall tracepoint can\n"
	      "                       (accept-queue wait, accepting process): off there by\n"
	      "                       default, as it slows every syscall on the host\n"
	      "      --every-event    count in socktrace, each event sent from the kernel (as\n"
	      "                       --events does), not in the kernel: costs more\n"
	      "      --max-conns N    open TCP connections the kernel remembers at once, for\n"
	      "                       lifetimes: 256 to 16M (default 64K, 112 bytes each)\n"
	      "      --check          what this kernel offers; exit 0 if socktrace can run\n"
	      "  -v, --verbose        debug output, including libbpf's\n"
	      "  -h, --help, -V, --version\n"
	      "\n"
	      "Exit status: 0 normal end (also Ctrl-C, SIGTERM, SIGHUP, `| head`), 1 cannot\n"
	      "trace here (privileges, kernel), 2 bad option or value, 130 a second Ctrl-C.\n"
	      "See socktrace(8).\n",
	      out);
}

/* A number of seconds in [min, max]; -EINVAL with a message otherwise. */
static int parse_seconds(const char *opt, const char *s, double min, double max, double *out,
			 char *err, size_t errlen)
{
	char *end;
	double v;

	/* Decimal only: strtod() would also take "0x10", "inf" and "nan". */
	errno = 0;
	v = strtod(s, &end);
	if (!*s || s[strspn(s, "0123456789.eE+-")] || *end || errno || !isfinite(v)) {
		snprintf(err, errlen, "invalid --%s '%s': not a number of seconds", opt, s);
		return -EINVAL;
	}
	if (v < min || v > max) {
		snprintf(err, errlen, "invalid --%s '%s': must be between %g and %g seconds", opt,
			 s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/*
 * A count with an optional K or M (powers of 1024), in [min, max]: 0, or
 * -EINVAL. Decimal digits only (strtoull() would take a sign or spaces), and
 * no count that only wraps into range once multiplied.
 */
static int parse_count(const char *arg, unsigned long long min, unsigned long long max,
		       unsigned long long *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	if (!isdigit((unsigned char)*arg) || *end || errno || v > (max >> shift) ||
	    (v << shift) < min)
		return -EINVAL;
	*out = v << shift;
	return 0;
}

/* --ring-buffer SIZE: a power of two from a page to RINGBUF_MAX, as ring buffers must be. */
static int parse_ring_buffer(const char *arg, struct config *cfg, char *err, size_t errlen)
{
	unsigned long long v;

	if (parse_count(arg, RINGBUF_MIN, RINGBUF_MAX, &v) || (v & (v - 1))) {
		snprintf(err, errlen,
			 "invalid --ring-buffer '%s': a power of two from 4K to 256M (e.g. 64K, 8M)",
			 arg);
		return -EINVAL;
	}
	cfg->ringbuf_bytes = (unsigned int)v;
	return 0;
}

/* --max-conns N: the size of map conns (bpf/maps.bpf.h). */
static int parse_max_conns(const char *arg, struct config *cfg, char *err, size_t errlen)
{
	unsigned long long v;

	if (parse_count(arg, CONNS_MIN, CONNS_MAX, &v)) {
		snprintf(err, errlen,
			 "invalid --max-conns '%s': a number from 256 to 16M (e.g. 1M)", arg);
		return -EINVAL;
	}
	cfg->max_conns = (unsigned int)v;
	return 0;
}

static void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->action = CLI_RUN;
	cfg->interval_s = 1.0;
	cfg->backend = BACKEND_AUTO;
	cfg->filter_dir = -1;
}

/* --listen [ADDR:]PORT, [IPV6]:PORT: a numeric address (checked) and a port 1-65535. */
static int parse_listen(const char *arg, struct config *cfg, char *err, size_t errlen)
{
	const char *port = arg, *colon = strrchr(arg, ':');
	char addr[sizeof(cfg->listen_addr)] = "127.0.0.1";
	unsigned char buf[sizeof(struct in6_addr)];
	char *end;
	long v;

	if (colon) {
		size_t len = (size_t)(colon - arg);

		if (arg[0] == '[' && len >= 2 && arg[len - 1] == ']') {
			arg++;
			len -= 2;
		}
		/* "[::1]", "[::1": the brackets must close right before the port's ':'. */
		if (!len || len >= sizeof(addr) || (arg[0] == '[' && colon[-1] != ']') ||
		    strchr(colon, ']')) {
			snprintf(err, errlen, "invalid --listen '%s': use [ADDR:]PORT", port);
			return -EINVAL;
		}
		memcpy(addr, arg, len);
		addr[len] = '\0';
		port = colon + 1;
		if (inet_pton(AF_INET, addr, buf) != 1 && inet_pton(AF_INET6, addr, buf) != 1) {
			snprintf(err, errlen,
				 "invalid --listen address '%s': give a numeric IPv4 or IPv6 "
				 "address",
				 addr);
			return -EINVAL;
		}
	}
	errno = 0;
	v = strtol(port, &end, 10);
	if (!*port || *end || errno || v < 1 || v > 65535) {
		snprintf(err, errlen, "invalid --listen port '%s': must be 1-65535", port);
		return -EINVAL;
	}
	snprintf(cfg->listen_addr, sizeof(cfg->listen_addr), "%s", addr);
	cfg->listen_port = (uint16_t)v;
	return 0;
}

static int parse_pid(const char *arg, struct config *cfg, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!*arg || *end || errno || v < 1 || v > 4194304 /* PID_MAX_LIMIT */) {
		snprintf(err, errlen, "invalid --pid '%s': not a process id", arg);
		return -EINVAL;
	}
	cfg->filter_pid = (uint32_t)v;
	return 0;
}

static int parse_comm(const char *arg, struct config *cfg, char *err, size_t errlen)
{
	if (!*arg || strlen(arg) >= COMM_MAX) {
		snprintf(err, errlen, "invalid --comm '%s': a process name has 1-%d characters",
			 arg, COMM_MAX - 1);
		return -EINVAL;
	}
	snprintf(cfg->filter_comm, sizeof(cfg->filter_comm), "%s", arg);
	return 0;
}

/* A word from a fixed list: its index, or -EINVAL with "invalid --OPT 'x': use a or b". */
static int parse_word(const char *opt, const char *arg, const char *const *words, int n, char *err,
		      size_t errlen)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(arg, words[i]))
			return i;
	snprintf(err, errlen, "invalid --%s '%s': use %s or %s", opt, arg, words[0], words[1]);
	return -EINVAL;
}

/* Options that exclude each other, or need another; after all are parsed. */
static int check_combination(const struct config *cfg, char *err, size_t errlen)
{
	bool csv_stdout = cfg->csv_path && !strcmp(cfg->csv_path, "-");

	if (cfg->json && cfg->mode == OUT_HIST) {
		snprintf(err, errlen, "--json and --hist exclude each other");
		return -EINVAL;
	}
	if (csv_stdout && (cfg->json || cfg->mode != OUT_TABLE || cfg->quiet)) {
		snprintf(err, errlen,
			 "--csv - writes to stdout: not with --events, --hist, "
			 "--json or --quiet");
		return -EINVAL;
	}
	if (cfg->quiet && (cfg->json || cfg->mode != OUT_TABLE)) {
		snprintf(err, errlen,
			 "--quiet prints nothing: not with --events, --hist or --json");
		return -EINVAL;
	}
	if (cfg->quiet && !cfg->listen_port && !cfg->csv_path) {
		snprintf(err, errlen,
			 "--quiet needs --listen or --csv: otherwise there is no output");
		return -EINVAL;
	}
	return 0;
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
				 "invalid --backend '%s': use auto, fentry, kprobe or tracepoint",
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
	case OPT_EVENTS:
	case OPT_HIST:
		if (cfg->mode != OUT_TABLE) {
			snprintf(err, errlen, "--events and --hist exclude each other");
			return -EINVAL;
		}
		cfg->mode = opt == OPT_EVENTS ? OUT_EVENTS : OUT_HIST;
		return 0;
	case OPT_JSON:
		cfg->json = true;
		return 0;
	case OPT_LISTEN:
		return parse_listen(arg, cfg, err, errlen);
	case OPT_QUIET:
		cfg->quiet = true;
		return 0;
	case OPT_PID:
		return parse_pid(arg, cfg, err, errlen);
	case OPT_COMM:
		return parse_comm(arg, cfg, err, errlen);
	case OPT_CGROUP:
	case OPT_NETNS:
		if (!*arg) {
			snprintf(err, errlen, "empty --%s", opt == OPT_CGROUP ? "cgroup" : "netns");
			return -EINVAL;
		}
		*(opt == OPT_CGROUP ? &cfg->cgroup_path : &cfg->netns_arg) = arg;
		return 0;
	case OPT_DIR: {
		static const char *const dirs[] = { "in", "out" }; /* DIR_IN, DIR_OUT */
		int i = parse_word("dir", arg, dirs, 2, err, errlen);

		if (i < 0)
			return i;
		cfg->filter_dir = i;
		return 0;
	}
	case OPT_PROTO: {
		static const char *const protos[] = { "tcp", "udp" };
		int i = parse_word("proto", arg, protos, 2, err, errlen);

		if (i < 0)
			return i;
		cfg->filter_proto = i ? IPPROTO_UDP : IPPROTO_TCP;
		return 0;
	}
	case OPT_RING_BUFFER:
		return parse_ring_buffer(arg, cfg, err, errlen);
	case OPT_ACCEPT_WAIT:
		cfg->accept_wait = true;
		return 0;
	case OPT_EVERY_EVENT:
		cfg->every_event = true;
		return 0;
	case OPT_MAX_CONNS:
		return parse_max_conns(arg, cfg, err, errlen);
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

#define N_OPTS (sizeof(long_opts) / sizeof(long_opts[0]) - 1)

/* opt's entry in long_opts (the long name of a short option). */
static size_t opt_index(int opt)
{
	size_t i = 0;

	while (i < N_OPTS && long_opts[i].val != opt)
		i++;
	return i;
}

/* getopt's own complaint, as one line of ours. */
static void bad_option(int opt, char **argv, char *err, size_t errlen)
{
	const char *word = argv[optind - 1];

	if (opt == ':')
		snprintf(err, errlen, "option '%s' needs a value", word);
	else if (!strncmp(word, "--", 2) && optopt) /* "--help=x": optopt is --help's */
		snprintf(err, errlen, "option '--%s' takes no value",
			 long_opts[opt_index(optopt)].name);
	else if (optopt)
		snprintf(err, errlen, "unknown option '-%c'", optopt);
	else
		snprintf(err, errlen, "unknown option '%s'", word);
}

/*
 * An option with a value, given again: only --port adds up; for the others
 * (one CSV file, one exporter, one filter of each kind) a second is a mistake.
 */
static int check_repeat(int opt, bool *seen, char *err, size_t errlen)
{
	size_t i = opt_index(opt);

	if (seen[i] && long_opts[i].has_arg && opt != 'p') {
		snprintf(err, errlen, "--%s given twice: give it once", long_opts[i].name);
		return -EINVAL;
	}
	seen[i] = true;
	return 0;
}

/* Options that do not apply: `socktrace ports` takes only -p and -v, --check only -v. */
static int check_action_opts(const struct config *cfg, const bool *seen, char *err, size_t errlen)
{
	const char *what = cfg->action == CLI_PORTS ? "'socktrace ports'" : "--check";

	if (cfg->action != CLI_PORTS && cfg->action != CLI_CHECK)
		return 0;
	for (size_t i = 0; i < N_OPTS; i++) {
		int val = long_opts[i].val;

		if (seen[i] && val != 'v' && val != OPT_CHECK &&
		    !(val == 'p' && cfg->action == CLI_PORTS)) {
			snprintf(err, errlen, "--%s does not apply to %s", long_opts[i].name, what);
			return -EINVAL;
		}
	}
	return 0;
}

/* Environment variable name, when set: a port number, or one line and -EINVAL. */
static int parse_test_port(const char *name, uint16_t *port, char *err, size_t errlen)
{
	const char *val = getenv(name);
	int n;

	if (!val)
		return 0;
	n = ports__number(val);
	if (n < 0) {
		snprintf(err, errlen, "invalid %s '%s': a port number (1-65535)", name, val);
		return -EINVAL;
	}
	*port = (uint16_t)n;
	return 0;
}

/* The tests-only variables (cli.h). */
static int parse_test_env(struct config *cfg, char *err, size_t errlen)
{
	int ret = parse_test_port(CLI_ENV_TEST_SKIP_CLOSE, &cfg->test_skip_close_port, err, errlen);

	if (!ret)
		ret = parse_test_port(CLI_ENV_TEST_SKIP_RELEASE, &cfg->test_skip_release_port, err,
				      errlen);
	return ret;
}

static int parse_args(int argc, char **argv, const struct services *svc, struct config *cfg,
		      char *err, size_t errlen)
{
	bool seen[N_OPTS] = {};
	int opt, ret;

	config_defaults(cfg);
	optind = 0; /* 0, not 1: glibc then also resets its internal state */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":p:i:d:w46vhV", long_opts, NULL)) != -1) {
		if (opt == '?' || opt == ':') {
			bad_option(opt, argv, err, errlen);
			return -EINVAL;
		}
		ret = check_repeat(opt, seen, err, errlen);
		if (!ret)
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
	if (cfg->action != CLI_RUN)
		return check_action_opts(cfg, seen, err, errlen);
	ret = parse_test_env(cfg, err, errlen);
	return ret ? ret : check_combination(cfg, err, errlen);
}

int cli__parse(int argc, char **argv, const struct services *svc, struct config *cfg, char *err,
	       size_t errlen)
{
	int ret = parse_args(argc, argv, svc, cfg, err, errlen);

	if (ret)
		format_one_line(err); /* the messages quote arguments, which may hold a newline */
	return ret;
}
