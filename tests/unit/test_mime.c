// SPDX-License-Identifier: BSD-3-Clause
/* test_mime.c - the MIME layer: headers and folding, multipart CRLF
 * delay, QP and base64 with their Zeek error texts, nesting and limits. */
#include "harness.h"

#include "analyzer/mime.h"
#include "analyzer/qp.h"

#define ALL EV_ALL

static void feed(struct world *w, struct mime_mail *m, const char *text)
{
	/* one line per '\n' (no CR in these fixtures) */
	const char *p = text;

	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char *copy = malloc(n + 1);

		/* a private copy, freed at once: MIME must not keep it */
		memcpy(copy, p, n);
		mime_mail_deliver(m, (uint8_t *)copy, n, true);
		memset(copy, 'Z', n);
		free(copy);
		p += n + (e ? 1 : 0);
	}
	(void)w;
}

static struct mime_mail *start(struct world *w)
{
	struct mime_mail *m;

	world_init(w, NULL, ALL);
	assert_int_equal(mime_mail_new(&m, &w->ctx, "SMTP", true), 0);
	return m;
}

static void test_headers_and_folding(void **state)
{
	struct world w;
	struct mime_mail *m = start(&w);

	(void)state;
	feed(&w, m, "From: a@b\nSubject: one\n\ttwo\nno colon here\n"
		    "X-Empty:\n\nbody\n");
	mime_mail_end(&m);
	assert_true(rec_find(&w.rec, "\"original_name\":\"Subject\"",
			     "\"value\":\"one\\\\x09two\"") >= 0);
	assert_true(rec_find(&w.rec, "\"name\":\"X-EMPTY\",\"value\":\"\"",
			     NULL) >= 0);
	assert_int_equal(rec_count(&w.rec, "mime_one_header"), 3);
	assert_true(rec_find(&w.rec, "mime_all_headers", "\"3\":") >= 0);
	assert_true(rec_find(&w.rec, "mime_entity_data",
			     "\"length\":6,\"data\":\"body\\\\x0d\\\\x0a\"") >= 0);
	assert_true(rec_find(&w.rec, "mime_content_hash\"",
			     "\"content_len\":6") >= 0);
	world_free(&w);
}

/* With no one listening for mime_all_headers, headers are not kept for
 * it, but each mime_one_header still has the upper-case name, also past
 * the header limit (and for a name longer than the stack copy). */
