// SPDX-License-Identifier: BSD-3-Clause
/* mime.c - Zeek's MIME layer (spec §4): header blocks with folding,
 * multipart and message nesting, 7bit/8bit/binary, quoted-printable and
 * base64 bodies, and the mime_* events in Zeek's order. Owns one mail's
 * entity stack (depth-capped) and its buffers (all capped). */
#include "analyzer/mime.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analyzer.h"
#include "analyzer/base64.h"
#include "analyzer/line.h"
#include "analyzer/qp.h"

#define MIME_MAX_HEADERS 1000           /* per entity */
#define MIME_MAX_HEADER_STORE (1u << 20) /* header bytes kept per entity */
#define MIME_MAX_ACCUM (16u << 20)       /* entity / all data kept */

enum mime_ctype { CT_TEXT, CT_MULTIPART, CT_MESSAGE, CT_OTHER };
enum mime_enc { ENC_7BIT, ENC_8BIT, ENC_BINARY, ENC_QP, ENC_BASE64, ENC_OTHER };

struct buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	struct an_ctx *ctx; /* memory accounting, NULL = none */
};

struct stored_header {
	uint8_t *mem; /* original name, upper name, value back to back */
	struct mime_header h;
};

struct mime_entity {
	struct mime_entity *parent;
	struct mime_entity *child; /* current child, if any */
	unsigned int depth;
	bool in_header;
	bool ended;
	bool dropping;            /* child not created (depth): drop lines */
	bool closed;              /* multipart: closing boundary seen */
	bool crlf_pending;        /* multipart part: delayed CRLF */
	enum mime_ctype ctype;
	enum mime_enc enc;
	struct buf cur_header;    /* header being accumulated */
	bool have_header;
	struct stored_header *hdrs; /* kept for mime_all_headers */
	size_t n_kept;
	size_t cap_hdrs;
	size_t n_hdrs;              /* all of them, for the limits */
	size_t hdr_bytes;
	char *boundary;
	size_t blen;
	struct b64_dec b64;
	bool b64_active;
	struct buf data;          /* entity data, when someone wants it */
	uint64_t data_len;
};

struct mime_mail {
	struct an_ctx *ctx;
	const char *source;
	bool is_orig;
	struct mime_entity *top;
	/* the entity the last body line went to; a line that cannot be a
	 * boundary goes there directly */
	struct mime_entity *leaf;
	size_t bulk_guess; /* length of the last line taken in bulk */
	struct buf seg;           /* pending segment (decoded) */
	size_t seg_max;
	struct mime_entity *seg_owner;
	double seg_ts;            /* packet time of the pending segment */
	struct buf all;           /* all data, when someone wants it */
	uint64_t all_len;
	EVP_MD_CTX *md5;
	EVP_MD_CTX *sha256;
	bool want_entity_data;
	bool want_all_data;
	bool want_all_headers;
	bool truncated_weird;
};

/* --- small helpers --------------------------------------------------------- */

/* Make room for n more bytes (at most max in all). */
static bool buf_reserve(struct buf *b, size_t n, size_t max)
{
	if (b->len + n > max)
		return false;
	if (b->len + n > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		uint8_t *np;

		while (ncap < b->len + n)
			ncap *= 2;
		if (ncap > max)
			ncap = max;
		if (b->ctx && !an_mem_grow(b->ctx, ncap - b->cap))
			return false;
		np = realloc(b->p, ncap);
		if (!np) {
			if (b->ctx)
				an_mem_release(b->ctx, ncap - b->cap);
			return false;
		}
		b->p = np;
		b->cap = ncap;
	}
	return true;
}

static bool buf_add(struct buf *b, const void *p, size_t n, size_t max)
{
	if (!buf_reserve(b, n, max))
		return false;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return true;
}

static void buf_free(struct buf *b)
{
	struct an_ctx *ctx = b->ctx;

	if (ctx)
		an_mem_release(ctx, b->cap);
	free(b->p);
	memset(b, 0, sizeof(*b));
	b->ctx = ctx;
}

static void flush_segment(struct mime_mail *m);

/* Segment data goes out merged (see flush_segment) rather than line by
 * line? Asked each time: a subscriber may come or go mid-mail. */
static bool merging(const struct mime_mail *m)
{
	return !bus_wants_each(m->ctx->bus, EV_mime_segment_data);
}

static void emit(struct mime_mail *m, struct event *ev)
{
	/* merged data goes out before anything after it (line by line, what
	 * waits is part of the current line, which Zeek sends after) */
	if (m->seg.len && merging(m))
		flush_segment(m);
	ev->is_orig = m->is_orig;
	ev->redact_from = EV_NO_REDACT;
	an_emit(m->ctx, ev);
}

