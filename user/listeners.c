// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "listeners.h"
#include "services.h"

#define LINE_LEN 256
#define CELL_ITEMS 3 /* addresses or owners named per line, then "+N" */

struct listener {
	struct in6_addr addr; /* bound address; IPv4 as IPv4-mapped */
	uint64_t ino;	      /* the socket's inode; 0 when unknown */
	uint32_t netns;
	uint32_t pid; /* owner; 0 when unknown */
	uint16_t port;
	uint8_t proto;
	char comm[SOCKINFO_COMM_LEN];
};

struct listeners {
	struct listener *v;
	size_t n, cap;
	unsigned int gen;
};

struct listeners *listeners__new(void)
{
	return calloc(1, sizeof(struct listeners));
}

void listeners__free(struct listeners *ls)
{
	if (!ls)
		return;
	free(ls->v);
	free(ls);
}

unsigned int listeners__generation(const struct listeners *ls)
{
	return ls->gen;
}

size_t listeners__count(const struct listeners *ls)
{
	return ls->n;
}

static struct listener *find_ino(struct listeners *ls, uint64_t ino)
{
	for (size_t i = 0; ino && i < ls->n; i++)
		if (ls->v[i].ino == ino)
			return &ls->v[i];
	return NULL;
}

static int add(struct listeners *ls, const struct listener *l)
{
	if (find_ino(ls, l->ino))
		return 0; /* seen by both the snapshot and an event */
	if (ls->n == ls->cap) {
		size_t cap = ls->cap ? ls->cap * 2 : 16;
		struct listener *v = realloc(ls->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ls->v = v;
		ls->cap = cap;
	}
	ls->v[ls->n++] = *l;
	ls->gen++;
	return 0;
}

int listeners__seed(struct listeners *ls, const struct sockinfo *socks, size_t n,
		    bool (*keep)(void *ctx, const struct sockinfo *s), void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		const struct sockinfo *s = &socks[i];
		struct listener l = {
			.addr = s->laddr,
			.ino = s->ino,
			.netns = s->netns,
			.pid = s->pid,
			.port = s->lport,
			.proto = s->proto,
		};
		int err;

		/* Port 0: a UDP socket not bound yet serves nothing. */
		if (!sockinfo__is_listener(s) || !s->lport || !keep(ctx, s))
			continue;
		memcpy(l.comm, s->comm, sizeof(l.comm));
		err = add(ls, &l);
		if (err)
			return err;
	}
	return 0;
}

/* An event's local address as IPv6, IPv4 mapped (::ffff:a.b.c.d). */
static void event_laddr(const struct event *ev, struct in6_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ev->family == AF_INET6) {
		memcpy(a, ev->saddr_v6, sizeof(*a));
		return;
	}
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	memcpy(&a->s6_addr[12], &ev->saddr_v4, 4);
}

static bool same_socket(const struct listener *l, const struct listener *key)
{
	if (key->ino)
		return l->ino == key->ino;
	return l->port == key->port && l->proto == key->proto && l->netns == key->netns &&
	       !memcmp(&l->addr, &key->addr, sizeof(l->addr));
}

int listeners__event(struct listeners *ls, const struct event *ev)
{
	struct listener l = {
		.ino = ev->sock_ino,
		.netns = ev->netns,
		.pid = ev->pid,
		.port = ev->sport,
		.proto = ev->proto,
	};

	event_laddr(ev, &l.addr);
	memcpy(l.comm, ev->comm, sizeof(l.comm));
	l.comm[sizeof(l.comm) - 1] = '\0';
	if (ev->kind == EV_LISTEN)
		return add(ls, &l);
	for (size_t i = 0; i < ls->n; i++) {
		if (same_socket(&ls->v[i], &l)) {
			ls->v[i] = ls->v[--ls->n];
			ls->gen++;
			break;
		}
	}
	return 0;
}

