/* SPDX-License-Identifier: BSD-3-Clause */
/* event_file.h - the -E sink: every event as one JSON line to a file or
 * stdout. Owns the file; credentials redacted unless --log-passwords. */
#ifndef MAILTAP_EVENT_FILE_H
#define MAILTAP_EVENT_FILE_H

#include "daemon/config.h"
#include "event/bus.h"

struct event_file;

/* Opens cfg->events_file ('-' = stdout) and registers on the bus. */
int event_file_new(struct event_file **out, const struct mt_config *cfg,
		   struct bus *bus);
void event_file_flush(struct event_file *ef);
/* Unregisters, flushes, closes. NULL-safe; resets the pointer. */
void event_file_free(struct event_file **ef);

#endif
