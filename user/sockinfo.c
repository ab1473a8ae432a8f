// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sockinfo.h"

static int owner_cmp(const void *a, const void *b)
{
	const struct sock_owner *x = a, *y = b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* The first owner of ino in the sorted array, or NULL. */
static const struct sock_owner *owner_first(const struct sock_owner *o, size_t m, uint64_t ino)
{
	size_t lo = 0, hi = m;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m && o[lo].ino == ino ? &o[lo] : NULL;
}

void sockinfo__set_owners(struct sockinfo *socks, size_t n, struct sock_owner *owners, size_t m)
{
	if (!m) /* owners may then be NULL: no qsort() or arithmetic on it (UBSan) */
		return;
	qsort(owners, m, sizeof(*owners), owner_cmp);
	for (size_t i = 0; i < n; i++) {
		struct sockinfo *s = &socks[i];
		const struct sock_owner *o = s->ino ? owner_first(owners, m, s->ino) : NULL;
		const struct sock_owner *end = owners + m;

		if (!o)
			continue;
		s->pid = o->pid;
		snprintf(s->comm, sizeof(s->comm), "%.*s", (int)sizeof(o->comm), o->comm);
		s->owners = 1;
		/* Sorted by pid within the inode: count the changes (one process, several fds). */
		for (const struct sock_owner *p = o + 1; p < end && p->ino == s->ino; p++)
			s->owners += p->pid != p[-1].pid;
	}
}

int port_range__parse(const char *text, struct port_range *r)
{
	int lo, hi, used = 0;

	if (sscanf(text, "%d %d %n", &lo, &hi, &used) != 2 || text[used] || lo < 1 || hi > 65535 ||
	    lo > hi)
		return -EINVAL;
	r->lo = lo;
	r->hi = hi;
	return 0;
}

int port_range__read(const char *path, struct port_range *r)
{
	char buf[64];
	size_t len;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	return port_range__parse(buf, r);
}

const char *port__class(int port)
{
	if (port < 1024)
		return "well-known";
	return port < 49152 ? "registered" : "dynamic";
}

bool sockinfo__is_listener(const struct sockinfo *s)
{
	return s->proto == IPPROTO_UDP ? s->state != SK_ESTABLISHED : s->state == SK_LISTEN;
}

struct sock_class sockinfo__classify(const struct sockinfo *s, bool listened,
				     const struct port_range *eph)
{
	struct sock_class c = { .role = ROLE_NONE };
	bool local_service;

	if (sockinfo__is_listener(s))
		return (struct sock_class){ .port = s->lport, .role = ROLE_LISTEN };
	if (s->proto == IPPROTO_UDP) {
		local_service = !port_range__has(eph, s->lport);
	} else {
		if (s->state == SK_CLOSE)
			return c;
		local_service = listened || !port_range__has(eph, s->lport);
	}
	c.role = local_service ? ROLE_IN : ROLE_OUT;
	c.port = local_service ? s->lport : s->rport;
	return c;
}

/* Listeners are looked up by network namespace and port. */
static uint64_t listen_key(uint32_t netns, uint16_t port)
{
	return (uint64_t)netns << 16 | port;
}

static int key_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int sockinfo__classify_all(const struct sockinfo *socks, size_t n, const struct port_range *eph,
			   struct sock_class *out)
{
	uint64_t *keys = malloc((n ? n : 1) * sizeof(*keys));
	size_t nkeys = 0;

	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (socks[i].proto == IPPROTO_TCP && socks[i].state == SK_LISTEN)
			keys[nkeys++] = listen_key(socks[i].netns, socks[i].lport);
	}
	qsort(keys, nkeys, sizeof(*keys), key_cmp);
	for (size_t i = 0; i < n; i++) {
		uint64_t key = listen_key(socks[i].netns, socks[i].lport);
		bool listened = bsearch(&key, keys, nkeys, sizeof(*keys), key_cmp) != NULL;

		out[i] = sockinfo__classify(&socks[i], listened, eph);
	}
	free(keys);
	return 0;
}

void sockinfo__format_addr(char *buf, size_t len, const struct in6_addr *addr)
{
	char text[INET6_ADDRSTRLEN];

	if (IN6_IS_ADDR_V4MAPPED(addr))
		inet_ntop(AF_INET, &addr->s6_addr[12], text, sizeof(text));
	else
		inet_ntop(AF_INET6, addr, text, sizeof(text));
	snprintf(buf, len, "%s", text);
}

void sockinfo__format_endpoint(char *buf, size_t len, const struct in6_addr *addr, int port)
{
	char text[INET6_ADDRSTRLEN];

	sockinfo__format_addr(text, sizeof(text), addr);
	if (IN6_IS_ADDR_V4MAPPED(addr))
		snprintf(buf, len, "%s:%d", text, port);
	else
		snprintf(buf, len, "[%s]:%d", text, port);
}

void sockinfo__format_owner(char *buf, size_t len, const struct sockinfo *s)
{
	if (!s->owners)
		snprintf(buf, len, "-");
	else if (s->owners > 1)
		snprintf(buf, len, "%s[%u]+%u", s->comm, s->pid, s->owners - 1);
	else
		snprintf(buf, len, "%s[%u]", s->comm, s->pid);
}
