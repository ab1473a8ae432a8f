// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include "log.h"
#include "portsview.h"

/* Placeholder until the snapshot lands. */
int portsview__run(FILE *out, const struct config *cfg, const struct services *svc)
{
	(void)out;
	(void)cfg;
	(void)svc;
	log_err("socktrace ports: not implemented yet");
	return -ENOSYS;
}
