/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Service names from /etc/services: 443/tcp <-> https. */
#ifndef SERVICES_H
#define SERVICES_H

struct services;

#define SERVICES_PATH "/etc/services"

/*
 * Load a services(5) file. A missing or unreadable file gives an empty table
 * (ports then show no name); NULL only when out of memory.
 */
struct services *services__load(const char *path);
void services__free(struct services *svc);

/* The name of port/proto ("tcp", "udp"), or NULL when it has none. */
const char *services__name(const struct services *svc, int port, const char *proto);

/* The port a name or alias stands for with proto, or -ENOENT. */
int services__port(const struct services *svc, const char *name, const char *proto);

#endif /* SERVICES_H */
