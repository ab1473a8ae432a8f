// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "format.h"
#include "log.h"
#include "ports.h"
#include "portsum.h"
#include "portsview.h"
#include "snapshot.h"

/* The title line: when, which ports, the ephemeral range the classes refer to. */
static void print_title(FILE *out, const struct config *cfg, const struct port_range *eph)
{
	char when[40], ports[128] = "all";
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	format_iso8601(when, sizeof(when), &now);
	if (cfg->filter_ports)
		portset__format(&cfg->ports, ports, sizeof(ports));
	fprintf(out, "socktrace ports  ports %s  ephemeral %d-%d  %s\n\n", ports, eph->lo, eph->hi,
		when);
}

int portsview__run(FILE *out, const struct config *cfg, const struct services *svc)
{
	const struct sockinfo *socks;
	struct snapshot *snap = NULL;
	struct portsum *ps = NULL;
	struct port_range eph;
	size_t n, nrows;
	int err;

	/* The ephemeral range decides in/out for connections not on a listened port. */
	err = port_range__read(PORT_RANGE_PATH, &eph);
	if (err) {
		log_err("failed to read %s: %s", PORT_RANGE_PATH, strerror(-err));
		return err;
	}
	/* The sockets open now, with their owners. */
	err = snapshot__take(&snap);
	if (err)
		return err;
	/* Per (port, proto), only the ports asked for. */
	socks = snapshot__sockets(snap, &n);
	ps = portsum__build(socks, n, &eph, cfg->filter_ports ? &cfg->ports : NULL);
	if (!ps) {
		err = -ENOMEM;
		log_err("failed to sum up the sockets: %s", strerror(ENOMEM));
		goto cleanup;
	}
	/* The view; an empty one says so. */
	print_title(out, cfg, &eph);
	portsum__rows(ps, &nrows);
	if (nrows)
		err = portsum__print(out, ps, svc, &eph);
	else
		err = fprintf(out, "no listening or connected sockets%s\n",
			      cfg->filter_ports ? " on these ports" : "") < 0 ||
				      fflush(out)
			      ? -EIO
			      : 0;
	if (err)
		log_err("failed to write the ports view: %s", strerror(-err));
cleanup:
	portsum__free(ps);
	snapshot__free(snap);
	return err;
}
