// SPDX-License-Identifier: BSD-3-Clause
/* test_pop3.c - the POP3 analyzer: states, pipelining, logins per
 * mechanism, multi-line responses, STLS, and the Zeek bugs it fixes. */
#include "harness.h"

#define C(s) { true, s }
#define S(s) { false, s }
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void pop3_world(struct world *w, const struct turn *t, size_t n)
{
	world_play_all_splits(w, &pop3_analyzer_ops, EV_ALL, t, n);
}

static void test_user_pass_list_retr(void **state)
{
	static const struct turn t[] = {
		S("+OK ready\r\n"),
		C("USER  bob\r\n"), S("+OK\r\n"),
		C("PASS s3cret\r\n"), S("+OK logged in\r\n"),
		C("LIST\r\n"), S("+OK 1 messages\r\n1 120\r\n.\r\n"),
		C("RETR 1\r\n"),
		S("+OK 120 octets\r\nSubject: hi\r\n\r\n..leading dot\r\n+OK not a status\r\n.\r\n"),
		C("DELE 1\r\n"), S("+OK deleted\r\n"),
		C("QUIT\r\n"), S("+OK bye\r\n"),
	};
	struct world w;

	(void)state;
	pop3_world(&w, t, N(t));
	/* whitespace runs compressed like Zeek */
	assert_true(rec_find(&w.rec, "\"command\":\"USER\",\"arg\":\"bob\"",
			     NULL) >= 0);
	assert_true(rec_find(&w.rec, "pop3_login_success",
			     "\"user\":\"bob\",\"password\":\"s3cret\"") >= 0);
	assert_true(rec_find(&w.rec, "pop3_data", "\"data\":\"1 120\"") >= 0);
	/* RETR: dot-unstuffed for MIME, and +OK inside the body is data */
	assert_true(rec_find(&w.rec, "mime_segment_data",
			     "\"data\":\".leading dot") >= 0);
	assert_true(rec_find(&w.rec, "pop3_data", "+OK not a status") >= 0);
	assert_int_equal(rec_count(&w.rec, "\"pop3_reply\""), 7);
	/* the +OK line itself is not a header of the mail */
	assert_int_equal(rec_count(&w.rec, "120 octets\"}") +
				 rec_count(&w.rec, "mime_one_header"),
			 2);
	assert_true(rec_find(&w.rec, "\"command\":\"QUIT\"", NULL) >= 0);
	world_free(&w);
}

static void test_pipelined_commands_wait(void **state)
{
	static const struct turn t[] = {
		S("+OK ready\r\n"),
		C("USER a\r\nPASS b\r\nSTAT\r\n"),
		S("+OK\r\n+OK in\r\n+OK 0 0\r\n"),
	};
	struct world w;
	int u, p, s;

	(void)state;
	pop3_world(&w, t, N(t));
	u = rec_find(&w.rec, "\"command\":\"USER\"", NULL);
	p = rec_find(&w.rec, "\"command\":\"PASS\"", NULL);
	s = rec_find(&w.rec, "\"command\":\"STAT\"", NULL);
	/* each command is reported after the previous reply */
	assert_true(u >= 0 && p > u && s > p);
	assert_true(rec_find(&w.rec, "\"msg\":\"in\"", NULL) < s);
	world_free(&w);
}

static void test_auth_plain_initial_response(void **state)
{
	/* AHVzZXIAcHc= = \0user\0pw (Zeek ignores the initial response) */
	static const struct turn t[] = {
		S("+OK ready\r\n"), C("AUTH PLAIN AHVzZXIAcHc=\r\n"),
		S("+OK welcome\r\n"),
	};
	struct world w;

	(void)state;
	pop3_world(&w, t, N(t));
	assert_true(rec_find(&w.rec, "pop3_login_success",
			     "\"user\":\"user\",\"password\":\"pw\"") >= 0);
	world_free(&w);
}

static void test_auth_login_and_failure(void **state)
{
	static const struct turn t[] = {
		S("+OK ready\r\n"), C("AUTH login\r\n"), S("+ VXNlcm5hbWU6\r\n"),
		C("Ym9i\r\n"), S("+ UGFzc3dvcmQ6\r\n"), C("d3Jvbmc=\r\n"),
		S("-ERR no\r\n"), C("AUTH CRAM-MD5\r\n"), S("+ PDE+\r\n"),
		C("Ym9iIGFiY2RlZg==\r\n"), S("+OK ok\r\n"),
	};
	struct world w;

	(void)state;
	pop3_world(&w, t, N(t));
	assert_true(rec_find(&w.rec, "pop3_login_failure",
			     "\"user\":\"bob\",\"password\":\"wrong\"") >= 0);
	assert_true(rec_find(&w.rec, "pop3_login_success", "\"user\":\"bob\"") >=
		    0);
	assert_int_equal(rec_count(&w.rec, "pop3_server_command_unknown"), 0);
	world_free(&w);
}

