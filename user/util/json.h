/* SPDX-License-Identifier: BSD-3-Clause */
/* json.h - a tiny JSON writer into a growable buffer. Byte strings are
 * written the way Zeek writes them: valid UTF-8 passes through, control
 * characters and invalid bytes become the four characters \xNN.
 * Owns its buffer; never parses. */
#ifndef MAILTAP_JSON_H
#define MAILTAP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 32

struct jw {
	char *buf;
	size_t len;
	size_t cap;
	int depth;
	bool first[JW_MAX_DEPTH]; /* no element written yet at this depth */
	bool after_key;
	bool pretty;
	bool oom;
};

void jw_init(struct jw *w, bool pretty);
void jw_reset(struct jw *w);   /* empty, keep the buffer */
void jw_free(struct jw *w);

void jw_obj_open(struct jw *w);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w);
void jw_arr_close(struct jw *w);
void jw_key(struct jw *w, const char *key);

void jw_str(struct jw *w, const char *s);   /* NULL -> null */
void jw_bytes(struct jw *w, const void *p, size_t n);
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
void jw_time(struct jw *w, double t);        /* 6 decimals, like Zeek */
void jw_double(struct jw *w, double v);      /* %.17g-ish, shortest */
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* Already-encoded JSON value. */
void jw_raw(struct jw *w, const char *json, size_t n);
/* Append a newline (end of an NDJSON record). */
void jw_newline(struct jw *w);

/* Escape bytes Zeek's way into BUF (cap bytes, NUL-terminated, truncated
 * if needed) without JSON quoting: for TSV logs. Returns length written. */
size_t zeek_escape(const void *p, size_t n, char *buf, size_t cap);

/* Is [p, p+n) a valid UTF-8 sequence start? Returns its length or 0. */
size_t utf8_seq_len(const uint8_t *p, size_t n);

#endif
