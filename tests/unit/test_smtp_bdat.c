// SPDX-License-Identifier: BSD-3-Clause
/* test_smtp_bdat.c - the BDAT line splitter (spec §2.7): its weirds, and
 * the same MIME events as a splitter that takes the chunk data one byte
 * at a time (the oracle below: how smtp_bdat.c was written first), on
 * random chunk data cut at random points, with segment data taken line by
 * line and merged (and switched between the two mid-mail), pieces in
 * packets of their own or sharing one, with and without a MIME mail.
 * Owns test memory only. */
#include <time.h>

#include "harness.h"

#include "analyzer/mime.h"
#include "analyzer/smtp_bdat.h"

#define EVENTS                                                             \
	(EV_BIT(EV_weird) | EV_BIT(EV_mime_begin_entity) |                 \
	 EV_BIT(EV_mime_end_entity) | EV_BIT(EV_mime_one_header) |         \
	 EV_BIT(EV_mime_segment_data) | EV_BIT(EV_mime_event) |            \
	 EV_BIT(EV_mime_content_gap))

/* --- the oracle: one byte at a time ------------------------------------- */

static void ref_emit(struct smtp_bdat *b, struct mime_mail *m, bool crlf)
{
	if (m)
		mime_mail_deliver(m, b->buf ? b->buf : (const uint8_t *)"",
				  b->len, crlf);
	b->len = 0;
}

static void ref_push(struct smtp_bdat *b, struct mime_mail *m, uint8_t c)
{
	if (b->len == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 256;
		uint8_t *nb;

		if (ncap > b->max_line)
			ncap = b->max_line;
		nb = realloc(b->buf, ncap);
		if (!nb) {
			ref_emit(b, m, false);
			return;
		}
		b->buf = nb;
		b->cap = ncap;
	}
	b->buf[b->len++] = c;
	if (b->len >= b->max_line) {
		char addl[24];

		snprintf(addl, sizeof(addl), "%zu", b->len);
		an_weird_str(b->ctx, "smtp_bdat_line_too_long", addl,
			     "SMTP_BDAT");
		ref_emit(b, m, false);
	}
}

static void ref_deliver(struct smtp_bdat *b, struct mime_mail *m,
			const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (b->pending_cr) {
		b->pending_cr = false;
		if (n && p[0] == '\n') {
			b->len--;
			ref_emit(b, m, true);
			i = 1;
		} else {
			an_weird_str(b->ctx, "smtp_bdat_line_cr_only", NULL,
				     "SMTP_BDAT");
			ref_emit(b, m, false);
		}
	}
	for (; i < n; i++) {
		uint8_t c = p[i];

		if (c == '\r') {
			if (i + 1 < n && p[i + 1] == '\n') {
				ref_emit(b, m, true);
				i++;
				continue;
			}
			ref_push(b, m, c);
			if (i + 1 == n && b->len)
				b->pending_cr = true;
			continue;
		}
		if (c == '\n') {
			ref_push(b, m, c);
			if (b->len) {
				an_weird_str(b->ctx, "smtp_bdat_line_lf_only",
					     NULL, "SMTP_BDAT");
				ref_emit(b, m, false);
			}
			continue;
		}
		ref_push(b, m, c);
	}
}

/* --- running one or the other ------------------------------------------ */

/* Chunk data in pieces: each piece's length, then its bytes. */
struct piece {
	const uint8_t *p;
	size_t n;
};

/* How a run goes, beyond the data: */
#define SAME_TS 1  /* pieces share packet times (three a packet) */
#define TOGGLE 2   /* merged segment data switched halfway */
#define NO_MAIL 4  /* no MIME mail (lines dropped; weirds still) */
#define NO_LAST 8  /* torn down without the LAST chunk's completion */

