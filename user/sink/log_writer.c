// SPDX-License-Identifier: BSD-3-Clause
/* log_writer.c - Zeek's ASCII writer (spec §8.6) and JSON lines. Live,
 * rows are written whole with one write(2) as they complete, so a crash
 * loses only rows not yet complete. Reading a capture file (-r), rows are
 * gathered in LW_BUF bytes per file and written when that fills, when the
 * file is closed or reopened, and at the end: a write(2) per row was a
 * tenth of an offline run. Owns the files; opens each lazily. */
#include "sink/log_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/numfmt.h"

#define LW_MAX_FILES 16
#define ROW_MAX (1u << 20)
#define LW_BUF (256u << 10)

struct log_file {
	const struct log_schema *schema;
	int fd;
	ino_t ino;
	char path[4096];
	char *buf; /* rows not written yet (offline only) */
	size_t len;
};

struct log_writer {
	struct sink sink;
	const struct mt_config *cfg;
	struct bus *bus;
	struct log_file files[LW_MAX_FILES];
	unsigned int n_files;
	char *row;
	struct jw jw;
	uint64_t rows;
	uint64_t errors;
	bool buffered; /* reading a capture file */
};

static const char *type_name(enum log_type t)
{
	switch (t) {
	case LOG_TIME: return "time";
	case LOG_INTERVAL: return "interval";
	case LOG_STRING: return "string";
	case LOG_ADDR: return "addr";
	case LOG_PORT: return "port";
	case LOG_COUNT: return "count";
	case LOG_INT: return "int";
	case LOG_BOOL: return "bool";
	case LOG_SET_STRING: return "set[string]";
	case LOG_VEC_STRING: return "vector[string]";
	case LOG_VEC_ADDR: return "vector[addr]";
	case LOG_SET_ADDR: return "set[addr]";
	}
	return "?";
}

static void stamp(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%d-%H-%M-%S", &tm);
}

