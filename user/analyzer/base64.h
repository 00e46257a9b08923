/* SPDX-License-Identifier: BSD-3-Clause */
/* base64.h - streaming base64 decoding with Zeek's error semantics
 * (Base64Converter): invalid characters skipped, the first problem raises
 * weird base64_illegal_encoding, an incomplete final group is zero-padded.
 * Owns only the pending 4-character group. */
#ifndef MAILTAP_BASE64_H
#define MAILTAP_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct an_ctx;

struct b64_dec {
	uint8_t group[4];
	int next;     /* characters in group */
	int padding;  /* '=' seen: 1 or 2 */
	int errored;  /* number of problems seen */
	struct an_ctx *ctx; /* for weirds; NULL = silent */
};

/* Output space needed for LEN input bytes: their groups, a pending group
 * completed, and the slack of the block stores (base64.c). */
#define B64_OUT_MAX(len) (((len) / 4 + 3) * 3)

void b64_init(struct b64_dec *d, struct an_ctx *ctx);
/* Decode LEN bytes; writes at most B64_OUT_MAX(len) bytes to OUT and
 * returns how many were written. */
size_t b64_decode(struct b64_dec *d, const uint8_t *in, size_t len,
		  uint8_t *out);
/* Only the usual body line, at its fastest: LEN (a multiple of 4, at
 * least 32) characters all of the alphabet, no '=', nothing pending.
 * Then decodes them to OUT (len / 4 * 3 bytes) and returns true; else
 * returns false and has decoded nothing (OUT may have been written). */
bool b64_decode_whole(struct b64_dec *d, const uint8_t *in, size_t len,
		      uint8_t *out);
/* b64_decode_whole for K lines of LEN characters, STRIDE bytes apart in
 * IN, decoded one after the other into OUT (K * (len / 4 * 3) bytes).
 * Lines apart (STRIDE is LEN + 2; IN has K * STRIDE bytes) must each end
 * in CRLF. Returns how many lines, from the first, decoded whole and
 * ended so: all K, or fewer, stopping at the first line that is not
 * (or, decoded 32 or 64 characters at a time across line ends, at the
 * line before it). OUT past them may have been written. */
size_t b64_decode_lines(struct b64_dec *d, const uint8_t *in, size_t len,
			size_t stride, size_t k, uint8_t *out);
/* Use at most the named instruction set: "none", "ssse3", "avx2" or
 * "vbmi" (AVX-512 VBMI, the default where there is one), so tests can
 * compare the paths. False when the machine lacks it (nothing changes). */
bool b64_simd(const char *name);
/* End of input: flush an incomplete group (zero-padded, with a weird).
 * OUT needs 3 bytes. Returns bytes written. */
size_t b64_done(struct b64_dec *d, uint8_t *out);

/* One-shot decode as Zeek's decode_base64(): returns the decoded length,
 * or -1 if the input had any problem (weird raised through ctx). OUT must
 * hold B64_OUT_MAX(len) bytes. */
long b64_decode_strict(struct an_ctx *ctx, const uint8_t *in, size_t len,
		       uint8_t *out);

#endif
