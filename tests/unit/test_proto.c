// SPDX-License-Identifier: BSD-3-Clause
/* test_proto.c - socket protocol framing and subscription filters. */
#include "harness.h"

#include <errno.h>

#include "control/proto.h"

struct lines {
	char got[8][128];
	int n;
	int stop_at; /* return false after this many lines (0: never) */
};

static bool on_line(void *arg, char *line, size_t len)
{
	struct lines *l = arg;

	assert_true(len < 128);
	memcpy(l->got[l->n], line, len + 1);
	l->n++;
	return !l->stop_at || l->n % l->stop_at;
}

static void test_framing(void **state)
{
	struct linebuf lb = { 0 };
	struct lines l = { 0 };
	static char big[PROTO_MAX_LINE + 10];

	(void)state;
	assert_int_equal(linebuf_feed(&lb, "{\"a\":", 5, on_line, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(linebuf_feed(&lb, "1}\n{\"b\":2}\n\n{\"c\"", 16, on_line,
				      &l),
			 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.got[0], "{\"a\":1}");
	assert_string_equal(l.got[1], "{\"b\":2}");
	assert_int_equal(linebuf_feed(&lb, ":3}\n", 4, on_line, &l), 0);
	assert_string_equal(l.got[2], "{\"c\":3}");
	memset(big, 'x', sizeof(big));
	assert_int_equal(linebuf_feed(&lb, big, sizeof(big), on_line, &l),
			 -E2BIG);
	linebuf_free(&lb);
}

/* A consumer that can take one line at a time (the server, while a
 * client's replies have no room): the rest waits, in order, for calls
 * that add nothing. */
static void test_framing_held(void **state)
{
	struct linebuf lb = { 0 };
	struct lines l = { .stop_at = 1 };

	(void)state;
	assert_int_equal(linebuf_feed(&lb, "a\nb\nc\nd", 7, on_line, &l), 0);
	assert_int_equal(l.n, 1);
	assert_true(lb.held);
	assert_int_equal(linebuf_feed(&lb, NULL, 0, on_line, &l), 0);
	assert_int_equal(l.n, 2);
	assert_true(lb.held);
	assert_int_equal(linebuf_feed(&lb, NULL, 0, on_line, &l), 0);
	assert_int_equal(l.n, 3);
	assert_false(lb.held); /* only "d", not yet a line, waits */
	assert_int_equal(linebuf_feed(&lb, "\n", 1, on_line, &l), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.got[0], "a");
	assert_string_equal(l.got[2], "c");
	assert_string_equal(l.got[3], "d");
	assert_int_equal(lb.len, 0);
	linebuf_free(&lb);
}

static struct event ev_for(enum ev_type t, struct conn_info *c)
{
	struct event e = { .type = t, .conn = c, .redact_from = EV_NO_REDACT };

	return e;
}

static void test_filters(void **state)
{
	struct sub_filter f;
	struct conn_info c = { .proto = MT_PROTO_SMTP };
	struct event e;
	char err[128];

	(void)state;
	mt_addr_parse("10.1.2.3", &c.id.orig_h);
	mt_addr_parse("2001:db8::25", &c.id.resp_h);
	/* OR within a field, AND across fields */
	assert_int_equal(filter_parse("{\"cmd\":\"subscribe\",\"events\":[\"smtp_*\",\"weird\"],"
				      "\"not\":\"smtp_data\",\"proto\":\"smtp\","
				      "\"client\":[\"192.0.2.0/24\",\"10.0.0.0/8\"],"
				      "\"server\":\"2001:db8::/32\"}",
				      &f, err, sizeof(err)),
			 0);
	e = ev_for(EV_smtp_request, &c);
	assert_true(filter_match(&f, &e));
	e = ev_for(EV_weird, &c);
	assert_true(filter_match(&f, &e));
	e = ev_for(EV_smtp_data, &c);
	assert_false(filter_match(&f, &e)); /* excluded by "not" */
	e = ev_for(EV_pop3_request, &c);
	assert_false(filter_match(&f, &e)); /* not selected */
	mt_addr_parse("172.16.0.1", &c.id.orig_h);
	e = ev_for(EV_smtp_request, &c);
	assert_false(filter_match(&f, &e)); /* client outside */
	c.proto = MT_PROTO_POP3;
	mt_addr_parse("10.9.9.9", &c.id.orig_h);
	assert_false(filter_match(&f, &e)); /* proto */
	e = ev_for(EV_weird, NULL);
	assert_false(filter_match(&f, &e)); /* needs a connection */
	filter_free(&f);

	/* no filter at all: everything */
	assert_int_equal(filter_parse("{\"cmd\":\"subscribe\"}", &f, err,
				      sizeof(err)),
			 0);
	e = ev_for(EV_lost, NULL);
	assert_true(filter_match(&f, &e));
	filter_free(&f);

	/* errors */
	assert_int_equal(filter_parse("[1,2]", &f, err, sizeof(err)), -EINVAL);
	assert_int_equal(filter_parse("{\"proto\":\"imap\"}", &f, err,
				      sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "proto"));
	assert_int_equal(filter_parse("{\"client\":\"10.0.0.0/33\"}", &f, err,
				      sizeof(err)),
			 -EINVAL);
	assert_int_equal(filter_parse("{\"events\":[1]}", &f, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(filter_parse("not json", &f, err, sizeof(err)),
			 -EINVAL);
}

static void test_cidr(void **state)
{
	struct cidr c;
	struct mt_addr a;

	(void)state;
	assert_int_equal(cidr_parse("10.0.0.0/9", &c), 0);
	mt_addr_parse("10.127.255.255", &a);
	assert_true(cidr_match(&c, &a));
	mt_addr_parse("10.128.0.0", &a);
	assert_false(cidr_match(&c, &a));
	assert_int_equal(cidr_parse("::1", &c), 0);
	mt_addr_parse("::1", &a);
	assert_true(cidr_match(&c, &a));
	mt_addr_parse("127.0.0.1", &a);
	assert_false(cidr_match(&c, &a)); /* other family */
	assert_int_equal(cidr_parse("nonsense", &c), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_framing_held),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_cidr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
