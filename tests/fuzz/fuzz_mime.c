// SPDX-License-Identifier: BSD-3-Clause
/* fuzz_mime.c - libFuzzer target for the MIME layer: the input is split
 * into lines (LF); a line starting with 0x01 is delivered without CRLF,
 * one starting with 0x02 is a gap, one starting with 0x03 starts a new
 * packet (time + 1) and toggles whether the sink takes segment data
 * merged (as files.log does) or line by line (as a subscriber does).
 * Inputs of odd length run without a listener for mime_all_headers (the
 * headers are then not kept), even ones with. */
#include "fuzz_common.h"

#include "analyzer/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_world w;
	struct mime_mail *m;
	size_t i = 0;

	fuzz_world_init(&w);
	w.cfg.lim.mime_max_depth = 20;
	w.cfg.lim.mime_max_header_bytes = 4096;
	if (size & 1) {
		w.sink.mask &= ~EV_BIT(EV_mime_all_headers);
		bus_update(&w.bus);
	}
	if (mime_mail_new(&m, &w.ctx, "SMTP", true) == 0) {
		while (i < size) {
			const uint8_t *nl = memchr(data + i, '\n', size - i);
			size_t end = nl ? (size_t)(nl - data) : size;

			if (end > i && data[i] == 2) {
				mime_mail_gap(m, end - i);
			} else if (end > i && data[i] == 3) {
				w.conn.ts += 1;
				w.sink.merged_ok ^= EV_BIT(EV_mime_segment_data);
				bus_update(&w.bus);
			} else if (end > i && data[i] == 1) {
				mime_mail_deliver(m, data + i + 1, end - i - 1,
						  false);
			} else {
				mime_mail_deliver(m, data + i, end - i, true);
			}
			i = end + 1;
		}
		mime_mail_end(&m);
	}
	fuzz_world_free(&w);
	return 0;
}
