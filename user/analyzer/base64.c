// SPDX-License-Identifier: BSD-3-Clause
/* base64.c - Zeek-compatible base64 decoding (spec §4.2, §5.3).
 * Owns the decoder state; never allocates. */
#include "analyzer/base64.h"

#include <stdio.h>
#include <string.h>

#include "analyzer/analyzer.h"

/* The alphabet's 6-bit values; anything else, '=' included, is 0x40, which
 * no value has, so one test covers a group of four in the fast path (the
 * character path treats '=' itself, see b64_val). The range default is
 * overridden on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#ifdef __clang__
#pragma clang diagnostic ignored "-Winitializer-overrides"
#endif
static const uint8_t b64_tab[256] = {
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

/* Zeek's table: -1 = not base64, and '=' decodes as 0. */
static inline int b64_val(uint8_t c)
{
	if (c == '=')
		return 0;
	return b64_tab[c] & 0x40 ? -1 : b64_tab[c];
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
static size_t scalar_groups(const uint8_t *restrict in, size_t len,
			    uint8_t *restrict out)
{
	size_t i = 0;

	for (; i + 4 <= len; i += 4, out += 3) {
		uint32_t a = b64_tab[in[i]], b = b64_tab[in[i + 1]];
		uint32_t c = b64_tab[in[i + 2]], e = b64_tab[in[i + 3]];
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

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* Sixteen or thirty-two characters at a time: the nibble-lookup method of
 * Muła, Klomp and Lemire ("Faster Base64 Encoding and Decoding Using AVX2
 * Instructions", 2018). Each byte's low and high nibble index two tables
 * whose AND is non-zero exactly for bytes outside the 64-letter alphabet
 * ('=' and line ends included, left to the scalar path); a third table,
 * indexed by the high nibble (minus one for '/'), gives the offset from
 * the character to its 6-bit value. Two multiply-adds and a shuffle pack
 * each 4 x 6 bits into 3 bytes. SSSE3 and AVX2 are checked at run time. */
#define B64_LUT_LO                                                     \
	0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, \
		0x1a, 0x1b, 0x1b, 0x1b, 0x1a
#define B64_LUT_HI                                                     \
	0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, \
		0x10, 0x10, 0x10, 0x10, 0x10
#define B64_LUT_ROLL 0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0
#define B64_PACK 2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1

/* 16 bytes are stored for 12 kept. A block starting at offset i of the
 * input writes from 3*(i/4), and i <= len - 16, so the last byte written
 * is below 3*(len/4) + 4 of the output (the AVX2 blocks store exactly
 * what they decode). b64_decode's output may already be 3 bytes ahead of
 * its input (a pending group completed by the call's first characters):
 * 3*(len/4) + 8 at most, inside B64_OUT_MAX(len). */
__attribute__((target("ssse3"))) static size_t
ssse3_groups(const uint8_t *restrict in, size_t len, uint8_t *restrict out)
{
	const __m128i lut_lo = _mm_setr_epi8(B64_LUT_LO);
	const __m128i lut_hi = _mm_setr_epi8(B64_LUT_HI);
	const __m128i lut_roll = _mm_setr_epi8(B64_LUT_ROLL);
	const __m128i pack = _mm_setr_epi8(B64_PACK);
	const __m128i m2f = _mm_set1_epi8(0x2f);
	size_t i = 0;

	for (; i + 16 <= len; i += 16, out += 12) {
		__m128i c = _mm_loadu_si128((const __m128i *)(in + i));
		__m128i hn = _mm_and_si128(_mm_srli_epi32(c, 4), m2f);
		__m128i lo = _mm_shuffle_epi8(lut_lo, _mm_and_si128(c, m2f));
		__m128i hi = _mm_shuffle_epi8(lut_hi, hn);
		__m128i roll, v;

		if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(lo, hi),
						     _mm_setzero_si128())) != 0xffff)
			break;
		roll = _mm_shuffle_epi8(lut_roll,
					_mm_add_epi8(_mm_cmpeq_epi8(c, m2f), hn));
		v = _mm_add_epi8(c, roll);
		/* [a b c d] -> a<<6|b, c<<6|d (16 bits) -> 24 bits per lane */
		v = _mm_maddubs_epi16(v, _mm_set1_epi32(0x01400140));
		v = _mm_madd_epi16(v, _mm_set1_epi32(0x00011000));
		_mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(v, pack));
	}
	return i;
}

/* One block of 32 characters to 24 bytes, stored exactly (no slack), so
 * that blocks may overlap; false if any character is outside the
 * alphabet (nothing stored then). */