static double now(const struct mime_mail *m)
{
	return m->ctx->conn ? m->ctx->conn->ts : 0;
}

static void mime_event(struct mime_mail *m, const char *type,
		       const char *detail)
{
	struct event ev = { .type = EV_mime_event,
			    .mime_event = { .event_type = EV_STR(type),
					    .detail = EV_STR(detail) } };

	emit(m, &ev);
}

static void simple(struct mime_mail *m, enum ev_type t)
{
	struct event ev = { .type = t };

	emit(m, &ev);
}

static bool is_lws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* --- data path ------------------------------------------------------------- */

/* Zeek emits a mime_segment_data per body line (and per seg_max bytes).
 * When no sink wants each of them (files.log only accumulates), the
 * lines of one packet are merged into one, up to MERGED_SEGMENTS times
 * seg_max: the data, its order and its packet time stay exact, with a
 * tenth of the events or fewer. */
#define MERGED_SEGMENTS 4

static size_t seg_cap(const struct mime_mail *m)
{
	return merging(m) ? MERGED_SEGMENTS * m->seg_max : m->seg_max;
}

static void flush_segment(struct mime_mail *m)
{
	struct mime_entity *e = m->seg_owner;
	struct event ev = { .type = EV_mime_segment_data,
			    .is_orig = m->is_orig,
			    .redact_from = EV_NO_REDACT };

	if (!m->seg.len)
		return;
	ev.mime_data.length = m->seg.len;
	ev.mime_data.data = EV_BYTES(m->seg.p, m->seg.len);
	if (m->md5)
		EVP_DigestUpdate(m->md5, m->seg.p, m->seg.len);
	if (m->sha256)
		EVP_DigestUpdate(m->sha256, m->seg.p, m->seg.len);
	m->all_len += m->seg.len;
	if (e) {
		e->data_len += m->seg.len;
		if (m->want_entity_data &&
		    !buf_add(&e->data, m->seg.p, m->seg.len, MIME_MAX_ACCUM) &&
		    !m->truncated_weird) {
			m->truncated_weird = true;
			an_weird_str(m->ctx, "mime_data_truncated", NULL,
				     m->source);
		}
	}
	if (m->want_all_data &&
	    !buf_add(&m->all, m->seg.p, m->seg.len, MIME_MAX_ACCUM) &&
	    !m->truncated_weird) {
		m->truncated_weird = true;
		an_weird_str(m->ctx, "mime_data_truncated", NULL, m->source);
	}
	m->seg.len = 0;
	ev.ts = m->seg_ts;
	ev.conn = m->ctx->conn;
	bus_emit(m->ctx->bus, &ev);
}

/* Decoded bytes of entity e. */
static void data_out(struct mime_mail *m, struct mime_entity *e,
		     const uint8_t *p, size_t n)
{
	if (m->seg_owner != e) {
		flush_segment(m);
		m->seg_owner = e;
	}
	if (m->seg.len && m->seg_ts != now(m))
		flush_segment(m);
	if (!m->seg.len)
		m->seg_ts = now(m);
	while (n) {
		size_t cap = seg_cap(m), room, k;

		if (m->seg.len >= cap) /* merged, then a subscriber came */
			flush_segment(m);
		room = cap - m->seg.len;
		k = n < room ? n : room;
		buf_add(&m->seg, p, k, cap);
		p += k;
		n -= k;
		if (m->seg.len == cap)
			flush_segment(m);
	}
}

/* Does the pending segment hold data of another entity or packet than
 * what entity e adds now (so it must go out first)? */
static bool seg_other(const struct mime_mail *m, const struct mime_entity *e)
{
	return m->seg.len && (m->seg_owner != e || m->seg_ts != now(m));
}

/* Where n more bytes of entity e's data can be written in place, in the
 * pending segment, when data_out would put them there unsplit (after
 * sending what another entity or packet left, as data_out does); else
 * NULL. The caller adds what it wrote with seg_wrote. */
static uint8_t *seg_tail(struct mime_mail *m, struct mime_entity *e,
			 size_t n)
{
	if (seg_other(m, e))
		flush_segment(m);
	if (!buf_reserve(&m->seg, n, seg_cap(m)))
		return NULL;
	if (!m->seg.len) {
		m->seg_owner = e;
		m->seg_ts = now(m);
	}
	return m->seg.p + m->seg.len;
}

static void seg_wrote(struct mime_mail *m, size_t n)
{
	m->seg.len += n;
	if (m->seg.len >= seg_cap(m))
		flush_segment(m);
}

