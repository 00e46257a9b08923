// SPDX-License-Identifier: BSD-3-Clause
/* qp.c - quoted-printable decoding of the usual line without a branch per
 * byte: the line's '=' and its other non-literals found as bit masks
 * (AVX2 where there is one), then the literal runs between the =XX moved
 * 32 bytes at a time. Decoding byte by byte, the mispredicted branches at
 * each '=' made a mail of quoted-printable HTML parse at a quarter of
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

static bool use_simd = true;

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

static bool have_avx2(void)
{
	static int avx2 = -1;

	if (avx2 < 0)
		avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
	return avx2;
}

static void masks(const uint8_t *p, size_t nb, uint32_t *other, uint32_t *eq)
{
	if (use_simd && have_avx2())
		masks_avx2(p, nb, other, eq);
	else
		masks_scalar(p, nb, other, eq);
}

bool qp_simd(bool on)
{
	use_simd = on;
	return on && have_avx2();
}
#else
static void masks(const uint8_t *p, size_t nb, uint32_t *other, uint32_t *eq)
{
	masks_scalar(p, nb, other, eq);
}

bool qp_simd(bool on)
{
	use_simd = on;
	return false;
}
#endif

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
