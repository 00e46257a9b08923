/* SPDX-License-Identifier: BSD-3-Clause */
/* mime.h - Zeek's MIME layer for one mail (spec §4): RFC 5322 headers with
 * folding, multipart entities and nesting, base64/quoted-printable
 * decoding, and the mime_* events. SMTP and POP3 feed it lines.
 * Owns one mail's entity stack; never sees TCP or protocol commands. */
#ifndef MAILTAP_MIME_H
#define MAILTAP_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct an_ctx;
struct mime_mail;

/* Start a mail: raises mime_begin_entity for the top-level entity.
 * source: analyzer name for weirds ("SMTP", "POP3"); is_orig: direction
 * the mail flows in (set on every mime_* event). Returns 0 or -ENOMEM. */
int mime_mail_new(struct mime_mail **out, struct an_ctx *ctx,
		  const char *source, bool is_orig);
/* One line of the mail without its terminator; crlf: an implicit CRLF
 * follows (false for BDAT pieces that did not end in CRLF). */
void mime_mail_deliver(struct mime_mail *m, const uint8_t *line, size_t len,
		       bool crlf);
/* Body lines in bulk, for a caller that needs nothing per line (no
 * smtp_data or pop3_data each): the clean lines at DATA (line_clean)
 * that could be neither a boundary nor dot-stuffed (no leading '-' or
 * '.') go to the entity the last body line went to, as through
 * mime_mail_deliver, while segment data is merged. Returns the bytes
 * taken (whole lines with their CRLF); 0 when the next line must go
 * through mime_mail_deliver. */
size_t mime_mail_bulk(struct mime_mail *m, const uint8_t *data, size_t len,
		      size_t max_line);
/* LEN bytes of the mail were lost: the current entity's file gets a gap
 * (event mime_content_gap). */
void mime_mail_gap(struct mime_mail *m, uint64_t len);
/* End the mail: end every open entity (mime_entity_data, mime_end_entity,
 * innermost first), then mime_all_data, mime_content_hash,
 * mime_content_hash_sha256; free. NULL-safe; resets the pointer. */
void mime_mail_end(struct mime_mail **m);

#endif
