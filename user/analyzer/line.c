// SPDX-License-Identifier: BSD-3-Clause
/* line.c - ContentLine line splitting, as spec §1.2 describes.
 * Owns one direction's partial line; never looks at what a line means. */
#include "analyzer/line.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "analyzer/analyzer.h"

void line_init(struct line_splitter *ls, struct an_ctx *ctx,
	       struct line_weirds *weirds, bool nul_sensitive,
	       uint32_t max_line, line_cb on_line, plain_cb on_plain,
	       void *arg)
{
	memset(ls, 0, sizeof(*ls));
	ls->ctx = ctx;
	ls->weirds = weirds;
	ls->flag_nuls = nul_sensitive;
	ls->max_line = max_line ? max_line : LINE_DEFAULT_MAX;
	ls->on_line = on_line;
	ls->on_plain = on_plain;
	ls->arg = arg;
}

void line_free(struct line_splitter *ls)
{
	if (ls->ctx)
		an_mem_release(ls->ctx, ls->cap);
	free(ls->buf);
	ls->buf = NULL;
	ls->len = ls->cap = 0;
}

void line_reset(struct line_splitter *ls)
{
	ls->len = 0;
	ls->last_char = 0;
}

void line_set_plain(struct line_splitter *ls, uint64_t n)
{
	ls->plain_remaining = n;
}

static void weird_once(struct line_splitter *ls, bool *flag, const char *name)
{
	if (*flag)
		return;
	*flag = true;
	if (ls->ctx)
		an_weird_str(ls->ctx, name, NULL, "CONTENTLINE");
}

static void emit(struct line_splitter *ls)
{
	size_t n = ls->len;

	ls->len = 0;
	ls->on_line(ls->arg, ls->buf ? ls->buf : (const uint8_t *)"", n);
}

/* Append one byte; a line reaching the cap is delivered as it is. */
static void push(struct line_splitter *ls, uint8_t c)
{
	if (ls->len == ls->cap) {
		if (ls->cap >= ls->max_line) {
			weird_once(ls, &ls->weirds->size_exceeded,
				   "contentline_size_exceeded");
			emit(ls);
		} else {
			size_t ncap = ls->cap ? ls->cap * 2 : 128;
			uint8_t *nb;

			if (ncap > ls->max_line)
				ncap = ls->max_line;
			if (ls->ctx && !an_mem_grow(ls->ctx, ncap - ls->cap)) {
				/* over the global budget: cut the line here */
				ls->bytes_skipped++;
				emit(ls);
				if (ls->cap) {
					ls->buf[ls->len++] = c;
					return;
				}
				return;
			}
			nb = realloc(ls->buf, ncap);
			if (!nb) {
				if (ls->ctx)
					an_mem_release(ls->ctx, ncap - ls->cap);
				/* Out of memory: deliver what we have. */
				ls->bytes_skipped++;
				emit(ls);
				return;
			}
			ls->buf = nb;
			ls->cap = ncap;
		}
	}
	ls->buf[ls->len++] = c;
}

/* Length of the run of ordinary bytes at p (no CR, LF, or NUL when NULs
 * are still special). One pass, sixteen bytes at a time with SSE2 (part
 * of x86-64 itself): three memchr passes cost three calls per line. */
