// SPDX-License-Identifier: BSD-3-Clause
/* test_smtp.c - the SMTP analyzer, event by event, with every stream also
 * delivered in chunks of 1..16 bytes (results must not change). */
#include "harness.h"

#define SMTP_EVENTS                                                      \
	(EV_BIT(EV_smtp_request) | EV_BIT(EV_smtp_reply) |               \
	 EV_BIT(EV_smtp_data) | EV_BIT(EV_smtp_starttls) |               \
	 EV_BIT(EV_smtp_unexpected) | EV_BIT(EV_weird) |                 \
	 EV_BIT(EV_mime_begin_entity) | EV_BIT(EV_mime_end_entity))

#define C(s) { true, s }
#define S(s) { false, s }
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void expect_seq(const struct recorder *r, const char *const *want,
		       size_t n)
{
	if (r->n != n)
		rec_dump(r);
	assert_int_equal(r->n, n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(r->lines[i], want[i]))
			rec_dump(r);
		assert_string_equal(r->lines[i], want[i]);
	}
}

static void test_basic_dialogue(void **state)
{
	static const struct turn t[] = {
		S("220-mx ESMTP\r\n220 hello \r\n"),
		C("ehlo client.example\r\n"),
		S("250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n"),
		C("MAIL FROM:<a@b.example>\r\n"),
		S("250 ok\r\n"),
		C("RCPT TO:<c@d.example>\r\n"),
		S("250 ok\r\n"),
		C("DATA\r\n"),
		S("354 go\r\n"),
		C("Subject: x\r\n\r\n..dot\r\n.\r\n"),
		S("250 queued\r\n"),
		C("QUIT\r\n"),
		S("221 bye\r\n"),
	};
	static const char *const want[] = {
		"\"smtp_reply\",\"is_orig\":false,\"code\":220,\"cmd\":\">\",\"msg\":\"mx ESMTP\",\"cont_resp\":true}",
		"\"smtp_reply\",\"is_orig\":false,\"code\":220,\"cmd\":\">\",\"msg\":\"hello \",\"cont_resp\":false}",
		"\"smtp_request\",\"is_orig\":true,\"command\":\"EHLO\",\"arg\":\"client.example\"}",
		"\"smtp_reply\",\"is_orig\":false,\"code\":250,\"cmd\":\"EHLO\",\"msg\":\"mx\",\"cont_resp\":true}",
		"\"smtp_reply\",\"is_orig\":false,\"code\":250,\"cmd\":\"EHLO\",\"msg\":\"PIPELINING\",\"cont_resp\":true}",
		"\"smtp_reply\",\"is_orig\":false,\"code\":250,\"cmd\":\"EHLO\",\"msg\":\"8BITMIME\",\"cont_resp\":false}",
		"\"smtp_request\",\"is_orig\":true,\"command\":\"MAIL\",\"arg\":\"FROM:<a@b.example>\"}",
		"\"smtp_reply\",\"is_orig\":false,\"code\":250,\"cmd\":\"MAIL\",\"msg\":\"ok\",\"cont_resp\":false}",
		"\"smtp_request\",\"is_orig\":true,\"command\":\"RCPT\",\"arg\":\"TO:<c@d.example>\"}",
		"\"smtp_reply\",\"is_orig\":false,\"code\":250,\"cmd\":\"RCPT\",\"msg\":\"ok\",\"cont_resp\":false}",
		"\"smtp_request\",\"is_orig\":true,\"command\":\"DATA\",\"arg\":\"\"}",
		"\"mime_begin_entity\"}",
		"\"smtp_reply\",\"is_orig\":false,\"code\":354,\"cmd\":\"DATA\",\"msg\":\"go\",\"cont_resp\":false}",
		"\"smtp_data\",\"is_orig\":true,\"data\":\"Subject: x\"}",
		"\"smtp_data\",\"is_orig\":true,\"data\":\"\"}",
		"\"smtp_data\",\"is_orig\":true,\"data\":\".dot\"}",
		"\"mime_end_entity\"}",
		"\"smtp_request\",\"is_orig\":true,\"command\":\".\",\"arg\":\".\"}",
		"\"smtp_reply\",\"is_orig\":false,\"code\":250,\"cmd\":\".\",\"msg\":\"queued\",\"cont_resp\":false}",
		"\"smtp_request\",\"is_orig\":true,\"command\":\"QUIT\",\"arg\":\"\"}",
		"\"smtp_reply\",\"is_orig\":false,\"code\":221,\"cmd\":\"QUIT\",\"msg\":\"bye\",\"cont_resp\":false}",
	};
	struct world w;

	(void)state;
	world_play_all_splits(&w, &smtp_analyzer_ops, SMTP_EVENTS, t, N(t));
	expect_seq(&w.rec, want, N(want));
	world_free(&w);
}

