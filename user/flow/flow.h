/* SPDX-License-Identifier: BSD-3-Clause */
/* flow.h - the connection table: 5-tuple -> connection (uid, originator,
 * TCP state, timeouts, caps), each connection owning two reassembly
 * directions and one analyzer. Segments in, analyzer calls out. */
#ifndef MAILTAP_FLOW_H
#define MAILTAP_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/segment.h"
#include "daemon/config.h"
#include "event/bus.h"
#include "flow/conn.h"

struct flow_table;
struct flow;

/* Per-direction counters of a flow (Zeek's conn endpoint + missed_bytes). */
struct flow_dir_stats {
	uint64_t bytes;     /* payload bytes delivered in order */
	uint64_t packets;
	uint64_t gap_bytes; /* bytes that will never arrive */
	uint64_t ooo_bytes_buffered; /* currently buffered out of order */
	bool closed;        /* FIN or RST seen */
};

/* A read-only view of a flow for the control socket and the CLI. */
struct flow_view {
	const struct conn_info *info;
	const char *state; /* "S0", "SF", "established", ... */
	double last_ts;
	struct flow_dir_stats orig;
	struct flow_dir_stats resp;
	bool bypassed;
};

/* Table-wide counters (all monotonic except 'active'). */
struct flow_stats {
	uint64_t segments;
	uint64_t active;
	uint64_t created;
	uint64_t expired;        /* idle timeout */
	uint64_t evicted;        /* flow cap or memory budget hit */
	uint64_t evicted_mem;    /* ... of which the memory budget */
	uint64_t closed;
	uint64_t gap_bytes;
	uint64_t ooo_dropped_bytes; /* reassembly cap hit */
	uint64_t retrans_bytes;
	uint64_t retrans_mismatch; /* differing retransmissions */
	uint64_t partial;        /* picked up mid-stream */
	uint64_t bypassed;
	uint64_t skipped_bytes;  /* bodies skipped in the kernel on request */
	uint64_t bypassed_bytes; /* payload after a bypass (STARTTLS), unseen */
	uint64_t mem_bytes;      /* current buffered bytes, all flows */
};

/* Called when an analyzer asks for a flow to be bypassed (live capture
 * then updates the kernel's bypass map): mode 0 = no more, 1 = all
 * payload, 2 = only what the originator sends (a body being skipped). */
typedef void (*flow_bypass_cb)(void *arg, const struct conn_info *info,
			       int mode);

int flow_table_new(struct flow_table **out, const struct mt_config *cfg,
		   struct bus *bus);
void flow_table_free(struct flow_table **ft);
void flow_table_set_bypass_cb(struct flow_table *ft, flow_bypass_cb cb,
			      void *arg);

/* The segment_cb of every capture source. */
void flow_table_segment(void *ft, const struct segment *seg);
/* The release callback of a source that lends payloads (segment.lent):
 * they are about to go away. */
void flow_table_release(void *ft);
/* Expire idle flows whose last packet is older than now - timeout. */
void flow_table_advance(struct flow_table *ft, double now);
/* End of input: end every flow (analyzers flush, logs written). */
void flow_table_close_all(struct flow_table *ft);

const struct flow_stats *flow_table_stats(const struct flow_table *ft);
/* Bytes the connections hold against the global memory budget: flow
 * entries, analyzer states, reassembly, line and MIME buffers (the
 * argument is the flow table; a callback for other owners of memory). */
uint64_t flow_table_mem_used(void *ft);
/* Another owner of memory in the budget (the subscribers' queues, QUEUED
 * bytes now): when connections need what it holds, shed(arg, n) frees up
 * to n bytes of it, before any connection is evicted or refused. */
void flow_table_set_shed(struct flow_table *ft, const uint64_t *queued,
			 uint64_t (*shed)(void *arg, uint64_t n), void *arg);
/* Visit every flow; stop when cb returns non-zero. */
int flow_table_foreach(struct flow_table *ft,
		       int (*cb)(void *arg, const struct flow_view *v),
		       void *arg);
/* Find by uid; returns 0 and fills *v, or -ENOENT. */
int flow_table_lookup_uid(struct flow_table *ft, const char *uid,
			  struct flow_view *v);

#endif