static void test_zeek_bugs_fixed(void **state)
{
	static const struct turn t[] = {
		S("+OK ready\r\n"), C("USER bob\r\n"), S("+OK\r\n"),
		/* a bare AUTH listing after USER is no login */
		C("AUTH\r\n"), S("+OK\r\nPLAIN\r\n.\r\n"),
		C("USER bob\r\n"), S("+OK\r\n"),
		C("PASS pw\r\n"), S("+OK in\r\n"),
		/* an unknown command's -ERR after login is no login failure */
		C("XYZZY\r\n"), S("-ERR what\r\n"),
		C("STAT\r\n"), S("+OK 0 0\r\n"),
	};
	struct world w;

	(void)state;
	pop3_world(&w, t, N(t));
	assert_int_equal(rec_count(&w.rec, "pop3_login_success"), 1);
	assert_int_equal(rec_count(&w.rec, "pop3_login_failure"), 0);
	assert_true(rec_find(&w.rec, "pop3_client_command_unknown", "XYZZY") >=
		    0);
	/* still in TRANSACTION: STAT allowed */
	assert_true(rec_find(&w.rec, "\"command\":\"STAT\"", NULL) >= 0);
	world_free(&w);
}

static void test_state_checks_and_guessing(void **state)
{
	static const struct turn t[] = {
		S("+OK ready\r\n"), C("DELE 1\r\n"), S("+OK\r\n"),
		C("USER x\r\n"), S("-ERR\r\n"),
	};
	struct world w;

	(void)state;
	pop3_world(&w, t, N(t));
	assert_true(rec_find(&w.rec, "\"msg\":\"DELE\"",
			     "not allowed in other state than 'transaction'") >= 0);
	assert_true(rec_find(&w.rec, "no auth required", NULL) >= 0);
	assert_true(rec_find(&w.rec, "\"msg\":\"USER\"",
			     "not allowed in other state than 'authorization'") >= 0);
	world_free(&w);
}

static void test_stls_and_limits(void **state)
{
	static const struct turn t[] = {
		S("+OK ready\r\n"), C("STLS\r\n"), S("+OK begin\r\n"),
		S("\x16\x03\x01garbage\r\n"),
	};
	struct world w;

	(void)state;
	pop3_world(&w, t, N(t));
	assert_int_equal(rec_count(&w.rec, "pop3_starttls"), 1);
	assert_int_equal(rec_count(&w.rec, "\"msg\":\"begin\""), 0);
	assert_true(w.ctx.want_bypass);
	world_free(&w);

	{
		char buf[200];
		struct turn u[] = { S("+OK ready\r\n"), C(buf) };

		buf[0] = '\0';
		for (int i = 0; i < 15; i++)
			strcat(buf, "NOOP\r\n");
		pop3_world(&w, u, N(u));
		assert_int_equal(
			rec_count(&w.rec, "pop3_client_too_many_pending_commands"),
			5);
		world_free(&w);
	}
}

static void test_server_garbage_disables(void **state)
{
	static const struct turn t[] = {
		S("+OK ready\r\n"), C("CAPA\r\n"), S("GARBAGE here\r\n"),
		S("+OK more\r\n"),
	};
	struct world w;

	(void)state;
	pop3_world(&w, t, N(t));
	assert_true(rec_find(&w.rec, "pop3_server_command_unknown", "GARBAGE") >=
		    0);
	assert_true(rec_find(&w.rec, "pop3_analyzer_disabled",
			     "unknown server command (GARBAGE)") >= 0);
	assert_int_equal(rec_count(&w.rec, "\"msg\":\"more\""), 0);
	world_free(&w);
}

/* Every line of a multi-line reply, as pop3_data carries it. */
struct data_lines {
	struct sink sink;
	uint8_t buf[1 << 18];
	size_t len, n;
};

static void data_on_event(struct sink *s, const struct event *ev)
{
	struct data_lines *d = (struct data_lines *)s;
	size_t k = ev->data.data.len;

	assert_true(d->len + k + 1 <= sizeof(d->buf));
	memcpy(d->buf + d->len, ev->data.data.p, k);
	d->len += k;
	d->buf[d->len++] = '|';
	d->n++;
}

/* Zeek's trimming, written plainly: cut at the first NUL, drop leading
 * blanks, collapse runs of spaces, drop trailing spaces. */
static size_t ref_trim(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t i = 0, o = 0;
	const uint8_t *nul = memchr(in, 0, n);

	if (nul)
		n = (size_t)(nul - in);
	while (i < n && (in[i] == ' ' || in[i] == '\t'))
		i++;
	for (; i < n; i++)
		if (!(in[i] == ' ' && o && out[o - 1] == ' '))
			out[o++] = in[i];
	while (o && out[o - 1] == ' ')
		o--;
	return o;
}

/* The fast check (sixteen bytes at a time) trims what the plain version
 * trims: random lines of letters, blanks and NULs, and lines of every
 * length with two spaces at every place. */
