// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cli__parse: defaults, each option, and one clear line for every bad command line. */
#include "testutil.h"
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "cli.h"

#define MAX_ARGS 8

/* A writable argv: getopt may permute it, so string literals will not do. */
struct args {
	int argc;
	char *argv[MAX_ARGS + 2];
	char buf[MAX_ARGS + 1][64];
};

/*
 * glibc's getopt remembers where it stopped inside an argument ("-xv" after
 * the x) unless optind is set to 0, as cli__parse() does. Every parse below
 * also starts from a clean getopt, so that each test checks option handling
 * alone; test_repeated_parse_starts_clean() checks cli__parse()'s own reset.
 */
static void getopt_fresh(void)
{
	char prog[] = "reset", *argv[] = { prog, NULL };

	optind = 0;
	opterr = 0;
	getopt(1, argv, "");
}

/* "socktrace" followed by words (NULL-terminated) into a. */
static void args_set(struct args *a, const char *const *words)
{
	a->argc = 0;
	snprintf(a->buf[0], sizeof(a->buf[0]), "socktrace");
	a->argv[a->argc++] = a->buf[0];
	for (; *words; words++) {
		assert_true(a->argc <= MAX_ARGS);
		snprintf(a->buf[a->argc], sizeof(a->buf[0]), "%s", *words);
		a->argv[a->argc] = a->buf[a->argc];
		a->argc++;
	}
	a->argv[a->argc] = NULL;
}

static int parse_raw(void **state, struct args *a, struct config *cfg, char *err, size_t len)
{
	return cli__parse(a->argc, a->argv, ((struct test_fixture *)*state)->svc, cfg, err, len);
}

static int parse_args(void **state, struct args *a, struct config *cfg, char *err, size_t len)
{
	getopt_fresh();
	return parse_raw(state, a, cfg, err, len);
}

/* Parse "socktrace words..." into a and cfg (which points into a); it must succeed. */
static void parse_ok(void **state, struct args *a, const char *const *words, struct config *cfg)
{
	char err[256] = "";

	args_set(a, words);
	if (parse_args(state, a, cfg, err, sizeof(err)))
		fail_msg("'%s ...' did not parse: %s", words[0] ? words[0] : "", err);
}

#define WORDS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void assert_defaults(const struct config *cfg)
{
	assert_int_equal(cfg->action, CLI_RUN);
	assert_true(cfg->interval_s == 1.0);
	assert_true(cfg->duration_s == 0.0);
	assert_null(cfg->csv_path);
	assert_false(cfg->filter_ports);
	assert_int_equal(portset__count(&cfg->ports), 0);
	assert_false(cfg->verbose);
	assert_int_equal(cfg->backend, BACKEND_AUTO);
	assert_int_equal(cfg->family, 0);
	assert_false(cfg->wide);
	assert_false(cfg->accept_wait);
	assert_int_equal(cfg->ringbuf_bytes, 0);
	assert_int_equal(cfg->max_conns, 0);
}

static void test_defaults(void **state)
{
	struct config cfg;
	struct args a;

	memset(&cfg, 0xa5, sizeof(cfg)); /* whatever was there before */
	parse_ok(state, &a, WORDS(NULL), &cfg);
	assert_defaults(&cfg);
}

static void test_ports_repeat_and_union(void **state)
{
	struct config cfg;
	struct args a;

	parse_ok(state, &a,
		 WORDS("-p", "80", "--port", "443,8000-8001", "-p", "https", "--port=22"), &cfg);
	assert_true(cfg.filter_ports);
	assert_int_equal(portset__count(&cfg.ports), 5);
	assert_true(portset__has(&cfg.ports, 22));
	assert_true(portset__has(&cfg.ports, 80));
	assert_true(portset__has(&cfg.ports, 443));
	assert_true(portset__has(&cfg.ports, 8001));
	assert_int_equal(cfg.action, CLI_RUN);
}

static void test_values(void **state)
{
	struct config cfg;
	struct args a;

	parse_ok(state, &a, WORDS("-i", "0.5", "-d", "10", "--csv", "out.csv", "-v"), &cfg);
	assert_true(cfg.interval_s == 0.5);
	assert_true(cfg.duration_s == 10.0);
	assert_string_equal(cfg.csv_path, "out.csv");
	assert_true(cfg.verbose);
	assert_false(cfg.filter_ports);

	parse_ok(state, &a, WORDS("--interval=2", "--duration", "0.25", "--csv=-", "--verbose"),
		 &cfg);
	assert_true(cfg.interval_s == 2.0);
	assert_true(cfg.duration_s == 0.25);
	assert_string_equal(cfg.csv_path, "-");
	assert_true(cfg.verbose);
}

