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
avx2_vec(__m256i c, uint8_t *restrict out)
{
	const __m256i lut_lo = _mm256_setr_epi8(B64_LUT_LO, B64_LUT_LO);
	const __m256i lut_hi = _mm256_setr_epi8(B64_LUT_HI, B64_LUT_HI);
	const __m256i lut_roll = _mm256_setr_epi8(B64_LUT_ROLL, B64_LUT_ROLL);
	const __m256i pack = _mm256_setr_epi8(B64_PACK, B64_PACK);
	const __m256i m2f = _mm256_set1_epi8(0x2f);
	const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
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

__attribute__((target("avx2"))) static inline bool
avx2_block(const uint8_t *restrict in, uint8_t *restrict out)
{
	return avx2_vec(_mm256_loadu_si256((const __m256i *)in), out);
}

/* Characters c..c+31 (line LINE, column COL) of a run of lines of LEN >=
 * 32 characters, each followed by CRLF: vbmi_run_block's way. */
__attribute__((target("avx2"))) static inline bool
avx2_run_block(const uint8_t *restrict in, size_t line, size_t col,
	       size_t len, uint8_t *restrict out)
{
	const uint8_t *src = in + line * (len + 2) + col;
	__m256i v = _mm256_loadu_si256((const __m256i *)src);
	size_t j = len - col; /* characters before the line's end */

	if (j < 32) {
		const __m256i iota = _mm256_setr_epi8(
			0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
			16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
			29, 30, 31);
		__m256i after = _mm256_cmpgt_epi8(
			iota, _mm256_set1_epi8((char)(j - 1)));

		v = _mm256_blendv_epi8(
			v, _mm256_loadu_si256((const __m256i *)(src + 2)),
			after);
	}
	return avx2_vec(v, out);
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

/* Sixty-four characters at a time with AVX-512 VBMI (Muła and Lemire,
 * "Base64 encoding and decoding at almost the speed of a memory copy",
 * 2019): one two-table byte permute maps each character to its value or to
 * 0x80 (outside the alphabet, '=' included; a high input bit shows through
 * the OR), the same multiply-adds pack, one byte permute gathers the 48
 * bytes, stored exactly. */
static const int8_t b64_vbmi_lut[128] = {
#define X -128
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
	X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
	X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
#undef X
};

#define B64_VBMI_TARGET "avx512f,avx512bw,avx512vbmi"

__attribute__((target(B64_VBMI_TARGET))) static inline bool
vbmi_vec(__m512i c, uint8_t *restrict out)
{
	const __m512i lut0 = _mm512_loadu_si512(b64_vbmi_lut);
	const __m512i lut1 = _mm512_loadu_si512(b64_vbmi_lut + 64);
	/* output byte 3k+j is byte 2-j of 32-bit lane k */
	const __m512i pack = _mm512_set_epi8(
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		60, 61, 62, 56, 57, 58, 52, 53, 54, 48, 49, 50, 44, 45, 46, 40,
		41, 42, 36, 37, 38, 32, 33, 34, 28, 29, 30, 24, 25, 26, 20, 21,
		22, 16, 17, 18, 12, 13, 14, 8, 9, 10, 4, 5, 6, 0, 1, 2);
	__m512i v = _mm512_permutex2var_epi8(lut0, c, lut1);

	if (_mm512_movepi8_mask(_mm512_or_si512(v, c)))
		return false;
	v = _mm512_maddubs_epi16(v, _mm512_set1_epi32(0x01400140));
	v = _mm512_madd_epi16(v, _mm512_set1_epi32(0x00011000));
	_mm512_mask_storeu_epi8(out, 0x0000ffffffffffffull,
				_mm512_permutexvar_epi8(pack, v));
	return true;
}

__attribute__((target(B64_VBMI_TARGET))) static inline bool
vbmi_block(const uint8_t *restrict in, uint8_t *restrict out)
{
	return vbmi_vec(_mm512_loadu_si512(in), out);
}

/* Characters c..c+63 of a run of lines of LEN >= 64 characters, each
 * followed by CRLF: at most one line end falls in them, skipped by taking
 * the characters after it from a load two bytes further on. */
__attribute__((target(B64_VBMI_TARGET))) static inline bool
vbmi_run_block(const uint8_t *restrict in, size_t line, size_t col,
	       size_t len, uint8_t *restrict out)
{
	const uint8_t *src = in + line * (len + 2) + col;
	__m512i v = _mm512_loadu_si512(src);
	size_t j = len - col; /* characters before the line's end */

	if (j < 64)
		v = _mm512_mask_blend_epi8(~0ull << j, v,
					   _mm512_loadu_si512(src + 2));
	return vbmi_vec(v, out);
}

/* Characters c..c+W-1 of a run of lines, at line LINE, column COL. */
typedef bool run_block_fn(const uint8_t *restrict in, size_t line,
			  size_t col, size_t len, uint8_t *restrict out);

/* K lines of LEN >= W characters (a multiple of 4), each followed by
 * CRLF (checked before), decoded as one run of characters: W at a time
 * across the line ends (a block holds at most one), where decoding line
 * by line takes two 64-character blocks for a 76-character line, three
 * of 32. Returns the lines before the first block that failed (the line
 * a bad character is in, or the one before it). Inlined into each
 * instruction set's caller, BLOCK with it. */
static inline __attribute__((always_inline)) size_t
lines_in_blocks(const uint8_t *restrict in, size_t len, size_t k,
		uint8_t *restrict out, size_t w, run_block_fn *block)
{
	size_t total = k * len, c = 0, line = 0, col = 0;

	for (; c + w <= total; c += w) {
		if (!block(in, line, col, len, out + c / 4 * 3))
			return line;
		col += w;
		if (col >= len) {
			col -= len;
			line++;
		}
	}
	if (c < total) { /* the last characters: a block ending with them */
		c = total - w;
		line = c / len;
		if (!block(in, line, c - line * len, len, out + c / 4 * 3))
			return line;
	}
	return k;
}

__attribute__((target(B64_VBMI_TARGET))) static size_t
vbmi_lines(const uint8_t *restrict in, size_t len, size_t k,
	   uint8_t *restrict out)
{
	return lines_in_blocks(in, len, k, out, 64, vbmi_run_block);
}

__attribute__((target("avx2"))) static size_t
avx2_lines(const uint8_t *restrict in, size_t len, size_t k,
	   uint8_t *restrict out)
{
	return lines_in_blocks(in, len, k, out, 32, avx2_run_block);
}

/* avx2_groups' way with 64-character blocks, for LEN >= 64. */
__attribute__((target(B64_VBMI_TARGET))) static size_t
vbmi_groups(const uint8_t *restrict in, size_t len, uint8_t *restrict out)
{
	size_t end = len / 4 * 4, i = 0;

	for (; i + 64 <= end; i += 64)
		if (!vbmi_block(in + i, out + i / 4 * 3))
			return i;
	if (i < end && !vbmi_block(in + end - 64, out + (end - 64) / 4 * 3))
		return i;
	return end;
}

enum simd { SIMD_UNKNOWN, SIMD_NONE, SIMD_SSSE3, SIMD_AVX2, SIMD_VBMI };

static enum simd simd_cap = SIMD_VBMI; /* b64_simd: tests compare levels */

static enum simd simd_level(void)
{
	static enum simd level = SIMD_UNKNOWN;

	if (level == SIMD_UNKNOWN) {
		level = __builtin_cpu_supports("avx2")	 ? SIMD_AVX2 :
			__builtin_cpu_supports("ssse3") ? SIMD_SSSE3 :
							  SIMD_NONE;
		if (level == SIMD_AVX2 &&
		    __builtin_cpu_supports("avx512vbmi") &&
		    __builtin_cpu_supports("avx512bw"))
			level = SIMD_VBMI;
	}
	return level < simd_cap ? level : simd_cap;
}

/* Whole groups at the front of IN by the widest blocks there are. */
static size_t wide_groups(enum simd level, const uint8_t *restrict in,
			  size_t len, uint8_t *restrict out)
{
	if (level == SIMD_VBMI && len >= 64)
		return vbmi_groups(in, len, out);
	if (level >= SIMD_AVX2 && len >= 32)
		return avx2_groups(in, len, out);
	return 0;
}

static size_t fast_groups(const uint8_t *restrict in, size_t len,
			  uint8_t *restrict out)
{
	enum simd level = simd_level();
	size_t i = 0;

	if (len < 4 || level == SIMD_NONE)
		return scalar_groups(in, len, out);
	if (level >= SIMD_AVX2) {
		i = wide_groups(level, in, len, out);
		if (i == len / 4 * 4 && i)
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
	return b64_decode_lines(d, in, len, len, 1, out) == 1;
}

/* The line of LEN characters at P is followed by CRLF. */
static inline bool crlf_after(const uint8_t *p, size_t len)
{
	return p[len] == '\r' && p[len + 1] == '\n';
}

size_t b64_decode_lines(struct b64_dec *d, const uint8_t *in, size_t len,
			size_t stride, size_t k, uint8_t *out)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	enum simd level = simd_level();
	size_t olen = len / 4 * 3, i = 0;

	if (len < 32 || (len & 3) || d->next || d->padding ||
	    level < SIMD_AVX2)
		return 0;
	/* the level is chosen once for all lines */
	if (stride == len + 2) {
		while (i < k && crlf_after(in + i * stride, len))
			i++;
		if (!i)
			return 0;
		return level == SIMD_VBMI && len >= 64 ?
			       vbmi_lines(in, len, i, out) :
			       avx2_lines(in, len, i, out);
	}
	if (level == SIMD_VBMI && len >= 64) {
		while (i < k && vbmi_groups(in + i * stride, len,
					    out + i * olen) == len)
			i++;
		return i;
	}
	while (i < k && avx2_groups(in + i * stride, len, out + i * olen) == len)
		i++;
	return i;
#else
	(void)d, (void)in, (void)len, (void)stride, (void)k, (void)out;
	return 0;
#endif
}

bool b64_simd(const char *name)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	static const char *const names[] = { "", "none", "ssse3", "avx2",
					     "vbmi" };
	enum simd want = SIMD_UNKNOWN, have;

	for (int i = SIMD_NONE; i <= SIMD_VBMI; i++)
		if (!strcmp(name, names[i]))
			want = (enum simd)i;
	simd_cap = SIMD_VBMI;
	have = simd_level();
	if (want == SIMD_UNKNOWN || want > have)
		return false;
	simd_cap = want;
	return true;
#else
	return !strcmp(name, "none");
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
