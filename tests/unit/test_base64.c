// SPDX-License-Identifier: BSD-3-Clause
/* test_base64.c - the shared base64 decoder: Zeek's Base64Converter error
 * texts and counting, streaming at every split, the strict one-shot form.
 * Owns test memory only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/analyzer.h"
#include "analyzer/base64.h"
#include "daemon/config.h"
#include "event/bus.h"

struct fx {
	struct mt_config cfg;
	struct bus bus;
	struct sink sink;
	struct conn_info conn;
	struct an_ctx ctx;
	size_t nweird;
	char last[128];
	bool last_has_source;
};

static void on_event(struct sink *s, const struct event *ev)
{
	struct fx *f = (struct fx *)((char *)s - offsetof(struct fx, sink));
	size_t n = ev->weird.addl.len;

	assert_int_equal(ev->type, EV_weird);
	assert_string_equal(ev->weird.name, "base64_illegal_encoding");
	if (n >= sizeof(f->last))
		n = sizeof(f->last) - 1;
	memcpy(f->last, ev->weird.addl.p, n);
	f->last[n] = '\0';
	f->last_has_source = ev->weird.source != NULL;
	f->nweird++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	config_defaults(&f->cfg);
	bus_init(&f->bus);
	f->sink.name = "rec";
	f->sink.mask = EV_BIT(EV_weird);
	f->sink.on_event = on_event;
	bus_add(&f->bus, &f->sink);
	f->ctx.bus = &f->bus;
	f->ctx.conn = &f->conn;
	f->ctx.cfg = &f->cfg;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* Decode IN in one call plus b64_done; returns the output length. */
static size_t decode_all(struct an_ctx *ctx, const char *in, uint8_t *out)
{
	struct b64_dec d;
	size_t len = strlen(in), n;

	b64_init(&d, ctx);
	n = b64_decode(&d, (const uint8_t *)in, len, out);
	assert_true(n <= B64_OUT_MAX(len));
	n += b64_done(&d, out + n);
	return n;
}

static void test_valid(void **state)
{
	struct fx *f = *state;
	uint8_t out[64];
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"", ""},
		{"QQ==", "A"},
		{"QUI=", "AB"},
		{"QUJD", "ABC"},
		{"SGVsbG8sIHdvcmxkIQ==", "Hello, world!"},
		{"+/+/", "\xfb\xff\xbf"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = decode_all(&f->ctx, cases[i].in, out);

		assert_int_equal(n, strlen(cases[i].out));
		assert_memory_equal(out, cases[i].out, n);
	}
	assert_int_equal(f->nweird, 0);
}

/* The same output and weirds whatever way the input is split. */
static void test_streaming_every_split(void **state)
{
	struct fx *f = *state;
	static const char in[] = "SGVs bG8s\r\nIHdv*cmxk IQ==";
	const size_t len = sizeof(in) - 1;
	uint8_t ref[64], out[64];
	size_t nref;

	nref = decode_all(&f->ctx, in, ref);
	assert_int_equal(nref, 13);
	assert_memory_equal(ref, "Hello, world!", 13);
	assert_int_equal(f->nweird, 1);
	assert_string_equal(f->last, "character 32 ignored by Base64 decoding");
	for (size_t a = 0; a <= len; a++) {
		for (size_t b = a; b <= len; b++) {
			struct b64_dec d;
			size_t n = 0;

			f->nweird = 0;
			b64_init(&d, &f->ctx);
			n += b64_decode(&d, (const uint8_t *)in, a, out + n);
			n += b64_decode(&d, (const uint8_t *)in + a, b - a,
					out + n);
			n += b64_decode(&d, (const uint8_t *)in + b, len - b,
					out + n);
			n += b64_done(&d, out + n);
			assert_int_equal(n, nref);
			assert_memory_equal(out, ref, n);
			assert_int_equal(f->nweird, 1);
		}
	}
}