/* Sizes: digits with K or M, powers of 1024, at both ends of their ranges. */
static void test_sizes(void **state)
{
	struct config cfg;
	struct args a;

	parse_ok(state, &a, WORDS("--max-conns", "256", "--ring-buffer", "4K"), &cfg);
	assert_int_equal(cfg.max_conns, 256);
	assert_int_equal(cfg.ringbuf_bytes, 4096);
	parse_ok(state, &a, WORDS("--max-conns=16M", "--ring-buffer=256m"), &cfg);
	assert_int_equal(cfg.max_conns, 16u << 20);
	assert_int_equal(cfg.ringbuf_bytes, 256u << 20);
	parse_ok(state, &a, WORDS("--max-conns", "1000k"), &cfg);
	assert_int_equal(cfg.max_conns, 1000 * 1024);
}

static void test_actions(void **state)
{
	static const struct {
		const char *word;
		enum cli_action action;
	} cases[] = {
		{ "-h", CLI_HELP },	      { "--help", CLI_HELP },	{ "-V", CLI_VERSION },
		{ "--version", CLI_VERSION }, { "--check", CLI_CHECK },
	};
	struct config cfg;
	struct args a;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		parse_ok(state, &a, WORDS(cases[i].word), &cfg);
		assert_int_equal(cfg.action, cases[i].action);
	}
}

static void test_family_and_wide(void **state)
{
	struct config cfg;
	struct args a;

	parse_ok(state, &a, WORDS("-4", "-w"), &cfg);
	assert_int_equal(cfg.family, AF_INET);
	assert_true(cfg.wide);
	parse_ok(state, &a, WORDS("--ipv6", "-6", "--wide"), &cfg); /* repeating one is fine */
	assert_int_equal(cfg.family, AF_INET6);
	parse_ok(state, &a, WORDS("ports", "-p", "53"), &cfg);
	assert_int_equal(cfg.action, CLI_PORTS);
	assert_true(cfg.filter_ports);
	/* What may repeat: --port (adds up), and options without a value. */
	parse_ok(state, &a, WORDS("ports", "-p", "53", "-p", "80", "-v", "-v"), &cfg);
	assert_int_equal(cfg.action, CLI_PORTS);
	assert_int_equal(portset__count(&cfg.ports), 2);
	parse_ok(state, &a, WORDS("--check", "-v"), &cfg);
	assert_int_equal(cfg.action, CLI_CHECK);
}

static void test_backends(void **state)
{
	static const struct {
		const char *name;
		enum backend backend;
	} cases[] = {
		{ "auto", BACKEND_AUTO },
		{ "fentry", BACKEND_FENTRY },
		{ "kprobe", BACKEND_KPROBE },
		{ "tracepoint", BACKEND_TRACEPOINT },
	};
	struct config cfg;
	struct args a;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		parse_ok(state, &a, WORDS("--backend", cases[i].name), &cfg);
		assert_int_equal(cfg.backend, cases[i].backend);
		assert_string_equal(backend__name(cfg.backend), cases[i].name);
	}
	parse_ok(state, &a, WORDS("--backend", "tracepoint", "--accept-wait"), &cfg);
	assert_int_equal(cfg.backend, BACKEND_TRACEPOINT);
	assert_true(cfg.accept_wait);
}

/* Each parse starts from the defaults, not from what the last one set. */
static void test_parse_twice(void **state)
{
	struct config cfg;
	struct args a;

	parse_ok(state, &a, WORDS("-p", "80", "-v", "-i", "5", "--csv", "x.csv", "-h"), &cfg);
	parse_ok(state, &a, WORDS(NULL), &cfg);
	assert_defaults(&cfg);
}

