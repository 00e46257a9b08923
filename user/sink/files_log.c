// SPDX-License-Identifier: BSD-3-Clause
/* files_log.c - builds files.log rows from mime_* events, the way Zeek's
 * file analysis sees MIME entities: a file per leaf entity with data,
 * depth = the connection's count of entities so far, hashes streamed,
 * extraction size-capped. Owns per-connection entity stacks (depth-capped
 * by MIME) and open files; never reads packets. */
#include "sink/files_log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow/uid.h"
#include "sink/conn_state.h"
#include "sink/email.h"
#include "sink/log.h"

#define FL_MAX_STACK 128
#define FL_MAX_LISTENERS 4

static const struct log_field files_fields[] = {
	{ "ts", LOG_TIME },
	{ "fuid", LOG_STRING },
	{ "uid", LOG_STRING },
	{ "id.orig_h", LOG_ADDR },
	{ "id.orig_p", LOG_PORT },
	{ "id.resp_h", LOG_ADDR },
	{ "id.resp_p", LOG_PORT },
	{ "source", LOG_STRING },
	{ "depth", LOG_COUNT },
	{ "analyzers", LOG_SET_STRING },
	{ "mime_type", LOG_STRING },
	{ "filename", LOG_STRING },
	{ "duration", LOG_INTERVAL },
	{ "local_orig", LOG_BOOL },
	{ "is_orig", LOG_BOOL },
	{ "seen_bytes", LOG_COUNT },
	{ "total_bytes", LOG_COUNT },
	{ "missing_bytes", LOG_COUNT },
	{ "overflow_bytes", LOG_COUNT },
	{ "timedout", LOG_BOOL },
	{ "parent_fuid", LOG_STRING },
	{ "md5", LOG_STRING },
	{ "sha1", LOG_STRING },
	{ "sha256", LOG_STRING },
	{ "extracted", LOG_STRING },
	{ "extracted_cutoff", LOG_BOOL },
	{ "extracted_size", LOG_COUNT },
};

#define NF (sizeof(files_fields) / sizeof(files_fields[0]))

static const struct log_schema files_schema = { "files", files_fields, NF };

struct fentity {
	unsigned int depth;     /* connection-wide entity number */
	char mime_type[128];    /* from Content-Type */
	char filename[256];
	bool has_file;
	char fuid[MT_UID_LEN];
	double first_ts, last_ts;
	uint64_t seen, missing;
	EVP_MD_CTX *md[3];      /* md5, sha1, sha256 */
	uint8_t head[64];       /* first bytes, for sniffing */
	size_t head_len;
	int xfd;                /* extraction */
	char xname[300];
	uint64_t xsize;
	bool xcut;
};

struct fconn {
	unsigned int entities;  /* mime_begin_entity count so far */
	unsigned int sp;
	struct fentity *stack[FL_MAX_STACK];
	unsigned int dropped;   /* begins beyond the stack */
};

struct files_log {
	struct sink sink;
	const struct mt_config *cfg;
	struct bus *bus;
	struct conn_states conns;
	struct uid_gen uids;
	struct {
		files_new_cb cb;
		void *arg;
	} listeners[FL_MAX_LISTENERS];
	unsigned int n_listeners;
};

static const EVP_MD *md_of(int i)
{
	return i == 0 ? EVP_md5() : i == 1 ? EVP_sha1() : EVP_sha256();
}

static const char *const md_names[3] = { "MD5", "SHA1", "SHA256" };
static const unsigned int md_bits[3] = { MT_HASH_MD5, MT_HASH_SHA1,
					 MT_HASH_SHA256 };

static struct fconn *conn_of(struct files_log *fl, const struct conn_info *c,
			     bool create)
{
	struct fconn *fc = cs_get(&fl->conns, c);

	if (fc || !create)
		return fc;
	fc = calloc(1, sizeof(*fc));
	if (fc && cs_put(&fl->conns, c, fc)) {
		free(fc);
		fc = NULL;
	}
	return fc;
}

static void copy_lower(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	size_t k = 0;

	for (; k < n && k < cap - 1; k++)
		dst[k] = (char)(p[k] >= 'A' && p[k] <= 'Z' ? p[k] + 32 : p[k]);
	dst[k] = '\0';
}

/* Content-Type "type/subtype; ..." -> "type/subtype" lower-cased. */
static void content_type(struct fentity *e, struct ev_bytes v)
{
	size_t i = 0, s;

	while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
		i++;
	s = i;
	while (i < v.len && v.p[i] != ';' && v.p[i] != ' ' && v.p[i] != '\t' &&
	       v.p[i] != '(')
		i++;
	if (i > s && memchr(v.p + s, '/', i - s))
		copy_lower(e->mime_type, sizeof(e->mime_type), v.p + s, i - s);
}

