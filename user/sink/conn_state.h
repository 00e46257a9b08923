/* SPDX-License-Identifier: BSD-3-Clause */
/* conn_state.h - a log sink's per-connection state. Lookups, one per
 * event, read the connection's own slot; the ptrmap beside it only owns
 * the values, so what is still open when the sink is freed gets freed too.
 * A conn_info is const to sinks except for its slot, which is the sink's. */
#ifndef MAILTAP_CONN_STATE_H
#define MAILTAP_CONN_STATE_H

#include "flow/conn.h"
#include "util/ptrmap.h"

struct conn_states {
	struct ptrmap owned;
	enum conn_slot slot;
};

static inline void cs_init(struct conn_states *m, enum conn_slot slot)
{
	m->slot = slot;
}

static inline void *cs_get(const struct conn_states *m,
			   const struct conn_info *c)
{
	return c->sink_state[m->slot];
}

/* Returns 0 or -ENOMEM (then nothing is stored). */
static inline int cs_put(struct conn_states *m, const struct conn_info *c,
			 void *val)
{
	int err = ptrmap_put(&m->owned, c, val);

	if (!err)
		((struct conn_info *)c)->sink_state[m->slot] = val;
	return err;
}

/* Returns the removed value (the caller frees it) or NULL. */
static inline void *cs_del(struct conn_states *m, const struct conn_info *c)
{
	((struct conn_info *)c)->sink_state[m->slot] = NULL;
	return ptrmap_del(&m->owned, c);
}

static inline void cs_free(struct conn_states *m, void (*fn)(void *val))
{
	ptrmap_free_values(&m->owned, fn);
}

#endif
