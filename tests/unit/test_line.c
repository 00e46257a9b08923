// SPDX-License-Identifier: BSD-3-Clause
/* test_line.c - the line splitter: the same lines, cuts and weird flags
 * whatever way a stream is delivered. Whole deliveries take the 16-byte
 * scanning path, single bytes the scalar one; random streams of long
 * runs and every kind of terminator must split alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/line.h"

struct got {
	char text[1 << 16]; /* lines joined, each followed by '|' */
	size_t len;
	size_t lines;
};

static void on_line(void *arg, const uint8_t *line, size_t n)
{
	struct got *g = arg;

	assert_true(g->len + n + 1 <= sizeof(g->text));
	memcpy(g->text + g->len, line, n);
	g->len += n;
	g->text[g->len++] = '|';
	g->lines++;
}

/* Takes clean lines in bulk (those not starting with 'q': the rest go
 * through on_line), as the analyzers' body paths do. */
static size_t on_bulk(void *arg, const uint8_t *data, size_t len,
		      size_t max_line)
{
	size_t used = 0;

	while (used < len) {
		size_t n = line_clean(data + used, len - used, max_line);

		if (n == LINE_NOT_CLEAN || (n && data[used] == 'q'))
			break;
		on_line(arg, data + used, n);
		used += n + 2;
	}
	return used;
}

static void split(const uint8_t *in, size_t len, bool nul_sensitive,
		  uint32_t max_line, size_t piece, unsigned int *seed,
		  struct got *g, struct line_weirds *w, bool bulk)
{
	struct line_splitter ls;

	memset(g, 0, sizeof(*g));
	memset(w, 0, sizeof(*w));
	line_init(&ls, NULL, w, nul_sensitive, max_line, on_line, NULL, g);
	if (bulk)
		line_set_bulk(&ls, on_bulk);
	for (size_t at = 0; at < len;) {
		size_t k = piece ? piece : 1 + (size_t)rand_r(seed) % (len - at);

		if (k > len - at)
			k = len - at;
		line_deliver(&ls, in + at, k);
		at += k;
	}
	line_eof(&ls);
	line_free(&ls);
}

static void test_any_delivery_splits_alike(void **state)
{
	static const char odd[] = "\r\n\r\n\0\r\r\n";
	uint8_t in[4000];
	unsigned int seed = 777;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(rand_r(&seed) % sizeof(in));
		int rare = 2 + rand_r(&seed) % 120;
		bool nul = round & 1;
		uint32_t max_line = round % 3 ? 0 : 5 + rand_r(&seed) % 60;
		struct got *ref = malloc(sizeof(*ref)), *g = malloc(sizeof(*g));
		struct line_weirds wref, w;

		assert_non_null(ref);
		assert_non_null(g);
		for (size_t i = 0; i < len; i++) {
			int r = rand_r(&seed);

			in[i] = r % rare ? (uint8_t)('a' + r % 26)
					 : (uint8_t)odd[(r / rare) % 8];
		}
		split(in, len, nul, max_line, 1, &seed, ref, &wref, false);
		/* whole, in random pieces; then both taking lines in bulk */
		for (int way = 0; way < 4; way++) {
			split(in, len, nul, max_line, way & 1 ? 0 : len, &seed,
			      g, &w, way >= 2);
			assert_int_equal(g->lines, ref->lines);
			assert_int_equal(g->len, ref->len);
			assert_memory_equal(g->text, ref->text, g->len);
			assert_int_equal(w.nul_in_line, wref.nul_in_line);
			assert_int_equal(w.single_cr, wref.single_cr);
			assert_int_equal(w.size_exceeded, wref.size_exceeded);
		}
		free(ref);
		free(g);
	}
}

/* The terminators one by one, and a run longer than a block. */
static void test_terminators(void **state)
{
	static const char in[] = "0123456789abcdefghij\r\nb\nc\rd\r\n\r\ne";
	struct got g;
	struct line_weirds w;
	unsigned int seed = 1;

	(void)state;
	split((const uint8_t *)in, sizeof(in) - 1, true, 0, 0, &seed, &g, &w,
	      false);
	assert_int_equal(g.lines, 6);
	g.text[g.len] = '\0';
	assert_string_equal(g.text, "0123456789abcdefghij|b|c|d||e|");
	assert_true(w.single_cr);
	assert_false(w.nul_in_line);
}

