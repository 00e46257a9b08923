// SPDX-License-Identifier: BSD-3-Clause
/* smtp_bdat.c - BDAT chunk data to MIME lines, Zeek's rules (spec §2.7).
 * Owns a buffer capped at bdat_max_line_length; never blocks on input. */
#include "analyzer/smtp_bdat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analyzer.h"
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

static void push(struct smtp_bdat *b, struct mime_mail *m, uint8_t c)
{
	if (b->len == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 256;
		uint8_t *nb;

		if (ncap > b->max_line)
			ncap = b->max_line;
		nb = realloc(b->buf, ncap);
		if (!nb) {
			emit(b, m, false);
			return;
		}
		b->buf = nb;
		b->cap = ncap;
	}
	b->buf[b->len++] = c;
	if (b->len >= b->max_line) {
		char addl[24];

		snprintf(addl, sizeof(addl), "%zu", b->len);
		an_weird_str(b->ctx, "smtp_bdat_line_too_long", addl, SRC);
		emit(b, m, false);
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
	for (; i < n; i++) {
		uint8_t c = p[i];

		if (c == '\r') {
			if (i + 1 < n && p[i + 1] == '\n') {
				emit(b, m, true);
				i++;
				continue;
			}
			push(b, m, c);
			if (i + 1 == n && b->len)
				b->pending_cr = true;
			continue;
		}
		if (c == '\n') {
			push(b, m, c);
			if (b->len) {
				an_weird_str(b->ctx, "smtp_bdat_line_lf_only",
					     NULL, SRC);
				emit(b, m, false);
			}
			continue;
		}
		push(b, m, c);
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