/* Zeek's extract_filename_from_content_disposition. */
static void filename_from(struct fentity *e, struct ev_bytes v)
{
	const uint8_t *p = v.p;
	size_t n = v.len, start = SIZE_MAX, i, k;

	/* the last "name[blank]*\*?=[blank]*" */
	for (i = 0; i + 4 <= n; i++) {
		if ((p[i] | 0x20) != 'n' ||
		    strncasecmp((const char *)p + i, "name", 4))
			continue;
		k = i + 4;
		while (k < n && (p[k] == ' ' || p[k] == '\t'))
			k++;
		if (k < n && p[k] == '*')
			k++;
		if (k >= n || p[k] != '=')
			continue;
		k++;
		while (k < n && (p[k] == ' ' || p[k] == '\t'))
			k++;
		start = k;
	}
	if (start == SIZE_MAX)
		return;
	p += start;
	n -= start;
	if (n && p[0] == '"') {
		const uint8_t *q = memchr(p + 1, '"', n - 1);

		n = q ? (size_t)(q - p - 1) : n - 1;
		p++;
	} else {
		for (i = 0; i < n && p[i] != ';' && p[i] != ' ' && p[i] != '\t';
		     i++)
			;
		n = i;
		/* RFC 2231: charset'language'value */
		{
			const uint8_t *q1 = memchr(p, '\'', n);
			const uint8_t *q2 = q1 ? memchr(q1 + 1, '\'',
							n - (q1 + 1 - p)) :
						 NULL;

			if (q2) {
				n -= (size_t)(q2 + 1 - p);
				p = q2 + 1;
			}
		}
	}
	/* unescape %XX */
	for (i = 0, k = 0; i < n && k < sizeof(e->filename) - 1; i++) {
		if (p[i] == '%' && i + 2 < n) {
			char hx[3] = { (char)p[i + 1], (char)p[i + 2], 0 };
			char *end;
			long c = strtol(hx, &end, 16);

			if (*end == '\0') {
				e->filename[k++] = (char)c;
				i += 2;
				continue;
			}
		}
		e->filename[k++] = (char)p[i];
	}
	e->filename[k] = '\0';
}

/* Content-sniffed type when no Content-Type said (a small magic table). */
static const char *sniff(const uint8_t *p, size_t n)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *type;
	} tab[] = {
		{ "\x89PNG\r\n\x1a\n", 8, "image/png" },
		{ "\xff\xd8\xff", 3, "image/jpeg" },
		{ "GIF87a", 6, "image/gif" },
		{ "GIF89a", 6, "image/gif" },
		{ "%PDF-", 5, "application/pdf" },
		{ "PK\x03\x04", 4, "application/zip" },
		{ "MZ", 2, "application/x-dosexec" },
		{ "\x7f" "ELF", 4, "application/x-executable" },
		{ "\x1f\x8b", 2, "application/x-gzip" },
		{ "{\\rtf", 5, "text/rtf" },
		{ "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, "application/vnd.ms-office" },
		{ "<html", 5, "text/html" },
		{ "<!DOCTYPE html", 14, "text/html" },
	};
	bool text = n > 0;

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (n >= tab[i].len && memcmp(p, tab[i].magic, tab[i].len) == 0)
			return tab[i].type;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 && p[i] != '\r' && p[i] != '\n' && p[i] != '\t')
			text = false;
	return text ? "text/plain" : NULL;
}

static void start_file(struct files_log *fl, const struct event *ev,
		       struct fentity *e)
{
	e->has_file = true;
	e->first_ts = ev->ts;
	uid_make(&fl->uids, 'F', e->fuid);
	e->xfd = -1;
	for (int i = 0; i < 3; i++) {
		if (!(fl->cfg->file_hashes & md_bits[i]))
			continue;
		e->md[i] = EVP_MD_CTX_new();
		if (e->md[i] && !EVP_DigestInit_ex(e->md[i], md_of(i), NULL)) {
			EVP_MD_CTX_free(e->md[i]);
			e->md[i] = NULL;
		}
	}
	if (fl->cfg->extract_files) {
		snprintf(e->xname, sizeof(e->xname), "extract-%s-%s",
			 ev->conn->uid, e->fuid);
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", fl->cfg->extract_files,
			 e->xname);
		e->xfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0640);
	}
	for (unsigned int i = 0; i < fl->n_listeners; i++)
		fl->listeners[i].cb(fl->listeners[i].arg, ev->conn, e->fuid);
}