static void test_headers_not_kept(void **state)
{
	struct world w;
	struct mime_mail *m;
	char name[300], line[320];

	(void)state;
	world_init(&w, NULL, ALL & ~EV_BIT(EV_mime_all_headers));
	assert_int_equal(mime_mail_new(&m, &w.ctx, "SMTP", true), 0);
	feed(&w, m, "From: a@b\nx-Mixed-Case: v\n");
	memset(name, 'q', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(line, sizeof(line), "%s: long\n", name);
	feed(&w, m, line);
	for (int i = 0; i < 1000; i++)
		feed(&w, m, "x-many: v\n");
	feed(&w, m, "x-past: v\n\nbody\n");
	mime_mail_end(&m);
	assert_int_equal(rec_find(&w.rec, "mime_all_headers", NULL), -1);
	assert_true(rec_find(&w.rec, "\"original_name\":\"x-Mixed-Case\"",
			     "\"name\":\"X-MIXED-CASE\"") >= 0);
	for (int i = 0; i < 299; i++)
		name[i] = 'Q';
	assert_true(rec_find(&w.rec, name, NULL) >= 0);
	assert_true(rec_find(&w.rec, "mime_too_many_headers", NULL) >= 0);
	assert_true(rec_find(&w.rec, "\"name\":\"X-PAST\"", NULL) >= 0);
	world_free(&w);
}

static void test_multipart_crlf_delay(void **state)
{
	struct world w;
	struct mime_mail *m = start(&w);

	(void)state;
	feed(&w, m,
	     "Content-Type: multipart/mixed; boundary=\"XX\"\n\npreamble\n"
	     "--XX\nContent-Type: text/plain\n\nHello\n\n world\n"
	     "--XX\nContent-Transfer-Encoding: base64\n\naGk=\n--XX--\nepilogue\n");
	/* the multipart top level ends at its closing boundary */
	assert_int_equal(rec_count(&w.rec, "mime_end_entity"), 3);
	mime_mail_end(&m);
	assert_true(rec_find(&w.rec, "mime_segment_data",
			     "\"data\":\"Hello\"") >= 0);
	assert_true(rec_find(&w.rec, "mime_segment_data",
			     "\"data\":\"\\\\x0d\\\\x0a world\"") >= 0);
	/* the CRLF before the boundary is not content: 5 + 2 + 8 */
	assert_true(rec_find(&w.rec, "mime_entity_data", "\"length\":15") >=
		    0);
	assert_true(rec_find(&w.rec, "mime_entity_data",
			     "\"length\":2,\"data\":\"hi\"") >= 0);
	assert_int_equal(rec_count(&w.rec, "mime_begin_entity"), 3);
	assert_int_equal(rec_count(&w.rec, "epilogue"), 0);
	assert_true(rec_find(&w.rec, "mime_all_data", "\"length\":17") >= 0);
	world_free(&w);
}

static void test_quoted_printable_errors(void **state)
{
	struct world w;
	struct mime_mail *m = start(&w);

	(void)state;
	feed(&w, m, "Content-Transfer-Encoding: quoted-printable\n\n"
		    "a=3Db=\nc  \n=ZZ\n\x7f\n");
	mime_mail_end(&m);
	/* soft break joins, trailing blanks go, =ZZ kept with an event */
	assert_true(rec_find(&w.rec, "mime_entity_data",
			     "a=bc\\\\x0d\\\\x0a=ZZ") >= 0);
	assert_true(rec_find(&w.rec, "illegal encoding",
			     "= is not followed by two hexadecimal digits") >= 0);
	assert_true(rec_find(&w.rec, "illegal encoding",
			     "control characters in quoted-printable encoding: 127") >= 0);
	world_free(&w);
}

static void test_base64_errors(void **state)
{
	struct world w;
	struct mime_mail *m = start(&w);

	(void)state;
	feed(&w, m, "Content-Transfer-Encoding: base64\n\naGVs bG8\n");
	mime_mail_end(&m);
	assert_true(rec_find(&w.rec, "base64_illegal_encoding",
			     "character 32 ignored by Base64 decoding") >= 0);
	assert_true(rec_find(&w.rec, "base64_illegal_encoding",
			     "incomplete base64 group, padding with 6 bits of 0") >= 0);
	assert_true(rec_find(&w.rec, "mime_entity_data", "\"data\":\"hello\"") >=
		    0);
	world_free(&w);
}

static void test_format_problems(void **state)
{
	struct world w;
	struct mime_mail *m = start(&w);

	(void)state;
	feed(&w, m, " leading blank\nContent-Type: multipart/mixed\n"
		    "Content-Type: text\n\nbody\n");
	mime_mail_end(&m);
	assert_true(rec_find(&w.rec, "illegal format",
			     "first header line starts with linear whitespace") >= 0);
	assert_true(rec_find(&w.rec, "illegal format",
			     "media type/subtype not found in content type") >= 0);
	world_free(&w);

	m = start(&w);
	feed(&w, m, "Content-Type: multipart/mixed\n\nbody\n");
	mime_mail_end(&m);
	assert_true(rec_find(&w.rec, "illegal format",
			     "boundary delimiter is not specified") >= 0);
	world_free(&w);

	m = start(&w);
	feed(&w, m, "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
		    "Subject: never ends\n");
	mime_mail_end(&m);
	assert_true(rec_find(&w.rec, "illegal format", "entity body missing") >=
		    0);
	assert_true(rec_find(&w.rec, "illegal format",
			     "multipart closing boundary delimiter missing") >= 0);
	world_free(&w);
}

static void test_depth_limit(void **state)
{
	struct world w;
	struct mime_mail *m = start(&w);

	(void)state;
	w.cfg.lim.mime_max_depth = 3;
	for (int i = 0; i < 6; i++)
		feed(&w, m, "Content-Type: message/rfc822\n\n");
	feed(&w, m, "Subject: deep\n\ndropped content\n");
	mime_mail_end(&m);
	assert_true(rec_find(&w.rec, "exceeded_mime_max_depth",
			     "\"addl\":\"3\"") >= 0);
	assert_int_equal(rec_count(&w.rec, "mime_begin_entity"), 4);
	assert_int_equal(rec_count(&w.rec, "mime_end_entity"), 4);
	assert_int_equal(rec_count(&w.rec, "dropped content"), 0);
	world_free(&w);
}

static void test_header_bytes_limit(void **state)
{
	struct world w;
	struct mime_mail *m = start(&w);

	(void)state;
	w.cfg.lim.mime_max_header_bytes = 64;
	feed(&w, m, "X-Long: start\n");
	for (int i = 0; i < 20; i++)
		feed(&w, m, "\tcontinuation line\n");
	feed(&w, m, "\nbody\n");
	mime_mail_end(&m);
	assert_true(rec_find(&w.rec, "exceeded_mime_max_header_bytes", NULL) >=
		    0);
	world_free(&w);
}

static void test_gap_event(void **state)
{
	struct world w;
	struct mime_mail *m = start(&w);

	(void)state;
	feed(&w, m, "Subject: x\n\nabc\n");
	mime_mail_gap(m, 100);
	mime_mail_end(&m);
	assert_true(rec_find(&w.rec, "mime_content_gap",
			     "\"offset\":5,\"len\":100") >= 0);
	world_free(&w);
}

/* Line by line, a quoted-printable line longer than the decode buffer is
 * still one segment, after the events its decoding raised (as Zeek). */
static void test_long_qp_line_one_segment(void **state)
{
	struct world w;
	struct mime_mail *m = start(&w);
	char line[601];
	int ev, seg;

	(void)state;
	feed(&w, m, "Content-Transfer-Encoding: quoted-printable\n\n");
	memset(line, 'q', 600);
	line[550] = 1;
	line[600] = '\0';
	feed(&w, m, line);
	ev = rec_find(&w.rec, "mime_event", "control characters");
	seg = rec_find(&w.rec, "mime_segment_data", "\"length\":602");
	assert_true(ev >= 0);
	assert_true(seg > ev);
	assert_int_equal(rec_count(&w.rec, "mime_segment_data"), 1);
	mime_mail_end(&m);
	world_free(&w);
}

/* A subscriber that comes mid-mail (segment data no longer merged) sees
 * the events of an unusual QP line before the data the previous packet
 * left pending, as the byte-by-byte decoder always sent them. */
static void test_qp_pending_segment_order(void **state)
{
	struct world w;
	struct mime_mail *m;
	int ev, first;

	(void)state;
	world_init(&w, NULL, EV_BIT(EV_mime_segment_data) |
				     EV_BIT(EV_mime_event));
	w.rec.sink.merged_ok = EV_BIT(EV_mime_segment_data);
	bus_update(&w.bus);
	assert_int_equal(mime_mail_new(&m, &w.ctx, "SMTP", true), 0);
	feed(&w, m, "Content-Transfer-Encoding: quoted-printable\n\n"
		    "first=20line\n");
	w.conn.ts += 1; /* the next packet, and a subscriber wanting each */
	w.rec.sink.merged_ok = 0;
	bus_update(&w.bus);
	feed(&w, m, "bad\x01byte\n");
	mime_mail_end(&m);
	ev = rec_find(&w.rec, "mime_event", "control characters");
	first = rec_find(&w.rec, "mime_segment_data", "first line");
	assert_true(ev >= 0 && first >= 0);
	assert_true(ev < first);
	world_free(&w);
}

/* What a files.log-like sink sees of a mail: every data byte with the
 * packet time of its event, and where each entity ended. */
struct seen {
	struct sink sink;
	uint8_t data[4096];
	double ts[4096];
	size_t n, events, ends[8], n_ends;
};

static void seen_on_event(struct sink *s, const struct event *ev)
{
	struct seen *z = (struct seen *)s;

	if (ev->type == EV_mime_end_entity) {
		if (z->n_ends < 8)
			z->ends[z->n_ends++] = z->n;
		return;
	}
	z->events++;
	for (size_t i = 0; i < ev->mime_data.data.len && z->n < 4096; i++) {
		z->data[z->n] = ev->mime_data.data.p[i];
		z->ts[z->n++] = ev->ts;
	}
}

static void run_merged(struct seen *z, bool merged, size_t *all_segments)
{
	static const char *lines[] = {
		"Content-Type: multipart/mixed; boundary=B", "",
		"--B", "Content-Transfer-Encoding: base64", "",
		"SGVsbG8sIHdvcmxk", "ISBUaGlzIGlzIGxp", "bmUgdHdvLCBhbmQg",
		"dGhyZWUsIGZvdXIu", "ISE=",
		"--B", "Content-Type: text/plain", "", "plain one", "plain two",
		"--B--",
	};
	struct world w;
	struct mime_mail *m;

	world_init(&w, NULL, EV_BIT(EV_mime_segment_data));
	memset(z, 0, sizeof(*z));
	z->sink.mask = EV_BIT(EV_mime_segment_data) | EV_BIT(EV_mime_end_entity);
	z->sink.merged_ok = EV_BIT(EV_mime_segment_data);
	z->sink.on_event = seen_on_event;
	bus_add(&w.bus, &z->sink);
	if (merged) { /* only sinks that take merged data are left */
		bus_remove(&w.bus, &w.rec.sink);
		assert_false(bus_wants_each(&w.bus, EV_mime_segment_data));
	} else {
		assert_true(bus_wants_each(&w.bus, EV_mime_segment_data));
	}
	assert_int_equal(mime_mail_new(&m, &w.ctx, "SMTP", true), 0);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		w.conn.ts = 100 + (double)(i / 4); /* four lines per packet */
		mime_mail_deliver(m, (const uint8_t *)lines[i],
				  strlen(lines[i]), true);
	}
	w.conn.ts = 200;
	mime_mail_end(&m);
	*all_segments = w.bus.count[EV_mime_segment_data];
	world_free(&w);
}

