// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "format.h"
#include "ports.h"
#include "services.h"

int ports__number(const char *s)
{
	long v = 0;

	if (!*s || strlen(s) > 5)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

static bool all_digits(const char *s)
{
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
	}
	return true;
}

/* One port or service name into *port; -EINVAL with a message otherwise. */
static int parse_port(const char *s, const struct services *svc, int *port, char *err,
		      size_t errlen)
{
	if (!*s) {
		snprintf(err, errlen, "empty port in port list");
		return -EINVAL;
	}
	if (all_digits(s)) {
		*port = ports__number(s);
		if (*port < 0) {
			snprintf(err, errlen, "invalid port '%s': must be 1-65535", s);
			return -EINVAL;
		}
		return 0;
	}
	*port = services__port(svc, s, "tcp");
	if (*port <= 0) {
		snprintf(err, errlen,
			 "unknown service '%s' (neither a port number nor a known service name)",
			 s);
		return -EINVAL;
	}
	return 0;
}

/* "lo-hi" with decimal ports on both sides (ranges of service names are not a thing). */
static bool is_range(const char *item, const char *dash)
{
	size_t lo_len = (size_t)(dash - item);

	return lo_len && dash[1] && strspn(item, "0123456789") == lo_len && all_digits(dash + 1);
}

/* One item: "443", "https", "http-alt" or "8000-8100". */
static int parse_item(struct portset *set, char *item, const struct services *svc, char *err,
		      size_t errlen)
{
	char *dash = strchr(item, '-');
	int lo, hi, ret;

	if (dash && is_range(item, dash)) {
		*dash = '\0';
		ret = parse_port(item, svc, &lo, err, errlen);
		if (!ret)
			ret = parse_port(dash + 1, svc, &hi, err, errlen);
		*dash = '-';
		if (!ret && lo > hi) {
			snprintf(err, errlen, "invalid port range '%s': start is above end", item);
			ret = -EINVAL;
		}
	} else if (dash && strspn(item, "0123456789-") == strlen(item)) {
		/* "-5", "8000-", "1-2-3": digits and dashes, but not one range. */
		snprintf(err, errlen, "invalid port range '%s': needs one port on each side of '-'",
			 item);
		ret = -EINVAL;
	} else {
		ret = parse_port(item, svc, &lo, err, errlen);
		hi = lo;
	}
	if (ret)
		return ret;
	for (int p = lo; p <= hi; p++)
		set->bits[p >> 6] |= 1ULL << (p & 63);
	return 0;
}

int portset__parse(struct portset *set, const char *spec, const struct services *svc, char *err,
		   size_t errlen)
{
	struct portset tmp = *set;
	char *copy, *item, *next;
	int ret = 0;

	if (!*spec) {
		snprintf(err, errlen, "empty port list");
		return -EINVAL;
	}
	copy = strdup(spec);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* strsep, not strtok: "80,,443" and "80," have an empty item, which is an error. */
	for (next = copy; !ret && (item = strsep(&next, ","));) {
		if (!*item) {
			snprintf(err, errlen, "empty item in port list '%s'", spec);
			ret = -EINVAL;
		} else {
			ret = parse_item(&tmp, item, svc, err, errlen);
		}
	}
	free(copy);
	if (!ret)
		*set = tmp;
	else
		format_one_line(err);
	return ret;
}

int portset__count(const struct portset *set)
{
	int n = 0;

	for (int i = 0; i < PORTSET_WORDS; i++)
		n += __builtin_popcountll(set->bits[i]);
	return n;
}

void portset__format(const struct portset *set, char *buf, size_t len)
{
	size_t used = 0;
	int p = 1;

	buf[0] = '\0';
	while (p <= 65535 && used < len) {
		int lo, n;

		if (!portset__has(set, p)) {
			p++;
			continue;
		}
		lo = p;
		while (p < 65535 && portset__has(set, p + 1))
			p++;
		if (lo == p)
			n = snprintf(buf + used, len - used, "%s%d", used ? "," : "", lo);
		else
			n = snprintf(buf + used, len - used, "%s%d-%d", used ? "," : "", lo, p);
		used += n > 0 ? (size_t)n : 0;
		p++;
	}
}
