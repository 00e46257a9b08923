/* SPDX-License-Identifier: BSD-3-Clause */
/* harness.h - shared test scaffolding: a sink that records events as text
 * lines (so tests compare readable strings), a fake connection, and an
 * analyzer driver that can split streams at any position. Header-only so
 * each test binary stays one file. */
#ifndef MAILTAP_TEST_HARNESS_H
#define MAILTAP_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analyzer/analyzer.h"
#include "capture/segment.h"
#include "event/bus.h"
#include "event/event_json.h"
#include "util/json.h"

#define REC_MAX 4096

/* Every event the bus sees, as one JSON line without ts/uid/id. */
struct recorder {
	struct sink sink;
	char *lines[REC_MAX];
	size_t n;
	uint64_t mask;
};

static void rec_on_event(struct sink *s, const struct event *ev)
{
	struct recorder *r = (struct recorder *)s;
	struct event e = *ev;
	struct jw w;

	if (r->n == REC_MAX)
		return;
	e.conn = NULL; /* keep lines short: no uid/id */
	e.ts = 0;
	jw_init(&w, false);
	event_json_write(&w, &e, false);
	/* drop the constant prefix {"ts":0.000000,"event": */
	{
		const char *p = strstr(w.buf, "\"event\":");

		r->lines[r->n++] = strdup(p ? p + 8 : w.buf);
	}
	jw_free(&w);
}

static inline void rec_init(struct recorder *r, uint64_t mask)
{
	memset(r, 0, sizeof(*r));
	r->sink.name = "recorder";
	r->sink.mask = mask;
	r->sink.on_event = rec_on_event;
}

static inline void rec_clear(struct recorder *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->lines[i]);
	r->n = 0;
}

/* Does some recorded line contain all the given substrings? */
static inline int rec_find(const struct recorder *r, const char *a,
			   const char *b)
{
	for (size_t i = 0; i < r->n; i++)
		if (strstr(r->lines[i], a) && (!b || strstr(r->lines[i], b)))
			return (int)i;
	return -1;
}

static inline size_t rec_count(const struct recorder *r, const char *a)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += strstr(r->lines[i], a) != NULL;
	return n;
}

static inline void rec_dump(const struct recorder *r)
{
	for (size_t i = 0; i < r->n; i++)
		fprintf(stderr, "  [%zu] %s\n", i, r->lines[i]);
}

/* A world for one analyzer: config, bus, recorder, connection. */
struct world {
	struct mt_config cfg;
	struct bus bus;
	struct recorder rec;
	struct conn_info conn;
	struct an_ctx ctx;
	const struct analyzer_ops *ops;
	void *an;
};

static inline void world_init(struct world *w, const struct analyzer_ops *ops,
			      uint64_t mask)
{
	memset(w, 0, sizeof(*w));
	config_defaults(&w->cfg);
	bus_init(&w->bus);
	rec_init(&w->rec, mask);
	bus_add(&w->bus, &w->rec.sink);
	strcpy(w->conn.uid, "CTEST");
	mt_addr_parse("10.0.0.1", &w->conn.id.orig_h);
	mt_addr_parse("10.0.0.2", &w->conn.id.resp_h);
	w->conn.id.orig_p = 40000;
	w->conn.id.resp_p = 25;
	w->conn.proto = MT_PROTO_SMTP;
	w->ctx.bus = &w->bus;
	w->ctx.conn = &w->conn;
	w->ctx.cfg = &w->cfg;
	w->ops = ops;
	if (ops)
		assert_int_equal(ops->new(&w->an, &w->ctx), 0);
}

static inline void world_free(struct world *w)
{
	if (w->ops && w->an)
		w->ops->free(&w->an);
	rec_clear(&w->rec);
}

/* A scripted conversation: alternating directions, "C:" / "S:" chunks. */
struct turn {
	bool is_orig;
	const char *data;
};

/* Deliver every turn; each turn's bytes are cut at 'split' (0 = whole,
 * 1 = byte by byte, k = chunks of k bytes). */
static inline void world_play(struct world *w, const struct turn *t,
			      size_t n, size_t split)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = (const uint8_t *)t[i].data;
		size_t len = strlen(t[i].data);

		if (!split) {
			w->ops->deliver(w->an, t[i].is_orig, p, len);
			continue;
		}
		for (size_t o = 0; o < len; o += split) {
			size_t k = len - o < split ? len - o : split;

			w->ops->deliver(w->an, t[i].is_orig, p + o, k);
		}
	}
}

/* Run a conversation whole, then at every chunk size 1..16, and check the
 * recorded event lines never change. Returns the whole-run world (caller
 * frees). */
static inline void world_play_all_splits(struct world *w,
					 const struct analyzer_ops *ops,
					 uint64_t mask, const struct turn *t,
					 size_t n)
{
	world_init(w, ops, mask);
	world_play(w, t, n, 0);
	for (size_t split = 1; split <= 16; split++) {
		struct world v;

		world_init(&v, ops, mask);
		world_play(&v, t, n, split);
		if (v.rec.n != w->rec.n) {
			fprintf(stderr, "split %zu: %zu events vs %zu\n", split,
				v.rec.n, w->rec.n);
			rec_dump(&v.rec);
		}
		assert_int_equal(v.rec.n, w->rec.n);
		for (size_t i = 0; i < v.rec.n; i++)
			assert_string_equal(v.rec.lines[i], w->rec.lines[i]);
		world_free(&v);
	}
}

/* A TCP segment between two addresses (text), payload a C string. */
static inline struct segment test_segment(const char *src, uint16_t sp,
					  const char *dst, uint16_t dp,
					  uint32_t seq, uint32_t ack,
					  uint8_t flags, const char *payload,
					  double ts)
{
	struct segment s;

	memset(&s, 0, sizeof(s));
	mt_addr_parse(src, &s.src);
	mt_addr_parse(dst, &s.dst);
	s.sport = sp;
	s.dport = dp;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.ts = ts;
	s.payload = (const uint8_t *)payload;
	s.cap_len = s.payload_len = payload ? (uint32_t)strlen(payload) : 0;
	return s;
}

#endif
