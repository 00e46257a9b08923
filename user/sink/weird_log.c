// SPDX-License-Identifier: BSD-3-Clause
/* weird_log.c - builds weird.log rows from weird events (spec §6.1):
 * ts uid id name addl notice peer source; a (name, connection) pair is
 * logged once; weirds without a connection once per name per 10 minutes.
 * Owns its de-duplication state (bounded) and the per-name counters. */
#include "sink/weird_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sink/conn_state.h"
#include "sink/log.h"

#define WL_MAX_NAMES 256      /* distinct weird names counted */
#define WL_MAX_PER_CONN 64    /* names remembered per connection */
#define WL_SUPPRESS 600.0     /* seconds, for weirds without connection */

static const struct log_field weird_fields[] = {
	{ "ts", LOG_TIME },	     { "uid", LOG_STRING },
	{ "id.orig_h", LOG_ADDR },   { "id.orig_p", LOG_PORT },
	{ "id.resp_h", LOG_ADDR },   { "id.resp_p", LOG_PORT },
	{ "name", LOG_STRING },	     { "addl", LOG_STRING },
	{ "notice", LOG_BOOL },	     { "peer", LOG_STRING },
	{ "source", LOG_STRING },
};

static const struct log_schema weird_schema = {
	"weird", weird_fields, sizeof(weird_fields) / sizeof(weird_fields[0])
};

struct name_count {
	const char *name; /* weird names are string literals */
	uint64_t n;
	double last_logged; /* for connection-less weirds */
};

struct conn_names {
	unsigned int n;
	const char *names[WL_MAX_PER_CONN];
};

struct weird_log {
	struct sink sink;
	struct bus *bus;
	struct conn_states conns;
	struct name_count counts[WL_MAX_NAMES];
	unsigned int n_counts;
};

static struct name_count *count_of(struct weird_log *wl, const char *name)
{
	for (unsigned int i = 0; i < wl->n_counts; i++)
		if (wl->counts[i].name == name ||
		    strcmp(wl->counts[i].name, name) == 0)
			return &wl->counts[i];
	if (wl->n_counts == WL_MAX_NAMES)
		return NULL;
	wl->counts[wl->n_counts].name = name;
	return &wl->counts[wl->n_counts++];
}

/* true when this (name, connection) was logged already */
static bool seen(struct weird_log *wl, const struct event *ev,
		 struct name_count *nc)
{
	struct conn_names *cn;

	if (!ev->conn) {
		if (nc && nc->last_logged &&
		    ev->ts - nc->last_logged < WL_SUPPRESS)
			return true;
		if (nc)
			nc->last_logged = ev->ts ? ev->ts : 1;
		return false;
	}
	cn = cs_get(&wl->conns, ev->conn);
	if (!cn) {
		cn = calloc(1, sizeof(*cn));
		if (!cn || cs_put(&wl->conns, ev->conn, cn)) {
			free(cn);
			return false;
		}
	}
	for (unsigned int i = 0; i < cn->n; i++)
		if (strcmp(cn->names[i], ev->weird.name) == 0)
			return true;
	if (cn->n < WL_MAX_PER_CONN)
		cn->names[cn->n++] = ev->weird.name;
	return false;
}

static void wl_on_event(struct sink *s, const struct event *ev)
{
	struct weird_log *wl = (struct weird_log *)s;
	struct log_value v[11];
	struct event row = { .type = EV_log, .redact_from = EV_NO_REDACT };
	struct name_count *nc;

	if (ev->type == EV_conn_end) {
		free(cs_del(&wl->conns, ev->conn));
		return;
	}
	nc = count_of(wl, ev->weird.name);
	if (nc)
		nc->n++;
	if (seen(wl, ev, nc))
		return;
	memset(v, 0, sizeof(v));
	v[0] = (struct log_value){ .set = true, .t = ev->ts };
	if (ev->conn) {
		const struct conn_info *c = ev->conn;

		log_conn_values(&v[1], c);
	}
	v[6] = (struct log_value){ .set = true, .s = EV_STR(ev->weird.name) };
	if (ev->weird.addl.len)
		v[7] = (struct log_value){ .set = true, .s = ev->weird.addl };
	v[8] = (struct log_value){ .set = true, .b = false };
	v[9] = (struct log_value){ .set = true, .s = EV_STR("zeek") };
	if (ev->weird.source)
		v[10] = (struct log_value){ .set = true,
					    .s = EV_STR(ev->weird.source) };
	row.ts = ev->ts;
	row.conn = ev->conn;
	row.log.schema = &weird_schema;
	row.log.values = v;
	bus_emit(wl->bus, &row);
}

int weird_log_new(struct weird_log **out, const struct mt_config *cfg,
		  struct bus *bus)
{
	struct weird_log *wl = calloc(1, sizeof(*wl));

	(void)cfg;
	if (!wl)
		return -ENOMEM;
	cs_init(&wl->conns, CONN_SLOT_WEIRD_LOG);
	wl->bus = bus;
	wl->sink.name = "weird-log";
	wl->sink.mask = EV_BIT(EV_weird) | EV_BIT(EV_conn_end);
	wl->sink.on_event = wl_on_event;
	*out = wl;
	return 0;
}

struct sink *weird_log_sink(struct weird_log *wl)
{
	return &wl->sink;
}

int weird_log_counts(const struct weird_log *wl,
		     int (*cb)(void *arg, const char *name, uint64_t n),
		     void *arg)
{
	for (unsigned int i = 0; i < wl->n_counts; i++) {
		int r = cb(arg, wl->counts[i].name, wl->counts[i].n);

		if (r)
			return r;
	}
	return 0;
}

void weird_log_free(struct weird_log **wlp)
{
	struct weird_log *wl;

	if (!wlp || !*wlp)
		return;
	wl = *wlp;
	cs_free(&wl->conns, free);
	free(wl);
	*wlp = NULL;
}
