/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `socktrace ports`: the sockets open now, grouped by port (ss, summarised per port). */
#ifndef PORTSVIEW_H
#define PORTSVIEW_H

#include <stdio.h>

struct config;
struct services;

/* Print the view to out. 0, or -errno after one line on stderr saying what failed. */
int portsview__run(FILE *out, const struct config *cfg, const struct services *svc);

#endif /* PORTSVIEW_H */