/* Issue 5's options: output modes, the exporter's address, the filters. */
static void test_outputs_and_filters(void **state)
{
	struct args a;
	struct config cfg;

	parse_ok(state, &a, WORDS("--events", "--json"), &cfg);
	assert_int_equal(cfg.mode, OUT_EVENTS);
	assert_true(cfg.json);
	parse_ok(state, &a, WORDS("--hist"), &cfg);
	assert_int_equal(cfg.mode, OUT_HIST);
	assert_false(cfg.json);
	parse_ok(state, &a, WORDS("--listen", "9464", "--quiet"), &cfg);
	assert_string_equal(cfg.listen_addr, "127.0.0.1");
	assert_int_equal(cfg.listen_port, 9464);
	assert_true(cfg.quiet);
	parse_ok(state, &a, WORDS("--listen", "0.0.0.0:80"), &cfg);
	assert_string_equal(cfg.listen_addr, "0.0.0.0");
	assert_int_equal(cfg.listen_port, 80);
	parse_ok(state, &a, WORDS("--listen", "[::1]:9464"), &cfg);
	assert_string_equal(cfg.listen_addr, "::1");
	assert_int_equal(cfg.listen_port, 9464);
	parse_ok(state, &a, WORDS("--pid", "42", "--comm", "nginx", "--dir", "in"), &cfg);
	assert_int_equal(cfg.filter_pid, 42);
	assert_string_equal(cfg.filter_comm, "nginx");
	assert_int_equal(cfg.filter_dir, 0 /* DIR_IN */);
	assert_int_equal(cfg.filter_proto, 0);
	parse_ok(state, &a, WORDS("--proto", "udp", "--dir", "out", "--netns", "/run/netns/a"),
		 &cfg);
	assert_int_equal(cfg.filter_proto, IPPROTO_UDP);
	assert_int_equal(cfg.filter_dir, 1 /* DIR_OUT */);
	assert_string_equal(cfg.netns_arg, "/run/netns/a");
	parse_ok(state, &a, WORDS("--cgroup", "/sys/fs/cgroup/x"), &cfg);
	assert_string_equal(cfg.cgroup_path, "/sys/fs/cgroup/x");
	assert_int_equal(cfg.filter_dir, -1);
}

static void test_errors(void **state)
{
	static const struct {
		const char *words[5]; /* NULL-terminated */
		const char *names[2]; /* what the message must contain */
	} cases[] = {
		{ { "-i", "0" }, { "interval", "'0'" } },
		{ { "-i", "-1" }, { "interval", "-1" } },
		{ { "-i", "abc" }, { "interval", "abc" } },
		{ { "-i", "" }, { "interval", "''" } },
		{ { "-i", "1e9" }, { "interval", "1e9" } },
		{ { "-i", "nan" }, { "interval", "nan" } },
		{ { "-i", "inf" }, { "interval", "inf" } },
		{ { "-d", "0" }, { "duration", "'0'" } },
		{ { "-d", "-3" }, { "duration", "-3" } },
		{ { "-p", "70000" }, { "70000" } },
		{ { "-p", "abc" }, { "abc" } },
		{ { "-p", "" }, { "empty" } },
		{ { "--csv", "" }, { "csv" } },
		{ { "--bogus" }, { "--bogus" } },
		{ { "-x" }, { "-x" } },
		{ { "-v", "-p" }, { "-p" } },
		{ { "-v", "--interval" }, { "--interval" } },
		{ { "extra" }, { "extra" } },
		{ { "--backend", "ebpf" }, { "backend", "ebpf" } },
		{ { "--backend", "" }, { "backend", "''" } },
		{ { "--backend", "FENTRY" }, { "backend", "FENTRY" } },
		{ { "--backend" }, { "--backend" } },
		{ { "-4", "-6" }, { "-4", "-6" } },
		{ { "--ipv6", "--ipv4" }, { "-4", "-6" } },
		{ { "-v", "extra", "-i", "2" }, { "extra" } },
		{ { "--events", "--hist" }, { "--events", "--hist" } },
		{ { "--json", "--hist" }, { "--json", "--hist" } },
		{ { "--json", "--csv", "-" }, { "--csv -", "--json" } },
		{ { "--quiet" }, { "--quiet", "--listen" } },
		{ { "--quiet", "--events", "--csv", "x" }, { "--quiet", "--events" } },
		{ { "--listen", "0" }, { "--listen", "'0'" } },
		{ { "--listen", "70000" }, { "--listen", "70000" } },
		{ { "--listen", "localhost:9464" }, { "--listen", "localhost" } },
		{ { "--listen", ":9464" }, { "--listen", ":9464" } },
		{ { "--listen", "[::1]:" }, { "--listen", "''" } },
		{ { "--pid", "0" }, { "--pid", "'0'" } },
		{ { "--pid", "12x" }, { "--pid", "12x" } },
		{ { "--comm", "" }, { "--comm", "''" } },
		{ { "--comm", "a-name-longer-than-15" }, { "--comm", "15" } },
		{ { "--dir", "both" }, { "--dir", "both" } },
		{ { "--proto", "sctp" }, { "--proto", "sctp" } },
		{ { "-d", "0x10" }, { "--duration", "0x10" } },
		{ { "-i", "infinity" }, { "--interval", "infinity" } },
		{ { "--help=x" }, { "'--help' takes no value" } },
		{ { "--events=1" }, { "'--events' takes no value" } },
		{ { "--accept-wait=yes" }, { "'--accept-wait' takes no value" } },
		{ { "--listen", "[::1]" }, { "--listen", "[::1]" } },
		{ { "--csv", "a", "--csv", "b" }, { "--csv given twice" } },
		{ { "-i", "1", "--interval", "2" }, { "--interval given twice" } },
		{ { "--pid", "1", "--pid", "1" }, { "--pid given twice" } },
		{ { "ports", "--csv", "x" }, { "--csv", "socktrace ports" } },
		{ { "-w", "ports" }, { "--wide", "socktrace ports" } },
		{ { "--check", "-p", "80" }, { "--port", "--check" } },
		{ { "--cgroup", "" }, { "--cgroup" } },
		{ { "--netns", "" }, { "--netns" } },
		{ { "--max-conns", "255" }, { "--max-conns", "'255'" } },
		{ { "--max-conns", "16777217" }, { "--max-conns", "16777217" } },
		{ { "--max-conns", "17M" }, { "--max-conns", "17M" } },
		{ { "--max-conns", "1G" }, { "--max-conns", "1G" } },
		{ { "--max-conns", "-1" }, { "--max-conns", "-1" } },
		{ { "--max-conns", " 300" }, { "--max-conns", "' 300'" } },
		{ { "--max-conns", "0x100" }, { "--max-conns", "0x100" } },
		{ { "--max-conns", "" }, { "--max-conns", "''" } },
		/* Multiplied by 1024, 2^54 + 1 wraps to 1024. */
		{ { "--max-conns", "18014398509481985K" },
		  { "--max-conns", "18014398509481985K" } },
		{ { "--ring-buffer", "18014398509481988K" }, { "--ring-buffer" } },
		{ { "--ring-buffer", "3K" }, { "--ring-buffer", "3K" } },
		{ { "--check", "--max-conns", "1M" }, { "--max-conns", "--check" } },
		/* Found by tests/fuzz/fuzz_cli: a newline quoted into the message. */
		{ { "--comm", "a\nb-longer-than-15" }, { "--comm", "'a?b-" } },
		{ { "-p", "80\n\x1b[2J" }, { "'80??[2J'" } },
	};
	int failures = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *const *w = cases[i].words;
		struct args a;
		struct config cfg;
		char err[256] = "";
		int ret;

		args_set(&a, w);
		ret = parse_args(state, &a, &cfg, err, sizeof(err));
		test_expect(&failures, ret == -EINVAL, "'%s %s': returned %d, want -EINVAL", w[0],
			    w[1] ? w[1] : "", ret);
		for (int j = 0; j < 2 && cases[i].names[j]; j++)
			test_expect(&failures,
				    err[0] && !strchr(err, '\n') && strstr(err, cases[i].names[j]),
				    "'%s %s': message \"%s\" should be one line naming \"%s\"",
				    w[0], w[1] ? w[1] : "", err, cases[i].names[j]);
	}
	test_expect_none(failures);
}

