/* SPDX-License-Identifier: BSD-3-Clause */
/* qp.h - quoted-printable decoding of the usual line: literals and
 * well-formed =XX, maybe a soft line break at its end. Anything else
 * (control characters, 8-bit bytes, a lone '=', a long line) is left to
 * the MIME analyzer's careful decoder, which raises Zeek's "illegal
 * encoding" events for it (mime.c). */
#ifndef MAILTAP_QP_H
#define MAILTAP_QP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest line qp_decode_line takes (RFC 2045 allows 76). */
#define QP_LINE_MAX 128
/* Room qp_decode_line needs at OUT: it writes 64 bytes at a time. */
#define QP_OUT_MIN (QP_LINE_MAX + 64)
#define QP_NOT_USUAL ((size_t)-1)

/* One more than the value of each hexadecimal digit (either case); 0 for
 * every other byte. */
extern const uint8_t qp_hex1[256];

/* The value of hexadecimal digit C, or -1. */
static inline int qp_hex(uint8_t c)
{
	return (int)qp_hex1[c] - 1;
}

/* A literal: printable ASCII but '=', or space, or tab. */
static inline bool qp_literal(uint8_t c)
{
	return (c >= ' ' && c <= '~' && c != '=') || c == '\t';
}

/* Decode the line IN[0..N) (without its line end, trailing white space
 * already removed) to OUT (QP_OUT_MIN bytes): returns the decoded length
 * and sets *SOFT when the line ended in a soft line break ('='). Returns
 * QP_NOT_USUAL (OUT may have been written) when N > QP_LINE_MAX or the line
 * holds anything but literals and '=' followed by two hexadecimal
 * digits (upper or lower case); *SOFT means nothing then. Reads exactly
 * N bytes of IN. */
size_t qp_decode_line(const uint8_t *in, size_t n, uint8_t *out, bool *soft);
/* Use at most the named instruction set: "none", "avx2" or "vbmi2"
 * (AVX-512 VBMI2, the default where there is one), so tests can compare
 * the ways. False when the machine lacks it (nothing changes). */
bool qp_simd(const char *name);

#endif
