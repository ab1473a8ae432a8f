// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * event__decode on any ring-buffer record (the input is the record, its size
 * the record's size; libFuzzer's buffer ends exactly there, so ASan sees any
 * read past it). A record is accepted exactly when it is long enough and its
 * kind, direction and protocol are ones we know; then the event is its bytes,
 * comm terminated. An accepted event then prints as one line of printable
 * ASCII (--events), and as one valid NDJSON object (--events --json); its
 * process name as one word that reads back as the name.
 */
#include <errno.h>
#include <netinet/in.h>
#include "fuzzutil.h"
#include "events.h"
#include "evprint.h"

/* tests/fuzz/gen-corpus writes records of this layout. */
_Static_assert(sizeof(struct event) == 120, "struct event changed: update tests/fuzz/gen-corpus");

static struct services *svc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	svc = fuzz_services();
	return 0;
}

/* What the decoder must decide, from the raw bytes. */
static bool known_record(const uint8_t *data, size_t size)
{
	uint8_t kind, dir, proto;

	if (size < sizeof(struct event))
		return false;
	kind = data[offsetof(struct event, kind)];
	dir = data[offsetof(struct event, dir)];
	proto = data[offsetof(struct event, proto)];
	return kind >= EV_CONNECT_OK && kind <= EV_KIND_MAX && (dir == DIR_IN || dir == DIR_OUT) &&
	       (proto == IPPROTO_TCP || proto == IPPROTO_UDP);
}

/* evprint__comm's word: printable ASCII, no space; "\\" and \xNN read back as bytes. */
static void check_comm(const struct event *ev)
{
	char word[TASK_COMM_LEN * 4 + 1], back[TASK_COMM_LEN];
	size_t n = 0;

	evprint__comm(word, sizeof(word), ev->comm);
	if (!ev->comm[0]) {
		require(!strcmp(word, "-"), "empty comm as [%s]", word);
		return;
	}
	for (const char *s = word; *s; s++) {
		require(*s > ' ' && *s < 0x7f, "comm word [%s] has a space or another byte", word);
		require(n < TASK_COMM_LEN - 1, "comm word [%s] is too long", word);
		if (*s != '\\') {
			back[n++] = *s;
		} else if (s[1] == '\\') {
			back[n++] = *++s;
		} else {
			require(s[1] == 'x' && hexval(s[2]) >= 0 && hexval(s[3]) >= 0,
				"bad escape in comm word [%s]", word);
			back[n++] = (char)(hexval(s[2]) << 4 | hexval(s[3]));
			s += 3;
		}
	}
	require(n == strlen((const char *)ev->comm) && !memcmp(back, ev->comm, n),
		"comm word [%s] reads back as other bytes", word);
}

static void check_print(const struct event *ev, bool json)
{
	struct evprint p;
	struct membuf m;

	evprint__init(&p, membuf_open(&m), json, svc);
	require(!evprint__event(&p, ev), "evprint__event failed");
	membuf_close(&m);
	require(m.len && m.buf[m.len - 1] == '\n', "not a line: [%s]", m.buf);
	if (json) {
		require(json_flat_object_line(m.buf, m.len), "not an NDJSON object: [%s]", m.buf);
	} else {
		for (size_t i = 0; i + 1 < m.len; i++)
			require(m.buf[i] >= ' ' && m.buf[i] < 0x7f, "byte 0x%02x in [%s]",
				(unsigned char)m.buf[i], m.buf);
	}
	free(m.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event ev, raw;
	int ret;

	memset(&ev, 0xa5, sizeof(ev));
	ret = event__decode(data, size, &ev);
	require(ret == 0 || ret == -EINVAL, "returned %d", ret);
	require(!ret == known_record(data, size), "size %zu: returned %d", size, ret);
	if (ret)
		return 0;
	memcpy(&raw, data, sizeof(raw));
	raw.comm[TASK_COMM_LEN - 1] = '\0';
	require(!memcmp(&ev, &raw, sizeof(ev)), "the event is not the record's bytes");
	check_comm(&ev);
	check_print(&ev, false);
	check_print(&ev, true);
	return 0;
}
