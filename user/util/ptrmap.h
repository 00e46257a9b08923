/* SPDX-License-Identifier: BSD-3-Clause */
/* ptrmap.h - a small open-addressing hash map from pointers to pointers,
 * for sinks that keep per-connection state keyed by conn_info. Owns only
 * its slot array; never frees the values. */
#ifndef MAILTAP_PTRMAP_H
#define MAILTAP_PTRMAP_H

#include <stddef.h>

struct ptrmap_slot {
	const void *key;
	void *val;
};

struct ptrmap {
	struct ptrmap_slot *slots;
	size_t cap; /* power of two */
	size_t n;
	size_t tombs;
};

void *ptrmap_get(const struct ptrmap *m, const void *key);
/* Returns 0 or -ENOMEM. Replaces an existing value. */
int ptrmap_put(struct ptrmap *m, const void *key, void *val);
/* Returns the removed value or NULL. */
void *ptrmap_del(struct ptrmap *m, const void *key);
void ptrmap_free(struct ptrmap *m);
/* Call fn on every value (e.g. free), then free the map. */
void ptrmap_free_values(struct ptrmap *m, void (*fn)(void *val));

#endif
