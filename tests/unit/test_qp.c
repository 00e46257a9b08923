// SPDX-License-Identifier: BSD-3-Clause
/* test_qp.c - quoted-printable decoding of the usual line (qp.c): what it
 * decodes, what it leaves to the careful decoder, compared with a decoder
 * written the plain way on random lines, by each instruction set the
 * machine has (none, AVX2, AVX-512 VBMI2). Owns test memory only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/qp.h"

/* Every way qp.c has; those the machine lacks are skipped. */
static const char *const levels[] = { "none", "avx2", "vbmi2" };
#define N_LEVELS 3

static int hexdigit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The oracle: the line decoded byte by byte as mime.c's careful decoder
 * does, or QP_NOT_USUAL where that decoder would raise an event. */
static size_t plain_decode(const uint8_t *p, size_t n, uint8_t *out, bool *soft)
{
	size_t o = 0;

	*soft = false;
	if (n > QP_LINE_MAX)
		return QP_NOT_USUAL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '=') {
			if (i + 1 == n) {
				*soft = true;
				break;
			}
			if (i + 2 >= n || hexdigit(p[i + 1]) < 0 ||
			    hexdigit(p[i + 2]) < 0)
				return QP_NOT_USUAL;
			out[o++] = (uint8_t)(hexdigit(p[i + 1]) << 4 |
					     hexdigit(p[i + 2]));
			i += 2;
		} else if ((p[i] >= 32 && p[i] <= 126) || p[i] == '\t') {
			out[o++] = p[i];
		} else {
			return QP_NOT_USUAL;
		}
	}
	return o;
}

/* decode STR (C string) and expect WANT (C string), or QP_NOT_USUAL when
 * WANT is NULL */
static void expect(const char *str, const char *want, bool want_soft)
{
	uint8_t out[QP_OUT_MIN];
	bool soft = !want_soft;
	size_t o =
		qp_decode_line((const uint8_t *)str, strlen(str), out, &soft);

	if (!want) {
		assert_true(o == QP_NOT_USUAL);
		return;
	}
	assert_int_equal(o, strlen(want));
	assert_memory_equal(out, want, o);
	assert_int_equal(soft, want_soft);
}

static void test_hex_digits(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++)
		assert_int_equal(qp_hex((uint8_t)c), hexdigit((uint8_t)c));
}

static void test_usual_lines(void **state)
{
	(void)state;
	for (int l = 0; l < N_LEVELS; l++) {
		if (!qp_simd(levels[l]))
			continue;
		expect("", "", false);
		expect("plain text\twith a tab", "plain text\twith a tab",
		       false);
		expect("caf=C3=A9 na=c3=afve", "caf\xc3\xa9 na\xc3\xafve",
		       false);
		expect("<p style=3D\"x\">", "<p style=\"x\">", false);
		expect("soft break=", "soft break", true);
		expect("=3D=", "=", true);
		expect("=", "", true);
		expect("=41=42=43", "ABC", false);
		/* 76 characters, the RFC's longest, with =XX across the
		 * 32-byte blocks */
		expect("0123456789012345678901234567890=41123456789012345678901234567890=4212345678",
		       "0123456789012345678901234567890A123456789012345678901234567890B12345678",
		       false);
		/* =XX across the 64-byte blocks, and a soft break in the
		 * second */
		expect("012345678901234567890123456789012345678901234567890123456789012=41=42",
		       "012345678901234567890123456789012345678901234567890123456789012AB",
		       false);
		expect("01234567890123456789012345678901234567890123456789012345678901=41=",
		       "01234567890123456789012345678901234567890123456789012345678901A",
		       true);
	}
	qp_simd("vbmi2");
}

