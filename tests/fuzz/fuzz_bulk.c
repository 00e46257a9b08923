// SPDX-License-Identifier: BSD-3-Clause
/* fuzz_bulk.c - differential libFuzzer target for the bulk body path: a
 * message body (any bytes) goes through SMTP DATA or a POP3 RETR reply
 * twice, once to a sink that takes every event line by line except the
 * merged data events (no bulk path: smtp_data is wanted), once to the log
 * sinks' view (no smtp_data, merged pop3_data: lines taken in bulk where
 * they can be). Every event other than smtp_data and pop3_data must come
 * out the same, in the same order, byte for byte: MIME segments (merged
 * the same way), headers, weirds, hashes.
 *
 * Input: byte 0 = cut the body into deliveries of this many bytes (0:
 * one); byte 1 bit 0 = POP3, bit 1 = a small mime-segment-length (64 +
 * 4 * byte 2), bits 2-3 = the widest base64 SIMD level the bulk run may
 * use (vbmi, avx2, ssse3, none; the line by line run uses the widest the
 * machine has, so levels are compared too), bits 4-5 = the widest
 * quoted-printable level of the bulk run (vbmi2, avx2, none, none); the
 * rest is the body (the
 * "\r\n.\r\n" ending is added). */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "analyzer/base64.h"
#include "analyzer/qp.h"

struct record {
	struct sink sink;
	struct jw jw;
	char *buf;
	size_t len, cap;
};

static void record_event(struct sink *s, const struct event *ev)
{
	struct record *r = (struct record *)s;

	if (ev->type == EV_smtp_data || ev->type == EV_pop3_data)
		return;
	jw_reset(&r->jw);
	event_json_write(&r->jw, ev, true);
	if (r->len + r->jw.len + 1 > r->cap) {
		r->cap = (r->len + r->jw.len + 1) * 2;
		r->buf = realloc(r->buf, r->cap);
		if (!r->buf)
			abort();
	}
	memcpy(r->buf + r->len, r->jw.buf, r->jw.len);
	r->len += r->jw.len;
	r->buf[r->len++] = '\n';
}

struct turn {
	bool orig;
	const char *s;
};

static const struct turn smtp_start[] = {
	{ false, "220 mx\r\n" },
	{ true, "EHLO x\r\n" },
	{ false, "250 mx\r\n" },
	{ true, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n" },
	{ false, "250 ok\r\n250 ok\r\n354 go\r\n" },
};
static const struct turn pop3_start[] = {
	{ false, "+OK ready\r\n" },
	{ true, "USER u\r\nPASS p\r\nRETR 1\r\n" },
	{ false, "+OK\r\n+OK\r\n+OK 900 octets\r\n" },
};

static void run(bool bulk, bool pop3, const uint8_t *body, size_t n,
		size_t cut, unsigned int seglen, struct record *r)
{
	const struct analyzer_ops *ops = pop3 ? &pop3_analyzer_ops :
						&smtp_analyzer_ops;
	const struct turn *start = pop3 ? pop3_start : smtp_start;
	size_t nstart = pop3 ? sizeof(pop3_start) / sizeof(pop3_start[0]) :
			       sizeof(smtp_start) / sizeof(smtp_start[0]);
	bool sender = !pop3; /* the client sends DATA, the server RETR */
	struct fuzz_world w;
	void *an = NULL;

	fuzz_world_init(&w);
	if (seglen)
		w.cfg.lim.mime_segment_length = seglen;
	memset(r, 0, sizeof(*r));
	r->sink.name = "record";
	r->sink.mask = EV_ALL;
	r->sink.merged_ok = EV_BIT(EV_mime_segment_data);
	if (bulk) {
		r->sink.mask &= ~EV_BIT(EV_smtp_data);
		r->sink.merged_ok |= EV_BIT(EV_pop3_data);
	}
	r->sink.on_event = record_event;
	/* only the recording sink: the world's own wants every event */
	bus_init(&w.bus);
	bus_add(&w.bus, &r->sink);
	jw_init(&r->jw, false);
	w.conn.id.resp_p = pop3 ? 110 : 25;
	if (ops->new(&an, &w.ctx))
		abort();
	for (size_t i = 0; i < nstart; i++) {
		w.conn.ts += 1;
		ops->deliver(an, start[i].orig, (const uint8_t *)start[i].s,
			     strlen(start[i].s));
	}
	for (size_t i = 0; i < n;) {
		size_t k = cut && n - i > cut ? cut : n - i;

		w.conn.ts += 1; /* each delivery a packet of its own */
		ops->deliver(an, sender, body + i, k);
		i += k;
	}
	w.conn.ts += 1;
	ops->deliver(an, sender, (const uint8_t *)"\r\n.\r\n", 5);
	ops->eof(an, true);
	ops->eof(an, false);
	ops->free(&an);
	jw_free(&r->jw);
	fuzz_world_free(&w);
}

static const char *const levels[] = { "vbmi", "avx2", "ssse3", "none" };
static const char *const qp_levels[] = { "vbmi2", "avx2", "none", "none" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record line, bulk;
	unsigned int seglen;
	size_t cut;
	bool pop3;

	if (size < 3)
		return 0;
	cut = data[0];
	pop3 = data[1] & 1;
	seglen = data[1] & 2 ? 64 + data[2] * 4u : 0;
	data += 3;
	size -= 3;
	b64_simd("vbmi"); /* the widest there is */
	run(false, pop3, data, size, cut, seglen, &line);
	b64_simd(levels[(data[-2] >> 2) & 3]);
	qp_simd(qp_levels[(data[-2] >> 4) & 3]);
	run(true, pop3, data, size, cut, seglen, &bulk);
	b64_simd("vbmi");
	qp_simd("vbmi2");
	if (line.len != bulk.len || memcmp(line.buf, bulk.buf, line.len)) {
		fprintf(stderr, "line by line:\n%.*s\nin bulk:\n%.*s\n",
			(int)line.len, line.buf, (int)bulk.len, bulk.buf);
		abort();
	}
	free(line.buf);
	free(bulk.buf);
	return 0;
}
