/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Ring-buffer records: size-checked decoding and what their fields mean. */
#ifndef EVENTS_H
#define EVENTS_H

#include <stddef.h>
#include <linux/types.h>
#include "socktrace.h"

enum fail_reason {
	FAIL_REFUSED, /* RST in reply to the SYN (ECONNREFUSED) */
	FAIL_TIMEOUT, /* no answer to the SYN and its retries (ETIMEDOUT) */
	FAIL_RESET,   /* reset during the handshake (ECONNRESET) */
	FAIL_UNREACH, /* ICMP unreachable (EHOSTUNREACH, ENETUNREACH, ...) */
	FAIL_ABORTED, /* closed by the application before it completed (no error) */
	FAIL_OTHER,
	FAIL_MAX,
};

/* Copy a record into *ev; -EINVAL when it is too short or not an event we know. */
int event__decode(const void *data, size_t size, struct event *ev);

enum fail_reason fail_reason__from_errno(__u32 err);
/* "refused", "timeout", "reset", "unreachable", "aborted", "other". */
const char *fail_reason__name(enum fail_reason r);

#endif /* EVENTS_H */