/* decode_qp's buffer, for a line decoded the careful way (handed on
 * whenever it is nearly full) or the usual way (QP_OUT_MIN). */
#define QP_BUF 512

/* decode_qp's way with any line, byte by byte, raising Zeek's "illegal
 * encoding" events: the bytes decoded into OUT (QP_BUF) that are still
 * to be handed on. */
static size_t decode_qp_careful(struct mime_mail *m, struct mime_entity *e,
				const uint8_t *p, size_t n, uint8_t *out,
				bool *soft)
{
	size_t o = 0;

	*soft = false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (o > QP_BUF - 4) {
			data_out(m, e, out, o);
			o = 0;
		}
		if (c == '=') {
			if (i + 1 == n) {
				*soft = true;
				break;
			}
			if (i + 2 < n && qp_hex(p[i + 1]) >= 0 &&
			    qp_hex(p[i + 2]) >= 0) {
				out[o++] = (uint8_t)(qp_hex(p[i + 1]) << 4 |
						     qp_hex(p[i + 2]));
				i += 2;
				continue;
			}
			mime_event(m, "illegal encoding",
				   "= is not followed by two hexadecimal digits in quoted-printable encoding");
			out[o++] = c;
			continue;
		}
		if (!qp_literal(c)) {
			char d[80];

			snprintf(d, sizeof(d),
				 "control characters in quoted-printable encoding: %d",
				 (int)(signed char)c);
			mime_event(m, "illegal encoding", d);
		}
		out[o++] = c;
	}
	return o;
}

static void decode_qp(struct mime_mail *m, struct mime_entity *e,
		      const uint8_t *p, size_t n, bool crlf)
{
	uint8_t out[QP_BUF], *dst;
	size_t o;
	bool soft;

	_Static_assert(QP_BUF >= QP_OUT_MIN, "room for qp_decode_line");
	while (n && is_lws(p[n - 1]))
		n--;
	/* The usual line (no event): decoded in place in the pending
	 * segment when it fits there and nothing else is to go out first,
	 * else through OUT; handed on at once either way, as the careful
	 * way does with fewer than 509 bytes. */
	dst = n <= QP_LINE_MAX && !seg_other(m, e) ?
		      seg_tail(m, e, QP_OUT_MIN + 2) :
		      NULL;
	o = qp_decode_line(p, n, dst ? dst : out, &soft);
	if (o != QP_NOT_USUAL && dst) {
		if (crlf && !soft) {
			dst[o++] = '\r';
			dst[o++] = '\n';
		}
		seg_wrote(m, o);
		return;
	}
	if (o == QP_NOT_USUAL)
		o = decode_qp_careful(m, e, p, n, out, &soft);
	if (crlf && !soft) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	if (o)
		data_out(m, e, out, o);
}

/* Base64 through a buffer, where data_out splits it into segments. */
static __attribute__((noinline)) void
decode_b64_split(struct mime_mail *m, struct mime_entity *e, const uint8_t *p,
		 size_t n)
{
	uint8_t out[B64_OUT_MAX(512)];

	while (n) {
		size_t k = n > 512 ? 512 : n;
		size_t o = b64_decode(&e->b64, p, k, out);

		if (o)
			data_out(m, e, out, o);
		p += k;
		n -= k;
	}
}

/* Bytes of an entity whose data are its bytes (7bit, 8bit, binary,
 * unknown): a line and, with crlf, its terminator. In a part of a
 * multipart a line's CRLF goes out with the next line, since the boundary
 * owns the last one. */
static void text_out(struct mime_mail *m, struct mime_entity *e,
		     const uint8_t *p, size_t n, bool crlf)
{
	if (e->parent && e->parent->ctype == CT_MULTIPART) {
		if (e->crlf_pending)
			data_out(m, e, (const uint8_t *)"\r\n", 2);
		if (n)
			data_out(m, e, p, n);
		e->crlf_pending = crlf;
	} else {
		if (n)
			data_out(m, e, p, n);
		if (crlf)
			data_out(m, e, (const uint8_t *)"\r\n", 2);
	}
}

static void decode_line(struct mime_mail *m, struct mime_entity *e,
			const uint8_t *p, size_t n, bool crlf)
{
	switch (e->enc) {
	case ENC_QP:
		decode_qp(m, e, p, n, crlf);
		break;
	case ENC_BASE64: {
		uint8_t *dst = seg_tail(m, e, B64_OUT_MAX(n));

		if (dst) /* decoded in place: the usual case */
			seg_wrote(m, b64_decode(&e->b64, p, n, dst));
		else
			decode_b64_split(m, e, p, n);
		break;
	}
	default:
		text_out(m, e, p, n, crlf);
		break;
	}
	if (!merging(m))
		flush_segment(m);
}

