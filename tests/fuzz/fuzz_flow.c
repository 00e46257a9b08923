// SPDX-License-Identifier: BSD-3-Clause
/* fuzz_flow.c - libFuzzer target for the whole user-space pipeline after
 * capture: segment sequences of two connections (SMTP on port 25, POP3 on
 * port 110, sharing client ports so reuse happens) through the flow table,
 * reassembly, the analyzers and the log builders (no files are written;
 * every event, log rows included, is serialised to touch its bytes). The
 * limits are small so eviction, the memory budget and the reassembly cap
 * are reached. Inputs of odd length run with the log sinks' view of the
 * events, where bodies take the bulk path. Inputs whose length is 2 or 3
 * modulo 4 lend the payloads, as the offline reader does: each in a heap
 * block of its own, freed at the next release (a reference kept past one
 * is a use after free).
 *
 * Input: records of
 *   byte 0   TCP flags (low 6 bits); bit 6 = from the server; bit 7 =
 *            second connection
 *   byte 1-2 sequence offset (little endian) from the direction's ISN;
 *            0xffff = new ISN for this direction (port reuse), and the
 *            clock jumps 400 s (idle expiry)
 *   byte 3-4 acknowledgment offset from the other direction's ISN
 *   byte 5   payload length; that many bytes follow (fewer at the end)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "event/event_json.h"
#include "flow/flow.h"
#include "util/json.h"

static struct jw jw;

static struct {
	uint8_t *b[64];
	size_t n;
} lent;

static void release(struct flow_table *ft)
{
	flow_table_release(ft);
	while (lent.n)
		free(lent.b[--lent.n]);
}

static void touch(struct sink *s, const struct event *ev)
{
	(void)s;
	jw_reset(&jw);
	event_json_write(&jw, ev, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct daemon d;
	static struct sink sink = { .name = "fuzz", .mask = EV_ALL,
				    .on_event = touch };
	uint32_t isn[2][2] = { { 1000, 900000 }, { 5000000, 77 } };
	double ts = 1000.0;
	size_t i = 0;

	if (!jw.cap)
		jw_init(&jw, false);
	/* odd-sized inputs see what the log sinks see (no smtp_data, data
	 * events merged): message bodies then take the bulk path */
	sink.mask = EV_ALL;
	sink.merged_ok = 0;
	if (size & 1) {
		sink.mask &= ~EV_BIT(EV_smtp_data);
		sink.merged_ok = EV_BIT(EV_mime_segment_data) |
				 EV_BIT(EV_pop3_data);
	}
	memset(&d, 0, sizeof(d));
	config_defaults(&d.cfg);
	d.cfg.no_logs = true;
	d.cfg.lim.max_flows = 4;
	d.cfg.lim.mem_budget = 256 << 10;
	d.cfg.lim.reasm_max_ooo = 16 << 10;
	d.cfg.lim.max_line_length = 4096;
	if (daemon_setup(&d) || bus_add(&d.bus, &sink)) {
		daemon_teardown(&d);
		return 0;
	}
	while (i + 6 <= size) {
		uint8_t b0 = data[i];
		int c = b0 >> 7, from_server = (b0 >> 6) & 1;
		uint16_t so = (uint16_t)(data[i + 1] | data[i + 2] << 8);
		uint16_t ao = (uint16_t)(data[i + 3] | data[i + 4] << 8);
		size_t n = data[i + 5];
		struct segment s;

		i += 6;
		if (n > size - i)
			n = size - i;
		if (so == 0xffff) {
			release(d.ft);
			isn[c][from_server] = isn[c][from_server] * 2654435761u + 1;
			ts += 400;
			flow_table_advance(d.ft, ts);
			so = 0;
		}
		memset(&s, 0, sizeof(s));
		mt_addr_parse(from_server ? "10.0.0.2" : "10.0.0.1", &s.src);
		mt_addr_parse(from_server ? "10.0.0.1" : "10.0.0.2", &s.dst);
		s.sport = from_server ? (c ? 110 : 25) : 40000;
		s.dport = from_server ? 40000 : (c ? 110 : 25);
		s.seq = isn[c][from_server] + so;
		s.ack = isn[c][!from_server] + ao;
		s.flags = b0 & 0x3f;
		s.ts = ts += 0.01;
		s.payload = data + i;
		s.cap_len = s.payload_len = (uint32_t)n;
		if ((size & 3) >= 2 && n) {
			uint8_t *p = malloc(n);

			if (!p)
				abort();
			if (lent.n == 64)
				release(d.ft);
			memcpy(p, data + i, n);
			lent.b[lent.n++] = p;
			s.payload = p;
			s.lent = 1;
		}
		flow_table_segment(d.ft, &s);
		i += n;
	}
	release(d.ft);
	flow_table_close_all(d.ft);
	daemon_teardown(&d);
	return 0;
}