/* Quoted-printable lines decoded in place in the pending segment (and,
 * when it has no room, through a buffer), merged and line by line, at
 * segment lengths around the room the in-place decoder asks for
 * (QP_OUT_MIN + 2): the bytes they decode to, a line delivered without
 * CRLF without one. Under ASan, a reservation short of what the decoder
 * writes shows here. */
static void test_qp_lines_in_place(void **state)
{
	static const uint32_t seglens[] = { 7, 100, QP_OUT_MIN + 1,
					    QP_OUT_MIN + 2, QP_OUT_MIN + 3,
					    1024 };
	static const char want[] =
		"a=b\r\n\r\ncaf\xc3\xa9 softxy\r\n"
		"01234567890123456789012345678901234567890123456789"
		"012345678901234567890123456789=\r\n";

	(void)state;
	for (size_t i = 0; i < sizeof(seglens) / sizeof(seglens[0]); i++) {
		for (int merged = 0; merged < 2; merged++) {
			struct world w;
			struct mime_mail *m;
			struct seen z;

			world_init(&w, NULL, EV_BIT(EV_mime_segment_data));
			w.cfg.lim.mime_segment_length = seglens[i];
			memset(&z, 0, sizeof(z));
			z.sink.mask = EV_BIT(EV_mime_segment_data);
			z.sink.merged_ok = EV_BIT(EV_mime_segment_data);
			z.sink.on_event = seen_on_event;
			bus_add(&w.bus, &z.sink);
			if (merged)
				bus_remove(&w.bus, &w.rec.sink);
			assert_int_equal(mime_mail_new(&m, &w.ctx, "SMTP",
						       true),
					 0);
			feed(&w, m,
			     "Content-Transfer-Encoding: quoted-printable\n\n"
			     "a=3Db\n\ncaf=C3=a9 soft=\n");
			mime_mail_deliver(m, (const uint8_t *)"x", 1, false);
			feed(&w, m,
			     "y\n0123456789012345678901234567890123456789"
			     "0123456789012345678901234567890123456789=3D\n");
			mime_mail_end(&m);
			assert_int_equal(z.n, sizeof(want) - 1);
			assert_memory_equal(z.data, want, z.n);
			world_free(&w);
		}
	}
}