/* --- headers --------------------------------------------------------------- */

/* Skip blanks and (nested) comments. */
static size_t skip_cfws(const uint8_t *p, size_t n, size_t i)
{
	for (;;) {
		while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
				 p[i] == '\n'))
			i++;
		if (i < n && p[i] == '(') {
			int depth = 0;

			for (; i < n; i++) {
				if (p[i] == '\\' && i + 1 < n) {
					i++;
					continue;
				}
				if (p[i] == '(')
					depth++;
				else if (p[i] == ')' && --depth == 0) {
					i++;
					break;
				}
			}
			continue;
		}
		return i;
	}
}

static bool is_tspecial(uint8_t c)
{
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static size_t token_end(const uint8_t *p, size_t n, size_t i)
{
	while (i < n && p[i] > 32 && p[i] < 127 && !is_tspecial(p[i]))
		i++;
	return i;
}

static bool tok_eq(const uint8_t *p, size_t n, const char *s)
{
	return strlen(s) == n && strncasecmp((const char *)p, s, n) == 0;
}

static void parse_params(struct mime_mail *m, struct mime_entity *e,
			 const uint8_t *v, size_t n, size_t i)
{
	for (;;) {
		size_t a, ae, vs, ve;

		i = skip_cfws(v, n, i);
		if (i >= n)
			return;
		if (v[i] != ';') {
			/* junk after the type: Zeek stops here quietly */
			return;
		}
		i = skip_cfws(v, n, i + 1);
		if (i >= n)
			return;
		a = i;
		ae = token_end(v, n, i);
		if (ae == a) {
			mime_event(m, "illegal format",
				   "attribute name not found in parameter specification");
			return;
		}
		i = skip_cfws(v, n, ae);
		if (i >= n || v[i] != '=') {
			mime_event(m, "illegal format",
				   "= not found in parameter specification");
			return;
		}
		i = skip_cfws(v, n, i + 1);
		if (i < n && v[i] == '"') {
			vs = ++i;
			while (i < n && v[i] != '"')
				i++;
			ve = i;
			if (i < n)
				i++;
			else if (tok_eq(v + a, ae - a, "boundary")) {
				mime_event(m, "illegal format",
					   "Could not parse multipart boundary");
				return;
			}
		} else {
			vs = i;
			if (tok_eq(v + a, ae - a, "boundary")) {
				/* lenient: anything but '"', ';' and blanks */
				while (i < n && v[i] != '"' && v[i] != ';' &&
				       !is_lws(v[i]))
					i++;
			} else {
				i = token_end(v, n, i);
			}
			ve = i;
			if (ve == vs) {
				mime_event(m, "illegal format",
					   "value not found in parameter specification");
				return;
			}
		}
		if (e->ctype == CT_MULTIPART &&
		    tok_eq(v + a, ae - a, "boundary") && !e->boundary) {
			e->boundary = malloc(ve - vs + 1);
			if (e->boundary) {
				memcpy(e->boundary, v + vs, ve - vs);
				e->boundary[ve - vs] = '\0';
				e->blen = ve - vs;
			}
		}
	}
}

static void parse_content_type(struct mime_mail *m, struct mime_entity *e,
			       const uint8_t *v, size_t n)
{
	size_t i = skip_cfws(v, n, 0), t, te, st, ste;

	t = i;
	te = token_end(v, n, i);
	i = skip_cfws(v, n, te);
	if (te == t || i >= n || v[i] != '/') {
		mime_event(m, "illegal format",
			   "media type/subtype not found in content type");
		return;
	}
	st = skip_cfws(v, n, i + 1);
	ste = token_end(v, n, st);
	if (ste == st) {
		mime_event(m, "illegal format",
			   "media type/subtype not found in content type");
		return;
	}
	free(e->boundary);
	e->boundary = NULL;
	if (tok_eq(v + t, te - t, "multipart"))
		e->ctype = CT_MULTIPART;
	else if (tok_eq(v + t, te - t, "message"))
		e->ctype = CT_MESSAGE;
	else if (tok_eq(v + t, te - t, "text"))
		e->ctype = CT_TEXT;
	else
		e->ctype = CT_OTHER;
	if (e->ctype == CT_MULTIPART || e->ctype == CT_MESSAGE)
		parse_params(m, e, v, n, ste);
}

static void parse_encoding(struct mime_mail *m, struct mime_entity *e,
			   const uint8_t *v, size_t n)
{
	size_t i = skip_cfws(v, n, 0), te = token_end(v, n, i);

	if (te == i) {
		mime_event(m, "illegal format",
			   "encoding type not found in content encoding");
		return;
	}
	if (tok_eq(v + i, te - i, "7bit"))
		e->enc = ENC_7BIT;
	else if (tok_eq(v + i, te - i, "8bit"))
		e->enc = ENC_8BIT;
	else if (tok_eq(v + i, te - i, "binary"))
		e->enc = ENC_BINARY;
	else if (tok_eq(v + i, te - i, "quoted-printable"))
		e->enc = ENC_QP;
	else if (tok_eq(v + i, te - i, "base64"))
		e->enc = ENC_BASE64;
	else
		e->enc = ENC_OTHER;
}

static void upcase(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t k = 0; k < n; k++)
		dst[k] = (uint8_t)(src[k] >= 'a' && src[k] <= 'z' ? src[k] - 32 :
								    src[k]);
}

