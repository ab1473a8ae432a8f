/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A tiny JSON writer for NDJSON (RFC 8259): one flat object per line, keys in
 * the order written. Strings are escaped so that any bytes give valid JSON in
 * valid UTF-8: '"', '\' and control characters (U+0000-U+001F, and DEL) are
 * escaped (\n, \t ... or \u00XX); well-formed UTF-8 passes through; every byte
 * that is not part of a well-formed UTF-8 sequence is written as \u00XX, its
 * value read as a Latin-1 code point (so 0xff becomes "\u00ff": the byte stays
 * visible, and no parser rejects the line).
 */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	bool first; /* no member written yet: no comma before the next */
};

/* Write s as a JSON string, quotes included. */
void json__string(FILE *f, const char *s);

/* Open an object on f. */
void json__begin(struct json *j, FILE *f);
/* Close it and end the line. */
void json__end(struct json *j);

/* One member each; a NULL string is written as null. */
void json__str(struct json *j, const char *key, const char *val);
void json__u64(struct json *j, const char *key, uint64_t val);
/* val with `decimals` digits after the point (%.*f); non-finite values are null. */
void json__double(struct json *j, const char *key, double val, int decimals);
void json__bool(struct json *j, const char *key, bool val);
void json__null(struct json *j, const char *key);

#endif /* JSON_H */