#ifdef __SSE2__
static size_t plain_run(const uint8_t *p, size_t n, bool nul_special)
{
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	const __m128i nul = nul_special ? _mm_setzero_si128() : lf;
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, cr),
						      _mm_cmpeq_epi8(v, lf)),
					 _mm_cmpeq_epi8(v, nul));
		unsigned int bits = (unsigned int)_mm_movemask_epi8(m);

		if (bits)
			return i + (size_t)__builtin_ctz(bits);
	}
	for (; i < n; i++)
		if (p[i] == '\r' || p[i] == '\n' || (nul_special && !p[i]))
			return i;
	return n;
}
#else
static size_t plain_run(const uint8_t *p, size_t n, bool nul_special)
{
	const uint8_t *e = memchr(p, '\n', n);
	size_t k = e ? (size_t)(e - p) : n;

	e = memchr(p, '\r', k);
	if (e)
		k = (size_t)(e - p);
	if (nul_special) {
		e = memchr(p, '\0', k);
		if (e)
			k = (size_t)(e - p);
	}
	return k;
}
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* The CR, LF and NUL bytes of p[0..31], as bits. */
__attribute__((target("avx2"))) static inline uint32_t
specials32(const uint8_t *p)
{
	const __m256i cr = _mm256_set1_epi8('\r'), lf = _mm256_set1_epi8('\n');
	__m256i v = _mm256_loadu_si256((const __m256i *)p);
	__m256i m = _mm256_or_si256(
		_mm256_or_si256(_mm256_cmpeq_epi8(v, cr),
				_mm256_cmpeq_epi8(v, lf)),
		_mm256_cmpeq_epi8(v, _mm256_setzero_si256()));

	return (uint32_t)_mm256_movemask_epi8(m);
}

/* plain_run with NULs special, 32 bytes at a time: a body line is two or
 * three blocks. */
__attribute__((target("avx2"))) static size_t clean_run_avx2(const uint8_t *p,
							      size_t n)
{
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		uint32_t bits = specials32(p + i);

		if (bits)
			return i + (size_t)__builtin_ctz(bits);
	}
	return i + plain_run(p + i, n - i, true);
}

static bool have_avx2(void)
{
	static int avx2 = -1;

	if (avx2 < 0)
		avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
	return avx2;
}

static size_t clean_run(const uint8_t *p, size_t n)
{
	return have_avx2() ? clean_run_avx2(p, n) : plain_run(p, n, true);
}
#else
static size_t clean_run(const uint8_t *p, size_t n)
{
	return plain_run(p, n, true);
}
#endif

size_t line_clean(const uint8_t *p, size_t n, size_t max_line)
{
	size_t run;

	/* a partial line (the end of a packet, most often): no LF, so not
	 * clean, told without a scan for CR and NUL */
	if (n < 64 && !memchr(p, '\n', n))
		return LINE_NOT_CLEAN;
	run = clean_run(p, n);

	if (run + 1 < n && run < max_line && p[run] == '\r' &&
	    p[run + 1] == '\n')
		return run;
	return LINE_NOT_CLEAN;
}