static void run(struct world *w, bool ref, bool merged, unsigned how,
		size_t max_line, const struct piece *pc, size_t npc)
{
	struct smtp_bdat b;
	struct mime_mail *m = NULL;

	world_init(w, NULL, EVENTS);
	if (merged) { /* as files.log takes segment data */
		w->rec.sink.merged_ok = EV_BIT(EV_mime_segment_data);
		bus_update(&w->bus);
	}
	if (!(how & NO_MAIL))
		assert_int_equal(mime_mail_new(&m, &w->ctx, "SMTP", true), 0);
	smtp_bdat_init(&b, &w->ctx, max_line);
	for (size_t i = 0; i < npc; i++) {
		/* a private copy, spoilt after: nothing may keep it */
		uint8_t *copy = malloc(pc[i].n ? pc[i].n : 1);

		if ((how & TOGGLE) && i == npc / 2) {
			w->rec.sink.merged_ok ^= EV_BIT(EV_mime_segment_data);
			bus_update(&w->bus);
		}
		memcpy(copy, pc[i].p, pc[i].n);
		if (ref)
			ref_deliver(&b, m, copy, pc[i].n);
		else
			smtp_bdat_deliver(&b, m, copy, pc[i].n);
		memset(copy, 'Z', pc[i].n);
		free(copy);
		if (!(how & SAME_TS) || i % 3 == 2)
			w->conn.ts += 1; /* the next packet */
	}
	if (!(how & NO_LAST))
		smtp_bdat_finish(&b, m);
	smtp_bdat_done(&b, m);
	if (m)
		mime_mail_end(&m);
}

static void expect_same_how(const struct piece *pc, size_t npc,
			    size_t max_line, unsigned how)
{
	for (int merged = 0; merged < 2; merged++) {
		struct world a, b;

		run(&a, true, merged, how, max_line, pc, npc);
		run(&b, false, merged, how, max_line, pc, npc);
		if (a.rec.n != b.rec.n) {
			fprintf(stderr, "byte by byte:\n");
			rec_dump(&a.rec);
			fprintf(stderr, "smtp_bdat.c:\n");
			rec_dump(&b.rec);
		}
		assert_int_equal(a.rec.n, b.rec.n);
		for (size_t i = 0; i < a.rec.n; i++)
			assert_string_equal(a.rec.lines[i], b.rec.lines[i]);
		world_free(&a);
		world_free(&b);
	}
}

static void expect_same(const struct piece *pc, size_t npc, size_t max_line)
{
	expect_same_how(pc, npc, max_line, 0);
}

#define TEXT_HEAD "Content-Type: text/plain\r\n\r\n"

static void test_weirds(void **state)
{
	static const char body[] = TEXT_HEAD "one\r\ntwo\nthree\rfour\r";
	const struct piece pc[] = {
		{ (const uint8_t *)body, sizeof(body) - 1 },
		{ (const uint8_t *)"x\r\nlong line past the limit\r\n", 30 },
		{ (const uint8_t *)"tail", 4 },
	};
	struct world w;

	(void)state;
	run(&w, false, false, 0, 16, pc, 3);
	/* a bare LF ends a line, with the LF; a CR ending a piece and not
	 * followed by LF ends one too; a lone CR inside is a byte */
	assert_int_equal(rec_count(&w.rec, "smtp_bdat_line_lf_only"), 1);
	assert_int_equal(rec_count(&w.rec, "smtp_bdat_line_cr_only"), 1);
	assert_true(rec_find(&w.rec, "smtp_bdat_line_too_long",
			     "\"addl\":\"16\"") >= 0);
	assert_true(rec_find(&w.rec, "mime_segment_data",
			     "three\\\\x0dfour\\\\x0d") >= 0);
	world_free(&w);
	expect_same(pc, 3, 16);
}

static void test_lines_across_pieces(void **state)
{
	static const char body[] =
		TEXT_HEAD "first line\r\nsecond line\r\nthird line\r\n"
			  "fourth\r\n\r\n-dash\r\n.dot\r\nnul\0inside\r\n";

	(void)state;
	/* every cut of the body in two, and in pieces of 1 to 7 bytes */
	for (size_t cut = 0; cut <= sizeof(body) - 1; cut++) {
		const struct piece pc[] = {
			{ (const uint8_t *)body, cut },
			{ (const uint8_t *)body + cut, sizeof(body) - 1 - cut },
		};

		expect_same(pc, 2, 4096);
	}
	for (size_t k = 1; k <= 7; k++) {
		struct piece pc[sizeof(body)];
		size_t n = 0;

		for (size_t o = 0; o < sizeof(body) - 1; o += k)
			pc[n++] = (struct piece){
				(const uint8_t *)body + o,
				o + k < sizeof(body) - 1 ? k :
							   sizeof(body) - 1 - o
			};
		expect_same(pc, n, 4096);
	}
}

