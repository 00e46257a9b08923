/* SPDX-License-Identifier: BSD-3-Clause */
/* weird_log.h - weird.log: every weird event as a row, with Zeek's
 * de-duplication (a name at most once per connection), and a count of
 * every weird by name for `mailtap stats`. Owns per-connection name sets;
 * never writes files (rows go out as EV_log). */
#ifndef MAILTAP_WEIRD_LOG_H
#define MAILTAP_WEIRD_LOG_H

#include <stdint.h>

#include "daemon/config.h"
#include "event/bus.h"

struct weird_log;

int weird_log_new(struct weird_log **out, const struct mt_config *cfg,
		  struct bus *bus);
struct sink *weird_log_sink(struct weird_log *wl);
void weird_log_free(struct weird_log **wl);
/* Visit the per-name counters; stop when cb returns non-zero. */
int weird_log_counts(const struct weird_log *wl,
		     int (*cb)(void *arg, const char *name, uint64_t n),
		     void *arg);

#endif
