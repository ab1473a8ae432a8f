// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services.h"

struct service {
	char *name; /* canonical name or an alias */
	int port;
	int alias; /* 1 for aliases: found by name, never shown for a port */
	char proto[4];
};

struct services {
	struct service *v; /* sorted by (port, proto, alias) */
	size_t n, cap;
};

static int services_push(struct services *svc, const char *name, int port, const char *proto,
			 int alias)
{
	struct service *s;

	if (svc->n == svc->cap) {
		size_t cap = svc->cap ? svc->cap * 2 : 256;
		struct service *v = realloc(svc->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		svc->v = v;
		svc->cap = cap;
	}
	s = &svc->v[svc->n];
	s->name = strdup(name);
	if (!s->name)
		return -ENOMEM;
	s->port = port;
	s->alias = alias;
	snprintf(s->proto, sizeof(s->proto), "%s", proto);
	svc->n++;
	return 0;
}

/* "https  443/tcp  alias1 alias2  # comment" -> entries; malformed lines are skipped. */
static int services_parse_line(struct services *svc, char *line)
{
	char *save, *name, *portproto, *slash, *end, *alias;
	long port;
	int err;

	line[strcspn(line, "#\n")] = '\0';
	name = strtok_r(line, " \t", &save);
	portproto = strtok_r(NULL, " \t", &save);
	if (!name || !portproto)
		return 0;
	slash = strchr(portproto, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	port = strtol(portproto, &end, 10);
	if (end == portproto || *end || port < 0 || port > 65535 || strlen(slash + 1) > 3)
		return 0;
	err = services_push(svc, name, (int)port, slash + 1, 0);
	while (!err && (alias = strtok_r(NULL, " \t", &save)))
		err = services_push(svc, alias, (int)port, slash + 1, 1);
	return err;
}

static int service_cmp(const void *a, const void *b)
{
	const struct service *x = a, *y = b;
	int c;

	if (x->port != y->port)
		return x->port - y->port;
	c = strcmp(x->proto, y->proto);
	return c ? c : x->alias - y->alias;
}

struct services *services__load(const char *path)
{
	struct services *svc = calloc(1, sizeof(*svc));
	char line[1024];
	FILE *f;

	if (!svc)
		return NULL;
	f = fopen(path, "re");
	if (!f)
		return svc;
	while (fgets(line, sizeof(line), f)) {
		if (services_parse_line(svc, line)) {
			fclose(f);
			services__free(svc);
			return NULL;
		}
	}
	fclose(f);
	if (svc->n)
		qsort(svc->v, svc->n, sizeof(*svc->v), service_cmp);
	return svc;
}

void services__free(struct services *svc)
{
	if (!svc)
		return;
	for (size_t i = 0; i < svc->n; i++)
		free(svc->v[i].name);
	free(svc->v);
	free(svc);
}

const char *services__name(const struct services *svc, int port, const char *proto)
{
	size_t lo = 0, hi = svc->n;

	/* First entry with port >= wanted, then scan the few entries of that port. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (svc->v[mid].port < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < svc->n && svc->v[lo].port == port; lo++) {
		if (!svc->v[lo].alias && !strcmp(svc->v[lo].proto, proto))
			return svc->v[lo].name;
	}
	return NULL;
}

int services__port(const struct services *svc, const char *name, const char *proto)
{
	for (size_t i = 0; i < svc->n; i++) {
		if (!strcmp(svc->v[i].name, name) && !strcmp(svc->v[i].proto, proto))
			return svc->v[i].port;
	}
	return -ENOENT;
}
