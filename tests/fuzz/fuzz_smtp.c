// SPDX-License-Identifier: BSD-3-Clause
/* fuzz_smtp.c - libFuzzer target for the SMTP analyzer: Zeek's fuzz
 * input format (fuzz_common.h), then end of stream in both directions.
 * A first byte with bit 0x80 set: a connection picked up mid-stream;
 * with 0x40: the sink starts with the log sinks' view (bulk bodies). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_world w;
	void *an = NULL;

	fuzz_world_init(&w);
	w.conn.partial = size && (data[0] & 0x80);
	if (size && (data[0] & 0x40)) /* the log sinks' view: bulk body */
		fuzz_toggle_bulk(&w);
	if (smtp_analyzer_ops.new(&an, &w.ctx) == 0) {
		fuzz_feed(&w, &smtp_analyzer_ops, an, data, size);
		smtp_analyzer_ops.eof(an, true);
		smtp_analyzer_ops.eof(an, false);
		smtp_analyzer_ops.free(&an);
	}
	fuzz_world_free(&w);
	return 0;
}
