/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_common.h - what every libFuzzer target shares: a bus whose sink
 * serialises every event (touching every byte, so dangling pointers show
 * under ASan), and Zeek's fuzz input framing ("\x01PKT" + direction). */
#ifndef MAILTAP_FUZZ_COMMON_H
#define MAILTAP_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "analyzer/analyzer.h"
#include "event/bus.h"
#include "event/event_json.h"
#include "util/json.h"

struct fuzz_world {
	struct mt_config cfg;
	struct bus bus;
	struct sink sink;
	struct jw jw;
	struct conn_info conn;
	struct an_ctx ctx;
};

static void fuzz_touch(struct sink *s, const struct event *ev)
{
	struct fuzz_world *w = (struct fuzz_world *)((char *)s -
						     offsetof(struct fuzz_world, sink));

	jw_reset(&w->jw);
	event_json_write(&w->jw, ev, true);
}

static inline void fuzz_world_init(struct fuzz_world *w)
{
	memset(w, 0, sizeof(*w));
	config_defaults(&w->cfg);
	w->cfg.lim.max_line_length = 1 << 16; /* keep runs fast */
	bus_init(&w->bus);
	w->sink.mask = EV_ALL;
	w->sink.on_event = fuzz_touch;
	bus_add(&w->bus, &w->sink);
	jw_init(&w->jw, false);
	strcpy(w->conn.uid, "CFUZZ");
	mt_addr_parse("1.2.3.4", &w->conn.id.orig_h);
	mt_addr_parse("5.6.7.8", &w->conn.id.resp_h);
	w->conn.id.orig_p = 23132;
	w->conn.id.resp_p = 25;
	w->ctx.bus = &w->bus;
	w->ctx.conn = &w->conn;
	w->ctx.cfg = &w->cfg;
}

/* Flip between a sink that takes every event one by one (a subscriber)
 * and one that takes no smtp_data and the merged data events, as the log
 * sinks do: the analyzers then take body lines in bulk. */
static inline void fuzz_toggle_bulk(struct fuzz_world *w)
{
	const uint64_t merged = EV_BIT(EV_mime_segment_data) |
				EV_BIT(EV_pop3_data);

	w->sink.mask ^= EV_BIT(EV_smtp_data);
	w->sink.merged_ok ^= merged;
	bus_update(&w->bus);
}

static inline void fuzz_world_free(struct fuzz_world *w)
{
	jw_free(&w->jw);
}

/* Zeek's FuzzBuffer: chunks separated by "\x01PKT"; the byte after the
 * marker is the direction (low bit 1 = originator); at most 64 chunks.
 * mailtap's own: a direction byte of 0xff means "a gap of 100 bytes";
 * bit 0x40 flips the sink (fuzz_toggle_bulk) before the chunk. */
static inline void fuzz_feed(struct fuzz_world *w,
			     const struct analyzer_ops *ops, void *an,
			     const uint8_t *data, size_t size)
{
	static const uint8_t mark[4] = { 1, 'P', 'K', 'T' };
	size_t i = 0;
	int chunks = 0;

	while (i < size && chunks++ < 64) {
		const uint8_t *m = memmem(data + i, size - i, mark, 4);
		size_t end = m ? (size_t)(m - data) : size;
		bool is_orig = true;
		size_t start = i;

		if (i >= 4 && memcmp(data + i - 4, mark, 4) == 0) {
			uint8_t dir = data[i];

			start = i + 1;
			if (dir != 0xff && (dir & 0x40))
				fuzz_toggle_bulk(w);
			if (dir == 0xff) {
				ops->gap(an, true, 0, 100);
				start = end;
			}
			is_orig = dir & 1;
		}
		if (start < end)
			ops->deliver(an, is_orig, data + start, end - start);
		i = m ? end + 4 : size;
	}
}

#endif
