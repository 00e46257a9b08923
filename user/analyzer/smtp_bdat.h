/* SPDX-License-Identifier: BSD-3-Clause */
/* smtp_bdat.h - the line splitter for BDAT chunk data (weird source
 * "SMTP_BDAT", spec §2.7): CRLF lines go to MIME with an implicit CRLF,
 * bare LF / CR-only / over-long pieces go without. Owns the line buffer
 * that spans chunks; never sees commands. */
#ifndef MAILTAP_SMTP_BDAT_H
#define MAILTAP_SMTP_BDAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct an_ctx;
struct mime_mail;

struct smtp_bdat {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t max_line;
	bool pending_cr; /* the last piece ended in a CR (kept in buf) */
	struct an_ctx *ctx;
};

void smtp_bdat_init(struct smtp_bdat *b, struct an_ctx *ctx, size_t max_line);
/* One piece of chunk data (n may be 0). m may be NULL (lines dropped). */
void smtp_bdat_deliver(struct smtp_bdat *b, struct mime_mail *m,
		       const uint8_t *p, size_t n);
/* LAST chunk complete: the unterminated remainder goes without CRLF. */
void smtp_bdat_finish(struct smtp_bdat *b, struct mime_mail *m);
/* Transfer torn down: leftover bytes raise smtp_bdat_undelivered_at_done
 * and are delivered; then the buffer is freed. */
void smtp_bdat_done(struct smtp_bdat *b, struct mime_mail *m);

#endif
