// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include "backend.h"

static const char *const names[] = {
	[BACKEND_FENTRY] = "fentry",
	[BACKEND_KPROBE] = "kprobe",
	[BACKEND_TRACEPOINT] = "tracepoint",
	[BACKEND_AUTO] = "auto",
};

const char *backend__name(enum backend b)
{
	return b <= BACKEND_AUTO ? names[b] : "?";
}

int backend__parse(const char *s, enum backend *out)
{
	for (int b = 0; b <= BACKEND_AUTO; b++) {
		if (!strcmp(s, names[b])) {
			*out = b;
			return 0;
		}
	}
	return -EINVAL;
}