/* Random chunk data: base64 and text parts, long lines, CR, LF, NUL, lines
 * starting with '-' or '.', cut into random pieces (some empty), with a
 * line limit of 24 to 4096. */
static void test_random(void **state)
{
	static const char alpha[] = "abcdefghij KLMNOP=+/0123456789-.\r\n\r\n";
	uint64_t seed = 0x2545f4914f6cdd1dull;

	(void)state;
	for (int round = 0; round < 300; round++) {
		uint8_t data[6000];
		struct piece pc[64];
		size_t len = 0, npc = 0, at = 0, max_line;
		const char *head =
			round % 3 ? "Content-Type: multipart/mixed; boundary=B\r\n"
				    "\r\n--B\r\n"
				    "Content-Transfer-Encoding: base64\r\n\r\n" :
				    TEXT_HEAD;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		max_line = (size_t[]){ 24, 64, 80, 4096 }[(seed >> 40) % 4];
		memcpy(data, head, strlen(head));
		len = strlen(head);
		while (len < sizeof(data) - 100) {
			uint32_t r;

			seed = seed * 6364136223846793005ull +
			       1442695040888963407ull;
			r = (uint32_t)(seed >> 32);
			if (r % 5 == 0) { /* a clean base64 line */
				for (int i = 0; i < 76; i++)
					data[len++] = (uint8_t)"QUJD"[i % 4];
				data[len++] = '\r';
				data[len++] = '\n';
			} else if (r % 41 == 1) {
				memcpy(data + len, "--B\r\n", 5);
				len += 5;
			} else if (r % 53 == 2) {
				data[len++] = 0;
			} else {
				data[len++] = (uint8_t)
					alpha[(r >> 8) % (sizeof(alpha) - 1)];
			}
		}
		while (at < len && npc < 63) {
			size_t k;

			seed = seed * 6364136223846793005ull +
			       1442695040888963407ull;
			k = (seed >> 33) % 400;
			if (k > len - at)
				k = len - at;
			pc[npc++] = (struct piece){ data + at, k };
			at += k;
		}
		pc[npc++] = (struct piece){ data + at, len - at };
		/* every other round with packets of several pieces, a switch
		 * of segment data mode, no mail or no LAST chunk */
		expect_same_how(pc, npc, max_line,
				round % 2 ? (unsigned)(seed >> 50) % 16 : 0);
	}
}

/* A chunk of lone CRs, or of bare LFs, is split in one pass: each line
 * end is looked for from where the last one was, not through the rest of
 * the chunk again (2 MB of either took minutes that way). */
static void test_many_line_ends_linear(void **state)
{
	const size_t len = 2u << 20;
	uint8_t *data = malloc(len);
	struct world w;
	struct mime_mail *m;

	(void)state;
	assert_non_null(data);
	for (int kind = 0; kind < 2; kind++) {
		struct smtp_bdat b;
		time_t t0 = time(NULL);

		for (size_t i = 0; i < len; i++)
			data[i] = i % 2 ? (kind ? '\n' : '\r') : 'a';
		world_init(&w, NULL, EV_BIT(EV_weird));
		assert_int_equal(mime_mail_new(&m, &w.ctx, "SMTP", true), 0);
		smtp_bdat_init(&b, &w.ctx, 4096);
		smtp_bdat_deliver(&b, m, data, len);
		smtp_bdat_finish(&b, m);
		smtp_bdat_done(&b, m);
		mime_mail_end(&m);
		/* a second at most (a few ms here); quadratic, minutes */
		assert_true(time(NULL) - t0 <= 2);
		world_free(&w);
	}
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weirds),
		cmocka_unit_test(test_lines_across_pieces),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_many_line_ends_linear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
