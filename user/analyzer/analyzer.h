/* SPDX-License-Identifier: BSD-3-Clause */
/* analyzer.h - the one small interface every protocol analyzer implements,
 * and the context it emits events through. Analyzers are pure: bytes in,
 * events out; they know nothing of logs, sockets or packets. */
#ifndef MAILTAP_ANALYZER_H
#define MAILTAP_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "daemon/config.h"
#include "event/bus.h"
#include "flow/conn.h"

/* What an analyzer sees of the world. One per connection, owned by the
 * flow; conn->ts is the time of the packet being delivered. */
struct an_ctx;

/* Raise weird NAME with optional addl (NULL/0 = unset) and source (NULL =
 * unset), at the current packet time. */
void an_weird(struct an_ctx *ctx, const char *name, const void *addl,
	      size_t addl_len, const char *source);

struct an_ctx {
	struct bus *bus;
	const struct conn_info *conn;
	const struct mt_config *cfg;
	/* Set by the analyzer: it no longer wants payload of this
	 * connection (STARTTLS succeeded, or it gave up). The flow then
	 * stops delivering and, live, asks the kernel to bypass the flow. */
	bool want_bypass;
	/* Set and cleared by the analyzer: the originator's payload is not
	 * wanted for now (a message body beyond --max-data-bytes); live, the
	 * kernel skips it, and the flow swallows the resulting gap. */
	bool skip_orig;
	/* Counters the analyzer bumps (weirds are also counted by name in
	 * the stats sink). */
	uint64_t weirds;
	/* The global memory budget: bytes buffered by every connection
	 * (shared with reassembly; NULL = not accounted). Growing a buffer
	 * past cfg->lim.mem_budget is refused: an_mem_grow() returns false
	 * and raises weird memory_budget_exceeded once per connection. */
	uint64_t *mem;
	bool mem_weird;
};

/* Account n more bytes; false (and nothing accounted) when that would
 * pass the budget. */
static inline bool an_mem_grow(struct an_ctx *ctx, size_t n)
{
	uint64_t cap = ctx->cfg ? ctx->cfg->lim.mem_budget : 0;

	if (!ctx->mem)
		return true;
	if (cap && *ctx->mem + n > cap) {
		if (!ctx->mem_weird) {
			ctx->mem_weird = true;
			an_weird(ctx, "memory_budget_exceeded", NULL, 0, NULL);
		}
		return false;
	}
	*ctx->mem += n;
	return true;
}

static inline void an_mem_release(struct an_ctx *ctx, size_t n)
{
	if (ctx && ctx->mem)
		*ctx->mem -= n;
}

/* How many of LEN more body bytes fit under --max-data-bytes (MAX, 0 = no
 * limit) after USED: for analyzers taking body lines in bulk. */
static inline size_t an_body_room(uint64_t used, uint64_t max, size_t len)
{
	if (!max)
		return len;
	if (used >= max)
		return 0;
	return len > max - used ? (size_t)(max - used) : len;
}

static inline void an_emit(struct an_ctx *ctx, struct event *ev)
{
	ev->ts = ctx->conn ? ctx->conn->ts : 0;
	ev->conn = ctx->conn;
	bus_emit(ctx->bus, ev);
}



static inline void an_weird_str(struct an_ctx *ctx, const char *name,
				const char *addl, const char *source)
{
	an_weird(ctx, name, addl, addl ? strlen(addl) : 0, source);
}

struct analyzer_ops {
	const char *name; /* Zeek's analyzer tag: "SMTP", "POP3" */
	/* Returns 0 or -errno; *state is the analyzer's per-connection struct. */
	int (*new)(void **state, struct an_ctx *ctx);
	/* In-order bytes of one direction. */
	void (*deliver)(void *state, bool is_orig, const uint8_t *data,
			size_t len);
	/* LEN bytes starting at stream offset OFFSET (0 = first payload byte)
	 * of one direction will never arrive. */
	void (*gap)(void *state, bool is_orig, uint64_t offset, uint64_t len);
	/* One direction ended (FIN or RST). */
	void (*eof)(void *state, bool is_orig);
	/* Connection gone: end what is open (emits its events), then free.
	 * NULL-safe, resets the pointer. */
	void (*free)(void **state);
};

extern const struct analyzer_ops smtp_analyzer_ops;
extern const struct analyzer_ops pop3_analyzer_ops;

#endif
