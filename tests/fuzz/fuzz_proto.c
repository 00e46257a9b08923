// SPDX-License-Identifier: BSD-3-Clause
/* fuzz_proto.c - libFuzzer target for the socket protocol parser: bytes
 * through the line framing (in two pieces; a line ending in an odd byte
 * holds the rest back, as the server does while a client's replies have
 * no room), each line through the subscription filter parser, and the
 * filter against a few events. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "control/proto.h"

static bool on_line(void *arg, char *line, size_t len)
{
	struct sub_filter f;
	char err[128];
	struct conn_info c = { .proto = MT_PROTO_SMTP };
	struct event e = { .type = EV_smtp_request, .conn = &c };

	(void)arg;
	(void)len;
	mt_addr_parse("10.1.2.3", &c.id.orig_h);
	mt_addr_parse("10.1.2.4", &c.id.resp_h);
	if (filter_parse(line, &f, err, sizeof(err)) == 0) {
		filter_match(&f, &e);
		e.conn = NULL;
		e.type = EV_lost;
		filter_match(&f, &e);
		filter_free(&f);
	}
	return !(line[len - 1] & 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linebuf lb = { 0 };
	size_t half = size / 2;

	if (linebuf_feed(&lb, (const char *)data, half, on_line, NULL) == 0)
		while (lb.held && linebuf_feed(&lb, NULL, 0, on_line, NULL) == 0)
			;
	if (linebuf_feed(&lb, (const char *)data + half, size - half,
			 on_line, NULL) == 0)
		while (lb.held && linebuf_feed(&lb, NULL, 0, on_line, NULL) == 0)
			;
	linebuf_free(&lb);
	return 0;
}