/* The header NAME: VALUE kept for mime_all_headers (original name, upper
 * name and value in one block), or NULL. */
static struct stored_header *keep_header(struct mime_entity *e,
					 const uint8_t *name, size_t nl,
					 const uint8_t *value, size_t vl)
{
	struct stored_header *sh;

	if (e->n_kept == e->cap_hdrs) {
		size_t ncap = e->cap_hdrs ? e->cap_hdrs * 2 : 8;
		struct stored_header *nh;

		nh = realloc(e->hdrs, ncap * sizeof(*nh));
		if (!nh)
			return NULL;
		e->hdrs = nh;
		e->cap_hdrs = ncap;
	}
	sh = &e->hdrs[e->n_kept];
	sh->mem = malloc(2 * nl + vl + 1);
	if (!sh->mem)
		return NULL;
	memcpy(sh->mem, name, nl);
	upcase(sh->mem + nl, name, nl);
	memcpy(sh->mem + 2 * nl, value, vl);
	sh->h.original_name = EV_BYTES(sh->mem, nl);
	sh->h.name = EV_BYTES(sh->mem + nl, nl);
	sh->h.value = EV_BYTES(sh->mem + 2 * nl, vl);
	e->n_kept++;
	return sh;
}

/* The accumulated header is complete: parse, report, interpret. */
static void finish_header(struct mime_mail *m, struct mime_entity *e)
{
	const uint8_t *p = e->cur_header.p;
	size_t n = e->cur_header.len, i, ns, ne, vs, nl, vl;
	struct stored_header *sh = NULL;
	struct event ev = { .type = EV_mime_one_header };
	uint8_t upper[128], *name = upper;

	if (!e->have_header)
		return;
	e->have_header = false;
	e->cur_header.len = 0;
	i = skip_cfws(p, n, 0);
	ns = i;
	while (i < n && p[i] >= 33 && p[i] <= 126 && p[i] != ':')
		i++;
	ne = i;
	i = skip_cfws(p, n, i);
	if (ne == ns || i >= n || p[i] != ':')
		return; /* not a header: dropped silently, as Zeek does */
	vs = i + 1;
	while (vs < n && (is_lws(p[vs]) || p[vs] == '\r' || p[vs] == '\n' ||
			  p[vs] == '\v' || p[vs] == '\f'))
		vs++;
	nl = ne - ns;
	vl = n - vs;

	if (e->n_hdrs >= MIME_MAX_HEADERS ||
	    e->hdr_bytes + 2 * nl + vl > MIME_MAX_HEADER_STORE) {
		if (e->n_hdrs == MIME_MAX_HEADERS ||
		    e->hdr_bytes <= MIME_MAX_HEADER_STORE)
			an_weird_str(m->ctx, "mime_too_many_headers", NULL,
				     m->source);
		e->hdr_bytes = MIME_MAX_HEADER_STORE + 1;
	} else {
		e->n_hdrs++;
		e->hdr_bytes += 2 * nl + vl;
		/* kept for mime_all_headers only */
		if (m->want_all_headers)
			sh = keep_header(e, p + ns, nl, p + vs, vl);
	}
	ev.one_header.h.original_name = EV_BYTES(p + ns, nl);
	ev.one_header.h.value = EV_BYTES(p + vs, vl);
	if (sh) {
		ev.one_header.h.name = sh->h.name;
	} else {
		name = nl <= sizeof(upper) ? upper : malloc(nl);
		if (name)
			upcase(name, p + ns, nl);
		ev.one_header.h.name = EV_BYTES(name ? name : p + ns, nl);
	}
	if (tok_eq(p + ns, nl, "content-type"))
		parse_content_type(m, e, p + vs, vl);
	else if (tok_eq(p + ns, nl, "content-transfer-encoding"))
		parse_encoding(m, e, p + vs, vl);
	emit(m, &ev);
	if (name != upper)
		free(name);
}