static void test_illegal_character(void **state)
{
	struct fx *f = *state;
	uint8_t out[64];

	/* Skipped; only the first problem of a decoder is reported. */
	assert_int_equal(decode_all(&f->ctx, "Q*U!J-D", out), 3);
	assert_memory_equal(out, "ABC", 3);
	assert_int_equal(f->nweird, 1);
	assert_string_equal(f->last, "character 42 ignored by Base64 decoding");
	assert_false(f->last_has_source); /* no source (spec §4.2) */
	/* Control and 8-bit bytes print as (signed) chars. */
	f->nweird = 0;
	assert_int_equal(decode_all(&f->ctx, "\x01QUJD", out), 3);
	assert_string_equal(f->last, "character 1 ignored by Base64 decoding");
	f->nweird = 0;
	assert_int_equal(decode_all(&f->ctx, "\xc3QUJD", out), 3);
	assert_string_equal(f->last,
			    "character -61 ignored by Base64 decoding");
}

static void test_after_padding(void **state)
{
	struct fx *f = *state;
	uint8_t out[64];

	assert_int_equal(decode_all(&f->ctx, "QQ==QUJDQUJD", out), 1);
	assert_memory_equal(out, "A", 1);
	assert_int_equal(f->nweird, 1);
	assert_string_equal(
		f->last, "extra base64 groups after '=' padding are ignored");
}

static void test_incomplete_group(void **state)
{
	struct fx *f = *state;
	uint8_t out[64];

	assert_int_equal(decode_all(&f->ctx, "QUJDQQ", out), 4);
	assert_memory_equal(out, "ABCA", 4);
	assert_int_equal(f->nweird, 1);
	assert_string_equal(
		f->last, "incomplete base64 group, padding with 12 bits of 0");
	f->nweird = 0;
	assert_int_equal(decode_all(&f->ctx, "QUI", out), 2);
	assert_string_equal(
		f->last, "incomplete base64 group, padding with 6 bits of 0");
	f->nweird = 0;
	assert_int_equal(decode_all(&f->ctx, "Q", out), 1);
	assert_string_equal(
		f->last, "incomplete base64 group, padding with 18 bits of 0");
	/* Raised even after an earlier problem (Zeek's Done() always
	 * reports it). */
	f->nweird = 0;
	assert_int_equal(decode_all(&f->ctx, "*QUI", out), 2);
	assert_int_equal(f->nweird, 2);
	/* Nothing pending: nothing written, nothing raised. */
	{
		struct b64_dec d;

		f->nweird = 0;
		b64_init(&d, &f->ctx);
		assert_int_equal(b64_done(&d, out), 0);
		assert_int_equal(f->nweird, 0);
	}
}

static void test_silent_without_ctx(void **state)
{
	struct fx *f = *state;
	uint8_t out[64];

	assert_int_equal(decode_all(NULL, "*QQ", out), 1);
	assert_int_equal(f->nweird, 0);
}

static void test_strict(void **state)
{
	struct fx *f = *state;
	uint8_t out[64];

	assert_int_equal(
		b64_decode_strict(&f->ctx, (const uint8_t *)"dXNlcg==", 8, out),
		4);
	assert_memory_equal(out, "user", 4);
	assert_int_equal(f->nweird, 0);
	assert_int_equal(
		b64_decode_strict(&f->ctx, (const uint8_t *)"dXN*", 4, out),
		-1);
	assert_int_equal(f->nweird, 1);
	assert_int_equal(
		b64_decode_strict(&f->ctx, (const uint8_t *)"dXN", 3, out), -1);
	assert_int_equal(f->nweird, 2);
	assert_int_equal(
		b64_decode_strict(&f->ctx, (const uint8_t *)"", 0, out), 0);
}

/* The block paths (SSSE3, 16 characters; scalar, 4) give what the
 * character-at-a-time path gives - fed one byte per call, it never takes
 * them - for long random inputs, mostly alphabet with now and then a line
 * end, a bad byte, a high byte or padding, split at random points. */
static const char *const levels[] = { "none", "ssse3", "avx2", "vbmi" };
static const char *level_now = "";

/* Run FN once per instruction set the machine has (b64_simd), then go
 * back to the best. */
static void each_level(void (*fn)(void **), void **state)
{
	for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
		if (!b64_simd(levels[l])) {
			fprintf(stderr, "base64: no %s here, skipped\n",
				levels[l]);
			continue;
		}
		level_now = levels[l];
		fn(state);
	}
	assert_true(b64_simd("vbmi") || b64_simd("avx2") ||
		    b64_simd("ssse3") || b64_simd("none"));
}