static void test_trim_matches_reference(void **state)
{
	static const char set[] = "ab  \t\0x";
	unsigned int seed = 7;
	struct data_lines *d = calloc(1, sizeof(*d));
	uint8_t *want = malloc(sizeof(d->buf) * 2);
	size_t nwant = 0, lines = 0;
	struct world w;

	(void)state;
	assert_non_null(d);
	world_init(&w, &pop3_analyzer_ops, EV_BIT(EV_weird));
	d->sink.mask = EV_BIT(EV_pop3_data);
	d->sink.on_event = data_on_event;
	bus_add(&w.bus, &d->sink);
	w.ops->deliver(w.an, false, (const uint8_t *)"+OK hi\r\n", 8);
	w.ops->deliver(w.an, true, (const uint8_t *)"LIST\r\n", 6);
	w.ops->deliver(w.an, false, (const uint8_t *)"+OK\r\n", 5);
	for (int r = 0; r < 600 + 70 * 70; r++) {
		uint8_t line[80];
		size_t n = (size_t)(rand_r(&seed) % 70) + 1;

		if (r < 600) {
			for (size_t i = 0; i < n; i++)
				line[i] = (uint8_t)set[rand_r(&seed) % 7];
		} else { /* one pair of spaces, anywhere but at the end */
			size_t k = (size_t)(r - 600) % 70;

			n = (size_t)(r - 600) / 70 + 1;
			if (k + 3 > n)
				continue;
			memset(line, 'a', n);
			line[k] = line[k + 1] = ' ';
		}
		line[n] = '\r';
		line[n + 1] = '\n';
		w.ops->deliver(w.an, false, line, n + 2);
		nwant += ref_trim(line, n, want + nwant);
		want[nwant++] = '|';
		lines++;
	}
	assert_int_equal(d->n, lines);
	assert_int_equal(d->len, nwant);
	assert_memory_equal(d->buf, want, nwant);
	w.ops->deliver(w.an, false, (const uint8_t *)".\r\n", 3);
	world_free(&w);
	free(want);
	free(d);
}

/* pop3_data lengths count the line as sent (its stuffing dot and CRLF),
 * and say whether the lines are a retrieved message, also when pipelined
 * commands follow the RETR. When no sink wants each event (pop3.log only
 * adds them up), one merged event per delivery carries the same total. */
struct lengths {
	struct sink sink;
	uint64_t total, listing, events;
};

static void lengths_on_event(struct sink *s, const struct event *ev)
{
	struct lengths *l = (struct lengths *)s;

	if (ev->data.message)
		l->total += ev->data.length;
	else
		l->listing += ev->data.length;
	l->events++;
}

static void run_lengths(struct lengths *l, bool merged)
{
	static const char *server[] = {
		"+OK ready\r\n",
		"+OK 31 octets\r\nline  one  \r\n..dot\r\n",
		"\r\n  x\r\n", ".\r\n+OK\r\n1 120\r\n.\r\n",
	};
	struct world w;

	world_init(&w, &pop3_analyzer_ops, EV_ALL);
	memset(l, 0, sizeof(*l));
	l->sink.mask = EV_BIT(EV_pop3_data);
	l->sink.merged_ok = EV_BIT(EV_pop3_data);
	l->sink.on_event = lengths_on_event;
	bus_add(&w.bus, &l->sink);
	if (merged)
		bus_remove(&w.bus, &w.rec.sink);
	assert_int_equal(bus_wants_each(&w.bus, EV_pop3_data), !merged);
	w.ops->deliver(w.an, false, (const uint8_t *)server[0], 11);
	/* pipelined: the message's lines come after the LIST request */
	w.ops->deliver(w.an, true, (const uint8_t *)"RETR 1\r\nLIST\r\n", 14);
	for (size_t i = 1; i < 4; i++)
		w.ops->deliver(w.an, false, (const uint8_t *)server[i],
			       strlen(server[i]));
	if (!merged) /* trimmed data, as Zeek */
		assert_true(rec_find(&w.rec, "pop3_data",
				     "\"data\":\"line one\"") >= 0);
	world_free(&w);
}

static void test_data_lengths_merged(void **state)
{
	struct lengths each, merged;

	(void)state;
	run_lengths(&each, false);
	run_lengths(&merged, true);
	/* "line  one  ", "..dot", "", "  x", each with CRLF */
	assert_int_equal(each.total, 13 + 7 + 2 + 5);
	assert_int_equal(merged.total, each.total);
	assert_int_equal(each.listing, 7); /* "1 120", not the message's */
	assert_int_equal(merged.listing, each.listing);
	assert_int_equal(each.events, 5);
	/* one per delivery, and the listing's apart */
	assert_int_equal(merged.events, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_pass_list_retr),
		cmocka_unit_test(test_pipelined_commands_wait),
		cmocka_unit_test(test_auth_plain_initial_response),
		cmocka_unit_test(test_auth_login_and_failure),
		cmocka_unit_test(test_zeek_bugs_fixed),
		cmocka_unit_test(test_state_checks_and_guessing),
		cmocka_unit_test(test_stls_and_limits),
		cmocka_unit_test(test_server_garbage_disables),
		cmocka_unit_test(test_trim_matches_reference),
		cmocka_unit_test(test_data_lengths_merged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
