// SPDX-License-Identifier: BSD-3-Clause
/* base64.c - Zeek-compatible base64 decoding (spec §4.2, §5.3).
 * Owns the decoder state; never allocates. */
#include "analyzer/base64.h"

#include <stdio.h>

#include "analyzer/analyzer.h"

/* -1 = not base64; '=' decodes as 0 (Zeek's table). The range default
 * is overridden on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#ifdef __clang__
#pragma clang diagnostic ignored "-Winitializer-overrides"
#endif
static const int8_t b64_tab[256] = {
	[0 ... 255] = -1,
	['A'] = 0,  ['B'] = 1,	['C'] = 2,  ['D'] = 3,	['E'] = 4,  ['F'] = 5,
	['G'] = 6,  ['H'] = 7,	['I'] = 8,  ['J'] = 9,	['K'] = 10, ['L'] = 11,
	['M'] = 12, ['N'] = 13, ['O'] = 14, ['P'] = 15, ['Q'] = 16, ['R'] = 17,
	['S'] = 18, ['T'] = 19, ['U'] = 20, ['V'] = 21, ['W'] = 22, ['X'] = 23,
	['Y'] = 24, ['Z'] = 25, ['a'] = 26, ['b'] = 27, ['c'] = 28, ['d'] = 29,
	['e'] = 30, ['f'] = 31, ['g'] = 32, ['h'] = 33, ['i'] = 34, ['j'] = 35,
	['k'] = 36, ['l'] = 37, ['m'] = 38, ['n'] = 39, ['o'] = 40, ['p'] = 41,
	['q'] = 42, ['r'] = 43, ['s'] = 44, ['t'] = 45, ['u'] = 46, ['v'] = 47,
	['w'] = 48, ['x'] = 49, ['y'] = 50, ['z'] = 51, ['0'] = 52, ['1'] = 53,
	['2'] = 54, ['3'] = 55, ['4'] = 56, ['5'] = 57, ['6'] = 58, ['7'] = 59,
	['8'] = 60, ['9'] = 61, ['+'] = 62, ['/'] = 63, ['='] = 0,
};
/* The fast path's table: invalid characters, '=' among them, are 0x40,
 * which no valid value has, so one test covers a group of four. */
static const uint8_t b64_fast[256] = {
	[0 ... 255] = 0x40,
	['A'] = 0,  ['B'] = 1,	['C'] = 2,  ['D'] = 3,	['E'] = 4,  ['F'] = 5,
	['G'] = 6,  ['H'] = 7,	['I'] = 8,  ['J'] = 9,	['K'] = 10, ['L'] = 11,
	['M'] = 12, ['N'] = 13, ['O'] = 14, ['P'] = 15, ['Q'] = 16, ['R'] = 17,
	['S'] = 18, ['T'] = 19, ['U'] = 20, ['V'] = 21, ['W'] = 22, ['X'] = 23,
	['Y'] = 24, ['Z'] = 25, ['a'] = 26, ['b'] = 27, ['c'] = 28, ['d'] = 29,
	['e'] = 30, ['f'] = 31, ['g'] = 32, ['h'] = 33, ['i'] = 34, ['j'] = 35,
	['k'] = 36, ['l'] = 37, ['m'] = 38, ['n'] = 39, ['o'] = 40, ['p'] = 41,
	['q'] = 42, ['r'] = 43, ['s'] = 44, ['t'] = 45, ['u'] = 46, ['v'] = 47,
	['w'] = 48, ['x'] = 49, ['y'] = 50, ['z'] = 51, ['0'] = 52, ['1'] = 53,
	['2'] = 54, ['3'] = 55, ['4'] = 56, ['5'] = 57, ['6'] = 58, ['7'] = 59,
	['8'] = 60, ['9'] = 61, ['+'] = 62, ['/'] = 63,
};
#pragma GCC diagnostic pop

static inline int b64_val(uint8_t c)
{
	return b64_tab[c];
}

void b64_init(struct b64_dec *d, struct an_ctx *ctx)
{
	d->next = 0;
	d->padding = 0;
	d->errored = 0;
	d->ctx = ctx;
}

static void illegal(struct b64_dec *d, const char *msg)
{
	if (d->ctx)
		an_weird_str(d->ctx, "base64_illegal_encoding", msg, NULL);
}

/* Whole groups of four valid, unpadded characters, the common case;
 * returns the characters consumed (a multiple of 4). */
static size_t fast_groups(const uint8_t *restrict in, size_t len,
			  uint8_t *restrict out)
{
	size_t i = 0;

	for (; i + 4 <= len; i += 4, out += 3) {
		uint32_t a = b64_fast[in[i]], b = b64_fast[in[i + 1]];
		uint32_t c = b64_fast[in[i + 2]], e = b64_fast[in[i + 3]];
		uint32_t v;

		if ((a | b | c | e) & 0x40)
			break;
		v = a << 18 | b << 12 | c << 6 | e;
		out[0] = (uint8_t)(v >> 16);
		out[1] = (uint8_t)(v >> 8);
		out[2] = (uint8_t)v;
	}
	return i;
}

size_t b64_decode(struct b64_dec *d, const uint8_t *in, size_t len,
		  uint8_t *out)
{
	size_t o = 0;
	size_t i = 0;

	while (i < len) {
		if (d->next == 0 && !d->padding) {
			size_t k = fast_groups(in + i, len - i, out + o);

			i += k;
			o += k / 4 * 3;
		}
		if (i >= len)
			break;
		while (d->next < 4 && i < len) {
			uint8_t c = in[i++];

			if (b64_val(c) >= 0) {
				d->group[d->next++] = c;
			} else if (++d->errored == 1) {
				char msg[64];

				/* Zeek prints the byte as a signed char. */
				snprintf(msg, sizeof(msg),
					 "character %d ignored by Base64 decoding",
					 (int)(signed char)c);
				illegal(d, msg);
			}
		}
		if (d->next < 4)
			break;
		d->next = 0;
		if (d->padding > 0) {
			if (++d->errored == 1)
				illegal(d, "extra base64 groups after '=' padding are ignored");
			continue;
		}
		int k1 = b64_val(d->group[0]), k2 = b64_val(d->group[1]);
		int k3 = b64_val(d->group[2]), k4 = b64_val(d->group[3]);

		out[o++] = (uint8_t)((k1 << 2) | (k2 >> 4));
		if (d->group[2] == '=') {
			d->padding = 2;
		} else {
			out[o++] = (uint8_t)((k2 << 4) | (k3 >> 2));
			if (d->group[3] == '=')
				d->padding = 1;
			else
				out[o++] = (uint8_t)((k3 << 6) | k4);
		}
	}
	return o;
}

size_t b64_done(struct b64_dec *d, uint8_t *out)
{
	static const uint8_t pad[] = "===";
	char msg[64];
	int missing;

	if (d->next == 0)
		return 0;
	missing = 4 - d->next;
	snprintf(msg, sizeof(msg),
		 "incomplete base64 group, padding with %d bits of 0",
		 missing * 6);
	d->errored++;
	illegal(d, msg);
	return b64_decode(d, pad, (size_t)missing, out);
}

long b64_decode_strict(struct an_ctx *ctx, const uint8_t *in, size_t len,
		       uint8_t *out)
{
	struct b64_dec d;
	size_t n;

	b64_init(&d, ctx);
	n = b64_decode(&d, in, len, out);
	if (d.errored)
		return -1;
	n += b64_done(&d, out + n);
	if (d.errored)
		return -1;
	return (long)n;
}