static void fast_paths_match_bytewise(void **state)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct fx *f = *state;
	uint8_t in[600], ref[B64_OUT_MAX(600)], out[B64_OUT_MAX(600)];
	unsigned int seed = 12345;

	for (int round = 0; round < 3000; round++) {
		size_t len = (size_t)(rand_r(&seed) % sizeof(in)), nref = 0, n = 0;
		int rare = 1 + rand_r(&seed) % 400;
		char wref[128];
		size_t wnref;
		struct b64_dec d;

		for (size_t i = 0; i < len; i++) {
			int r = rand_r(&seed);

			if (r % rare == 0)
				in[i] = "\r\n=*\x80\xff -"[r / rare % 8];
			else
				in[i] = (uint8_t)alpha[r % 64];
		}
		f->nweird = 0;
		f->last[0] = '\0';
		b64_init(&d, &f->ctx);
		for (size_t i = 0; i < len; i++)
			nref += b64_decode(&d, in + i, 1, ref + nref);
		nref += b64_done(&d, ref + nref);
		wnref = f->nweird;
		memcpy(wref, f->last, sizeof(wref));

		f->nweird = 0;
		f->last[0] = '\0';
		b64_init(&d, &f->ctx);
		for (size_t at = 0; at < len;) {
			size_t k = 1 + (size_t)rand_r(&seed) % (len - at);

			n += b64_decode(&d, in + at, k, out + n);
			at += k;
		}
		n += b64_done(&d, out + n);
		assert_int_equal(n, nref);
		assert_memory_equal(out, ref, n);
		assert_int_equal(f->nweird, wnref);
		assert_string_equal(f->last, wref);

		/* in one call, into exactly B64_OUT_MAX(len) bytes: the
		 * block stores stay inside it (ASan build) */
		uint8_t *exact = malloc(B64_OUT_MAX(len));

		assert_non_null(exact);
		b64_init(&d, NULL);
		n = b64_decode(&d, in, len, exact);
		n += b64_done(&d, exact + n);
		assert_int_equal(n, nref);
		assert_memory_equal(exact, ref, n);
		free(exact);
	}
}

/* B64_OUT_MAX holds for every length, with any pending group: each call
 * decodes into a heap buffer of exactly that size, so a block store past
 * it fails under ASan (as the SIMD paths did after a pending group). */
static void test_fast_paths_match_bytewise(void **state)
{
	each_level(fast_paths_match_bytewise, state);
}

/* b64_decode_whole: a line of every length up to 200 decodes as the
 * character path decodes it, into exactly len / 4 * 3 bytes (ASan), where
 * there are wide blocks (AVX2, VBMI) and it is 32 or more whole groups;
 * with a character outside the alphabet at any place, it declines. */
static void whole_lines(void **state)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	/* 0xc1 is 'A' with the high bit: a 7-bit table lookup takes it */
	static const uint8_t bad[] = { '\r', '\n', '=', '-', '.',
				       '*', 0x80, 0xc1, 0xff, 0 };
	bool wide = !strcmp(level_now, "avx2") || !strcmp(level_now, "vbmi");
	uint8_t in[200], ref[B64_OUT_MAX(200)];
	unsigned int seed = 99;

	(void)state;
	for (size_t len = 0; len <= sizeof(in); len++) {
		bool fast = wide && len >= 32 && len % 4 == 0;
		uint8_t *out = malloc(len / 4 * 3 + 1);
		struct b64_dec d;
		size_t nref;

		assert_non_null(out);
		for (size_t i = 0; i < len; i++)
			in[i] = (uint8_t)alpha[rand_r(&seed) % 64];
		b64_init(&d, NULL);
		nref = b64_decode(&d, in, len, ref);
		b64_init(&d, NULL);
		assert_int_equal(b64_decode_whole(&d, in, len, out), fast);
		if (fast) {
			assert_int_equal(nref, len / 4 * 3);
			assert_memory_equal(out, ref, nref);
		}
		for (size_t at = 0; fast && at < len; at++) {
			uint8_t keep = in[at];

			for (size_t b = 0; b < sizeof(bad); b++) {
				in[at] = bad[b];
				b64_init(&d, NULL);
				assert_false(b64_decode_whole(&d, in, len, out));
			}
			in[at] = keep;
		}
		free(out);
	}
}

