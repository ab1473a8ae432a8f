/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Running a BPF iterator program and reading back everything it writes. */
#ifndef ITER_H
#define ITER_H

#include <stddef.h>

struct bpf_program;

/* Everything one iterator wrote; free data when done. */
struct iter_out {
	char *data;
	size_t len, cap;
};

/* Create an iterator on prog and append all it writes to out. 0 or -errno. */
int iter__read(struct bpf_program *prog, struct iter_out *out);

#endif /* ITER_H */
