/* SPDX-License-Identifier: BSD-3-Clause */
/* log.h - a log row as log builders produce it and log writers (TSV,
 * JSON) and socket subscribers consume it: a schema (path + typed fields
 * in Zeek's column order) and one value per field. Rows travel on the bus
 * as EV_log events; values are borrowed for the duration of the event. */
#ifndef MAILTAP_LOG_H
#define MAILTAP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include <string.h>

#include "flow/conn.h"

enum log_type {
	LOG_TIME,        /* double seconds, 6 decimals */
	LOG_INTERVAL,    /* double seconds, 6 decimals */
	LOG_STRING,      /* .s */
	LOG_ADDR,        /* .a */
	LOG_PORT,        /* .u */
	LOG_COUNT,       /* .u */
	LOG_INT,         /* .i */
	LOG_BOOL,        /* .b */
	LOG_SET_STRING,  /* .strs (TSV "set[string]") */
	LOG_VEC_STRING,  /* .strs (TSV "vector[string]") */
	LOG_VEC_ADDR,    /* .addrs (TSV "vector[addr]") */
	LOG_SET_ADDR,    /* .addrs (TSV "set[addr]") */
};

struct log_field {
	const char *name; /* Zeek's column name, e.g. "id.orig_h" */
	enum log_type type;
};

struct log_schema {
	const char *path; /* "smtp", "files", "weird", "pop3", "notice" */
	const struct log_field *fields;
	unsigned int n_fields;
};

struct log_value {
	bool set; /* false = unset ("-") */
	union {
		double t;
		uint64_t u;
		int64_t i;
		bool b;
		struct ev_bytes s;
		struct mt_addr a;
		struct {
			const struct ev_bytes *v;
			size_t n;
		} strs;
		struct {
			const struct mt_addr *v;
			size_t n;
		} addrs;
	};
};

/* Fill v[0..4] with uid, id.orig_h, id.orig_p, id.resp_h, id.resp_p. */
static inline void log_conn_values(struct log_value *v,
				   const struct conn_info *c)
{
	v[0] = (struct log_value){ .set = true, .s = EV_STR(c->uid) };
	v[1] = (struct log_value){ .set = true, .a = c->id.orig_h };
	v[2] = (struct log_value){ .set = true, .u = c->id.orig_p };
	v[3] = (struct log_value){ .set = true, .a = c->id.resp_h };
	v[4] = (struct log_value){ .set = true, .u = c->id.resp_p };
}

#endif