static void write_all(struct log_writer *lw, int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			lw->errors++;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void flush_file(struct log_writer *lw, struct log_file *f)
{
	if (f->len) {
		write_all(lw, f->fd, f->buf, f->len);
		f->len = 0;
	}
}

/* A complete row: written, or gathered when buffered. */
static void put_row(struct log_writer *lw, struct log_file *f, const char *p,
		    size_t n)
{
	if (lw->buffered && !f->buf)
		f->buf = malloc(LW_BUF); /* without it: a write per row */
	if (!f->buf || n > LW_BUF) {
		flush_file(lw, f);
		write_all(lw, f->fd, p, n);
		return;
	}
	if (f->len + n > LW_BUF)
		flush_file(lw, f);
	memcpy(f->buf + f->len, p, n);
	f->len += n;
}

static void tsv_header(struct log_writer *lw, struct log_file *f)
{
	const struct log_schema *s = f->schema;
	char when[32], *b = lw->row;
	size_t o = 0;

	stamp(when, sizeof(when));
	o += snprintf(b + o, ROW_MAX - o,
		      "#separator \\x09\n#set_separator\t,\n"
		      "#empty_field\t(empty)\n#unset_field\t-\n#path\t%s\n"
		      "#open\t%s\n#fields",
		      s->path, when);
	for (unsigned int i = 0; i < s->n_fields && o < ROW_MAX - 256; i++)
		o += snprintf(b + o, ROW_MAX - o, "\t%s", s->fields[i].name);
	o += snprintf(b + o, ROW_MAX - o, "\n#types");
	for (unsigned int i = 0; i < s->n_fields && o < ROW_MAX - 256; i++)
		o += snprintf(b + o, ROW_MAX - o, "\t%s",
			      type_name(s->fields[i].type));
	o += snprintf(b + o, ROW_MAX - o, "\n");
	write_all(lw, f->fd, b, o);
}

static int open_file(struct log_writer *lw, struct log_file *f)
{
	struct stat st;

	snprintf(f->path, sizeof(f->path), "%s/%s.log", lw->cfg->log_dir,
		 f->schema->path);
	f->fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (f->fd < 0) {
		lw->errors++;
		return -errno;
	}
	if (fstat(f->fd, &st) == 0)
		f->ino = st.st_ino;
	if (lw->cfg->log_format == LOG_FORMAT_ZEEK && st.st_size == 0)
		tsv_header(lw, f);
	return 0;
}

static void close_file(struct log_writer *lw, struct log_file *f)
{
	if (f->fd < 0)
		return;
	flush_file(lw, f);
	free(f->buf);
	f->buf = NULL;
	if (lw->cfg->log_format == LOG_FORMAT_ZEEK) {
		char when[32], line[64];
		int n;

		stamp(when, sizeof(when));
		n = snprintf(line, sizeof(line), "#close\t%s\n", when);
		write_all(lw, f->fd, line, (size_t)n);
	}
	close(f->fd);
	f->fd = -1;
}

static struct log_file *file_for(struct log_writer *lw,
				 const struct log_schema *s)
{
	for (unsigned int i = 0; i < lw->n_files; i++) {
		struct log_file *f = &lw->files[i];

		if (f->schema == s || strcmp(f->schema->path, s->path) == 0) {
			if (f->fd < 0 && open_file(lw, f))
				return NULL;
			return f;
		}
	}
	if (lw->n_files == LW_MAX_FILES)
		return NULL;
	lw->files[lw->n_files].schema = s;
	lw->files[lw->n_files].fd = -1;
	if (open_file(lw, &lw->files[lw->n_files]))
		return NULL;
	return &lw->files[lw->n_files++];
}

/* --- TSV values ---------------------------------------------------------- */

struct tsv_out {
	char *b;
	size_t o, cap;
	bool full;
};

static void out(struct tsv_out *t, const char *p, size_t n)
{
	if (t->full || t->o + n + 2 > t->cap) {
		t->full = true;
		return;
	}
	memcpy(t->b + t->o, p, n);
	t->o += n;
}

static void outs(struct tsv_out *t, const char *s)
{
	out(t, s, strlen(s));
}

/* A string value; in_container: ',' is escaped too. */
static void tsv_str(struct tsv_out *t, const uint8_t *p, size_t n,
		    size_t max, bool in_container, unsigned int *truncated)
{
	char esc[4096 * 4 + 8];

	if (n == 0) {
		outs(t, "(empty)");
		return;
	}
	if (n == 1 && p[0] == '-') {
		outs(t, "\\x2d");
		return;
	}
	if (n == 7 && memcmp(p, "(empty)", 7) == 0) {
		outs(t, "\\x28empty)");
		return;
	}
	if (n > max) {
		n = max;
		(*truncated)++;
	}
	while (n) {
		size_t chunk = n > 4096 ? 4096 : n;
		size_t e;

		/* never split a UTF-8 sequence between chunks */
		while (chunk < n && chunk > 4092 && (p[chunk] & 0xc0) == 0x80)
			chunk--;
		if (!in_container && !t->full &&
		    t->cap - t->o >= 4 * chunk + 3) {
			/* straight into the row (room for the worst case,
			 * and for what out() keeps free) */
			t->o += zeek_escape(p, chunk, t->b + t->o,
					    t->cap - t->o - 2);
			p += chunk;
			n -= chunk;
			continue;
		}
		e = zeek_escape(p, chunk, esc, sizeof(esc));
		if (!in_container) {
			out(t, esc, e);
		} else {
			for (size_t i = 0; i < e; i++) {
				if (esc[i] == ',')
					outs(t, "\\x2c");
				else
					out(t, &esc[i], 1);
			}
		}
		p += chunk;
		n -= chunk;
	}
}

/* A container's element count to write: 0 after writing "(empty)", else
 * n capped at the per-field limit (counted when it cuts). */
static size_t container_n(struct tsv_out *t, size_t n, size_t maxc,
			  unsigned int *ctruncated)
{
	if (n == 0) {
		outs(t, "(empty)");
		return 0;
	}
	if (maxc && n > maxc) {
		(*ctruncated)++;
		return maxc;
	}
	return n;
}

static void tsv_value(struct tsv_out *t, const struct log_field *fd,
		      const struct log_value *v, const struct mt_limits *lim,
		      unsigned int *truncated, unsigned int *ctruncated)
{
	char num[64], a[MT_ADDR_STRLEN];
	size_t n, maxc = lim->log_max_field_container_elements;

	if (!v->set) {
		outs(t, "-");
		return;
	}
	switch (fd->type) {
	case LOG_TIME:
	case LOG_INTERVAL:
		fmt_time6(num, v->t);
		outs(t, num);
		break;
	case LOG_STRING:
		tsv_str(t, v->s.p, v->s.len, lim->log_max_field_string_bytes,
			false, truncated);
		break;
	case LOG_ADDR:
		outs(t, mt_addr_str(&v->a, a));
		break;
	case LOG_PORT:
	case LOG_COUNT:
		fmt_u64(num, v->u);
		outs(t, num);
		break;
	case LOG_INT:
		fmt_i64(num, v->i);
		outs(t, num);
		break;
	case LOG_BOOL:
		outs(t, v->b ? "T" : "F");
		break;
	case LOG_SET_STRING:
	case LOG_VEC_STRING:
		n = container_n(t, v->strs.n, maxc, ctruncated);
		for (size_t i = 0; i < n; i++) {
			if (i)
				outs(t, ",");
			tsv_str(t, v->strs.v[i].p, v->strs.v[i].len,
				lim->log_max_field_string_bytes, true,
				truncated);
		}
		break;
	case LOG_VEC_ADDR:
	case LOG_SET_ADDR:
		n = container_n(t, v->addrs.n, maxc, ctruncated);
		for (size_t i = 0; i < n; i++) {
			if (i)
				outs(t, ",");
			outs(t, mt_addr_str(&v->addrs.v[i], a));
		}
		break;
	}
}

size_t log_row_tsv(char *buf, size_t cap, const struct log_schema *s,
		   const struct log_value *v, const struct mt_limits *lim,
		   unsigned int *truncated, unsigned int *ctruncated)
{
	struct tsv_out t = { .b = buf, .cap = cap };

	for (unsigned int i = 0; i < s->n_fields; i++) {
		if (i)
			outs(&t, "\t");
		tsv_value(&t, &s->fields[i], &v[i], lim, truncated,
			  ctruncated);
	}
	if (t.full)
		return 0;
	if (t.o && buf[0] == '#') {
		/* a row must not look like a header line */
		memmove(buf + 4, buf + 1, t.o - 1);
		memcpy(buf, "\\x23", 4);
		t.o += 3;
	}
	buf[t.o++] = '\n';
	return t.o;
}

/* --- JSON values ----------------------------------------------------------- */

void log_row_json(struct jw *w, const struct log_schema *s,
		  const struct log_value *v)
{
	char a[MT_ADDR_STRLEN];

	jw_obj_open(w);
	for (unsigned int i = 0; i < s->n_fields; i++) {
		const struct log_field *fd = &s->fields[i];

		if (!v[i].set)
			continue;
		jw_key(w, fd->name);
		switch (fd->type) {
		case LOG_TIME:
		case LOG_INTERVAL:
			jw_time(w, v[i].t);
			break;
		case LOG_STRING:
			jw_bytes(w, v[i].s.p, v[i].s.len);
			break;
		case LOG_ADDR:
			jw_str(w, mt_addr_str(&v[i].a, a));
			break;
		case LOG_PORT:
		case LOG_COUNT:
			jw_u64(w, v[i].u);
			break;
		case LOG_INT:
			jw_i64(w, v[i].i);
			break;
		case LOG_BOOL:
			jw_bool(w, v[i].b);
			break;
		case LOG_SET_STRING:
		case LOG_VEC_STRING:
			jw_arr_open(w);
			for (size_t k = 0; k < v[i].strs.n; k++)
				jw_bytes(w, v[i].strs.v[k].p,
					 v[i].strs.v[k].len);
			jw_arr_close(w);
			break;
		case LOG_VEC_ADDR:
		case LOG_SET_ADDR:
			jw_arr_open(w);
			for (size_t k = 0; k < v[i].addrs.n; k++)
				jw_str(w, mt_addr_str(&v[i].addrs.v[k], a));
			jw_arr_close(w);
			break;
		}
	}
	jw_obj_close(w);
}

/* --- the sink -------------------------------------------------------------- */

static void limit_weird(struct log_writer *lw, const char *name,
			const struct log_schema *s, double ts)
{
	char addl[64];
	struct event ev = { .type = EV_weird, .redact_from = EV_NO_REDACT };
	size_t n = 0;

	/* Zeek names the stream, e.g. SMTP::LOG */
	for (const char *p = s->path; *p && n < 40; p++)
		addl[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	memcpy(addl + n, "::LOG", 6);
	ev.ts = ts;
	ev.weird.name = name;
	ev.weird.addl = EV_BYTES(addl, n + 5);
	bus_emit(lw->bus, &ev);
}

static void lw_on_event(struct sink *s, const struct event *ev)
{
	struct log_writer *lw = (struct log_writer *)s;
	const struct log_schema *sc = ev->log.schema;
	struct log_file *f;
	unsigned int trunc = 0, ctrunc = 0;
	size_t n;

	if (lw->cfg->no_logs)
		return;
	f = file_for(lw, sc);
	if (!f)
		return;
	if (lw->cfg->log_format == LOG_FORMAT_JSON) {
		jw_reset(&lw->jw);
		log_row_json(&lw->jw, sc, ev->log.values);
		jw_newline(&lw->jw);
		if (!lw->jw.oom)
			put_row(lw, f, lw->jw.buf, lw->jw.len);
	} else {
		n = log_row_tsv(lw->row, ROW_MAX, sc, ev->log.values,
				&lw->cfg->lim, &trunc, &ctrunc);
		if (!n) {
			lw->errors++;
			return;
		}
		put_row(lw, f, lw->row, n);
	}
	lw->rows++;
	if (trunc)
		limit_weird(lw, "log_string_field_truncated", sc, ev->ts);
	if (ctrunc)
		limit_weird(lw, "log_container_field_truncated", sc, ev->ts);
}

int log_writer_new(struct log_writer **out, const struct mt_config *cfg,
		   struct bus *bus)
{
	struct log_writer *lw = calloc(1, sizeof(*lw));

	if (!lw)
		return -ENOMEM;
	lw->row = malloc(ROW_MAX);
	if (!lw->row) {
		free(lw);
		return -ENOMEM;
	}
	lw->cfg = cfg;
	lw->bus = bus;
	lw->buffered = cfg->read_file != NULL;
	lw->sink.name = "logs";
	lw->sink.mask = EV_BIT(EV_log);
	lw->sink.on_event = lw_on_event;
	jw_init(&lw->jw, false);
	*out = lw;
	return 0;
}

struct sink *log_writer_sink(struct log_writer *lw)
{
	return &lw->sink;
}

uint64_t log_writer_rows(const struct log_writer *lw)
{
	return lw->rows;
}

void log_writer_reopen(struct log_writer *lw)
{
	for (unsigned int i = 0; i < lw->n_files; i++) {
		struct log_file *f = &lw->files[i];
		struct stat st;

		if (f->fd < 0)
			continue;
		if (stat(f->path, &st) == 0 && st.st_ino == f->ino)
			continue; /* still in place */
		close_file(lw, f); /* reopened with a header on next row */
	}
}

void log_writer_free(struct log_writer **lwp)
{
	struct log_writer *lw;

	if (!lwp || !*lwp)
		return;
	lw = *lwp;
	for (unsigned int i = 0; i < lw->n_files; i++)
		close_file(lw, &lw->files[i]);
	jw_free(&lw->jw);
	free(lw->row);
	free(lw);
	*lwp = NULL;
}