static struct mime_entity *new_entity(struct mime_mail *m,
				      struct mime_entity *parent);

static void begin_body(struct mime_mail *m, struct mime_entity *e)
{
	struct event ev = { .type = EV_mime_all_headers };

	finish_header(m, e);
	e->in_header = false;
	if (m->want_all_headers) {
		struct mime_header *list = NULL;

		if (e->n_kept)
			list = malloc(e->n_kept * sizeof(*list));
		for (size_t i = 0; list && i < e->n_kept; i++)
			list[i] = e->hdrs[i].h;
		ev.all_headers.h = list;
		ev.all_headers.n = list ? e->n_kept : 0;
		emit(m, &ev);
		free(list);
	}
	if (e->ctype == CT_MULTIPART && !e->boundary) {
		mime_event(m, "illegal format",
			   "boundary delimiter is not specified for a multipart entity -- content is treated as type application/octet-stream");
		e->ctype = CT_OTHER;
	}
	if (e->enc == ENC_BASE64) {
		b64_init(&e->b64, m->ctx);
		e->b64_active = true;
	}
	if (e->ctype == CT_MESSAGE)
		e->child = new_entity(m, e);
}

static void add_header_line(struct mime_mail *m, struct mime_entity *e,
			    const uint8_t *p, size_t n)
{
	uint32_t max = m->ctx->cfg->lim.mime_max_header_bytes;

	if (n && is_lws(p[0])) {
		if (!e->have_header) {
			mime_event(m, "illegal format",
				   "first header line starts with linear whitespace");
			while (n && is_lws(*p))
				p++, n--;
		} else {
			if (max && e->cur_header.len >= max) {
				char addl[24];

				snprintf(addl, sizeof(addl), "%zu",
					 e->cur_header.len);
				an_weird_str(m->ctx,
					     "exceeded_mime_max_header_bytes",
					     addl, m->source);
				return;
			}
			buf_add(&e->cur_header, p, n, SIZE_MAX);
			return;
		}
	}
	finish_header(m, e);
	e->cur_header.len = 0;
	buf_add(&e->cur_header, p, n, SIZE_MAX);
	e->have_header = true;
}

/* --- entities -------------------------------------------------------------- */

static struct mime_entity *new_entity(struct mime_mail *m,
				      struct mime_entity *parent)
{
	uint32_t maxd = m->ctx->cfg->lim.mime_max_depth;
	struct mime_entity *e;

	if (parent && maxd && parent->depth >= maxd) {
		char addl[24];

		snprintf(addl, sizeof(addl), "%u", parent->depth);
		an_weird_str(m->ctx, "exceeded_mime_max_depth", addl,
			     m->source);
		parent->dropping = true;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->parent = parent;
	e->data.ctx = m->ctx;
	e->cur_header.ctx = m->ctx;
	e->depth = parent ? parent->depth + 1 : 0;
	e->in_header = true;
	e->ctype = CT_TEXT;
	e->enc = parent ? parent->enc : ENC_7BIT; /* Zeek: inherited */
	if (parent)
		parent->dropping = false;
	simple(m, EV_mime_begin_entity);
	return e;
}

static void free_entity(struct mime_entity *e)
{
	while (e) {
		struct mime_entity *child = e->child;

		for (size_t i = 0; i < e->n_kept; i++)
			free(e->hdrs[i].mem);
		free(e->hdrs);
		free(e->boundary);
		buf_free(&e->cur_header);
		buf_free(&e->data);
		free(e);
		e = child;
	}
}

/* End e and its open descendants, innermost first. */
static void end_entity(struct mime_mail *m, struct mime_entity *e)
{
	struct event ev = { .type = EV_mime_entity_data };

	if (e->ended)
		return;
	if (e->child) {
		end_entity(m, e->child);
		free_entity(e->child);
		e->child = NULL;
	}
	e->ended = true;
	if (e->in_header) {
		mime_event(m, "illegal format", "entity body missing");
		begin_body(m, e);
		if (e->child) { /* a message entity started a child: end it too */
			end_entity(m, e->child);
			free_entity(e->child);
			e->child = NULL;
		}
	}
	if (e->ctype == CT_MULTIPART && !e->closed)
		mime_event(m, "illegal format",
			   "multipart closing boundary delimiter missing");
	if (e->b64_active) {
		uint8_t out[4];
		size_t o = b64_done(&e->b64, out);

		if (o)
			data_out(m, e, out, o);
		e->b64_active = false;
	}
	flush_segment(m);
	if (m->seg_owner == e)
		m->seg_owner = NULL;
	ev.mime_data.length = e->data_len;
	ev.mime_data.data = EV_BYTES(e->data.p, e->data.len);
	if (e->ctype == CT_MULTIPART || e->ctype == CT_MESSAGE) {
		ev.mime_data.length = 0;
		ev.mime_data.data = EV_BYTES(NULL, 0);
	}
	if (m->want_entity_data)
		emit(m, &ev);
	simple(m, EV_mime_end_entity);
	buf_free(&e->data);
}

enum boundary_kind { NOT_BOUNDARY, BOUNDARY, CLOSING_BOUNDARY };

static enum boundary_kind check_boundary(const struct mime_entity *e,
					 const uint8_t *p, size_t n)
{
	if (n < e->blen + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, e->boundary, e->blen))
		return NOT_BOUNDARY;
	if (n >= e->blen + 4 && p[e->blen + 2] == '-' && p[e->blen + 3] == '-')
		return CLOSING_BOUNDARY;
	return BOUNDARY;
}

