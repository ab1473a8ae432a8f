// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include "events.h"

int event__decode(const void *data, size_t size, struct event *ev)
{
	if (size < sizeof(*ev))
		return -EINVAL;
	memcpy(ev, data, sizeof(*ev));
	if (ev->kind < EV_CONNECT_OK || ev->kind > EV_KIND_MAX)
		return -EINVAL;
	if (ev->dir != DIR_IN && ev->dir != DIR_OUT)
		return -EINVAL;
	if (ev->proto != IPPROTO_TCP && ev->proto != IPPROTO_UDP)
		return -EINVAL;
	ev->comm[TASK_COMM_LEN - 1] = '\0';
	return 0;
}

enum fail_reason fail_reason__from_errno(__u32 err)
{
	switch (err) {
	case 0:
		return FAIL_ABORTED;
	case ECONNREFUSED:
		return FAIL_REFUSED;
	case ETIMEDOUT:
		return FAIL_TIMEOUT;
	case ECONNRESET:
		return FAIL_RESET;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EACCES: /* ICMP administratively prohibited */
		return FAIL_UNREACH;
	default:
		return FAIL_OTHER;
	}
}

const char *fail_reason__name(enum fail_reason r)
{
	static const char *const names[FAIL_MAX] = {
		[FAIL_REFUSED] = "refused",	[FAIL_TIMEOUT] = "timeout", [FAIL_RESET] = "reset",
		[FAIL_UNREACH] = "unreachable", [FAIL_ABORTED] = "aborted", [FAIL_OTHER] = "other",
	};

	return r < FAIL_MAX ? names[r] : "other";
}
