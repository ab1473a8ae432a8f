// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "iter.h"

#define READ_CHUNK 65536

int iter__read(struct bpf_program *prog, struct iter_out *out)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
	int fd, err = 0;
	ssize_t got;

	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		if (out->cap - out->len < READ_CHUNK) {
			size_t cap = out->cap ? 2 * out->cap : 4 * READ_CHUNK;
			char *data = realloc(out->data, cap);

			if (!data) {
				err = -ENOMEM;
				break;
			}
			out->data = data;
			out->cap = cap;
		}
		got = read(fd, out->data + out->len, out->cap - out->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			err = got < 0 ? -errno : 0;
			break;
		}
		out->len += got;
	}
	close(fd);
out:
	bpf_link__destroy(link);
	return err;
}
