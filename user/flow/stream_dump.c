// SPDX-License-Identifier: BSD-3-Clause
/* stream_dump.c - writes reassembled streams and their .meta, the way
 * tcpflow users expect. Owns at most a bounded number of open files;
 * never buffers more than stdio does. */
#include "flow/stream_dump.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

#define DUMP_MAX_OPEN 256 /* files kept open across all connections */
#define DUMP_MAX_GAPS 64  /* gaps listed in .meta (all are counted) */

struct dump_gap {
	uint64_t off;
	uint64_t len;
};

struct dump_dir {
	FILE *f;
	bool created;
	unsigned int n_gaps;
	struct dump_gap gaps[DUMP_MAX_GAPS];
};

struct stream_dump {
	struct stream_dump_ctx *ctx;
	const struct conn_info *info;
	struct dump_dir dir[2]; /* 0 = orig, 1 = resp */
};

int stream_dump_new(struct stream_dump **out, struct stream_dump_ctx *ctx,
		    const struct conn_info *info)
{
	struct stream_dump *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->ctx = ctx;
	d->info = info;
	*out = d;
	return 0;
}

static void path_of(const struct stream_dump *d, const char *ext, char *buf,
		    size_t len)
{
	snprintf(buf, len, "%s/%s.%s", d->ctx->dir, d->info->uid, ext);
}

static FILE *file_of(struct stream_dump *d, bool is_orig)
{
	struct dump_dir *dd = &d->dir[is_orig ? 0 : 1];
	char path[4096];

	if (dd->f)
		return dd->f;
	path_of(d, is_orig ? "orig" : "resp", path, sizeof(path));
	dd->f = fopen(path, dd->created ? "ae" : "we");
	if (!dd->f) {
		d->ctx->write_errors++;
		return NULL;
	}
	dd->created = true;
	d->ctx->open_files++;
	return dd->f;
}

static void release(struct stream_dump *d, struct dump_dir *dd)
{
	if (!dd->f)
		return;
	if (fclose(dd->f))
		d->ctx->write_errors++;
	dd->f = NULL;
	d->ctx->open_files--;
}

void stream_dump_data(struct stream_dump *d, bool is_orig, const uint8_t *p,
		      size_t n)
{
	FILE *f = file_of(d, is_orig);

	if (!f)
		return;
	if (fwrite(p, 1, n, f) != n)
		d->ctx->write_errors++;
	/* Too many open: this connection gives its file back. */
	if (d->ctx->open_files > DUMP_MAX_OPEN)
		release(d, &d->dir[is_orig ? 0 : 1]);
}

void stream_dump_gap(struct stream_dump *d, bool is_orig, uint64_t off,
		     uint64_t len)
{
	struct dump_dir *dd = &d->dir[is_orig ? 0 : 1];

	if (dd->n_gaps < DUMP_MAX_GAPS)
		dd->gaps[dd->n_gaps++] = (struct dump_gap){ off, len };
	/* make sure the file exists even if no byte ever arrives */
	if (!dd->created && file_of(d, is_orig) &&
	    d->ctx->open_files > DUMP_MAX_OPEN)
		release(d, dd);
}

static void meta_dir(struct jw *w, const char *key, const struct dump_dir *dd,
		     const struct flow_dir_stats *st)
{
	jw_key(w, key);
	jw_obj_open(w);
	jw_key(w, "bytes");
	jw_u64(w, st->bytes);
	jw_key(w, "packets");
	jw_u64(w, st->packets);
	jw_key(w, "gap_bytes");
	jw_u64(w, st->gap_bytes);
	jw_key(w, "gaps");
	jw_arr_open(w);
	for (unsigned int i = 0; i < dd->n_gaps; i++) {
		jw_arr_open(w);
		jw_u64(w, dd->gaps[i].off);
		jw_u64(w, dd->gaps[i].len);
		jw_arr_close(w);
	}
	jw_arr_close(w);
	jw_obj_close(w);
}

void stream_dump_close(struct stream_dump **dp, double end_ts,
		       const struct flow_dir_stats *orig,
		       const struct flow_dir_stats *resp)
{
	struct stream_dump *d;
	char path[4096], a[MT_ADDR_STRLEN];
	struct jw w;
	FILE *f;

	if (!dp || !*dp)
		return;
	d = *dp;
	/* Both stream files exist, even when empty. */
	for (int i = 0; i < 2; i++) {
		if (!d->dir[i].created)
			file_of(d, i == 0);
		release(d, &d->dir[i]);
	}
	jw_init(&w, false);
	jw_obj_open(&w);
	jw_key(&w, "uid");
	jw_str(&w, d->info->uid);
	jw_key(&w, "id");
	jw_obj_open(&w);
	jw_key(&w, "orig_h");
	jw_str(&w, mt_addr_str(&d->info->id.orig_h, a));
	jw_key(&w, "orig_p");
	jw_u64(&w, d->info->id.orig_p);
	jw_key(&w, "resp_h");
	jw_str(&w, mt_addr_str(&d->info->id.resp_h, a));
	jw_key(&w, "resp_p");
	jw_u64(&w, d->info->id.resp_p);
	jw_obj_close(&w);
	jw_key(&w, "proto");
	jw_str(&w, d->info->proto == MT_PROTO_SMTP ? "smtp" :
		   d->info->proto == MT_PROTO_POP3 ? "pop3" : "-");
	jw_key(&w, "partial");
	jw_bool(&w, d->info->partial);
	jw_key(&w, "start_ts");
	jw_time(&w, d->info->start_ts);
	jw_key(&w, "end_ts");
	jw_time(&w, end_ts);
	meta_dir(&w, "orig", &d->dir[0], orig);
	meta_dir(&w, "resp", &d->dir[1], resp);
	jw_obj_close(&w);
	jw_newline(&w);
	path_of(d, "meta", path, sizeof(path));
	f = fopen(path, "we");
	if (!f || fwrite(w.buf, 1, w.len, f) != w.len)
		d->ctx->write_errors++;
	if (f)
		fclose(f);
	jw_free(&w);
	free(d);
	*dp = NULL;
}
