// SPDX-License-Identifier: BSD-3-Clause
/* qp.c - quoted-printable decoding of the usual line without a branch per
 * byte: with AVX-512 VBMI2, 64 bytes at a time without a branch per '='
 * either (each =XX decoded in its '=' and the two digits squeezed out);
 * else the line's '=' and its other non-literals found as bit masks
 * (AVX2 where there is one), then the literal runs between the =XX moved
 * 32 bytes at a time. Decoding byte by byte, the mispredicted branches at
 * each '=' made a mail of quoted-printable HTML parse at under a third of
 * the speed of one of base64. */
#include "analyzer/qp.h"

#include <string.h>

#define BLOCKS (QP_LINE_MAX / 32)

const uint8_t qp_hex1[256] = {
	['0'] = 1,  ['1'] = 2,	['2'] = 3,  ['3'] = 4,	['4'] = 5,  ['5'] = 6,
	['6'] = 7,  ['7'] = 8,	['8'] = 9,  ['9'] = 10, ['A'] = 11, ['B'] = 12,
	['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

/* For each of the NB 32-byte blocks of P: its non-literal bytes and its
 * '=' bytes, as bits. */
static void masks_scalar(const uint8_t *p, size_t nb, uint32_t *other,
			 uint32_t *eq)
{
	for (size_t b = 0; b < nb; b++) {
		other[b] = eq[b] = 0;
		for (int i = 0; i < 32; i++) {
			uint8_t c = p[32 * b + i];

			if (c == '=')
				eq[b] |= 1u << i;
			else if (!qp_literal(c))
				other[b] |= 1u << i;
		}
	}
}

enum level { LEVEL_UNKNOWN, LEVEL_NONE, LEVEL_AVX2, LEVEL_VBMI2 };

static enum level level_cap = LEVEL_VBMI2; /* qp_simd: tests compare */

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

__attribute__((target("avx2"))) static void
masks_avx2(const uint8_t *p, size_t nb, uint32_t *other, uint32_t *eq)
{
	for (size_t b = 0; b < nb; b++) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(p + 32 * b));
		/* signed compares: bytes of 128 and up are negative */
		__m256i printable = _mm256_and_si256(
			_mm256_cmpgt_epi8(v, _mm256_set1_epi8(' ' - 1)),
			_mm256_cmpgt_epi8(_mm256_set1_epi8('~' + 1), v));
		__m256i is_eq = _mm256_cmpeq_epi8(v, _mm256_set1_epi8('='));
		__m256i ok = _mm256_or_si256(
			printable,
			_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\t')));

		eq[b] = (uint32_t)_mm256_movemask_epi8(is_eq);
		/* '=' is printable: not among the others */
		other[b] = ~(uint32_t)_mm256_movemask_epi8(ok);
	}
}

#define VBMI2_TARGET "avx512f,avx512bw,avx512vbmi,avx512vbmi2"

/* The value of each hexadecimal digit of V, a byte with its top bit set
 * (0xff) for any other ASCII byte (the line has no others here): qp_hex1
 * looked up, less one. */
__attribute__((target(VBMI2_TARGET))) static inline __m512i nibbles(__m512i v)
{
	return _mm512_sub_epi8(
		_mm512_permutex2var_epi8(_mm512_loadu_si512(qp_hex1), v,
					 _mm512_loadu_si512(qp_hex1 + 64)),
		_mm512_set1_epi8(1));
}

/* One 64-byte block A of a line (B, the next: for the digits of an '='
 * at its end; the nibbles of both in NA, NB): the block with each of
 * the '=' in EQ replaced by the byte its digits stand for, squeezed to
 * the bytes in KEEP at OUT (64 bytes written); false if some '=' in EQ is
 * not followed by two digits. */
__attribute__((target(VBMI2_TARGET))) static inline bool
block_vbmi2(__m512i a, __m512i na, __m512i nb, uint64_t eq, uint64_t keep,
	    uint8_t *out)
{
	const __m512i plus1 = _mm512_set_epi8(
		64, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49,
		48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33,
		32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
		16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
	const __m512i one = _mm512_set1_epi8(1);
	/* byte i: the nibbles of bytes i + 1 and i + 2 (NB past the end) */
	__m512i hi = _mm512_permutex2var_epi8(na, plus1, nb);
	__m512i lo =
		_mm512_permutex2var_epi8(na, _mm512_add_epi8(plus1, one), nb);
	__m512i val;

	if (_mm512_mask_test_epi8_mask(eq, _mm512_or_si512(hi, lo),
				       _mm512_set1_epi8((char)0x80)))
		return false;
	/* (the high bits of a byte's 16-bit lane neighbour are cleared:
	 * 0xff << 4 would reach it) */
	val = _mm512_or_si512(
		_mm512_slli_epi16(_mm512_and_si512(hi, _mm512_set1_epi8(0x0f)),
				  4),
		lo);
	a = _mm512_mask_blend_epi8(eq, a, val);
	_mm512_storeu_si512(out, _mm512_maskz_compress_epi8(keep, a));
	return true;
}

/* The bytes of V that are neither literals nor '=': under ' ' but tab,
 * or over '~'. */
__attribute__((target(VBMI2_TARGET))) static inline uint64_t others64(__m512i v)
{
	return (_mm512_cmplt_epu8_mask(v, _mm512_set1_epi8(' ')) &
		~_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\t'))) |
	       _mm512_cmpgt_epu8_mask(v, _mm512_set1_epi8('~'));
}

/* qp_decode_line with VBMI2: a line of at most 128 bytes is two blocks
 * and the start of a third (the digits of an '=' at the end of the
 * second are past the line: not digits). */
__attribute__((target(VBMI2_TARGET))) static size_t
decode_vbmi2(const uint8_t *in, size_t n, uint8_t *out, bool *soft)
{
	uint8_t pad[QP_LINE_MAX + 128];
	__m512i a, b, c, na, nb, nc;
	uint64_t in0, in1, eq0, eq1, keep0, keep1;
	size_t end = n, w;

	memcpy(pad, in, n);
	memset(pad + n, 0, 128); /* the three blocks defined */
	a = _mm512_loadu_si512(pad);
	b = _mm512_loadu_si512(pad + 64);
	c = _mm512_loadu_si512(pad + 128);
	in0 = n >= 64 ? ~0ull : (1ull << n) - 1;
	in1 = n >= 128 ? ~0ull : n <= 64 ? 0 : (1ull << (n - 64)) - 1;
	if ((others64(a) & in0) | (others64(b) & in1))
		return QP_NOT_USUAL;
	eq0 = _mm512_cmpeq_epi8_mask(a, _mm512_set1_epi8('=')) & in0;
	eq1 = _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8('=')) & in1;
	*soft = n && pad[n - 1] == '=';
	if (*soft) {
		end = n - 1;
		if (end < 64) {
			eq0 &= ~(1ull << end);
			in0 &= ~(1ull << end);
		} else {
			eq1 &= ~(1ull << (end - 64));
			in1 &= ~(1ull << (end - 64));
		}
	}
	/* the digits go: those of an '=' at 62 or 63 are in the second */
	keep0 = in0 & ~(eq0 << 1 | eq0 << 2);
	keep1 = in1 & ~(eq1 << 1 | eq1 << 2 | eq0 >> 62 | eq0 >> 63);
	na = nibbles(a);
	nb = nibbles(b);
	nc = nibbles(c);
	if (!block_vbmi2(a, na, nb, eq0, keep0, out))
		return QP_NOT_USUAL;
	w = (size_t)__builtin_popcountll(keep0);
	if (n > 64 && !block_vbmi2(b, nb, nc, eq1, keep1, out + w))
		return QP_NOT_USUAL;
	return w + (size_t)__builtin_popcountll(keep1);
}

static enum level machine_level(void)
{
	static enum level level = LEVEL_UNKNOWN;

	if (level == LEVEL_UNKNOWN) {
		level = __builtin_cpu_supports("avx2") ? LEVEL_AVX2
						       : LEVEL_NONE;
		if (level == LEVEL_AVX2 && __builtin_cpu_supports("avx512bw") &&
		    __builtin_cpu_supports("avx512vbmi") &&
		    __builtin_cpu_supports("avx512vbmi2"))
			level = LEVEL_VBMI2;
	}
	return level;
}
#else
static enum level machine_level(void)
{
	return LEVEL_NONE;
}
#endif

static enum level level(void)
{
	enum level have = machine_level();

	return have < level_cap ? have : level_cap;
}

static void masks(const uint8_t *p, size_t nb, uint32_t *other, uint32_t *eq)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	if (level() >= LEVEL_AVX2) {
		masks_avx2(p, nb, other, eq);
		return;
	}
#endif
	masks_scalar(p, nb, other, eq);
}

bool qp_simd(const char *name)
{
	static const char *const names[] = {"", "none", "avx2", "vbmi2"};

	for (int i = LEVEL_NONE; i <= LEVEL_VBMI2; i++) {
		if (strcmp(name, names[i]))
			continue;
		if ((enum level)i > machine_level())
			return false;
		level_cap = (enum level)i;
		return true;
	}
	return false;
}

/* Bytes [from, to) of PAD to OUT + W, 32 at a time (at least once: a
 * run between two =XX is mostly shorter, and the branch is then always
 * taken the same way). PAD and OUT have 32 bytes of room past what is
 * used, and what is stored past W + (to - from) is stored over later. */
static inline void move_run(uint8_t *restrict out, size_t w,
			    const uint8_t *restrict pad, size_t from, size_t to)
{
	do {
		memcpy(out + w, pad + from, 32);
		from += 32;
		w += 32;
	} while (from < to);
}

size_t qp_decode_line(const uint8_t *in, size_t n, uint8_t *out, bool *soft)
{
	uint8_t pad[QP_LINE_MAX + 32];
	uint32_t other[BLOCKS], eq[BLOCKS];
	size_t w = 0, r = 0, end = n, nb = (n + 31) / 32;

	if (n > QP_LINE_MAX)
		return QP_NOT_USUAL;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	if (level() == LEVEL_VBMI2)
		return decode_vbmi2(in, n, out, soft);
#endif
	memcpy(pad, in, n);
	/* the rest of the last block: defined, and masked off below (a
	 * constant size: GCC's inline memset of a variable one starts slow) */
	memset(pad + n, 0, 32);
	masks(pad, nb, other, eq);
	for (size_t b = 0; b < nb; b++) {
		/* the bits of the line's bytes only */
		uint32_t in_line =
			n >= 32 * (b + 1) ? ~0u : (1u << (n - 32 * b)) - 1;

		if (other[b] & in_line)
			return QP_NOT_USUAL;
		eq[b] &= in_line;
	}
	*soft = n && pad[n - 1] == '=';
	if (*soft) {
		end = n - 1;
		eq[end / 32] &= ~(1u << (end % 32));
	}
	for (size_t b = 0; b < nb; b++) {
		for (uint32_t bits = eq[b]; bits; bits &= bits - 1) {
			size_t j = 32 * b + (size_t)__builtin_ctz(bits);
			unsigned int hi, lo;

			/* two digits, before the soft break if any (neither
			 * can be a '=' that has a bit here: not a digit) */
			if (j + 2 >= end)
				return QP_NOT_USUAL;
			hi = qp_hex1[pad[j + 1]];
			lo = qp_hex1[pad[j + 2]];
			if (!hi || !lo)
				return QP_NOT_USUAL;
			move_run(out, w, pad, r, j);
			w += j - r;
			out[w++] = (uint8_t)((hi - 1) << 4 | (lo - 1));
			r = j + 3;
		}
	}
	move_run(out, w, pad, r, end);
	return w + (end - r);
}