static int cmp_listener(const void *a, const void *b)
{
	const struct listener *x = a, *y = b;
	int c;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto == IPPROTO_TCP ? -1 : 1;
	if (IN6_IS_ADDR_V4MAPPED(&x->addr) != IN6_IS_ADDR_V4MAPPED(&y->addr))
		return IN6_IS_ADDR_V4MAPPED(&x->addr) ? -1 : 1; /* IPv4 first */
	c = memcmp(&x->addr, &y->addr, sizeof(x->addr));
	if (c)
		return c;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Append ",item" (or "item" first) to a cell, or count it as one more once it is full. */
static void cell_add(char *cell, size_t len, int *named, int *more, const char *item)
{
	size_t used = strlen(cell);

	if (*named == CELL_ITEMS) {
		(*more)++;
		return;
	}
	snprintf(cell + used, len - used, "%s%s", *named ? "," : "", item);
	(*named)++;
}

static void cell_end(char *cell, size_t len, int more)
{
	size_t used = strlen(cell);

	if (more)
		snprintf(cell + used, len - used, "+%d", more);
}

/* One (port, proto): the entries v[0..n), sorted, so repeats are next to each other. */
static void print_port(FILE *out, const struct listener *v, size_t n, const struct services *svc,
		       const struct port_range *eph, int width, const char *prefix)
{
	char line[LINE_LEN], port[16], addrs[96] = "", owners[96] = "", item[64];
	const char *proto = v[0].proto == IPPROTO_TCP ? "tcp" : "udp";
	const char *name = svc ? services__name(svc, v[0].port, proto) : NULL;
	int naddr = 0, moreaddr = 0, nown = 0, moreown = 0;

	for (size_t i = 0; i < n; i++) {
		if (!i || memcmp(&v[i].addr, &v[i - 1].addr, sizeof(v[i].addr))) {
			bool v6 = !IN6_IS_ADDR_V4MAPPED(&v[i].addr);
			char addr[INET6_ADDRSTRLEN];

			sockinfo__format_addr(addr, sizeof(addr), &v[i].addr);
			snprintf(item, sizeof(item), v6 ? "[%s]" : "%s", addr);
			cell_add(addrs, sizeof(addrs), &naddr, &moreaddr, item);
		}
	}
	/* Owners: each pid once, whatever address it listens on. */
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = v[j].pid == v[i].pid;
		if (seen)
			continue;
		if (v[i].pid)
			snprintf(item, sizeof(item), "%s[%u]", v[i].comm, v[i].pid);
		else
			snprintf(item, sizeof(item), "-");
		cell_add(owners, sizeof(owners), &nown, &moreown, item);
	}
	cell_end(addrs, sizeof(addrs), moreaddr);
	cell_end(owners, sizeof(owners), moreown);
	snprintf(port, sizeof(port), "%u/%s", v[0].port, proto);
	snprintf(line, sizeof(line), "%s%-9s %-8.8s %-10s %-3s %7zu %-24s %s", prefix, port,
		 name ? name : "-", port__class(v[0].port),
		 eph && port_range__has(eph, v[0].port) ? "yes" : "no", n, addrs, owners);
	fprintf(out, "%.*s\n", width > 0 ? width : LINE_LEN, line);
}

void listeners__print(FILE *out, const struct listeners *ls, const struct services *svc,
		      const struct port_range *eph, int width, const char *prefix)
{
	struct listener *v;
	char line[LINE_LEN];
	size_t start = 0;

	if (!ls->n) {
		fprintf(out, "%sno listening sockets\n", prefix);
		return;
	}
	snprintf(line, sizeof(line), "%s%-9s %-8s %-10s %-3s %7s %-24s %s", prefix, "LISTEN",
		 "SERVICE", "CLASS", "EPH", "SOCKETS", "ADDRESSES", "OWNERS");
	fprintf(out, "%.*s\n", width > 0 ? width : LINE_LEN, line);
	/* Sort a copy: the set keeps its own order for cheap removal. */
	v = malloc(ls->n * sizeof(*v));
	if (!v) {
		fprintf(out, "%s(out of memory)\n", prefix);
		return;
	}
	memcpy(v, ls->v, ls->n * sizeof(*v));
	qsort(v, ls->n, sizeof(*v), cmp_listener);
	for (size_t i = 1; i <= ls->n; i++) {
		if (i < ls->n && v[i].port == v[start].port && v[i].proto == v[start].proto)
			continue;
		print_port(out, v + start, i - start, svc, eph, width, prefix);
		start = i;
	}
	free(v);
}
