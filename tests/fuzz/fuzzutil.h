/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Helpers shared by the libFuzzer targets: a failed property aborts (libFuzzer
 * then saves the input), a fixed services table, and independent checks of
 * UTF-8 and of JSON strings, written here rather than taken from the code under test.
 */
#ifndef FUZZUTIL_H
#define FUZZUTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* open_memstream, memmem */
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "services.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property that must hold: on failure, say which and abort (libFuzzer keeps the input). */
#define require(cond, ...)                                                                         \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "property failed (%s:%d): %s: ", __FILE__, __LINE__,       \
				#cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The unit tests' services, from a scratch file: the same on every machine. */
static inline struct services *fuzz_services(void)
{
	static const char text[] = "http\t\t80/tcp\t\twww\n"
				   "https\t\t443/tcp\n"
				   "https\t\t443/udp\n"
				   "http-alt\t8080/tcp\twebcache\n"
				   "domain\t\t53/tcp\n";
	char path[] = "/tmp/socktrace-fuzz-services.XXXXXX";
	struct services *svc;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, sizeof(text) - 1) != sizeof(text) - 1)
		abort();
	close(fd);
	svc = services__load(path);
	unlink(path);
	if (!svc)
		abort();
	return svc;
}

/* A NUL-terminated copy of data (stops at the first NUL); free() it. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* What a memstream writer produced: call with a function that writes to f. */
struct membuf {
	char *buf;
	size_t len;
	FILE *f;
};

static inline FILE *membuf_open(struct membuf *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	if (!m->f)
		abort();
	return m->f;
}

static inline void membuf_close(struct membuf *m)
{
	if (fclose(m->f))
		abort();
}

/*
 * Length of the well-formed UTF-8 sequence at s[0..n) (RFC 3629), 0 if none: decoded
 * to a code point and checked against the shortest form and the valid ranges.
 */
static inline size_t utf8_seq(const uint8_t *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
		return 0; /* overlong */
	if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static inline bool utf8_valid(const uint8_t *s, size_t n)
{
	for (size_t i = 0, len; i < n; i += len) {
		len = utf8_seq(s + i, n - i);
		if (!len)
			return false;
	}
	return true;
}

static inline int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Check the JSON string (RFC 8259) at s[*pos..n): quotes, escapes, no raw control
 * character. Returns true and moves *pos past it. If out is not NULL, the string is
 * also decoded there as bytes: literal bytes as they are, each \uXXXX as the one byte
 * XXXX (which must then be below 0x100: json.h writes bytes as \u00XX, never more).
 */
static inline bool json_string(const char *s, size_t n, size_t *pos, char *out, size_t *outlen)
{
	size_t i = *pos, o = 0;

	if (i >= n || s[i++] != '"')
		return false;
	while (i < n && s[i] != '"') {
		unsigned char c = (unsigned char)s[i++];
		int v = 0;

		if (c < 0x20)
			return false;
		if (c != '\\') {
			if (out)
				out[o++] = (char)c;
			continue;
		}
		if (i >= n)
			return false;
		c = (unsigned char)s[i++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if (i + 4 > n)
				return false;
			for (int k = 0; k < 4; k++) {
				int h = hexval(s[i++]);

				if (h < 0)
					return false;
				v = v << 4 | h;
			}
			if (out && v > 0xff)
				return false;
			c = (unsigned char)v;
			break;
		default:
			return false;
		}
		if (out)
			out[o++] = (char)c;
	}
	if (i >= n)
		return false;
	*pos = i + 1;
	if (outlen)
		*outlen = o;
	return true;
}

static inline void skip_ws(const char *s, size_t n, size_t *i)
{
	while (*i < n && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\n' || s[*i] == '\r'))
		(*i)++;
}

/* A JSON scalar: a string, a number, true, false or null. */
static inline bool json_scalar(const char *s, size_t n, size_t *i)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t start = *i;

	if (*i < n && s[*i] == '"')
		return json_string(s, n, i, NULL, NULL);
	for (size_t k = 0; k < 3; k++) {
		size_t len = strlen(words[k]);

		if (n - *i >= len && !memcmp(s + *i, words[k], len)) {
			*i += len;
			return true;
		}
	}
	/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
	if (*i < n && s[*i] == '-')
		(*i)++;
	if (*i < n && s[*i] == '0')
		(*i)++;
	else if (*i < n && s[*i] >= '1' && s[*i] <= '9')
		while (*i < n && s[*i] >= '0' && s[*i] <= '9')
			(*i)++;
	else
		return false;
	if (*i < n && s[*i] == '.') {
		size_t d = ++(*i);

		while (*i < n && s[*i] >= '0' && s[*i] <= '9')
			(*i)++;
		if (*i == d)
			return false;
	}
	if (*i < n && (s[*i] == 'e' || s[*i] == 'E')) {
		size_t d;

		(*i)++;
		if (*i < n && (s[*i] == '+' || s[*i] == '-'))
			(*i)++;
		d = *i;
		while (*i < n && s[*i] >= '0' && s[*i] <= '9')
			(*i)++;
		if (*i == d)
			return false;
	}
	return *i > start;
}

/* One flat JSON object (string keys, scalar values) and a newline: an NDJSON line. */
static inline bool json_flat_object_line(const char *s, size_t n)
{
	size_t i = 0;

	if (!utf8_valid((const uint8_t *)s, n) || n < 3 || s[0] != '{' || s[n - 1] != '\n')
		return false;
	i = 1;
	skip_ws(s, n - 1, &i);
	if (i < n - 1 && s[i] == '}')
		return i + 1 == n - 1;
	for (;;) {
		skip_ws(s, n - 1, &i);
		if (!json_string(s, n - 1, &i, NULL, NULL))
			return false;
		skip_ws(s, n - 1, &i);
		if (i >= n - 1 || s[i++] != ':')
			return false;
		skip_ws(s, n - 1, &i);
		if (!json_scalar(s, n - 1, &i))
			return false;
		skip_ws(s, n - 1, &i);
		if (i < n - 1 && s[i] == ',') {
			i++;
			continue;
		}
		return i < n - 1 && s[i] == '}' && i + 1 == n - 1;
	}
}

#endif /* FUZZUTIL_H */