/*
 * cli__parse() called again, as the tests do: a parse that stopped inside
 * "-xv" must not leak the 'v' into the next one, and a new argv in the same
 * memory as the last must be read from its start.
 */
static void test_repeated_parse_starts_clean(void **state)
{
	struct args bad, a;
	struct config cfg;
	char err[256] = "";
	int ret, failures = 0;

	args_set(&bad, WORDS("-xv"));
	assert_int_equal(parse_raw(state, &bad, &cfg, err, sizeof(err)), -EINVAL);
	args_set(&a, WORDS("-i", "2"));
	ret = parse_raw(state, &a, &cfg, err, sizeof(err));
	test_expect(&failures, !ret && !cfg.verbose, "after '-xv', '-i 2' gave %d (%s), verbose %d",
		    ret, ret ? err : "ok", cfg.verbose);

	getopt_fresh(); /* the second case on its own */
	args_set(&a, WORDS("-h"));
	assert_int_equal(parse_raw(state, &a, &cfg, err, sizeof(err)), 0);
	args_set(&a, WORDS("--help"));
	ret = parse_raw(state, &a, &cfg, err, sizeof(err));
	test_expect(&failures, !ret && cfg.action == CLI_HELP,
		    "after '-h', '--help' in the same buffer gave %d (%s)", ret, ret ? err : "ok");
	test_expect_none(failures);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_ports_repeat_and_union),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_backends),
		cmocka_unit_test(test_family_and_wide),
		cmocka_unit_test(test_parse_twice),
		cmocka_unit_test(test_outputs_and_filters),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_repeated_parse_starts_clean),
	};

	return cmocka_run_group_tests(tests, test_fixture_setup, test_fixture_teardown);
}
