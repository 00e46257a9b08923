/* SPDX-License-Identifier: BSD-3-Clause */
/* stream_dump.h - --dump-streams: each connection's reassembled bytes, one
 * file per direction (<uid>.orig, <uid>.resp) and a <uid>.meta JSON object.
 * Owns the files of one connection; never alters the bytes. */
#ifndef MAILTAP_STREAM_DUMP_H
#define MAILTAP_STREAM_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/conn.h"
#include "flow/flow.h"

struct stream_dump;

/* Shared by all dumps of a table: bounds the number of open files. */
struct stream_dump_ctx {
	const char *dir;
	unsigned int open_files;
	uint64_t write_errors;
};

int stream_dump_new(struct stream_dump **out, struct stream_dump_ctx *ctx,
		    const struct conn_info *info);
void stream_dump_data(struct stream_dump *d, bool is_orig, const uint8_t *p,
		      size_t n);
void stream_dump_gap(struct stream_dump *d, bool is_orig, uint64_t off,
		     uint64_t len);
/* Write <uid>.meta and close everything. NULL-safe; resets the pointer. */
void stream_dump_close(struct stream_dump **d, double end_ts,
		       const struct flow_dir_stats *orig,
		       const struct flow_dir_stats *resp);

#endif