/* line_clean_lines one line at a time, from START. */
static size_t clean_lines_from(const uint8_t *p, size_t n, size_t max_line,
			       size_t start)
{
	while (start < n) {
		size_t k = line_clean(p + start, n - start, max_line);

		if (k == LINE_NOT_CLEAN ||
		    (k && (p[start] == '-' || p[start] == '.')))
			break;
		start += k + 2;
	}
	return start;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* The CR, LF and NUL bytes of p[0..63], as bits. */
__attribute__((target("avx2"))) static inline uint64_t
specials64(const uint8_t *p)
{
	return specials32(p) | (uint64_t)specials32(p + 32) << 32;
}

/* 64 bytes at a time, every line ending in them from one set of bits:
 * a body line costs a few instructions more than its share of blocks,
 * not a scan of its own. */
__attribute__((target("avx2"))) static size_t
clean_lines_avx2(const uint8_t *p, size_t n, size_t max_line)
{
	size_t start = 0, base = 0;

	for (; base + 64 <= n; base += 64) {
		uint64_t bits = specials64(p + base);

		if (start > base) /* the LF of a CRLF across blocks */
			bits &= ~0ull << (start - base);
		while (bits) {
			size_t pos = base + (size_t)__builtin_ctzll(bits);

			if (pos - start >= max_line || p[pos] != '\r' ||
			    pos + 1 >= n || p[pos + 1] != '\n' ||
			    (pos > start &&
			     (p[start] == '-' || p[start] == '.')))
				return start;
			start = pos + 2;
			bits &= bits - 1; /* the CR */
			if (pos + 1 < base + 64)
				bits &= bits - 1; /* its LF */
		}
		if (start < base + 64 && base + 64 - start >= max_line)
			return start; /* no end within the cap */
	}
	return clean_lines_from(p, n, max_line, start);
}

size_t line_clean_lines(const uint8_t *p, size_t n, size_t max_line)
{
	return have_avx2() ? clean_lines_avx2(p, n, max_line) :
			     clean_lines_from(p, n, max_line, 0);
}
#else
size_t line_clean_lines(const uint8_t *p, size_t n, size_t max_line)
{
	return clean_lines_from(p, n, max_line, 0);
}
#endif

size_t line_span(const uint8_t *p, size_t n)
{
	return plain_run(p, n, false);
}

void line_set_bulk(struct line_splitter *ls, bulk_cb cb)
{
	ls->on_bulk = cb;
}

/* Append a run to the partial line, delivering pieces at the cap. */
static void push_run(struct line_splitter *ls, const uint8_t *p, size_t n)
{
	while (n) {
		size_t room, k;

		if (ls->len == ls->cap) {
			push(ls, *p++); /* grows, or cuts at the cap */
			n--;
			continue;
		}
		room = ls->cap - ls->len;
		k = n < room ? n : room;
		memcpy(ls->buf + ls->len, p, k);
		ls->len += k;
		p += k;
		n -= k;
	}
}

void line_deliver(struct line_splitter *ls, const uint8_t *data, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (ls->on_bulk && !ls->len && !ls->plain_remaining &&
		    ls->last_char != '\r') {
			/* at the start of a line, nothing pending: the lines
			 * taken in bulk are clean, as if split here */
			size_t k = ls->on_bulk(ls->arg, data + i, len - i,
					       ls->max_line);

			if (k) {
				i += k;
				ls->last_char = '\n';
				continue;
			}
		}
		if (ls->last_char == '\r' && data[i] == '\n' && ls->len == 0) {
			/* A CR ended the line at the end of an earlier
			 * delivery: CRLF is one terminator. Checked before
			 * plain delivery, as Zeek does. */
			i++;
			ls->last_char = '\n';
			continue;
		}
		if (ls->plain_remaining) {
			size_t n = len - i;

			if (n > ls->plain_remaining)
				n = ls->plain_remaining;
			ls->plain_remaining -= n;
			ls->last_char = 0;
			if (ls->on_plain)
				ls->on_plain(ls->arg, data + i, n);
			i += n;
			continue;
		}

		size_t run = plain_run(data + i, len - i, ls->flag_nuls);

		if (run) {
			if (ls->last_char == '\r')
				weird_once(ls, &ls->weirds->single_cr,
					   "line_terminated_with_single_CR");
			ls->last_char = data[i + run - 1];
			if (ls->len == 0 && i + run < len &&
			    run < ls->max_line && data[i + run] != '\0') {
				/* the whole line is here: no copy */
				const uint8_t *line = data + i;
				uint8_t c = data[i + run];

				i += run + 1;
				if (c == '\r' && i < len && data[i] == '\n') {
					i++;
					ls->last_char = '\n';
				} else {
					ls->last_char = c;
				}
				ls->on_line(ls->arg, line, run);
				continue;
			}
			push_run(ls, data + i, run);
			i += run;
			continue;
		}

		uint8_t c = data[i++];

		switch (c) {
		case '\r':
			if (i < len && data[i] == '\n') {
				i++;
				ls->last_char = '\n';
			} else {
				ls->last_char = '\r';
			}
			emit(ls);
			continue;
		case '\n':
			ls->last_char = '\n';
			emit(ls);
			continue;
		case '\0':
			if (ls->flag_nuls) {
				ls->flag_nuls = false;
				weird_once(ls, &ls->weirds->nul_in_line,
					   "NUL_in_line");
				break;
			}
			push(ls, c);
			break;
		default:
			push(ls, c);
			break;
		}
		if (ls->last_char == '\r')
			weird_once(ls, &ls->weirds->single_cr,
				   "line_terminated_with_single_CR");
		ls->last_char = c;
	}
}

void line_eof(struct line_splitter *ls)
{
	if (ls->len)
		emit(ls);
}