static void test_auth_and_unexpected(void **state)
{
	static const struct turn t[] = {
		S("220 mx\r\n"),
		C("EHLO x\r\n"),
		S("250 mx\r\n"),
		C("AUTH LOGIN\r\n"),
		S("334 VXNlcm5hbWU6\r\n"),
		C("dXNlcg==\r\n"),
		S("334 UGFzc3dvcmQ6\r\n"),
		C("c2VjcmV0\r\n"),
		S("235 ok\r\n"),
		C("MAIL FROM:<a@b>\r\n"),
		S("250 ok\r\n"),
	};
	struct world w;

	(void)state;
	world_play_all_splits(&w, &smtp_analyzer_ops, SMTP_EVENTS, t, N(t));
	assert_true(rec_find(&w.rec, "\"command\":\"**\",\"arg\":\"dXNlcg==\"",
			     NULL) >= 0);
	assert_true(rec_find(&w.rec, "\"cmd\":\"AUTH_ANSWER\"", "235") >= 0);
	assert_true(rec_find(&w.rec, "\"cmd\":\"AUTH\"", "334") >= 0);
	/* Zeek's baseline behaviour: MAIL after AUTH is unexpected (state 1) */
	assert_true(rec_find(&w.rec, "unexpected command",
			     "MAIL reply = 0 state = 1") >= 0);
	world_free(&w);
}

static void test_redaction_offsets(void **state)
{
	static const struct turn t[] = {
		S("220 mx\r\n"), C("EHLO x\r\n"), S("250 mx\r\n"),
		C("AUTH PLAIN AHVzZXIAc2VjcmV0\r\n"), S("235 ok\r\n"),
	};
	struct world w;
	struct jw j;
	struct event ev = {
		.type = EV_smtp_request,
		.redact_from = 6,
		.request = { .command = EV_STR("AUTH"),
			     .arg = EV_STR("PLAIN AHVzZXIAc2VjcmV0") },
	};

	(void)state;
	world_init(&w, &smtp_analyzer_ops, SMTP_EVENTS);
	world_play(&w, t, N(t), 0);
	assert_true(rec_find(&w.rec, "PLAIN AHVzZXIAc2VjcmV0", NULL) >= 0);
	jw_init(&j, false);
	event_json_write(&j, &ev, true);
	assert_non_null(strstr(j.buf, "\"arg\":\"PLAIN <redacted>\""));
	jw_free(&j);
	world_free(&w);
}

