// SPDX-License-Identifier: BSD-3-Clause
/* test_email.c - Zeek's address helpers (spec §8.5) and Received-header
 * IP extraction (§8.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "sink/email.h"

static int addrs(const char *in, struct email_piece *p, char *arena)
{
	return email_extract_addrs(in, strlen(in), p, 16, arena, 4096);
}

static void test_extract_addrs(void **state)
{
	struct email_piece p[16];
	char arena[4096];

	(void)state;
	assert_int_equal(addrs("TO:<a@b>", p, arena), 1);
	assert_string_equal(p[0].s, "a@b");
	assert_int_equal(addrs("FROM: <x@y> SIZE=9", p, arena), 1);
	assert_string_equal(p[0].s, "x@y");
	assert_int_equal(addrs("FROM:sender@localhost", p, arena), 1);
	assert_string_equal(p[0].s, "sender@localhost");
	assert_int_equal(addrs("FROM:<>", p, arena), 0);
	assert_int_equal(addrs("TO:<a@b> ORCPT=rfc822;a@b", p, arena), 2);
	assert_string_equal(p[1].s, "ORCPT=rfc822a@b");
	assert_int_equal(addrs("x@y, z@w;q@r", p, arena), 3);
}

static void test_split_mime(void **state)
{
	struct email_piece p[16];
	char arena[4096];
	const char *h = "\"Smith, John\" <john.smith@email.com>, <raj@yahoo.co.in> ,x@y";
	int n = email_split_mime(h, strlen(h), p, 16, arena, sizeof(arena));

	(void)state;
	assert_int_equal(n, 3);
	assert_string_equal(p[0].s, "\"Smith, John\" <john.smith@email.com>");
	assert_string_equal(p[1].s, "<raj@yahoo.co.in>");
	assert_string_equal(p[2].s, "x@y");
	n = email_split_mime("undisclosed", 11, p, 16, arena, sizeof(arena));
	assert_int_equal(n, 0);
}

static void test_received_ips(void **state)
{
	const char *r = "from mx.example (mx.example [192.0.2.7]) by relay "
			"(10.1.2.3) with ESMTP id 1.2.3.4x; Mon 10.0.0.";
	struct mt_addr ips[8];
	char buf[MT_ADDR_STRLEN];
	int n = email_extract_ips(r, strlen(r), true, ips, 8);

	(void)state;
	assert_int_equal(n, 2);
	assert_string_equal(mt_addr_str(&ips[0], buf), "192.0.2.7");
	assert_string_equal(mt_addr_str(&ips[1], buf), "10.1.2.3");
	/* IPv6 literal in brackets; "IPv6:"-prefixed ones are not wrapped */
	n = email_extract_ips("from x ([2001:db8::1]) by [IPv6:2001:db8::2]",
			      43, true, ips, 8);
	assert_int_equal(n, 1);
	assert_string_equal(mt_addr_str(&ips[0], buf), "2001:db8::1");
	/* the whole string is an address */
	n = email_extract_ips("10.9.8.7", 8, true, ips, 8);
	assert_int_equal(n, 1);
	/* without the wrapping rule: anywhere */
	n = email_extract_ips("ip=10.9.8.7;", 12, false, ips, 8);
	assert_int_equal(n, 1);
	assert_true(email_is_private(&ips[0]));
}

static void test_long_input_refused(void **state)
{
	static char big[EMAIL_MAX_INPUT + 2];
	struct email_piece p[4];
	char arena[64];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	assert_int_equal(email_extract_addrs(big, sizeof(big) - 1, p, 4, arena,
					     sizeof(arena)),
			 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract_addrs),
		cmocka_unit_test(test_split_mime),
		cmocka_unit_test(test_received_ips),
		cmocka_unit_test(test_long_input_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