/* --- interface --------------------------------------------------------------- */

int mime_mail_new(struct mime_mail **out, struct an_ctx *ctx,
		  const char *source, bool is_orig)
{
	struct mime_mail *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->ctx = ctx;
	m->source = source;
	m->is_orig = is_orig;
	m->seg_max = ctx->cfg->lim.mime_segment_length ?
			     ctx->cfg->lim.mime_segment_length : 1024;
	m->all.ctx = ctx;
	m->want_entity_data = bus_wants(ctx->bus, EV_mime_entity_data);
	m->want_all_data = bus_wants(ctx->bus, EV_mime_all_data);
	m->want_all_headers = bus_wants(ctx->bus, EV_mime_all_headers);
	/* Zeek's mail content hashes, only when someone listens */
	if (bus_wants(ctx->bus, EV_mime_content_hash))
		m->md5 = EVP_MD_CTX_new();
	if (bus_wants(ctx->bus, EV_mime_content_hash_sha256))
		m->sha256 = EVP_MD_CTX_new();
	if (m->md5 && !EVP_DigestInit_ex(m->md5, EVP_md5(), NULL)) {
		EVP_MD_CTX_free(m->md5);
		m->md5 = NULL;
	}
	if (m->sha256 && !EVP_DigestInit_ex(m->sha256, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(m->sha256);
		m->sha256 = NULL;
	}
	m->top = new_entity(m, NULL);
	if (!m->top) {
		EVP_MD_CTX_free(m->md5);
		EVP_MD_CTX_free(m->sha256);
		free(m);
		return -ENOMEM;
	}
	*out = m;
	return 0;
}

void mime_mail_deliver(struct mime_mail *m, const uint8_t *line, size_t len,
		       bool crlf)
{
	struct mime_entity *e = m->leaf;

	/* Every boundary starts with '-': other lines go where the last
	 * body line went, without walking down from the top. */
	if (e && (!len || line[0] != '-')) {
		decode_line(m, e, line, len, crlf);
		return;
	}
	/* the walk may end or start entities: the leaf is known again when
	 * it reaches a body */
	m->leaf = NULL;
	e = m->top;
	while (e && !e->ended) {
		if (e->in_header) {
			if (len == 0 || line[0] == '\0')
				begin_body(m, e);
			else
				add_header_line(m, e, line, len);
			return;
		}
		if (e->ctype == CT_MULTIPART) {
			if (e->closed)
				return; /* epilogue */
			switch (check_boundary(e, line, len)) {
			case BOUNDARY:
				if (e->child) {
					end_entity(m, e->child);
					free_entity(e->child);
				}
				e->child = new_entity(m, e);
				return;
			case CLOSING_BOUNDARY:
				if (e->child) {
					end_entity(m, e->child);
					free_entity(e->child);
					e->child = NULL;
				}
				e->closed = true;
				end_entity(m, e);
				return;
			default:
				break;
			}
			if (!e->child)
				return; /* preamble, or dropped (depth) */
			e = e->child;
			continue;
		}
		if (e->ctype == CT_MESSAGE) {
			e = e->child; /* NULL when dropped (depth) */
			continue;
		}
		m->leaf = e;
		decode_line(m, e, line, len, crlf);
		return;
	}
}

/* mime_mail_bulk's base64 lines of N characters and CRLF at the start of
 * DATA, decoded whole into the pending segment of the current leaf while
 * they fit: how many. Up to B64_RUN lines are checked for CRLF ahead of
 * decoding them, so a line that does not decode whole costs at most that
 * many checks (not the whole segment's worth, once per line). */
#define B64_RUN 128

static size_t b64_run(struct mime_mail *m, const uint8_t *data, size_t len,
		      size_t n)
{
	struct mime_entity *e = m->leaf;
	size_t stride = n + 2, olen = n / 4 * 3, total = 0;

	if ((n & 3) || e->b64.next || e->b64.padding)
		return 0; /* b64_decode_lines would decline */
	for (;;) {
		const uint8_t *d = data + total * stride;
		size_t left = len - total * stride, cap = seg_cap(m), k;
		size_t room = m->seg.len < cap ? (cap - m->seg.len) / olen : 0;
		size_t got;
		uint8_t *dst;

		if (room > B64_RUN)
			room = B64_RUN;
		/* whole lines only; b64_decode_lines stops at one not
		 * ended by CRLF */
		k = left / stride < room ? left / stride : room;
		if (!k || !(dst = seg_tail(m, e, k * olen)))
			break;
		got = b64_decode_lines(&e->b64, d, n, stride, k, dst);
		if (got)
			seg_wrote(m, got * olen);
		total += got;
		if (got < k)
			break;
	}
	return total;
}

/* mime_mail_bulk for an entity whose data are its bytes (7bit, 8bit,
 * binary, unknown): the clean lines at the start of DATA go on as one
 * piece, ended by the last one's CRLF, the bytes decode_line sends line
 * by line. */
static size_t bulk_text(struct mime_mail *m, struct mime_entity *e,
			const uint8_t *data, size_t len, size_t max_line)
{
	size_t used = line_clean_lines(data, len, max_line);

	if (used)
		text_out(m, e, data, used - 2, true);
	return used;
}

size_t mime_mail_bulk(struct mime_mail *m, const uint8_t *data, size_t len,
		      size_t max_line)
{
	struct mime_entity *e = m->leaf;
	size_t used = 0;

	if (!e || !merging(m))
		return 0;
	if (e->enc != ENC_BASE64 && e->enc != ENC_QP)
		return bulk_text(m, e, data, len, max_line);
	while (used < len) {
		const uint8_t *line = data + used;
		size_t n = m->bulk_guess, k;

		/* Base64 lines as long as the last one, each followed by
		 * CRLF: those that decode whole had every character of the
		 * alphabet (no CR, LF, NUL, '-' or '.'), so they were clean
		 * lines and need no scan. As many as fit in the pending
		 * segment at once. */
		if (e->enc == ENC_BASE64 && n >= 32 && n < max_line &&
		    /* nothing of another packet or entity to send first: if
		     * a line is not taken, what it raises comes before */
		    !seg_other(m, e) &&
		    (k = b64_run(m, line, len - used, n)) > 0) {
			used += k * (n + 2);
			continue;
		}
		n = line_clean(line, len - used, max_line);
		if (n == LINE_NOT_CLEAN || (n && (line[0] == '-' ||
						  line[0] == '.')))
			break;
		decode_line(m, e, line, n, true);
		m->bulk_guess = n;
		used += n + 2;
	}
	return used;
}

void mime_mail_gap(struct mime_mail *m, uint64_t len)
{
	struct mime_entity *e = m->top;
	struct event ev = { .type = EV_mime_content_gap };

	while (e && e->child)
		e = e->child;
	flush_segment(m);
	ev.gap.offset = e ? e->data_len : 0;
	ev.gap.len = len;
	emit(m, &ev);
}

void mime_mail_end(struct mime_mail **mp)
{
	struct mime_mail *m;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;

	if (!mp || !*mp)
		return;
	m = *mp;
	end_entity(m, m->top);
	if (m->want_all_data) {
		struct event ev = { .type = EV_mime_all_data };

		ev.mime_data.length = m->all_len;
		ev.mime_data.data = EV_BYTES(m->all.p, m->all.len);
		emit(m, &ev);
	}
	if (m->md5 && EVP_DigestFinal_ex(m->md5, h, &hl)) {
		struct event ev = { .type = EV_mime_content_hash };

		ev.content_hash.content_len = m->all_len;
		ev.content_hash.hash_value = EV_BYTES(h, hl);
		emit(m, &ev);
	}
	if (m->sha256 && EVP_DigestFinal_ex(m->sha256, h, &hl)) {
		struct event ev = { .type = EV_mime_content_hash_sha256 };

		ev.content_hash.content_len = m->all_len;
		ev.content_hash.hash_value = EV_BYTES(h, hl);
		emit(m, &ev);
	}
	EVP_MD_CTX_free(m->md5);
	EVP_MD_CTX_free(m->sha256);
	free_entity(m->top);
	buf_free(&m->seg);
	buf_free(&m->all);
	free(m);
	*mp = NULL;
}