static void test_pipelining_and_multiline_mismatch(void **state)
{
	static const struct turn t[] = {
		S("220 mx\r\n"),
		C("EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
		S("250-mx\r\n251 oops\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
	};
	struct world w;

	(void)state;
	world_play_all_splits(&w, &smtp_analyzer_ops, SMTP_EVENTS, t, N(t));
	assert_true(rec_find(&w.rec,
			     "reply code does not match the continuing reply",
			     "251 oops") >= 0);
	/* the mismatching line starts a new reply: it answers MAIL */
	assert_true(rec_find(&w.rec, "\"code\":251,\"cmd\":\"MAIL\"", NULL) >=
		    0);
	assert_true(rec_find(&w.rec, "\"code\":250,\"cmd\":\"RCPT\"", NULL) >=
		    0);
	world_free(&w);
}

static void test_line_terminators_and_nul(void **state)
{
	static const struct turn t[] = {
		S("220 mx\r"),
		S("\n"),
		C("NO\0OP\r\r\nEHLO a\nHELP\rX\r\n"),
	};
	struct world w;
	const uint8_t nul_line[] = "NO\0OP\r\r\n";

	(void)state;
	(void)nul_line;
	world_init(&w, &smtp_analyzer_ops, SMTP_EVENTS);
	/* deliver with explicit lengths: the NUL is data */
	w.ops->deliver(w.an, false, (const uint8_t *)"220 mx\r", 7);
	w.ops->deliver(w.an, false, (const uint8_t *)"\n", 1);
	w.ops->deliver(w.an, true, (const uint8_t *)"NO\0OP\r\r\nEHLO a\nHELP\rX\r\n",
		       24);
	/* first NUL dropped: NOOP; \r\r\n: an empty line (unknown command) */
	assert_true(rec_find(&w.rec, "\"command\":\"NOOP\"", NULL) >= 0);
	assert_true(rec_find(&w.rec, "\"name\":\"NUL_in_line\"", NULL) >= 0);
	assert_true(rec_find(&w.rec, "\"command\":\"EHLO\",\"arg\":\"a\"",
			     NULL) >= 0);
	assert_true(rec_find(&w.rec, "\"command\":\"HELP\"", NULL) >= 0);
	assert_true(rec_find(&w.rec, "line_terminated_with_single_CR", NULL) >=
		    0);
	assert_true(rec_find(&w.rec, "unknown command", "\"detail\":\"X\"") >=
		    0);
	assert_int_equal(rec_count(&w.rec, "\"smtp_reply\""), 1);
	(void)t;
	world_free(&w);
}

static void test_bdat(void **state)
{
	static const struct turn t[] = {
		S("220 mx\r\n"), C("EHLO x\r\n"), S("250 mx\r\n"),
		C("MAIL FROM:<a@b>\r\n"), S("250 ok\r\n"),
		C("RCPT TO:<c@d>\r\n"), S("250 ok\r\n"),
		C("BDAT 12\r\nSubject: a\r\n"), S("250 ok\r\n"),
		C("BDAT 6 LAST\r\n\r\nhi\r\n"), S("250 done\r\n"),
		C("MAIL FROM:<e@f>\r\n"), S("250 ok\r\n"),
		C("QUIT\r\n"),
	};
	struct world w;

	(void)state;
	world_play_all_splits(&w, &smtp_analyzer_ops, SMTP_EVENTS, t, N(t));
	assert_int_equal(rec_count(&w.rec, "\"command\":\"BDAT\""), 2);
	/* no smtp_data for BDAT content, one mail */
	assert_int_equal(rec_count(&w.rec, "smtp_data"), 0);
	assert_int_equal(rec_count(&w.rec, "mime_begin_entity"), 1);
	assert_int_equal(rec_count(&w.rec, "mime_end_entity"), 1);
	/* mailtap: no spurious unexpected around BDAT (Zeek bug, §11.1) */
	assert_int_equal(rec_count(&w.rec, "smtp_unexpected"), 0);
	assert_true(rec_find(&w.rec, "\"code\":250,\"cmd\":\"BDAT\"",
			     "done") >= 0);
	world_free(&w);
}

static void test_bdat_argument_errors(void **state)
{
	static const char *const args[] = {
		"BDAT \r\n",			  "BDAT argument bad length",
		"BDAT x\r\n",			  "BDAT not followed by a valid chunk-size",
		"BDAT 86LAST\r\n",		  "BDAT chunk-size not valid",
		"BDAT 1 LASTX\r\n",		  "BDAT chunk-size followed by junk",
		"BDAT 99999999999999999999\r\n", "BDAT chunk-size too large",
		"BDAT -1 LAST\r\n",		  "BDAT not followed by a valid chunk-size",
	};

	(void)state;
	for (size_t i = 0; i < N(args); i += 2) {
		struct world w;
		struct turn t[] = { S("220 mx\r\n"), C("EHLO x\r\n"),
				    S("250 mx\r\n"), C(args[i]) };

		world_init(&w, &smtp_analyzer_ops, SMTP_EVENTS);
		world_play(&w, t, N(t), 0);
		assert_true(rec_find(&w.rec, "smtp_invalid_bdat_command",
				     args[i + 1]) >= 0);
		assert_int_equal(rec_count(&w.rec, "mime_begin_entity"), 0);
		world_free(&w);
	}
	{
		struct world w;
		struct turn t[] = { C("BDAT 15555555557777777777 LAST\r\n") };

		world_init(&w, &smtp_analyzer_ops, SMTP_EVENTS);
		world_play(&w, t, N(t), 0);
		assert_true(rec_find(&w.rec, "smtp_huge_bdat_chunk",
				     "15555555557777777777") >= 0);
		world_free(&w);
	}
}

static void test_starttls_stops_parsing(void **state)
{
	static const struct turn t[] = {
		S("220 mx\r\n"), C("EHLO x\r\n"), S("250 mx\r\n"),
		C("STARTTLS\r\n"), S("220 go ahead\r\n"),
		C("\x16\x03\x01 binary tls\r\n"), S("\x16\x03\x03 more\r\n"),
	};
	struct world w;

	(void)state;
	world_play_all_splits(&w, &smtp_analyzer_ops, SMTP_EVENTS, t, N(t));
	assert_int_equal(rec_count(&w.rec, "smtp_starttls"), 1);
	/* starttls precedes the 220's smtp_reply; nothing after */
	assert_string_equal(w.rec.lines[w.rec.n - 1],
			    "\"smtp_reply\",\"is_orig\":false,\"code\":220,\"cmd\":\"STARTTLS\",\"msg\":\"go ahead\",\"cont_resp\":false}");
	assert_true(w.ctx.want_bypass);
	world_free(&w);
}

static void test_gap_and_recovery(void **state)
{
	struct world w;
	static const struct turn a[] = {
		S("220 mx\r\n"), C("EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
		S("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"), C("line one\r\n"),
	};
	static const struct turn b[] = {
		C("ignored after gap\r\n"), S("250 ok\r\n"), C("QUIT\r\n"),
		S("221 bye\r\n"),
	};

	(void)state;
	world_init(&w, &smtp_analyzer_ops, SMTP_EVENTS);
	world_play(&w, a, N(a), 0);
	w.ops->gap(w.an, true, 100, 50);
	world_play(&w, b, N(b), 0);
	assert_true(rec_find(&w.rec, "content gap", "seq = 101, len = 50") >=
		    0);
	assert_int_equal(rec_count(&w.rec, "mime_end_entity"), 1);
	assert_true(rec_find(&w.rec, "\"command\":\"(UNKNOWN)\"", NULL) >= 0);
	assert_true(rec_find(&w.rec, "\"code\":250,\"cmd\":\"(UNKNOWN)\"",
			     NULL) >= 0);
	assert_int_equal(rec_count(&w.rec, "ignored after gap"), 0);
	assert_true(rec_find(&w.rec, "\"code\":221,\"cmd\":\"QUIT\"", NULL) >=
		    0);
	world_free(&w);
}

static void test_partial_resync(void **state)
{
	struct world w;
	static const struct turn t[] = {
		C("half a line of body\r\n.\r\n"), S("250 queued\r\n"),
		C("QUIT\r\n"), S("221 bye\r\n"),
	};

	(void)state;
	memset(&w, 0, sizeof(w));
	world_init(&w, NULL, SMTP_EVENTS);
	w.conn.partial = true;
	w.ops = &smtp_analyzer_ops;
	assert_int_equal(w.ops->new(&w.an, &w.ctx), 0);
	world_play(&w, t, N(t), 0);
	assert_int_equal(rec_count(&w.rec, "smtp_data"), 0);
	assert_true(rec_find(&w.rec, "\"command\":\"QUIT\"", NULL) >= 0);
	assert_true(rec_find(&w.rec, "\"code\":221,\"cmd\":\"QUIT\"", NULL) >=
		    0);
	world_free(&w);
}

static void test_reply_out_of_range_and_quit(void **state)
{
	static const struct turn t[] = {
		S("220 mx\r\n"), S("600 nope\r\n"), S("xx\r\n"),
		C("QUIT\r\n"), S("221 bye\r\n"), C("NOOP\r\n"),
	};
	struct world w;

	(void)state;
	world_play_all_splits(&w, &smtp_analyzer_ops, SMTP_EVENTS, t, N(t));
	assert_int_equal(rec_count(&w.rec, "reply code out of range"), 2);
	assert_true(rec_find(&w.rec, "unexpected command",
			     "NOOP reply = 0 state = 10") >= 0);
	world_free(&w);
}

static void test_pending_cap(void **state)
{
	struct world w;
	char *buf = malloc(6 * 1200 + 1);

	(void)state;
	for (int i = 0; i < 1200; i++)
		memcpy(buf + 6 * i, "NOOP\r\n", 6);
	world_init(&w, &smtp_analyzer_ops, SMTP_EVENTS);
	w.ops->deliver(w.an, true, (uint8_t *)buf, 6 * 1200);
	assert_int_equal(rec_count(&w.rec, "smtp_excessive_pending_cmds"), 1);
	world_free(&w);
	free(buf);
}

static void test_turn_flips_roles(void **state)
{
	static const struct turn t[] = {
		S("220 mx\r\n"), C("EHLO x\r\n"), S("250 mx\r\n"),
		C("TURN\r\n"), S("250 ok\r\n"),
		C("220 client now serves\r\n"), S("EHLO server\r\n"),
	};
	struct world w;

	(void)state;
	world_play_all_splits(&w, &smtp_analyzer_ops, SMTP_EVENTS, t, N(t));
	/* after TURN the responder sends commands: is_orig = F */
	assert_true(rec_find(&w.rec, "\"is_orig\":false,\"command\":\"EHLO\"",
			     NULL) >= 0);
	assert_true(rec_find(&w.rec, "\"is_orig\":true,\"code\":220", NULL) >=
		    0);
	world_free(&w);
}

static void test_max_data_bytes(void **state)
{
	static const struct turn t[] = {
		S("220 mx\r\n"), C("EHLO x\r\n"), S("250 mx\r\n"),
		C("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
		S("250 ok\r\n250 ok\r\n354 go\r\n"),
		C("Subject: x\r\n\r\nkept\r\ndropped line\r\n.\r\n"),
		S("250 queued\r\n"),
	};
	struct world w;

	(void)state;
	world_init(&w, &smtp_analyzer_ops, EV_ALL);
	w.cfg.lim.max_data_bytes = 20; /* "Subject: x", "", "kept" */
	world_play(&w, t, N(t), 0);
	assert_true(rec_find(&w.rec, "\"data\":\"kept\"", NULL) >= 0);
	assert_int_equal(rec_count(&w.rec, "dropped line"), 0);
	assert_true(rec_find(&w.rec, "smtp_data_truncated", "\"addl\":\"20\"") >=
		    0);
	/* the skipped bytes are a gap of the mail's file */
	assert_true(rec_find(&w.rec, "mime_content_gap", "\"len\":14") >= 0);
	assert_true(rec_find(&w.rec, "\"code\":250,\"cmd\":\".\"", NULL) >= 0);
	world_free(&w);
}

/* Body lines in bulk (no sink takes smtp_data or each segment, as with
 * the log sinks alone) give what line-by-line delivery gives: the same
 * decoded bytes, and the same other events in the same order, however
 * the stream is cut and with or without --max-data-bytes. POP3's RETR
 * too, its pop3_data lengths included. */
struct body {
	struct sink sink;
	uint8_t data[16384];
	size_t n;
	uint64_t pop3_len;
};

static void body_on_event(struct sink *s, const struct event *ev)
{
	struct body *b = (struct body *)s;

	if (ev->type == EV_pop3_data)
		b->pop3_len += ev->data.length;
	if (ev->type != EV_mime_segment_data)
		return;
	assert_true(b->n + ev->mime_data.data.len <= sizeof(b->data));
	memcpy(b->data + b->n, ev->mime_data.data.p, ev->mime_data.data.len);
	b->n += ev->mime_data.data.len;
}

#define BODY_EVENTS                                                      \
	(EV_BIT(EV_smtp_data) | EV_BIT(EV_pop3_data) |                   \
	 EV_BIT(EV_mime_segment_data))

static void run_body(struct world *w, struct body *b,
		     const struct analyzer_ops *ops, const struct turn *t,
		     size_t n, size_t split, uint64_t max, bool bulk)
{
	world_init(w, ops, EV_ALL & ~BODY_EVENTS);
	w->cfg.lim.max_data_bytes = max;
	memset(b, 0, sizeof(*b));
	b->sink.mask = EV_BIT(EV_mime_segment_data) | EV_BIT(EV_pop3_data);
	if (bulk) /* as files.log and pop3.log take them */
		b->sink.merged_ok = b->sink.mask;
	else /* a subscriber */
		b->sink.mask |= EV_BIT(EV_smtp_data);
	b->sink.on_event = body_on_event;
	bus_add(&w->bus, &b->sink);
	world_play(w, t, n, split);
}

static void bulk_alike(const struct analyzer_ops *ops, const struct turn *t,
		       size_t n)
{
	static const size_t splits[] = { 0, 1, 2, 3, 5, 7, 16, 77, 78, 300 };
	static const uint64_t maxes[] = { 0, 333, 1000 };

	for (size_t i = 0; i < N(splits); i++) {
		for (size_t k = 0; k < N(maxes); k++) {
			struct world lw, bw;
			struct body *lb = malloc(sizeof(*lb));
			struct body *bb = malloc(sizeof(*bb));

			assert_non_null(lb);
			assert_non_null(bb);
			run_body(&lw, lb, ops, t, n, splits[i], maxes[k], false);
			run_body(&bw, bb, ops, t, n, splits[i], maxes[k], true);
			assert_true(lb->n > 100);
			assert_int_equal(bb->n, lb->n);
			assert_memory_equal(bb->data, lb->data, lb->n);
			assert_int_equal(bb->pop3_len, lb->pop3_len);
			if (bw.rec.n != lw.rec.n) {
				rec_dump(&lw.rec);
				rec_dump(&bw.rec);
			}
			assert_int_equal(bw.rec.n, lw.rec.n);
			for (size_t e = 0; e < lw.rec.n; e++)
				assert_string_equal(bw.rec.lines[e],
						    lw.rec.lines[e]);
			world_free(&lw);
			world_free(&bw);
			free(lb);
			free(bb);
		}
	}
}

#define BULK_MAIL                                                        \
	"Subject: bulk\r\nContent-Type: multipart/mixed; boundary=BB\r\n"  \
	"\r\npreamble\r\n--BB\r\nContent-Type: text/plain\r\n\r\n"         \
	"text line\r\n..stuffed\r\n-dash, no boundary\r\n\r\n"             \
	"tab\tinside\r\nbare lf\nlone cr\rafter\r\n--BBnot\r\n"              \
	"--BB\r\nContent-Transfer-Encoding: base64\r\n\r\n"               \
	"TWFueSBoYW5kcyBtYWtlIGxpZ2h0IHdvcmsuIE1hbnkgaGFuZHMgbWFrZSBsaWdodCB3b3Jr\r\n" \
	"LiBNYW55IGhhbmRzIG1ha2UgbGlnaHQgd29yay4gTWFueSBoYW5kcyBtYWtlIGxpZ2h0IHdv\r\n" \
	"cmsuIE1hbnkgaGFuZHMgbWFrZSBsaWdodCB3b3JrLiBNYW55IGhhbmRzIG1ha2UgbGlnaHQg\r\n" \
	"d29yay4=\r\nbad*chars\r\n"                                          \
	"--BB\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"     \
	"qp =3D line=\r\ncontinued =ZZ\r\n"                                 \
	"--BB--\r\nepilogue\r\n"

static void test_bulk_body_alike(void **state)
{
	static const struct turn smtp[] = {
		S("220 mx\r\n"), C("EHLO x\r\n"), S("250 mx\r\n"),
		C("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
		S("250 ok\r\n250 ok\r\n354 go\r\n"),
		{ true, BULK_MAIL ".\r\nMAIL FROM:<e@f>\r\n" },
		S("250 queued\r\n250 ok\r\n"),
	};
	static const struct turn pop3[] = {
		S("+OK ready\r\n"), C("USER u\r\nPASS p\r\nRETR 1\r\n"),
		S("+OK\r\n+OK\r\n+OK 900 octets\r\n"),
		{ false, BULK_MAIL ".\r\n" }, C("QUIT\r\n"), S("+OK bye\r\n"),
	};

	(void)state;
	bulk_alike(&smtp_analyzer_ops, smtp, N(smtp));
	bulk_alike(&pop3_analyzer_ops, pop3, N(pop3));
}

/* A mail that is one text entity (no MIME structure): its lines go on in
 * runs; and a multipart one whose text parts hold runs of plain lines,
 * empty ones among them, before a boundary. */
#define TEXT_MAIL                                                        \
	"Subject: plain\r\n\r\nline one\r\n\r\n\r\nline four\r\n"       \
	"-dash\r\n..dot\r\nafter the dot\r\nmore text of the mail\r\n"    \
	"and more\r\n\r\na longer line, to have more than a few bytes\r\n"  \
	"and one more of them, with a tab\there\r\nlast\r\n"
#define TEXT_PARTS                                                       \
	"Content-Type: multipart/mixed; boundary=XY\r\n\r\n--XY\r\n\r\n"   \
	"first part\r\n\r\nsecond line\r\nthird line\r\n\r\n\r\n--XY\r\n" \
	"Content-Type: text/plain\r\n\r\nno empty line before the end\r\n" \
	"--XY\r\n\r\n\r\n--XY--\r\n"

static void test_bulk_text_alike(void **state)
{
	static const struct turn smtp[] = {
		S("220 mx\r\n"), C("EHLO x\r\n"), S("250 mx\r\n"),
		C("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
		S("250 ok\r\n250 ok\r\n354 go\r\n"),
		{ true, TEXT_MAIL ".\r\nMAIL FROM:<e@f>\r\nRCPT TO:<c@d>\r\n"
			"DATA\r\n" },
		S("250 queued\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		{ true, TEXT_PARTS ".\r\n" }, S("250 queued\r\n"),
	};
	static const struct turn pop3[] = {
		S("+OK ready\r\n"), C("USER u\r\nPASS p\r\nRETR 1\r\n"),
		S("+OK\r\n+OK\r\n+OK 900 octets\r\n"),
		{ false, TEXT_MAIL ".\r\n" }, C("RETR 2\r\n"),
		S("+OK 300 octets\r\n"), { false, TEXT_PARTS ".\r\n" },
		C("QUIT\r\n"), S("+OK bye\r\n"),
	};

	(void)state;
	bulk_alike(&smtp_analyzer_ops, smtp, N(smtp));
	bulk_alike(&pop3_analyzer_ops, pop3, N(pop3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_dialogue),
		cmocka_unit_test(test_auth_and_unexpected),
		cmocka_unit_test(test_redaction_offsets),
		cmocka_unit_test(test_pipelining_and_multiline_mismatch),
		cmocka_unit_test(test_line_terminators_and_nul),
		cmocka_unit_test(test_bdat),
		cmocka_unit_test(test_bdat_argument_errors),
		cmocka_unit_test(test_starttls_stops_parsing),
		cmocka_unit_test(test_gap_and_recovery),
		cmocka_unit_test(test_partial_resync),
		cmocka_unit_test(test_reply_out_of_range_and_quit),
		cmocka_unit_test(test_pending_cap),
		cmocka_unit_test(test_turn_flips_roles),
		cmocka_unit_test(test_max_data_bytes),
		cmocka_unit_test(test_bulk_body_alike),
		cmocka_unit_test(test_bulk_text_alike),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
