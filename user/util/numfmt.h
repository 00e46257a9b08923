/* SPDX-License-Identifier: BSD-3-Clause */
/* numfmt.h - numbers as the logs print them, without printf's cost: the
 * log writers format several per row. Each writes into B (at least
 * NUMFMT_MAX bytes), NUL-terminates, and returns the length; the output is
 * exactly what the printf format named beside it gives. */
#ifndef MAILTAP_NUMFMT_H
#define MAILTAP_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

#define NUMFMT_MAX 48

size_t fmt_u64(char *b, uint64_t v);  /* "%" PRIu64 */
size_t fmt_i64(char *b, int64_t v);   /* "%" PRId64 */
size_t fmt_time6(char *b, double t);  /* "%.6f" (cut at NUMFMT_MAX - 1) */

#endif
