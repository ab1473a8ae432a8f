// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cli__parse on any command line. The input is the arguments after
 * "socktrace", separated by NUL bytes. It must return 0 with a config whose
 * values are in range and whose options go together, or -EINVAL with one
 * non-empty line in err; and it must give the same result when called again
 * (it resets getopt itself). It must never exit or print.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "fuzzutil.h"
#include "cli.h"

#define ARGS_MAX 64

static struct services *svc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	svc = fuzz_services();
	return 0;
}

struct cmdline {
	int argc;
	char *argv[ARGS_MAX + 2];
	char *buf; /* the arguments' bytes */
};

/* "socktrace" and the NUL-separated words of data (none if empty), in writable memory. */
static void cmdline_make(struct cmdline *c, const uint8_t *data, size_t size)
{
	static char prog[] = "socktrace";
	char *s;

	c->buf = fuzz_string(data, size);
	c->argc = 0;
	c->argv[c->argc++] = prog;
	for (s = c->buf; size && s <= c->buf + size && c->argc <= ARGS_MAX; s += strlen(s) + 1)
		c->argv[c->argc++] = s;
	c->argv[c->argc] = NULL;
}

static bool numeric_addr(const char *a)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, a, buf) == 1 || inet_pton(AF_INET6, a, buf) == 1;
}

/* A string the config holds must be one of the arguments, or inside one (--opt=value). */
static void check_arg_string(const char *s, const struct cmdline *c)
{
	if (!s)
		return;
	require(*s, "empty path");
	for (int i = 1; i < c->argc; i++) {
		if (s >= c->argv[i] && s <= c->argv[i] + strlen(c->argv[i]))
			return;
	}
	require(false, "a string that is not in argv");
}

static void check_config(const struct config *cfg, const struct cmdline *c)
{
	require((unsigned)cfg->action <= CLI_PORTS, "action %d", cfg->action);
	if (cfg->action != CLI_RUN && cfg->action != CLI_PORTS)
		return; /* --help, --version, --check: the rest is not used */
	require(cfg->interval_s >= INTERVAL_MIN_S && cfg->interval_s <= INTERVAL_MAX_S,
		"interval %g", cfg->interval_s);
	require(cfg->duration_s == 0 ||
			(cfg->duration_s >= 0.001 && cfg->duration_s <= DURATION_MAX_S),
		"duration %g", cfg->duration_s);
	require(!cfg->filter_ports || portset__count(&cfg->ports) > 0, "an empty port filter");
	require(!portset__has(&cfg->ports, 0), "port 0 in the port filter");
	require((unsigned)cfg->backend <= BACKEND_AUTO, "backend %d", cfg->backend);
	require(cfg->family == 0 || cfg->family == AF_INET || cfg->family == AF_INET6, "family %d",
		cfg->family);
	require(cfg->mode == OUT_TABLE || cfg->mode == OUT_EVENTS || cfg->mode == OUT_HIST,
		"mode %d", cfg->mode);
	require(!cfg->listen_port || numeric_addr(cfg->listen_addr), "listen address [%s]",
		cfg->listen_addr);
	require(cfg->filter_pid <= 4194304, "pid %u", cfg->filter_pid);
	require(memchr(cfg->filter_comm, 0, COMM_MAX), "comm not terminated");
	require(cfg->filter_dir >= -1 && cfg->filter_dir <= 1, "dir %d", cfg->filter_dir);
	require(cfg->filter_proto == 0 || cfg->filter_proto == IPPROTO_TCP ||
			cfg->filter_proto == IPPROTO_UDP,
		"proto %d", cfg->filter_proto);
	check_arg_string(cfg->csv_path, c);
	check_arg_string(cfg->cgroup_path, c);
	check_arg_string(cfg->netns_arg, c);
	if (cfg->action != CLI_RUN)
		return;
	/* Options that exclude each other, or need another. */
	require(!(cfg->json && cfg->mode == OUT_HIST), "--json with --hist");
	require(!cfg->quiet || (cfg->mode == OUT_TABLE && !cfg->json), "--quiet with output");
	require(!cfg->quiet || cfg->listen_port || cfg->csv_path, "--quiet without a sink");
	require(!cfg->csv_path || strcmp(cfg->csv_path, "-") ||
			(cfg->mode == OUT_TABLE && !cfg->json && !cfg->quiet),
		"--csv - with another stdout output");
}

/* The config without its pointers into argv, to compare two parses. */
static void strip_pointers(struct config *cfg)
{
	cfg->csv_path = cfg->cgroup_path = cfg->netns_arg = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg, again;
	char err[256] = "", err2[256] = "";
	struct cmdline c, c2;
	int ret, ret2;

	cmdline_make(&c, data, size);
	ret = cli__parse(c.argc, c.argv, svc, &cfg, err, sizeof(err));
	require(ret == 0 || ret == -EINVAL, "returned %d", ret);
	if (ret)
		require(err[0] && !strchr(err, '\n'), "not one line: [%s]", err);
	else
		check_config(&cfg, &c);
	/* Once more, on a fresh copy: getopt's state from the first parse must not matter. */
	cmdline_make(&c2, data, size);
	ret2 = cli__parse(c2.argc, c2.argv, svc, &again, err2, sizeof(err2));
	require(ret2 == ret && !strcmp(err, err2), "second parse: %d [%s], first %d [%s]", ret2,
		err2, ret, err);
	if (!ret) {
		strip_pointers(&cfg);
		strip_pointers(&again);
		require(!memcmp(&cfg, &again, sizeof(cfg)), "second parse: another config");
	}
	free(c.buf);
	free(c2.buf);
	return 0;
}
