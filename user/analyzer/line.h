/* SPDX-License-Identifier: BSD-3-Clause */
/* line.h - Zeek's ContentLine splitter for one direction: CR, LF and CRLF
 * end lines, the first NUL is dropped (when NUL-sensitive), long lines are
 * cut, and "plain delivery" passes N raw bytes through (SMTP BDAT).
 * Owns the partial-line buffer; never interprets line contents. */
#ifndef MAILTAP_LINE_H
#define MAILTAP_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct an_ctx;

/* A complete line, without its terminator. */
typedef void (*line_cb)(void *arg, const uint8_t *line, size_t len);
/* Raw bytes while in plain-delivery mode. */
typedef void (*plain_cb)(void *arg, const uint8_t *data, size_t len);
/* Lines in bulk (a message body): DATA, from the start of a line to the
 * end of the delivery, is offered before it is split; the callback takes
 * whole clean lines (line_clean) and returns the bytes taken, 0 to have
 * the next line split as usual. */
typedef size_t (*bulk_cb)(void *arg, const uint8_t *data, size_t len,
			  size_t max_line);

/* Weird flags shared by both directions of a connection (Zeek raises
 * these once per connection). */
struct line_weirds {
	bool nul_in_line;
	bool single_cr;
	bool size_exceeded;
};

struct line_splitter {
	uint8_t *buf;
	size_t len;
	size_t cap;
	uint8_t last_char;
	bool flag_nuls;  /* drop the next NUL (first one only) */
	uint32_t max_line;
	uint64_t plain_remaining;
	uint64_t bytes_skipped; /* bytes lost at line cuts */
	struct an_ctx *ctx;
	struct line_weirds *weirds;
	line_cb on_line;
	plain_cb on_plain;
	bulk_cb on_bulk;
	void *arg;
};

/* nul_sensitive: drop the first NUL and raise NUL_in_line (SMTP).
 * max_line: cap on a line's length (0 = Zeek's 16 MiB - 100). */
void line_init(struct line_splitter *ls, struct an_ctx *ctx,
	       struct line_weirds *weirds, bool nul_sensitive,
	       uint32_t max_line, line_cb on_line, plain_cb on_plain,
	       void *arg);
void line_deliver(struct line_splitter *ls, const uint8_t *data, size_t len);
/* Offer lines in bulk to CB (NULL: never) before splitting them. */
void line_set_bulk(struct line_splitter *ls, bulk_cb cb);
/* The length of the line at P (N bytes there) when it is clean: ended by
 * CRLF within the N bytes, shorter than MAX_LINE, no CR, LF or NUL inside
 * — a line the splitter would deliver as it is, whatever its NUL mode.
 * LINE_NOT_CLEAN otherwise. */
size_t line_clean(const uint8_t *p, size_t n, size_t max_line);
#define LINE_NOT_CLEAN ((size_t)-1)
/* The bytes of the clean lines (line_clean) at the start of P, up to the
 * first line that is not, or that starts with '-' or '.' (in a body, a
 * boundary or a line the dot rules change): each with its CRLF. */
size_t line_clean_lines(const uint8_t *p, size_t n, size_t max_line);
/* The bytes at P (N there) before the first CR or LF: one pass, as long
 * as that run (for splitters of their own, e.g. BDAT's). */
size_t line_span(const uint8_t *p, size_t n);
/* Pass the next N bytes through on_plain, then resume line mode. May be
 * called from inside on_line; takes effect for the very next byte. */
void line_set_plain(struct line_splitter *ls, uint64_t n);
/* Flush a pending unterminated line (end of stream). */
void line_eof(struct line_splitter *ls);
/* Forget a partial line (after a content gap). */
void line_reset(struct line_splitter *ls);
void line_free(struct line_splitter *ls);

#define LINE_DEFAULT_MAX (16u * 1024 * 1024 - 100)

#endif