/* Without a sink that wants every mime_segment_data, the lines of one
 * packet go out as one: the same bytes, in the same order, with the same
 * packet times, each before its entity's end; fewer events. */
static void test_merged_segments(void **state)
{
	struct seen exact, merged;
	size_t n_exact, n_merged;

	(void)state;
	run_merged(&exact, false, &n_exact);
	run_merged(&merged, true, &n_merged);
	assert_int_equal(exact.n, merged.n);
	assert_memory_equal(exact.data, merged.data, exact.n);
	for (size_t i = 0; i < exact.n; i++)
		assert_true(exact.ts[i] == merged.ts[i]);
	assert_int_equal(exact.n_ends, merged.n_ends);
	assert_memory_equal(exact.ends, merged.ends,
			    exact.n_ends * sizeof(exact.ends[0]));
	assert_int_equal(exact.events, n_exact);
	assert_int_equal(merged.events, n_merged);
	assert_int_equal(n_exact, 7); /* a line each */
	assert_int_equal(n_merged, 3); /* a packet each, within an entity */
	assert_memory_equal(merged.data,
			    "Hello, world! This is line two, and three, four.!!"
			    "plain one\r\nplain two", 50 + 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_and_folding),
		cmocka_unit_test(test_headers_not_kept),
		cmocka_unit_test(test_multipart_crlf_delay),
		cmocka_unit_test(test_quoted_printable_errors),
		cmocka_unit_test(test_base64_errors),
		cmocka_unit_test(test_format_problems),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_header_bytes_limit),
		cmocka_unit_test(test_gap_event),
		cmocka_unit_test(test_merged_segments),
		cmocka_unit_test(test_long_qp_line_one_segment),
		cmocka_unit_test(test_qp_lines_in_place),
		cmocka_unit_test(test_qp_pending_segment_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
