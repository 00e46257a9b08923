/* SPDX-License-Identifier: BSD-3-Clause */
/* email.h - Zeek's address helpers (base/utils/email.zeek, addrs.zeek):
 * e-mail addresses out of envelope arguments and headers, IP literals out
 * of Received headers. Pure functions over byte strings; they never
 * allocate beyond the caller's output arrays. */
#ifndef MAILTAP_EMAIL_H
#define MAILTAP_EMAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "event/event.h"
#include "flow/conn.h"

/* Zeek's max_find_all_string_length: longer inputs yield nothing. */
#define EMAIL_MAX_INPUT 10000

/* A found piece: [off, off+len) of the input, after cleaning into buf. */
struct email_piece {
	char *s; /* NUL-terminated, allocated by the caller's arena */
	size_t len;
};

/* extract_email_addrs_vec: every address in S, in order, cleaned of
 * <>,:; and blanks. Writes up to max pieces into out, the cleaned strings
 * into arena (arena_len bytes, at least len + max). Returns the number
 * found, or -1 when S is longer than EMAIL_MAX_INPUT. */
int email_extract_addrs(const void *s, size_t len, struct email_piece *out,
			int max, char *arena, size_t arena_len);
/* split_mime_email_addresses: "display name" <addr> pieces of a To/Cc
 * header, each trimmed of surrounding whitespace. Same conventions. */
int email_split_mime(const void *s, size_t len, struct email_piece *out,
		     int max, char *arena, size_t arena_len);
/* extract_ip_addresses: IP literals of S; with check_wrapping only those
 * wrapped in [], (), {}, spaces, or making up the whole string. Returns
 * the number found (up to max). */
int email_extract_ips(const void *s, size_t len, bool check_wrapping,
		      struct mt_addr *out, int max);
/* Site::is_private_addr */
bool email_is_private(const struct mt_addr *a);

#endif
