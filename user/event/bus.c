// SPDX-License-Identifier: BSD-3-Clause
/* bus.c - event dispatch to sinks.
 * Owns the sink list and event counters; never keeps an event. */
#include "event/bus.h"

#include <errno.h>
#include <string.h>

static const char *const ev_names[EV__COUNT] = {
#define X(name, member) [EV_##name] = #name,
#include "event/event_types.def"
#undef X
};

const char *ev_name(enum ev_type t)
{
	return (unsigned int)t < EV__COUNT ? ev_names[t] : "?";
}

int ev_lookup(const char *name)
{
	for (int i = 0; i < EV__COUNT; i++)
		if (strcmp(ev_names[i], name) == 0)
			return i;
	return -1;
}

void bus_init(struct bus *b)
{
	memset(b, 0, sizeof(*b));
}

void bus_update(struct bus *b)
{
	b->wanted = b->wanted_each = 0;
	memset(b->n_route, 0, sizeof(b->n_route));
	for (unsigned int i = 0; i < b->n; i++) {
		uint64_t m = b->sinks[i]->mask;

		b->wanted |= m;
		b->wanted_each |= m & ~b->sinks[i]->merged_ok;
		for (unsigned int t = 0; t < EV__COUNT; t++)
			if (m & EV_BIT(t))
				b->route[t][b->n_route[t]++] = (uint8_t)i;
	}
}

int bus_add(struct bus *b, struct sink *s)
{
	if (b->n == BUS_MAX_SINKS)
		return -ENOSPC;
	b->sinks[b->n++] = s;
	bus_update(b);
	return 0;
}

void bus_remove(struct bus *b, struct sink *s)
{
	for (unsigned int i = 0; i < b->n; i++) {
		if (b->sinks[i] != s)
			continue;
		memmove(&b->sinks[i], &b->sinks[i + 1],
			(b->n - i - 1) * sizeof(b->sinks[0]));
		b->n--;
		break;
	}
	bus_update(b);
}

void bus_emit(struct bus *b, const struct event *ev)
{
	uint64_t bit = EV_BIT(ev->type);

	b->count[ev->type]++;
	if (!(b->wanted & bit))
		return;
	b->depth++;
	/* re-read per step: a sink may add or remove sinks while called */
	for (unsigned int i = 0; i < b->n_route[ev->type]; i++) {
		struct sink *s = b->sinks[b->route[ev->type][i]];

		s->on_event(s, ev);
	}
	b->depth--;
}

void bus_flush(struct bus *b)
{
	for (unsigned int i = 0; i < b->n; i++)
		if (b->sinks[i]->flush)
			b->sinks[i]->flush(b->sinks[i]);
}
