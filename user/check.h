/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* socktrace --check: what this kernel offers and what socktrace would use. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

/* Print the report to out; 0 if socktrace can run here, else -errno. */
int check__run(FILE *out);

#endif /* CHECK_H */
