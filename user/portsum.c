// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "ports.h"
#include "portsum.h"
#include "services.h"

struct portsum {
	struct portsum_row *rows;
	size_t nrows;
};

/* A classified socket: which row it belongs to. */
struct entry {
	const struct sockinfo *sock;
	uint16_t port;
	uint8_t proto;
	uint8_t role;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto == IPPROTO_TCP ? -1 : 1;
	return 0;
}

static int listener_cmp(const void *a, const void *b)
{
	const struct sockinfo *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(&x->laddr, &y->laddr, sizeof(x->laddr));
	if (c)
		return c;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int addr_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct in6_addr));
}

/* Is p a better peer than q: more sockets, then the lower address. */
static bool peer_before(const struct portsum_peer *p, const struct portsum_peer *q)
{
	if (p->count != q->count)
		return p->count > q->count;
	return memcmp(&p->addr, &q->addr, sizeof(p->addr)) < 0;
}

/* Keep p in the row's top peers (ordered, at most PORTSUM_PEERS). */
static void peer_offer(struct portsum_row *row, const struct portsum_peer *p)
{
	uint32_t i = row->npeers < PORTSUM_PEERS ? row->npeers++ : PORTSUM_PEERS;

	if (i == PORTSUM_PEERS) {
		row->more_peers++;
		if (!peer_before(p, &row->peers[PORTSUM_PEERS - 1]))
			return;
		i = PORTSUM_PEERS - 1;
	}
	for (; i > 0 && peer_before(p, &row->peers[i - 1]); i--)
		row->peers[i] = row->peers[i - 1];
	row->peers[i] = *p;
}

/* Top peers from the remote addresses of the row's connected sockets (sorted in place). */
static void row_peers(struct portsum_row *row, struct in6_addr *addrs, size_t n)
{
	qsort(addrs, n, sizeof(*addrs), addr_cmp);
	for (size_t i = 0; i < n;) {
		struct portsum_peer p = { .addr = addrs[i] };

		for (; i < n && !addr_cmp(&addrs[i], &p.addr); i++)
			p.count++;
		peer_offer(row, &p);
	}
}

/* Fill row from the entries of one (port, proto); addrs: scratch for n addresses. */
static int row_fill(struct portsum_row *row, const struct entry *e, size_t n,
		    struct in6_addr *addrs)
{
	size_t naddrs = 0;

	row->port = e->port;
	row->proto = e->proto;
	row->listeners = calloc(n, sizeof(*row->listeners));
	if (!row->listeners)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct sockinfo *s = e[i].sock;

		if (e[i].role == ROLE_LISTEN) {
			row->listeners[row->nlisteners++] = *s;
		} else if (s->state != SK_ESTABLISHED) {
			row->other++;
		} else {
			*(e[i].role == ROLE_IN ? &row->in : &row->out) += 1;
			addrs[naddrs++] = s->raddr;
		}
	}
	qsort(row->listeners, row->nlisteners, sizeof(*row->listeners), listener_cmp);
	row_peers(row, addrs, naddrs);
	return 0;
}

/* The classified sockets that make rows, sorted by (port, proto); *nentries their count. */
static struct entry *entries_new(const struct sockinfo *socks, size_t n,
				 const struct port_range *eph, const struct portset *only,
				 size_t *nentries)
{
	struct sock_class *cls = calloc(n ? n : 1, sizeof(*cls));
	struct entry *e = calloc(n ? n : 1, sizeof(*e));
	size_t k = 0;

	if (!cls || !e || sockinfo__classify_all(socks, n, eph, cls)) {
		free(cls);
		free(e);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (cls[i].role == ROLE_NONE || (only && !portset__has(only, cls[i].port)))
			continue;
		e[k++] = (struct entry){ .sock = &socks[i],
					 .port = cls[i].port,
					 .proto = socks[i].proto,
					 .role = cls[i].role };
	}
	free(cls);
	qsort(e, k, sizeof(*e), entry_cmp);
	*nentries = k;
	return e;
}

