/* SPDX-License-Identifier: BSD-3-Clause */
/* bus.h - the event bus: every event goes to every sink that wants it.
 * Owns dispatch and per-event counters; never buffers or copies events. */
#ifndef MAILTAP_BUS_H
#define MAILTAP_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "event/event.h"

_Static_assert(EV__COUNT <= 64, "event mask is one 64-bit word");

#define EV_BIT(t) (1ULL << (t))
#define EV_ALL (~0ULL)

struct sink {
	const char *name;
	uint64_t mask; /* EV_BIT()s of the events this sink wants */
	/* Those of them (data events) it only accumulates: it takes them
	 * merged, fewer and larger, and later than events of the same
	 * connection outside its mask (see bus_wants_each). */
	uint64_t merged_ok;
	void (*on_event)(struct sink *s, const struct event *ev);
	/* Optional: write out what is buffered (end of input, SIGHUP). */
	void (*flush)(struct sink *s);
};

#define BUS_MAX_SINKS 16

struct bus {
	struct sink *sinks[BUS_MAX_SINKS];
	unsigned int n;
	uint64_t wanted; /* union of all sink masks */
	uint64_t wanted_each; /* ... less what every taker accepts merged */
	/* For each event type, the indices of the sinks that want it, in
	 * order of addition: emit visits only those. */
	uint8_t route[EV__COUNT][BUS_MAX_SINKS];
	uint8_t n_route[EV__COUNT];
	unsigned int depth; /* nesting of emits (sinks may emit) */
	uint64_t count[EV__COUNT];
};

void bus_init(struct bus *b);
/* Returns 0 or -ENOSPC. */
int bus_add(struct bus *b, struct sink *s);
void bus_remove(struct bus *b, struct sink *s);
/* Recompute 'wanted' after a sink changed its mask. */
void bus_update(struct bus *b);
void bus_emit(struct bus *b, const struct event *ev);
void bus_flush(struct bus *b);

/* Analyzers may skip building an event nobody wants (e.g. per-line data). */
static inline bool bus_wants(const struct bus *b, enum ev_type t)
{
	return (b->wanted & EV_BIT(t)) != 0;
}

/* Does some sink want every event of type t as the analyzer would emit
 * it (Zeek's boundaries, e.g. one mime_segment_data per body line)? When
 * not, the analyzer may merge them. */
static inline bool bus_wants_each(const struct bus *b, enum ev_type t)
{
	return (b->wanted_each & EV_BIT(t)) != 0;
}

#endif
