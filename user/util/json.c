// SPDX-License-Identifier: BSD-3-Clause
/* json.c - the JSON writer (and Zeek's byte escaping it shares with TSV).
 * Owns its output buffer; on allocation failure it stops growing and
 * sets oom rather than crash. */
#include "util/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "util/numfmt.h"

void jw_init(struct jw *w, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->pretty = pretty;
	w->first[0] = true;
}

void jw_reset(struct jw *w)
{
	bool pretty = w->pretty;
	char *buf = w->buf;
	size_t cap = w->cap;

	jw_init(w, pretty);
	w->buf = buf;
	w->cap = cap;
}

void jw_free(struct jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static bool reserve(struct jw *w, size_t n)
{
	if (w->oom)
		return false;
	if (w->len + n + 1 > w->cap) {
		size_t ncap = w->cap ? w->cap : 256;
		char *nb;

		while (w->len + n + 1 > ncap)
			ncap *= 2;
		nb = realloc(w->buf, ncap);
		if (!nb) {
			w->oom = true;
			return false;
		}
		w->buf = nb;
		w->cap = ncap;
	}
	return true;
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void putc_(struct jw *w, char c)
{
	put(w, &c, 1);
}

static void indent(struct jw *w)
{
	putc_(w, '\n');
	for (int i = 0; i < w->depth; i++)
		put(w, "  ", 2);
}

/* Separator before a value or key at the current depth. */
static void pre_value(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		putc_(w, ',');
	w->first[w->depth] = false;
	if (w->pretty && w->depth > 0)
		indent(w);
}

static void open_(struct jw *w, char c)
{
	pre_value(w);
	putc_(w, c);
	if (w->depth < JW_MAX_DEPTH - 1)
		w->depth++;
	w->first[w->depth] = true;
}

static void close_(struct jw *w, char c)
{
	bool empty = w->first[w->depth];

	if (w->depth > 0)
		w->depth--;
	if (w->pretty && !empty)
		indent(w);
	putc_(w, c);
}

void jw_obj_open(struct jw *w)
{
	open_(w, '{');
}

void jw_obj_close(struct jw *w)
{
	close_(w, '}');
}

void jw_arr_open(struct jw *w)
{
	open_(w, '[');
}

void jw_arr_close(struct jw *w)
{
	close_(w, ']');
}

size_t utf8_seq_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* overlong, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static const char hex[] = "0123456789abcdef";

/* The length of the run at P of printable ASCII (0x20..0x7e) other than
 * '\\' and Q (a second character to stop at), 16 bytes at a time. */
static size_t ascii_run(const uint8_t *p, size_t n, uint8_t q)
{
	size_t i = 0;

#if defined(__SSE2__)
	const __m128i sp = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
	const __m128i bs = _mm_set1_epi8('\\'), qv = _mm_set1_epi8((char)q);

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
		/* signed: 0x80..0xff are below 0x20 too */
		__m128i m = _mm_or_si128(
			_mm_or_si128(_mm_cmplt_epi8(v, sp),
				     _mm_cmpeq_epi8(v, del)),
			_mm_or_si128(_mm_cmpeq_epi8(v, bs),
				     _mm_cmpeq_epi8(v, qv)));
		unsigned int bits = (unsigned int)_mm_movemask_epi8(m);

		if (bits)
			return i + (size_t)__builtin_ctz(bits);
	}
#endif
	while (i < n && p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' &&
	       p[i] != q)
		i++;
	return i;
}

/* Core escaper: json = also escape '"' and '\\' the JSON way. */
static void escape_into(struct jw *w, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start = i;

		/* fast path: a run of plain printable ASCII */
		i += ascii_run(p + i, n - i, '"');
		if (i > start)
			put(w, (const char *)p + start, i - start);
		if (i >= n)
			break;
		uint8_t c = p[i];

		if (c == '"') {
			put(w, "\\\"", 2);
			i++;
		} else if (c == '\\') {
			put(w, "\\\\", 2);
			i++;
		} else if (c >= 0x80) {
			size_t l = utf8_seq_len(p + i, n - i);

			if (l) {
				put(w, (const char *)p + i, l);
				i += l;
				continue;
			}
			goto hexesc;
		} else {
hexesc:;
			char e[6] = { '\\', '\\', 'x', hex[c >> 4], hex[c & 15] };

			put(w, e, 5);
			i++;
		}
	}
}

void jw_key(struct jw *w, const char *key)
{
	pre_value(w);
	putc_(w, '"');
	escape_into(w, (const uint8_t *)key, strlen(key));
	put(w, w->pretty ? "\": " : "\":", w->pretty ? 3 : 2);
	w->after_key = true;
}

void jw_bytes(struct jw *w, const void *p, size_t n)
{
	pre_value(w);
	putc_(w, '"');
	escape_into(w, p, n);
	putc_(w, '"');
}

void jw_str(struct jw *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	jw_bytes(w, s, strlen(s));
}

void jw_u64(struct jw *w, uint64_t v)
{
	char b[NUMFMT_MAX];
	size_t n = fmt_u64(b, v);

	pre_value(w);
	put(w, b, n);
}

void jw_i64(struct jw *w, int64_t v)
{
	char b[NUMFMT_MAX];
	size_t n = fmt_i64(b, v);

	pre_value(w);
	put(w, b, n);
}

void jw_time(struct jw *w, double t)
{
	char b[NUMFMT_MAX];
	size_t n = fmt_time6(b, t);

	pre_value(w);
	put(w, b, n);
}

void jw_double(struct jw *w, double v)
{
	char b[40];
	int n = snprintf(b, sizeof(b), "%.15g", v);

	pre_value(w);
	put(w, b, (size_t)n);
}

void jw_bool(struct jw *w, bool v)
{
	pre_value(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w)
{
	pre_value(w);
	put(w, "null", 4);
}

void jw_raw(struct jw *w, const char *json, size_t n)
{
	pre_value(w);
	put(w, json, n);
}

void jw_newline(struct jw *w)
{
	putc_(w, '\n');
}

size_t zeek_escape(const void *vp, size_t n, char *buf, size_t cap)
{
	const uint8_t *p = vp;
	size_t o = 0, i = 0;

	if (cap == 0)
		return 0;
	while (i < n) {
		uint8_t c = p[i];
		size_t l = 1;
		bool esc;

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			/* a run of plain ASCII, copied at once */
			size_t k = i + 1 + ascii_run(p + i + 1, n - i - 1, '\\');

			if (o + (k - i) >= cap)
				k = i + (cap - 1 - o);
			memcpy(buf + o, p + i, k - i);
			o += k - i;
			if (k == i)
				break;
			i = k;
			continue;
		}
		if (c >= 0x80) {
			l = utf8_seq_len(p + i, n - i);
			esc = l == 0;
			if (esc)
				l = 1;
		} else {
			esc = c < 0x20 || c == 0x7f || c == '\\';
		}
		if (esc) {
			if (o + 4 >= cap)
				break;
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			if (o + l >= cap)
				break;
			memcpy(buf + o, p + i, l);
			o += l;
		}
		i += l;
	}
	buf[o] = '\0';
	return o;
}