/* A clean line: CRLF-ended within the bytes given, shorter than the
 * cap, no CR, LF or NUL inside; checked against the plain definition at
 * every length and position of the odd byte (the SIMD blocks' edges). */
static void test_line_clean(void **state)
{
	static const uint8_t odd[] = { '\r', '\n', '\0', 'x' };
	uint8_t buf[160];

	(void)state;
	for (size_t n = 0; n < 100; n++) {
		for (size_t at = 0; at <= n + 2; at++) {
			for (size_t o = 0; o < sizeof(odd); o++) {
				size_t want = n, len = n + 2, got;

				memset(buf, 'a', sizeof(buf));
				buf[n] = '\r';
				buf[n + 1] = '\n';
				if (at < n + 2)
					buf[at] = odd[o];
				if (at < n && odd[o] != 'x')
					want = LINE_NOT_CLEAN;
				if (at >= n && at < n + 2 &&
				    odd[o] != (at == n ? '\r' : '\n'))
					want = LINE_NOT_CLEAN;
				if (at == n + 2) /* the terminator cut off */
					len = n + 1;
				if (len < n + 2)
					want = LINE_NOT_CLEAN;
				got = line_clean(buf, len, 1000);
				assert_int_equal(got, want);
			}
		}
		assert_int_equal(line_clean(buf, n + 2, n + 1),
				 line_clean(buf, n + 2, 1000));
		buf[n] = '\r';
		buf[n + 1] = '\n';
		memset(buf, 'a', n);
		assert_int_equal(line_clean(buf, n + 2, n), LINE_NOT_CLEAN);
	}
}

/* line_clean_lines against line_clean a line at a time: random bodies of
 * short and long lines with CRLF, bare CR or LF, NUL, '-' and '.' at line
 * starts, CRLFs across the 64-byte blocks, lines at and past the cap. */
static size_t lines_one_by_one(const uint8_t *p, size_t n, size_t max_line)
{
	size_t used = 0;

	while (used < n) {
		size_t k = line_clean(p + used, n - used, max_line);

		if (k == LINE_NOT_CLEAN ||
		    (k && (p[used] == '-' || p[used] == '.')))
			break;
		used += k + 2;
	}
	return used;
}

static void test_line_clean_lines(void **state)
{
	static const uint8_t odd[] = { '\r', '\n', '\0', '-', '.' };
	unsigned int seed = 11;
	uint8_t buf[1200];

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = 0, max_line = 8 + (size_t)rand_r(&seed) % 200;
		size_t want, got;

		while (n < sizeof(buf) - 2) {
			size_t len = (size_t)rand_r(&seed) % 100;

			if (rand_r(&seed) % 8 == 0)
				len = (size_t)rand_r(&seed) % 300;
			if (n + len + 2 > sizeof(buf))
				break;
			memset(buf + n, 'a' + round % 26, len);
			if (len && rand_r(&seed) % 64 == 0) /* "-", ".x" */
				buf[n] = odd[3 + rand_r(&seed) % 2];
			n += len;
			buf[n++] = '\r';
			buf[n++] = '\n';
		}
		/* now and then an odd byte anywhere, or a line start */
		for (int k = rand_r(&seed) % 3; k > 0; k--)
			buf[(size_t)rand_r(&seed) % n] =
				odd[(size_t)rand_r(&seed) % sizeof(odd)];
		n -= (size_t)rand_r(&seed) % 3; /* a cut terminator */
		want = lines_one_by_one(buf, n, max_line);
		got = line_clean_lines(buf, n, max_line);
		assert_int_equal(got, want);
		/* every start offset: the 64-byte blocks fall elsewhere */
		if (round % 64 == 0)
			for (size_t at = 0; at < 70 && at < n; at++)
				assert_int_equal(
					line_clean_lines(buf + at, n - at,
							 max_line),
					lines_one_by_one(buf + at, n - at,
							 max_line));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terminators),
		cmocka_unit_test(test_any_delivery_splits_alike),
		cmocka_unit_test(test_line_clean),
		cmocka_unit_test(test_line_clean_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
