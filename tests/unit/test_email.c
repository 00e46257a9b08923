// SPDX-License-Identifier: BSD-3-Clause
/* test_email.c - Zeek's address helpers (spec §8.5) and Received-header
 * IP extraction (§8.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "sink/email.h"

/* --- the straightforward (quadratic) matchers, as a reference ----------- */
/* The library skips ahead where no address can start; these try every
 * position. Both must find the same addresses. */
static bool is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static bool lead_char(unsigned char c)
{
	return c == '<' || c == ',' || c == ':' || is_blank(c);
}

static bool local_char(unsigned char c)
{
	return !lead_char(c) && c != '@';
}

static bool domain_char(unsigned char c)
{
	return c != '>' && c != ',' && c != ';' && !is_blank(c);
}

/* Longest match of (^|[<,:blank])[^<,:blank@]+@[^>,;blank]+([>,;blank]|$)
 * starting at i; returns its end or 0 for no match. */
static size_t match_addr(const unsigned char *p, size_t n, size_t i)
{
	size_t j = i, at;

	if (j < n && lead_char(p[j]))
		j++;
	at = j;
	while (at < n && local_char(p[at]))
		at++;
	if (at == j || at >= n || p[at] != '@')
		return 0;
	j = at + 1;
	while (j < n && domain_char(p[j]))
		j++;
	if (j == at + 1)
		return 0;
	if (j < n)
		j++; /* the terminator */
	return j;
}

static bool strip_char(unsigned char c)
{
	return c == '<' || c == '>' || c == ',' || c == ':' || c == ';' ||
	       is_blank(c);
}

static int ref_extract_addrs(const void *vs, size_t len, struct email_piece *out,
			int max, char *arena, size_t arena_len)
{
	const unsigned char *p = vs;
	size_t i = 0, a = 0;
	int n = 0;

	if (len > EMAIL_MAX_INPUT)
		return -1;
	while (i < len && n < max) {
		size_t e = match_addr(p, len, i);

		if (!e) {
			i++;
			continue;
		}
		if (a + (e - i) + 1 > arena_len)
			break;
		out[n].s = arena + a;
		out[n].len = 0;
		for (size_t k = i; k < e; k++)
			if (!strip_char(p[k]))
				out[n].s[out[n].len++] = (char)p[k];
		out[n].s[out[n].len] = '\0';
		a += out[n].len + 1;
		n++;
		i = e;
	}
	return n;
}

/* Longest match of ("[^"]*")?[^,]+@[^,]+ at i; 0 for none. */
static size_t match_mime(const unsigned char *p, size_t n, size_t i)
{
	size_t j = i, best = 0;

	for (int quoted = 1; quoted >= 0; quoted--) {
		size_t k = i, last_at = 0, end;

		if (quoted) {
			if (k >= n || p[k] != '"')
				continue;
			k++;
			while (k < n && p[k] != '"')
				k++;
			if (k >= n)
				continue;
			k++;
		}
		j = k;
		/* [^,]+@[^,]+ : the run of non-commas must contain an '@'
		 * with at least one char before and after it. */
		end = j;
		while (end < n && p[end] != ',')
			end++;
		for (size_t x = end; x > j; x--) {
			if (p[x - 1] == '@') {
				last_at = x - 1;
				break;
			}
		}
		if (last_at > j && last_at + 1 < end && end > best)
			best = end;
	}
	return best;
}

static int ref_split_mime(const void *vs, size_t len, struct email_piece *out,
		     int max, char *arena, size_t arena_len)
{
	const unsigned char *p = vs;
	size_t i = 0, a = 0;
	int n = 0;

	if (len > EMAIL_MAX_INPUT)
		return -1;
	while (i < len && n < max) {
		size_t e = match_mime(p, len, i), s, t;

		if (!e) {
			i++;
			continue;
		}
		s = i;
		t = e;
		while (s < t && (is_blank(p[s]) || p[s] == '\r' || p[s] == '\n'))
			s++;
		while (t > s && (is_blank(p[t - 1]) || p[t - 1] == '\r' ||
				 p[t - 1] == '\n'))
			t--;
		if (a + (t - s) + 1 > arena_len)
			break;
		out[n].s = arena + a;
		memcpy(out[n].s, p + s, t - s);
		out[n].s[t - s] = '\0';
		out[n].len = t - s;
		a += t - s + 1;
		n++;
		i = e;
	}
	return n;
}

static void rand_header(unsigned int *seed, char *b, size_t n)
{
	static const char alpha[] = "aab.@@,\"<>:; x";

	for (size_t i = 0; i < n; i++)
		b[i] = alpha[rand_r(seed) % (sizeof(alpha) - 1)];
	b[n] = '\0';
}

static void test_same_as_reference(void **state)
{
	struct email_piece a[64], b[64];
	static char arena_a[8192], arena_b[8192];
	char in[400];
	unsigned int seed = 2024;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand_r(&seed) % (sizeof(in) - 1));
		int na, nb;

		rand_header(&seed, in, n);
		na = email_extract_addrs(in, n, a, 64, arena_a, sizeof(arena_a));
		nb = ref_extract_addrs(in, n, b, 64, arena_b, sizeof(arena_b));
		assert_int_equal(na, nb);
		for (int i = 0; i < na; i++)
			assert_string_equal(a[i].s, b[i].s);
		na = email_split_mime(in, n, a, 64, arena_a, sizeof(arena_a));
		nb = ref_split_mime(in, n, b, 64, arena_b, sizeof(arena_b));
		assert_int_equal(na, nb);
		for (int i = 0; i < na; i++)
			assert_string_equal(a[i].s, b[i].s);
	}
}

/* A header of the longest accepted size with nothing to match: linear
 * now (was 10^8 steps per call). */
static void test_long_header_without_addresses(void **state)
{
	static char big[EMAIL_MAX_INPUT];
	static char arena[EMAIL_MAX_INPUT + 64];
	struct email_piece p[4];

	(void)state;
	memset(big, 'a', sizeof(big));
	for (int k = 0; k < 200; k++) {
		assert_int_equal(email_extract_addrs(big, sizeof(big), p, 4, arena,
						     sizeof(arena)), 0);
		assert_int_equal(email_split_mime(big, sizeof(big), p, 4, arena,
						  sizeof(arena)), 0);
	}
}

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
		cmocka_unit_test(test_same_as_reference),
		cmocka_unit_test(test_long_header_without_addresses),
		cmocka_unit_test(test_split_mime),
		cmocka_unit_test(test_received_ips),
		cmocka_unit_test(test_long_input_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
