// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The escaping writers, on any bytes (a process name, a service name): each
 * output is read back by a small reader written here and must give the input.
 * - csv__field: one RFC 4180 field; no raw CR or LF outside quotes.
 * - json__string: a valid JSON string in valid UTF-8, no raw control byte or
 *   DEL; well-formed UTF-8 kept as it is; other bytes as \u00XX (json.h).
 * - metrics__label_value: only \\, \" and \n escapes; no raw newline or quote.
 */
#include "fuzzutil.h"
#include "csv.h"
#include "json.h"
#include "metrics.h"

/* Read one CSV field that must span all of s[0..n); its bytes into out. */
static bool csv_read_field(const char *s, size_t n, char *out, size_t *outlen)
{
	size_t o = 0;

	if (!n || s[0] != '"') {
		/* Unquoted: none of the characters that need quotes. */
		for (size_t i = 0; i < n; i++) {
			if (strchr(",\"\r\n", s[i]))
				return false;
			out[o++] = s[i];
		}
		*outlen = o;
		return true;
	}
	for (size_t i = 1; i < n; i++) {
		if (s[i] != '"') {
			out[o++] = s[i];
		} else if (i + 1 < n && s[i + 1] == '"') {
			out[o++] = '"';
			i++;
		} else {
			*outlen = o;
			return i + 1 == n; /* the closing quote ends the field */
		}
	}
	return false; /* no closing quote */
}

static void check_csv(const char *in, size_t len)
{
	struct membuf m;
	char *back;
	size_t n = 0;

	csv__field(membuf_open(&m), in);
	membuf_close(&m);
	back = malloc(m.len + 1);
	require(back, "out of memory");
	require(csv_read_field(m.buf, m.len, back, &n), "not one CSV field: [%s]", m.buf);
	require(n == len && !memcmp(back, in, len), "CSV field reads back as other bytes");
	free(back);
	free(m.buf);
}

static void check_json(const char *in, size_t len)
{
	struct membuf m;
	size_t pos = 0, n = 0;
	char *back;

	json__string(membuf_open(&m), in);
	membuf_close(&m);
	back = malloc(m.len + 1);
	require(back, "out of memory");
	require(utf8_valid((const uint8_t *)m.buf, m.len), "JSON output is not UTF-8: [%s]", m.buf);
	require(!memchr(m.buf, 0x7f, m.len), "raw DEL in JSON output");
	require(json_string(m.buf, m.len, &pos, back, &n) && pos == m.len,
		"not a JSON string: [%s]", m.buf);
	require(n == len && !memcmp(back, in, len), "JSON string decodes to other bytes");
	/* Well-formed UTF-8 passes through: no byte of it is escaped as Latin-1. */
	for (size_t i = 0; utf8_valid((const uint8_t *)in, len) && i < m.len; i++) {
		if (m.buf[i] == '\\' && m.buf[++i] == 'u')
			require(hexval(m.buf[i + 3]) < 8, "UTF-8 input escaped as bytes: [%s]",
				m.buf);
	}
	free(back);
	free(m.buf);
}

static void check_label(const char *in, size_t len)
{
	struct membuf m;
	size_t o = 0;
	char *back;

	metrics__label_value(membuf_open(&m), in);
	membuf_close(&m);
	back = malloc(m.len + 1);
	require(back, "out of memory");
	for (size_t i = 0; i < m.len; i++) {
		char c = m.buf[i];

		require(c != '\n' && c != '"', "raw newline or quote in a label value");
		if (c == '\\') {
			require(i + 1 < m.len && strchr("\\\"n", m.buf[i + 1]),
				"bad escape in a label value");
			c = m.buf[++i] == 'n' ? '\n' : m.buf[i];
		}
		back[o++] = c;
	}
	require(o == len && !memcmp(back, in, len), "label value reads back as other bytes");
	free(back);
	free(m.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_string(data, size);
	size_t len = strlen(in);

	check_csv(in, len);
	check_json(in, len);
	check_label(in, len);
	free(in);
	return 0;
}
