// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* portsum: sockets summed up per (port, proto), and the text `socktrace ports` prints. */
#include "testutil.h"
#include <errno.h>
#include "ports.h"
#include "portsum.h"
#include "sockfixture.h"

static struct sockinfo owned(struct sockinfo s, uint64_t ino, uint32_t pid, const char *comm,
			     uint32_t owners)
{
	s.ino = ino;
	s.pid = pid;
	s.owners = owners;
	snprintf(s.comm, sizeof(s.comm), "%s", comm);
	return s;
}

static struct sockinfo queue(struct sockinfo s, uint32_t qlen, uint32_t backlog, uint32_t drops)
{
	s.qlen = qlen;
	s.backlog = backlog;
	s.drops = drops;
	return s;
}

/* A small host: a web server (IPv4 and IPv6) with clients, a resolver, an ssh client. */
static size_t host_sockets(struct sockinfo *s)
{
	size_t n = 0;

	s[n++] = queue(owned(TCP_LISTENER("::", 443), 11, 100, "nginx", 2), 0, 511, 0);
	s[n++] = queue(owned(TCP_LISTENER("0.0.0.0", 443), 12, 100, "nginx", 2), 1, 511, 4);
	s[n++] = TCP_CONN(SK_ESTABLISHED, "10.0.0.5", 443, "10.0.0.1", 50000);
	s[n++] = TCP_CONN(SK_ESTABLISHED, "10.0.0.5", 443, "10.0.0.1", 50001);
	s[n++] = TCP_CONN(SK_ESTABLISHED, "::ffff:10.0.0.5", 443, "::ffff:10.0.0.2", 50002);
	s[n++] = TCP_CONN(SK_TIME_WAIT, "10.0.0.5", 443, "10.0.0.3", 50003);
	s[n++] = TCP_CONN(SK_NEW_SYN_RECV, "10.0.0.5", 443, "10.0.0.4", 50004);
	s[n++] = TCP_CONN(SK_ESTABLISHED, "10.0.0.5", 51000, "10.0.0.9", 443); /* we are a client */
	s[n++] = TCP_CONN(SK_ESTABLISHED, "10.0.0.5", 51001, "10.0.0.9", 443);
	s[n++] = owned(UDP_UNCONN("127.0.0.53", 53), 20, 300, "systemd-resolve", 1);
	s[n++] = TCP_LISTENER("127.0.0.53", 53);
	s[n++] = UDP_CONN("10.0.0.5", 52000, "8.8.8.8", 53);
	s[n++] = TCP_CONN(SK_ESTABLISHED, "10.0.0.5", 52001, "10.0.0.7", 22);
	s[n++] = TCP_CONN(SK_CLOSE, "10.0.0.5", 52002, "0.0.0.0", 0); /* counted nowhere */
	return n;
}

static const struct portsum_row *row_of(const struct portsum *ps, int port, int proto)
{
	size_t n;
	const struct portsum_row *rows = portsum__rows(ps, &n);

	for (size_t i = 0; i < n; i++) {
		if (rows[i].port == port && rows[i].proto == proto)
			return &rows[i];
	}
	fail_msg("no row %d/%d", port, proto);
	return NULL;
}

static void assert_peer(const struct portsum_peer *p, const char *addr, uint32_t count)
{
	struct in6_addr a;

	test_addr(&a, addr);
	if (memcmp(&a, &p->addr, sizeof(a)) || p->count != count) {
		char got[64];

		inet_ntop(AF_INET6, &p->addr, got, sizeof(got));
		fail_msg("peer %s (%u), want %s (%u)", got, p->count, addr, count);
	}
}

static void test_rows_and_counts(void **state)
{
	struct sockinfo s[32];
	size_t n = host_sockets(s), nrows;
	struct portsum *ps = portsum__build(s, n, &test_eph, NULL);
	const struct portsum_row *rows, *r;

	(void)state;
	assert_non_null(ps);
	rows = portsum__rows(ps, &nrows);
	/* By port, TCP before UDP; no row for a client's ephemeral port. */
	assert_int_equal(nrows, 4);
	assert_int_equal(rows[0].port, 22);
	assert_int_equal(rows[1].port, 53);
	assert_int_equal(rows[1].proto, IPPROTO_TCP);
	assert_int_equal(rows[2].port, 53);
	assert_int_equal(rows[2].proto, IPPROTO_UDP);
	assert_int_equal(rows[3].port, 443);

	r = row_of(ps, 443, IPPROTO_TCP);
	assert_int_equal(r->nlisteners, 2);
	assert_int_equal(r->listeners[0].family, AF_INET); /* IPv4 first */
	assert_int_equal(r->listeners[0].drops, 4);
	assert_int_equal(r->listeners[0].qlen, 1);
	assert_int_equal(r->listeners[1].family, AF_INET6);
	assert_int_equal(r->in, 3);
	assert_int_equal(r->out, 2);
	assert_int_equal(r->other, 2); /* TIME_WAIT and a handshake */
	assert_int_equal(r->npeers, 3);
	/* Mapped and plain IPv4 are one address; ties go to the lower address. */
	assert_peer(&r->peers[0], "10.0.0.1", 2);
	assert_peer(&r->peers[1], "10.0.0.9", 2);
	assert_peer(&r->peers[2], "10.0.0.2", 1);
	assert_int_equal(r->more_peers, 0);

	r = row_of(ps, 53, IPPROTO_UDP);
	assert_int_equal(r->nlisteners, 1);
	assert_int_equal(r->listeners[0].pid, 300);
	assert_int_equal(r->in, 0);
	assert_int_equal(r->out, 1);
	assert_peer(&r->peers[0], "8.8.8.8", 1);

	r = row_of(ps, 22, IPPROTO_TCP);
	assert_int_equal(r->nlisteners, 0);
	assert_int_equal(r->out, 1);
	portsum__free(ps);
}

