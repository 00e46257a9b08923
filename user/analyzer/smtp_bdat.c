// SPDX-License-Identifier: BSD-3-Clause
/* smtp_bdat.c - BDAT chunk data to MIME lines, Zeek's rules (spec §2.7).
 * Owns a buffer capped at bdat_max_line_length; never blocks on input. */
#include "analyzer/smtp_bdat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analyzer.h"
#include "analyzer/line.h"
#include "analyzer/mime.h"

#define SRC "SMTP_BDAT"

void smtp_bdat_init(struct smtp_bdat *b, struct an_ctx *ctx, size_t max_line)
{
	memset(b, 0, sizeof(*b));
	b->ctx = ctx;
	b->max_line = max_line ? max_line : 4096;
}

static void emit(struct smtp_bdat *b, struct mime_mail *m, bool crlf)
{
	if (m)
		mime_mail_deliver(m, b->buf ? b->buf : (const uint8_t *)"",
				  b->len, crlf);
	b->len = 0;
}

/* Room for one more byte; false when the buffer cannot grow. */
static bool grow(struct smtp_bdat *b)
{
	size_t ncap = b->cap ? b->cap * 2 : 256;
	uint8_t *nb;

	if (ncap > b->max_line)
		ncap = b->max_line;
	nb = realloc(b->buf, ncap);
	if (!nb)
		return false;
	b->buf = nb;
	b->cap = ncap;
	return true;
}

/* The K bytes at P to the line buffer, as if one at a time: the line goes
 * on (without CRLF, with a weird) each time it reaches max_line; a byte
 * the buffer cannot grow for is lost, after what it holds goes on. */
static void append(struct smtp_bdat *b, struct mime_mail *m,
		   const uint8_t *p, size_t k)
{
	while (k) {
		size_t take;

		if (b->len == b->cap && !grow(b)) {
			emit(b, m, false);
			p++;
			k--;
			continue;
		}
		take = b->cap - b->len;
		if (take > k)
			take = k;
		memcpy(b->buf + b->len, p, take);
		b->len += take;
		p += take;
		k -= take;
		if (b->len >= b->max_line) {
			char addl[24];

			snprintf(addl, sizeof(addl), "%zu", b->len);
			an_weird_str(b->ctx, "smtp_bdat_line_too_long", addl,
				     SRC);
			emit(b, m, false);
		}
	}
}

void smtp_bdat_deliver(struct smtp_bdat *b, struct mime_mail *m,
		       const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (b->pending_cr) {
		b->pending_cr = false;
		if (n && p[0] == '\n') {
			b->len--; /* drop the CR */
			emit(b, m, true);
			i = 1;
		} else {
			an_weird_str(b->ctx, "smtp_bdat_line_cr_only", NULL,
				     SRC);
			emit(b, m, false);
		}
	}
	while (i < n) {
		size_t k;

		if (!b->len && m) {
			/* nothing buffered: whole lines straight from P,
			 * clean ones in bulk where MIME can take them (so a
			 * line that fits in P goes on whole even when the
			 * buffer could not grow for it, where taking it a
			 * byte at a time cut it there and lost a byte) */
			i += mime_mail_bulk(m, p + i, n - i, b->max_line);
			if (i == n)
				break;
		}
		/* (a scan that stops at the first CR or LF: two memchr
		 * through the rest of the piece made it quadratic in the
		 * line ends of a chunk of lone CRs or bare LFs) */
		k = line_span(p + i, n - i);
		if (!b->len && k < b->max_line && k + 1 < n - i &&
		    p[i + k] == '\r' && p[i + k + 1] == '\n') {
			if (m)
				mime_mail_deliver(m, p + i, k, true);
			i += k + 2;
			continue;
		}
		append(b, m, p + i, k);
		i += k;
		if (i == n)
			break;
		if (p[i] == '\r') {
			if (i + 1 < n && p[i + 1] == '\n') {
				emit(b, m, true);
				i += 2;
				continue;
			}
			append(b, m, p + i, 1);
			if (i + 1 == n && b->len)
				b->pending_cr = true;
		} else { /* LF */
			append(b, m, p + i, 1);
			if (b->len) {
				an_weird_str(b->ctx, "smtp_bdat_line_lf_only",
					     NULL, SRC);
				emit(b, m, false);
			}
		}
		i++;
	}
}

void smtp_bdat_finish(struct smtp_bdat *b, struct mime_mail *m)
{
	b->pending_cr = false;
	if (b->len)
		emit(b, m, false);
}

void smtp_bdat_done(struct smtp_bdat *b, struct mime_mail *m)
{
	b->pending_cr = false;
	if (b->len) {
		an_weird_str(b->ctx, "smtp_bdat_undelivered_at_done", NULL,
			     SRC);
		emit(b, m, false);
	}
	free(b->buf);
	b->buf = NULL;
	b->cap = 0;
}