__attribute__((target("avx2"))) static inline bool
avx2_block(const uint8_t *restrict in, uint8_t *restrict out)
{
	const __m256i lut_lo = _mm256_setr_epi8(B64_LUT_LO, B64_LUT_LO);
	const __m256i lut_hi = _mm256_setr_epi8(B64_LUT_HI, B64_LUT_HI);
	const __m256i lut_roll = _mm256_setr_epi8(B64_LUT_ROLL, B64_LUT_ROLL);
	const __m256i pack = _mm256_setr_epi8(B64_PACK, B64_PACK);
	const __m256i m2f = _mm256_set1_epi8(0x2f);
	const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
	__m256i c = _mm256_loadu_si256((const __m256i *)in);
	__m256i hn = _mm256_and_si256(_mm256_srli_epi32(c, 4), m2f);
	__m256i lo = _mm256_shuffle_epi8(lut_lo, _mm256_and_si256(c, m2f));
	__m256i hi = _mm256_shuffle_epi8(lut_hi, hn);
	__m256i roll, v;

	if (!_mm256_testz_si256(lo, hi))
		return false;
	roll = _mm256_shuffle_epi8(lut_roll,
				   _mm256_add_epi8(_mm256_cmpeq_epi8(c, m2f), hn));
	v = _mm256_add_epi8(c, roll);
	v = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
	v = _mm256_madd_epi16(v, _mm256_set1_epi32(0x00011000));
	v = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, pack), lanes);
	/* bytes 0..23: the low half, then the first 8 of the high half */
	_mm_storeu_si128((__m128i *)out, _mm256_castsi256_si128(v));
	_mm_storel_epi64((__m128i *)(out + 16), _mm256_extracti128_si256(v, 1));
	return true;
}

/* The whole groups of LEN >= 32 characters: blocks of 32, the last one
 * ending with the last whole group and overlapping what is decoded (a
 * 76-character line is three blocks). Returns the characters decoded:
 * all whole groups, or those before the first block that had a character
 * outside the alphabet. */
__attribute__((target("avx2"))) static size_t
avx2_groups(const uint8_t *restrict in, size_t len, uint8_t *restrict out)
{
	size_t end = len / 4 * 4, i = 0;

	for (; i + 32 <= end; i += 32)
		if (!avx2_block(in + i, out + i / 4 * 3))
			return i;
	if (i < end && !avx2_block(in + end - 32, out + (end - 32) / 4 * 3))
		return i;
	return end;
}

enum simd { SIMD_UNKNOWN, SIMD_NONE, SIMD_SSSE3, SIMD_AVX2 };

static enum simd simd_level(void)
{
	static enum simd level = SIMD_UNKNOWN;

	if (level == SIMD_UNKNOWN)
		level = __builtin_cpu_supports("avx2")	 ? SIMD_AVX2 :
			__builtin_cpu_supports("ssse3") ? SIMD_SSSE3 :
							  SIMD_NONE;
	return level;
}

static size_t fast_groups(const uint8_t *restrict in, size_t len,
			  uint8_t *restrict out)
{
	enum simd level = simd_level();
	size_t i = 0;

	if (len < 4 || level == SIMD_NONE)
		return scalar_groups(in, len, out);
	if (level == SIMD_AVX2 && len >= 32) {
		i = avx2_groups(in, len, out);
		if (i == len / 4 * 4)
			return i;
	}
	if (len - i >= 16)
		i += ssse3_groups(in + i, len - i, out + i / 4 * 3);
	if (len - i >= 4 && len - i < 16) {
		/* the tail of a line (12 of a 76-character one): the 16
		 * characters ending with its last whole group, some decoded
		 * already, decoded again as one block; its 12 bytes are
		 * stored over the same place (all at or below 3*(len/4)) */
		size_t end = i + (len - i) / 4 * 4;
		uint8_t dec[16];

		if (end >= 16 &&
		    ssse3_groups(in + end - 16, 16, dec) == 16) {
			memcpy(out + (end - 16) / 4 * 3, dec, 12);
			return end;
		}
		if (end < 16) {
			/* a short line: padded to a block with 'A's */
			uint8_t blk[16];
			size_t r = end - i;

			memset(blk, 'A', sizeof(blk));
			memcpy(blk, in + i, r);
			if (ssse3_groups(blk, sizeof(blk), dec) == sizeof(blk)) {
				memcpy(out + i / 4 * 3, dec, r / 4 * 3);
				return end;
			}
		}
	}
	return i + scalar_groups(in + i, len - i, out + i / 4 * 3);
}
#else
#define fast_groups scalar_groups
#endif

/* Everything but whole lines of valid groups on an AVX2 machine. */
static size_t decode_slow(struct b64_dec *d, const uint8_t *in, size_t len,
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

size_t b64_decode(struct b64_dec *d, const uint8_t *in, size_t len,
		  uint8_t *out)
{
	if (b64_decode_whole(d, in, len, out))
		return len / 4 * 3;
	return decode_slow(d, in, len, out);
}

bool b64_decode_whole(struct b64_dec *d, const uint8_t *in, size_t len,
		      uint8_t *out)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	return len >= 32 && !(len & 3) && !d->next && !d->padding &&
	       simd_level() == SIMD_AVX2 && avx2_groups(in, len, out) == len;
#else
	(void)d, (void)in, (void)len, (void)out;
	return false;
#endif
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