static void file_data(struct files_log *fl, const struct event *ev,
		      struct fentity *e)
{
	const uint8_t *p = ev->mime_data.data.p;
	size_t n = ev->mime_data.data.len;

	if (!e->has_file)
		start_file(fl, ev, e);
	e->last_ts = ev->ts;
	e->seen += n;
	for (int i = 0; i < 3; i++)
		if (e->md[i])
			EVP_DigestUpdate(e->md[i], p, n);
	if (e->head_len < sizeof(e->head)) {
		size_t k = sizeof(e->head) - e->head_len;

		if (k > n)
			k = n;
		memcpy(e->head + e->head_len, p, k);
		e->head_len += k;
	}
	if (e->xfd >= 0 && !e->xcut) {
		uint64_t cap = fl->cfg->lim.extract_max_bytes;
		size_t k = n;

		if (cap && e->xsize + k > cap) {
			k = (size_t)(cap - e->xsize);
			e->xcut = true;
		}
		if (k && write(e->xfd, p, k) == (ssize_t)k)
			e->xsize += k;
	}
}

static void hexify(const unsigned char *h, unsigned int n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = hx[h[i] >> 4];
		out[2 * i + 1] = hx[h[i] & 15];
	}
	out[2 * n] = '\0';
}

static void finish_file(struct files_log *fl, const struct event *ev,
			struct fentity *e)
{
	const struct conn_info *c = ev->conn;
	struct log_value v[NF];
	struct ev_bytes an[4];
	size_t n_an = 0;
	char hex[3][2 * EVP_MAX_MD_SIZE + 1];
	const char *mt;
	struct event row = { .type = EV_log, .redact_from = EV_NO_REDACT };
	const struct mt_addr *src = ev->is_orig ? &c->id.orig_h : &c->id.resp_h;

	memset(v, 0, sizeof(v));
	for (int i = 0; i < 3; i++) {
		unsigned char h[EVP_MAX_MD_SIZE];
		unsigned int hl = 0;

		if (!(fl->cfg->file_hashes & md_bits[i]))
			continue;
		an[n_an++] = EV_STR(md_names[i]);
		if (e->md[i] && EVP_DigestFinal_ex(e->md[i], h, &hl)) {
			hexify(h, hl, hex[i]);
			v[21 + i] = (struct log_value){ .set = true,
							.s = EV_STR(hex[i]) };
		}
	}
	if (fl->cfg->extract_files)
		an[n_an++] = EV_STR("EXTRACT");
	mt = e->mime_type[0] ? e->mime_type : sniff(e->head, e->head_len);
	v[0] = (struct log_value){ .set = true, .t = e->first_ts };
	v[1] = (struct log_value){ .set = true, .s = EV_STR(e->fuid) };
	log_conn_values(&v[2], c);
	v[7] = (struct log_value){ .set = true,
				   .s = EV_STR(mt_proto_tag(c->proto)) };
	v[8] = (struct log_value){ .set = true, .u = e->depth };
	v[9] = (struct log_value){ .set = true, .strs = { an, n_an } };
	if (mt)
		v[10] = (struct log_value){ .set = true, .s = EV_STR(mt) };
	if (e->filename[0])
		v[11] = (struct log_value){ .set = true,
					    .s = EV_STR(e->filename) };
	v[12] = (struct log_value){ .set = true, .t = e->last_ts - e->first_ts };
	v[13] = (struct log_value){ .set = true, .b = email_is_private(src) };
	v[14] = (struct log_value){ .set = true, .b = ev->is_orig };
	v[15] = (struct log_value){ .set = true, .u = e->seen };
	v[17] = (struct log_value){ .set = true, .u = e->missing };
	v[18] = (struct log_value){ .set = true, .u = 0 };
	v[19] = (struct log_value){ .set = true, .b = false };
	if (e->xfd >= 0) {
		close(e->xfd);
		e->xfd = -1;
		v[24] = (struct log_value){ .set = true, .s = EV_STR(e->xname) };
		v[25] = (struct log_value){ .set = true, .b = e->xcut };
		v[26] = (struct log_value){ .set = true, .u = e->xsize };
	}
	row.ts = e->first_ts;
	row.conn = c;
	row.log.schema = &files_schema;
	row.log.values = v;
	bus_emit(fl->bus, &row);
}