static void test_whole_lines(void **state)
{
	each_level(whole_lines, state);
}

/* b64_decode_lines on copies of exactly the run's bytes and of the room
 * for its output, so that ASan sees a read past the last CRLF or a write
 * past the last byte; the output is copied to OUT. */
static size_t decode_lines_exact(const uint8_t *in, size_t len,
				 size_t stride, size_t k, uint8_t *out)
{
	size_t olen = len / 4 * 3, n;
	uint8_t *run = malloc(k ? k * stride : 1);
	uint8_t *o = malloc(k ? k * olen : 1);
	struct b64_dec d;

	assert_non_null(run);
	assert_non_null(o);
	memcpy(run, in, k * stride);
	b64_init(&d, NULL);
	n = b64_decode_lines(&d, run, len, stride, k, o);
	memcpy(out, o, n * olen);
	free(run);
	free(o);
	return n;
}

/* b64_decode_lines: runs of up to 5 lines of 32..100 characters, CRLF
 * after each, decode one after the other as line by line, into exactly
 * their bytes (ASan); a bad character in line j, or a line j not ended
 * by CRLF, stops the run at j. */
static void lines_in_a_row(void **state)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	bool wide = !strcmp(level_now, "avx2") || !strcmp(level_now, "vbmi");
	uint8_t in[5 * 102], ref[4 * 75 + B64_OUT_MAX(100)];
	unsigned int seed = 7;

	(void)state;
	for (size_t len = 32; len <= 100; len += 4) {
		size_t stride = len + 2, olen = len / 4 * 3;

		for (size_t i = 0; i < sizeof(in); i++)
			in[i] = (uint8_t)alpha[rand_r(&seed) % 64];
		for (size_t l = 0; l < 5; l++) {
			struct b64_dec d;

			in[l * stride + len] = '\r';
			in[l * stride + len + 1] = '\n';
			b64_init(&d, NULL);
			assert_int_equal(b64_decode(&d, in + l * stride, len,
						    ref + l * olen), olen);
		}
		for (size_t k = 0; k <= 5; k++) {
			for (size_t badl = 0; badl <= k; badl++) {
				/* badl == k: no bad line */
				size_t at = badl < k ? badl * stride +
							  rand_r(&seed) % len : 0;
				uint8_t keep = in[at];
				uint8_t out[5 * 75];
				size_t n;

				if (badl < k)
					in[at] = '-';
				n = decode_lines_exact(in, len, stride, k, out);
				assert_memory_equal(out, ref, n * olen);
				/* 32 or 64 characters at a time across line
				 * ends: the block with the bad character may
				 * begin in the line before */
				if (wide && badl < k)
					assert_true(n == badl || n + 1 == badl);
				else
					assert_int_equal(n, wide ? badl : 0);
				in[at] = keep;
				if (badl < k) { /* a line not ended by CRLF */
					at = badl * stride + len + badl % 2;
					keep = in[at];
					in[at] = 'A';
					n = decode_lines_exact(in, len, stride, k,
							       out);
					assert_int_equal(n, wide ? badl : 0);
					assert_memory_equal(out, ref, n * olen);
					in[at] = keep;
				}
			}
		}
	}
}

static void test_lines_in_a_row(void **state)
{
	each_level(lines_in_a_row, state);
}

static void out_max(void **state)
{
	uint8_t in[160], first[8];

	(void)state;
	memset(in, 'A', sizeof(in));
	for (size_t pre = 0; pre < 4; pre++) {
		for (size_t len = 0; len <= sizeof(in); len++) {
			uint8_t *out = malloc(B64_OUT_MAX(len));
			struct b64_dec d;
			size_t n;

			assert_non_null(out);
			b64_init(&d, NULL);
			b64_decode(&d, in, pre, first);
			n = b64_decode(&d, in, len, out);
			assert_true(n <= B64_OUT_MAX(len));
			free(out);
		}
	}
}

static void test_out_max(void **state)
{
	each_level(out_max, state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_streaming_every_split,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_illegal_character, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_after_padding, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_incomplete_group, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_silent_without_ctx, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_strict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_paths_match_bytewise,
						setup, teardown),
		cmocka_unit_test(test_out_max),
		cmocka_unit_test(test_whole_lines),
		cmocka_unit_test(test_lines_in_a_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