static void test_unusual_lines(void **state)
{
	(void)state;
	for (int l = 0; l < N_LEVELS; l++) {
		if (!qp_simd(levels[l]))
			continue;
		expect("a=4", NULL, false);  /* one digit */
		expect("a=4=", NULL, false); /* one digit, then soft */
		expect("==", NULL, false);   /* '=' then soft */
		expect("=G1", NULL, false);  /* not a digit */
		expect("=1g", NULL, false);
		expect("x\x7fy", NULL, false); /* DEL */
		expect("x\ry", NULL, false);
		expect("\x01", NULL, false);
		expect("caf\xc3\xa9", NULL, false); /* 8-bit */
		/* a bad byte in the last of four blocks */
		expect("0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\x1b",
		       NULL, false);
		/* an '=' at the end of the first block without digits */
		expect("012345678901234567890123456789012345678901234567890123456789012=4",
		       NULL, false);
	}
	qp_simd("vbmi2");
}

static void test_length_limit(void **state)
{
	char line[QP_LINE_MAX + 2], want[QP_LINE_MAX + 1];

	(void)state;
	memset(line, 'a', QP_LINE_MAX + 1);
	line[QP_LINE_MAX + 1] = '\0';
	expect(line, NULL, false); /* one past QP_LINE_MAX */
	line[QP_LINE_MAX] = '\0';
	expect(line, line, false); /* QP_LINE_MAX */
	memset(want, 'a', QP_LINE_MAX - 1);
	want[QP_LINE_MAX - 1] = '\0';
	line[QP_LINE_MAX - 1] = '=';
	expect(line, want, true); /* a soft break in the last byte */
	line[QP_LINE_MAX - 1] = 'a';
	line[QP_LINE_MAX - 2] = '=';
	expect(line, NULL, false); /* '=' and one byte */
}

/* Random lines of literals, =XX, bad '=', control and 8-bit bytes, up to
 * past QP_LINE_MAX, each read from the end of a heap block (a byte read
 * past the line is ASan's to see): the same as the oracle, both ways. */
static void test_random_lines(void **state)
{
	static const char lit[] = "abcXYZ09 \t<>\"/.-:;~!";
	static const char digit[] = "0123456789ABCDEFabcdef";
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t usual = 0, unusual = 0;

	(void)state;
	for (int round = 0; round < 40000; round++) {
		uint8_t line[QP_LINE_MAX + 8], out[QP_OUT_MIN], ref[QP_OUT_MIN];
		size_t n = 0, len, o, r;
		bool soft, rsoft;
		int bad;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		len = (seed >> 33) % (QP_LINE_MAX + 6);
		bad = (seed >> 20) % 4 == 0; /* a quarter with bad bytes */
		while (n < len) {
			uint32_t r32;

			seed = seed * 6364136223846793005ull +
			       1442695040888963407ull;
			r32 = (uint32_t)(seed >> 32);
			if (r32 % 8 == 0 && n + 3 <= len) {
				line[n++] = '=';
				line[n++] = (uint8_t)
					digit[(r32 >> 3) % (sizeof(digit) - 1)];
				line[n++] = (uint8_t)
					digit[(r32 >> 8) % (sizeof(digit) - 1)];
			} else if (bad && r32 % 97 == 1) {
				line[n++] = (uint8_t)(r32 >> 13); /* any byte */
			} else if (bad && r32 % 89 == 2) {
				line[n++] = '=';
			} else {
				line[n++] = (uint8_t)
					lit[(r32 >> 3) % (sizeof(lit) - 1)];
			}
		}
		if (n && (seed >> 40) % 4 == 0)
			line[n - 1] = '=';
		for (int l = 0; l < N_LEVELS; l++) {
			uint8_t *heap;

			if (!qp_simd(levels[l]))
				continue;
			heap = malloc(n ? n : 1);
			assert_non_null(heap);
			memcpy(heap, line, n);
			soft = rsoft = false;
			o = qp_decode_line(heap, n, out, &soft);
			r = plain_decode(line, n, ref, &rsoft);
			free(heap);
			assert_true(o == r);
			if (r == QP_NOT_USUAL) {
				unusual++;
				continue;
			}
			usual++;
			assert_memory_equal(out, ref, r);
			assert_int_equal(soft, rsoft);
		}
	}
	qp_simd("vbmi2");
	/* both kinds, plenty of each */
	assert_true(usual > 40000 && unusual > 8000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_digits),
		cmocka_unit_test(test_usual_lines),
		cmocka_unit_test(test_unusual_lines),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_random_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