static void free_fentity(struct fentity *e)
{
	if (!e)
		return;
	for (int i = 0; i < 3; i++)
		EVP_MD_CTX_free(e->md[i]);
	if (e->xfd >= 0)
		close(e->xfd);
	free(e);
}

static void free_fconn(void *p)
{
	struct fconn *fc = p;

	for (unsigned int i = 0; i < fc->sp; i++)
		free_fentity(fc->stack[i]);
	free(fc);
}

static void drop_conn(struct files_log *fl, const struct conn_info *c)
{
	struct fconn *fc = cs_del(&fl->conns, c);

	if (fc)
		free_fconn(fc);
}

static void fl_on_event(struct sink *s, const struct event *ev)
{
	struct files_log *fl = (struct files_log *)s;
	struct fconn *fc;
	struct fentity *e;

	if (!ev->conn)
		return;
	if (ev->type == EV_conn_end) {
		drop_conn(fl, ev->conn);
		return;
	}
	fc = conn_of(fl, ev->conn, ev->type == EV_mime_begin_entity);
	if (!fc)
		return;
	if (ev->type == EV_mime_begin_entity) {
		fc->entities++;
		if (fc->sp == FL_MAX_STACK) {
			fc->dropped++;
			return;
		}
		e = calloc(1, sizeof(*e));
		if (!e) {
			fc->dropped++;
			return;
		}
		e->depth = fc->entities;
		e->xfd = -1;
		fc->stack[fc->sp++] = e;
		return;
	}
	if (ev->type == EV_mime_end_entity) {
		if (fc->dropped) {
			fc->dropped--;
			return;
		}
		if (!fc->sp)
			return;
		e = fc->stack[--fc->sp];
		if (e->has_file)
			finish_file(fl, ev, e);
		free_fentity(e);
		return;
	}
	if (!fc->sp || fc->dropped)
		return;
	e = fc->stack[fc->sp - 1];
	switch (ev->type) {
	case EV_mime_one_header:
		if (ev->one_header.h.name.len == 12 &&
		    !memcmp(ev->one_header.h.name.p, "CONTENT-TYPE", 12)) {
			content_type(e, ev->one_header.h.value);
			if (!e->filename[0])
				filename_from(e, ev->one_header.h.value);
		} else if (ev->one_header.h.name.len == 19 &&
			   !memcmp(ev->one_header.h.name.p,
				   "CONTENT-DISPOSITION", 19)) {
			filename_from(e, ev->one_header.h.value);
		}
		break;
	case EV_mime_segment_data:
		file_data(fl, ev, e);
		break;
	case EV_mime_content_gap:
		if (!e->has_file)
			start_file(fl, ev, e);
		e->missing += ev->gap.len;
		break;
	default:
		break;
	}
}

int files_log_new(struct files_log **out, const struct mt_config *cfg,
		  struct bus *bus)
{
	struct files_log *fl = calloc(1, sizeof(*fl));
	const char *seed = getenv("MAILTAP_UID_SEED");

	if (!fl)
		return -ENOMEM;
	cs_init(&fl->conns, CONN_SLOT_FILES_LOG);
	fl->cfg = cfg;
	fl->bus = bus;
	uid_gen_init(&fl->uids, seed ? strtoull(seed, NULL, 0) + 1 : 0);
	fl->sink.name = "files-log";
	fl->sink.mask = EV_BIT(EV_mime_begin_entity) |
			EV_BIT(EV_mime_end_entity) |
			EV_BIT(EV_mime_one_header) |
			EV_BIT(EV_mime_segment_data) |
			EV_BIT(EV_mime_content_gap) | EV_BIT(EV_conn_end);
	/* file data is only counted, hashed, sniffed and extracted */
	fl->sink.merged_ok = EV_BIT(EV_mime_segment_data);
	fl->sink.on_event = fl_on_event;
	*out = fl;
	return 0;
}

struct sink *files_log_sink(struct files_log *fl)
{
	return &fl->sink;
}

int files_log_on_new(struct files_log *fl, files_new_cb cb, void *arg)
{
	if (fl->n_listeners == FL_MAX_LISTENERS)
		return -ENOSPC;
	fl->listeners[fl->n_listeners].cb = cb;
	fl->listeners[fl->n_listeners].arg = arg;
	fl->n_listeners++;
	return 0;
}

void files_log_free(struct files_log **flp)
{
	struct files_log *fl;

	if (!flp || !*flp)
		return;
	fl = *flp;
	cs_free(&fl->conns, free_fconn);
	free(fl);
	*flp = NULL;
}
