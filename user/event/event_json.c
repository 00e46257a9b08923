// SPDX-License-Identifier: BSD-3-Clause
/* event_json.c - events as JSON objects with Zeek's argument names.
 * Owns the event -> JSON mapping; never allocates beyond the writer. */
#include "event/event_json.h"

#include <stdio.h>
#include <string.h>

#include "sink/log_writer.h"

#define REDACTED "<redacted>"

static void conn_id(struct jw *w, const struct conn_info *c)
{
	char a[MT_ADDR_STRLEN];

	jw_key(w, "uid");
	jw_str(w, c->uid);
	jw_key(w, "id");
	jw_obj_open(w);
	jw_key(w, "orig_h");
	jw_str(w, mt_addr_str(&c->id.orig_h, a));
	jw_key(w, "orig_p");
	jw_u64(w, c->id.orig_p);
	jw_key(w, "resp_h");
	jw_str(w, mt_addr_str(&c->id.resp_h, a));
	jw_key(w, "resp_p");
	jw_u64(w, c->id.resp_p);
	jw_obj_close(w);
}

static void kbytes(struct jw *w, const char *k, struct ev_bytes b)
{
	jw_key(w, k);
	jw_bytes(w, b.p, b.len);
}

/* A credential-bearing argument: the first redact_from bytes, then a
 * marker, unless the operator asked for passwords. */
static void ksecret(struct jw *w, const char *k, struct ev_bytes b,
		    uint32_t redact_from, bool redact)
{
	jw_key(w, k);
	if (!redact || redact_from == EV_NO_REDACT || redact_from >= b.len) {
		jw_bytes(w, b.p, b.len);
		return;
	}
	{
		char buf[256];
		size_t n = redact_from < sizeof(buf) - sizeof(REDACTED) ?
				   redact_from :
				   sizeof(buf) - sizeof(REDACTED);

		memcpy(buf, b.p, n);
		memcpy(buf + n, REDACTED, sizeof(REDACTED) - 1);
		jw_bytes(w, buf, n + sizeof(REDACTED) - 1);
	}
}

static void header(struct jw *w, const struct mime_header *h)
{
	jw_obj_open(w);
	kbytes(w, "original_name", h->original_name);
	kbytes(w, "name", h->name);
	kbytes(w, "value", h->value);
	jw_obj_close(w);
}

void event_json_write(struct jw *w, const struct event *ev, bool redact)
{
	jw_obj_open(w);
	jw_key(w, "ts");
	jw_time(w, ev->ts);
	jw_key(w, "event");
	jw_str(w, ev_name(ev->type));
	if (ev->conn)
		conn_id(w, ev->conn);
	switch (ev->type) {
	case EV_smtp_request:
	case EV_pop3_request:
		jw_key(w, "is_orig");
		jw_bool(w, ev->is_orig);
		kbytes(w, "command", ev->request.command);
		ksecret(w, "arg", ev->request.arg, ev->redact_from, redact);
		break;
	case EV_smtp_reply:
		jw_key(w, "is_orig");
		jw_bool(w, ev->is_orig);
		jw_key(w, "code");
		jw_u64(w, ev->smtp_reply.code);
		kbytes(w, "cmd", ev->smtp_reply.cmd);
		kbytes(w, "msg", ev->smtp_reply.msg);
		jw_key(w, "cont_resp");
		jw_bool(w, ev->smtp_reply.cont_resp);
		break;
	case EV_pop3_reply:
		jw_key(w, "is_orig");
		jw_bool(w, ev->is_orig);
		kbytes(w, "cmd", ev->pop3_reply.cmd);
		kbytes(w, "msg", ev->pop3_reply.msg);
		break;
	case EV_smtp_data:
	case EV_pop3_data:
		jw_key(w, "is_orig");
		jw_bool(w, ev->is_orig);
		kbytes(w, "data", ev->data.data);
		break;
	case EV_smtp_unexpected:
	case EV_pop3_unexpected:
		jw_key(w, "is_orig");
		jw_bool(w, ev->is_orig);
		kbytes(w, "msg", ev->unexpected.msg);
		kbytes(w, "detail", ev->unexpected.detail);
		break;
	case EV_pop3_login_success:
	case EV_pop3_login_failure:
		jw_key(w, "is_orig");
		jw_bool(w, ev->is_orig);
		kbytes(w, "user", ev->login.user);
		ksecret(w, "password", ev->login.password, ev->redact_from,
			redact);
		break;
	case EV_mime_one_header:
		jw_key(w, "h");
		header(w, &ev->one_header.h);
		break;
	case EV_mime_all_headers:
		jw_key(w, "hlist");
		jw_obj_open(w);
		for (size_t i = 0; i < ev->all_headers.n; i++) {
			char k[24];

			snprintf(k, sizeof(k), "%zu", i + 1);
			jw_key(w, k);
			header(w, &ev->all_headers.h[i]);
		}
		jw_obj_close(w);
		break;
	case EV_mime_segment_data:
	case EV_mime_entity_data:
	case EV_mime_all_data:
		jw_key(w, "length");
		jw_u64(w, ev->mime_data.length);
		kbytes(w, "data", ev->mime_data.data);
		break;
	case EV_mime_event:
		kbytes(w, "event_type", ev->mime_event.event_type);
		kbytes(w, "detail", ev->mime_event.detail);
		break;
	case EV_mime_content_hash:
	case EV_mime_content_hash_sha256:
		jw_key(w, "content_len");
		jw_u64(w, ev->content_hash.content_len);
		kbytes(w, "hash_value", ev->content_hash.hash_value);
		break;
	case EV_mime_content_gap:
		jw_key(w, "offset");
		jw_u64(w, ev->gap.offset);
		jw_key(w, "len");
		jw_u64(w, ev->gap.len);
		break;
	case EV_weird:
		jw_key(w, "name");
		jw_str(w, ev->weird.name);
		if (ev->weird.addl.len)
			kbytes(w, "addl", ev->weird.addl);
		jw_key(w, "notice");
		jw_bool(w, false);
		jw_key(w, "peer");
		jw_str(w, "mailtap");
		if (ev->weird.source) {
			jw_key(w, "source");
			jw_str(w, ev->weird.source);
		}
		break;
	case EV_lost:
		jw_key(w, "source");
		jw_str(w, ev->lost.source);
		jw_key(w, "count");
		jw_u64(w, ev->lost.count);
		break;
	case EV_log:
		jw_key(w, "path");
		jw_str(w, ev->log.schema->path);
		jw_key(w, "row");
		log_row_json(w, ev->log.schema, ev->log.values);
		break;
	default:
		break;
	}
	jw_obj_close(w);
}
