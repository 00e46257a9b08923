/* SPDX-License-Identifier: BSD-3-Clause */
/* log_writer.h - the sink that writes log rows (EV_log events) to
 * <log_dir>/<path>.log, as Zeek TSV or JSON lines. Owns the log files;
 * never builds rows itself. */
#ifndef MAILTAP_LOG_WRITER_H
#define MAILTAP_LOG_WRITER_H

#include "daemon/config.h"
#include "event/bus.h"
#include "sink/log.h"
#include "util/json.h"

struct log_writer;

int log_writer_new(struct log_writer **out, const struct mt_config *cfg,
		   struct bus *bus);
struct sink *log_writer_sink(struct log_writer *lw);
/* SIGHUP: files renamed away (logrotate) are closed and recreated with a
 * fresh header on their next row. */
void log_writer_reopen(struct log_writer *lw);
/* Write #close lines and close. NULL-safe; resets the pointer. */
void log_writer_free(struct log_writer **lw);
uint64_t log_writer_rows(const struct log_writer *lw);

/* One row as a JSON object with Zeek's field names (unset fields left
 * out). Used by the JSON writer, event serialisation and the socket. */
void log_row_json(struct jw *w, const struct log_schema *s,
		  const struct log_value *v);
/* One row as a Zeek TSV line (with newline) appended to buf; returns the
 * new length, or 0 when cap is too small. Truncations are counted in
 * *truncated (string fields) and *ctruncated (containers). */
size_t log_row_tsv(char *buf, size_t cap, const struct log_schema *s,
		   const struct log_value *v, const struct mt_limits *lim,
		   unsigned int *truncated, unsigned int *ctruncated);

#endif