struct portsum *portsum__build(const struct sockinfo *socks, size_t n, const struct port_range *eph,
			       const struct portset *only)
{
	struct portsum *ps = calloc(1, sizeof(*ps));
	struct in6_addr *addrs = calloc(n ? n : 1, sizeof(*addrs));
	size_t k = 0;
	struct entry *e = entries_new(socks, n, eph, only, &k);

	if (!ps || !addrs || !e)
		goto fail;
	ps->rows = calloc(k ? k : 1, sizeof(*ps->rows)); /* at most one row per entry */
	if (!ps->rows)
		goto fail;
	for (size_t i = 0, j; i < k; i = j) {
		for (j = i + 1; j < k && !entry_cmp(&e[i], &e[j]); j++)
			;
		if (row_fill(&ps->rows[ps->nrows++], &e[i], j - i, addrs))
			goto fail;
	}
	free(addrs);
	free(e);
	return ps;
fail:
	free(addrs);
	free(e);
	portsum__free(ps);
	return NULL;
}

void portsum__free(struct portsum *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->nrows; i++)
		free(ps->rows[i].listeners);
	free(ps->rows);
	free(ps);
}

const struct portsum_row *portsum__rows(const struct portsum *ps, size_t *n)
{
	*n = ps->nrows;
	return ps->rows;
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static void print_row(FILE *out, const struct portsum_row *row, const struct services *svc,
		      const struct port_range *eph)
{
	const char *name = svc ? services__name(svc, row->port, proto_name(row->proto)) : NULL;
	char port[16], class[32], other[16];

	snprintf(port, sizeof(port), "%u/%s", row->port, proto_name(row->proto));
	snprintf(class, sizeof(class), "%s%s", port__class(row->port),
		 port_range__has(eph, row->port) ? " ephemeral" : "");
	if (row->proto == IPPROTO_UDP)
		snprintf(other, sizeof(other), "-");
	else
		snprintf(other, sizeof(other), "%u", row->other);
	fprintf(out, "%-10s %-15.15s %-20s %6zu %7u %7u %7s\n", port, name ? name : "-", class,
		row->nlisteners, row->in, row->out, other);
}

static void print_listener(FILE *out, const struct sockinfo *s)
{
	char addr[64], owner[48], queue[32];

	sockinfo__format_endpoint(addr, sizeof(addr), &s->laddr, s->lport);
	sockinfo__format_owner(owner, sizeof(owner), s);
	if (s->proto == IPPROTO_TCP)
		snprintf(queue, sizeof(queue), "%u/%u", s->qlen, s->backlog);
	else
		snprintf(queue, sizeof(queue), "-");
	fprintf(out, "  listen   %-30s %-24s queue %-10s drops %u\n", addr, owner, queue, s->drops);
}

static void print_peers(FILE *out, const struct portsum_row *row)
{
	char addr[64];

	fprintf(out, "  peers   ");
	for (uint32_t i = 0; i < row->npeers; i++) {
		sockinfo__format_addr(addr, sizeof(addr), &row->peers[i].addr);
		fprintf(out, " %s (%u)", addr, row->peers[i].count);
	}
	if (row->more_peers)
		fprintf(out, " +%u more", row->more_peers);
	fputc('\n', out);
}

int portsum__print(FILE *out, const struct portsum *ps, const struct services *svc,
		   const struct port_range *eph)
{
	fprintf(out, "%-10s %-15s %-20s %6s %7s %7s %7s\n", "PORT", "SERVICE", "CLASS", "LISTEN",
		"IN", "OUT", "OTHER");
	for (size_t i = 0; i < ps->nrows; i++) {
		const struct portsum_row *row = &ps->rows[i];

		print_row(out, row, svc, eph);
		for (size_t j = 0; j < row->nlisteners; j++)
			print_listener(out, &row->listeners[j]);
		if (row->npeers)
			print_peers(out, row);
	}
	return fflush(out) || ferror(out) ? -EIO : 0;
}
