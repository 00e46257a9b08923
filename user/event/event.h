/* SPDX-License-Identifier: BSD-3-Clause */
/* event.h - the typed events analyzers emit and sinks consume.
 * Events borrow their bytes: a sink that keeps anything must copy it. */
#ifndef MAILTAP_EVENT_H
#define MAILTAP_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/conn.h"

enum ev_type {
#define X(name, member) EV_##name,
#include "event/event_types.def"
#undef X
	EV__COUNT,
};

/* A borrowed byte string (not NUL-terminated). */
struct ev_bytes {
	const uint8_t *p;
	size_t len;
};

#define EV_BYTES(s, n) ((struct ev_bytes){ (const uint8_t *)(s), (n) })
#define EV_STR(s) EV_BYTES((s), strlen(s))

/* Zeek's mime_header_rec. */
struct mime_header {
	struct ev_bytes original_name;
	struct ev_bytes name; /* upper-cased */
	struct ev_bytes value;
};

struct log_schema;
struct log_value;

#define EV_NO_REDACT UINT32_MAX

struct event {
	enum ev_type type;
	double ts;
	const struct conn_info *conn; /* NULL for events without a connection */
	bool is_orig;
	/* Credentials: bytes of the secret-bearing argument (request.arg,
	 * login.password) from this offset on are a password or AUTH blob,
	 * redacted by sinks unless the operator turned that off. */
	uint32_t redact_from;
	union {
		/* smtp_request, pop3_request */
		struct {
			struct ev_bytes command;
			struct ev_bytes arg;
		} request;
		struct {
			uint32_t code;
			struct ev_bytes cmd;
			struct ev_bytes msg;
			bool cont_resp;
		} smtp_reply;
		struct {
			struct ev_bytes cmd; /* "OK" or "ERR" */
			struct ev_bytes msg;
		} pop3_reply;
		/* smtp_data, pop3_data. length: the bytes on the wire this
		 * event stands for (the line, its stuffing dot and CRLF); a
		 * merged pop3_data (docs/events.md) stands for several lines
		 * and carries no data. message: pop3_data of a retrieved
		 * message (RETR, TOP), not of a listing. */
		struct {
			struct ev_bytes data;
			uint64_t length;
			bool message;
		} data;
		/* smtp_unexpected, pop3_unexpected */
		struct {
			struct ev_bytes msg;
			struct ev_bytes detail;
		} unexpected;
		/* pop3_login_success, pop3_login_failure */
		struct {
			struct ev_bytes user;
			struct ev_bytes password;
		} login;
		struct {
			struct mime_header h;
		} one_header;
		struct {
			const struct mime_header *h; /* h[0] is Zeek's index 1 */
			size_t n;
		} all_headers;
		/* mime_segment_data, mime_entity_data, mime_all_data */
		struct {
			uint64_t length;
			struct ev_bytes data;
		} mime_data;
		struct {
			struct ev_bytes event_type;
			struct ev_bytes detail;
		} mime_event;
		/* mime_content_hash (16 raw bytes), _sha256 (32 raw bytes) */
		struct {
			uint64_t content_len;
			struct ev_bytes hash_value;
		} content_hash;
		struct {
			uint64_t offset; /* entity offset where the gap starts */
			uint64_t len;
		} gap;
		struct {
			const char *name;
			struct ev_bytes addl; /* len 0 = unset */
			const char *source;   /* NULL = unset */
		} weird;
		struct {
			const char *source;
			uint64_t count;
		} lost;
		struct {
			const struct log_schema *schema;
			const struct log_value *values;
		} log;
	};
};

/* "smtp_request", ... */
const char *ev_name(enum ev_type t);
/* Look up an event by name; returns -1 when unknown. */
int ev_lookup(const char *name);

#endif