static void test_top_peers(void **state)
{
	static const struct {
		const char *addr;
		int count;
	} peers[] = { { "10.0.0.1", 1 }, { "10.0.0.2", 5 }, { "10.0.0.3", 3 },
		      { "10.0.0.4", 3 }, { "10.0.0.5", 2 }, { "2001:db8::1", 4 } };
	struct sockinfo s[32];
	size_t n = 0;
	struct portsum *ps;
	const struct portsum_row *r;

	(void)state;
	s[n++] = TCP_LISTENER("::", 8080);
	for (size_t i = 0; i < ARRAY_SIZE(peers); i++) {
		for (int j = 0; j < peers[i].count; j++)
			s[n++] = TCP_CONN(SK_ESTABLISHED, "::", 8080, peers[i].addr, 40000 + j);
	}
	ps = portsum__build(s, n, &test_eph, NULL);
	assert_non_null(ps);
	r = row_of(ps, 8080, IPPROTO_TCP);
	assert_int_equal(r->in, 18);
	assert_int_equal(r->npeers, 3);
	assert_peer(&r->peers[0], "10.0.0.2", 5);
	assert_peer(&r->peers[1], "2001:db8::1", 4);
	assert_peer(&r->peers[2], "10.0.0.3", 3);
	assert_int_equal(r->more_peers, 3);
	portsum__free(ps);
}

static void test_port_filter(void **state)
{
	struct sockinfo s[32];
	size_t n = host_sockets(s), nrows;
	struct portset *only = calloc(1, sizeof(*only));
	struct portsum *ps;
	const struct portsum_row *rows;
	char err[128];

	(void)state;
	assert_non_null(only);
	assert_int_equal(portset__parse(only, "53,51000", NULL, err, sizeof(err)), 0);
	ps = portsum__build(s, n, &test_eph, only);
	assert_non_null(ps);
	rows = portsum__rows(ps, &nrows);
	/* The service port counts: 51000 is only a client's local port. */
	assert_int_equal(nrows, 2);
	assert_int_equal(rows[0].port, 53);
	assert_int_equal(rows[1].port, 53);
	portsum__free(ps);
	free(only);
}

static char *print_to_string(const struct portsum *ps, const struct services *svc)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	assert_int_equal(portsum__print(out, ps, svc, &test_eph), 0);
	fclose(out);
	return text;
}

static void test_print(void **state)
{
	struct test_fixture *fx = *state;
	struct sockinfo s[32];
	size_t n = 0;
	struct portsum *ps;
	char *text;

	s[n++] = queue(owned(TCP_LISTENER("0.0.0.0", 443), 11, 812, "nginx", 2), 3, 511, 17);
	s[n++] = TCP_CONN(SK_ESTABLISHED, "10.0.0.5", 443, "10.0.0.1", 50000);
	s[n++] = TCP_CONN(SK_TIME_WAIT, "10.0.0.5", 443, "10.0.0.1", 50001);
	s[n++] = queue(owned(TCP_LISTENER("::1", 40000), 12, 4242, "python3", 1), 0, 5, 0);
	s[n++] = TCP_CONN(SK_ESTABLISHED, "10.0.0.5", 41000, "192.168.100.200", 8080);
	s[n++] = UDP_UNCONN("0.0.0.0", 50000);
	ps = portsum__build(s, n, &test_eph, NULL);
	assert_non_null(ps);
	text = print_to_string(ps, fx->svc);
	assert_string_equal(
		text,
		"PORT       SERVICE         CLASS                LISTEN      IN     OUT   OTHER\n"
		"443/tcp    https           well-known                1       1       0       1\n"
		"  listen   0.0.0.0:443                    nginx[812]+1             "
		"queue 3/511      drops 17\n"
		"  peers    10.0.0.1 (1)\n"
		"8080/tcp   http-alt        registered                0       0       1       0\n"
		"  peers    192.168.100.200 (1)\n"
		"40000/tcp  -               registered ephemeral      1       0       0       0\n"
		"  listen   [::1]:40000                    python3[4242]            "
		"queue 0/5        drops 0\n"
		"50000/udp  -               dynamic ephemeral         1       0       0       -\n"
		"  listen   0.0.0.0:50000                  -                        "
		"queue -          drops 0\n");
	free(text);
	portsum__free(ps);
}

static void test_empty(void **state)
{
	struct portsum *ps = portsum__build(NULL, 0, &test_eph, NULL);
	size_t nrows = 7;
	char *text;

	(void)state;
	assert_non_null(ps);
	portsum__rows(ps, &nrows);
	assert_int_equal(nrows, 0);
	text = print_to_string(ps, NULL);
	assert_string_equal(
		text,
		"PORT       SERVICE         CLASS                LISTEN      IN     OUT   OTHER\n");
	free(text);
	portsum__free(ps);
	portsum__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_and_counts), cmocka_unit_test(test_top_peers),
		cmocka_unit_test(test_port_filter),	cmocka_unit_test(test_print),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, test_fixture_setup, test_fixture_teardown);
}
