// SPDX-License-Identifier: BSD-3-Clause
/* ptrmap.c - linear probing with tombstones; grows at 50% load. */
#include "util/ptrmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define TOMB ((const void *)1)

static size_t hash(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

void *ptrmap_get(const struct ptrmap *m, const void *key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->slots[i].key)
			return NULL;
		if (m->slots[i].key == key)
			return m->slots[i].val;
	}
}

static int grow(struct ptrmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	struct ptrmap_slot *old = m->slots, *ns;
	size_t ocap = m->cap;

	if (m->n * 4 < m->cap) /* mostly tombstones: rehash in place size */
		ncap = m->cap;
	ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	m->slots = ns;
	m->cap = ncap;
	m->n = 0;
	m->tombs = 0;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].key && old[i].key != TOMB)
			ptrmap_put(m, old[i].key, old[i].val);
	free(old);
	return 0;
}

int ptrmap_put(struct ptrmap *m, const void *key, void *val)
{
	size_t i;

	if ((m->n + m->tombs + 1) * 2 > m->cap && grow(m))
		return -ENOMEM;
	for (i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].key == key) {
			m->slots[i].val = val;
			return 0;
		}
		if (!m->slots[i].key)
			break;
	}
	m->slots[i].key = key;
	m->slots[i].val = val;
	m->n++;
	return 0;
}

void *ptrmap_del(struct ptrmap *m, const void *key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		void *v;

		if (!m->slots[i].key)
			return NULL;
		if (m->slots[i].key != key)
			continue;
		v = m->slots[i].val;
		m->slots[i].key = TOMB;
		m->slots[i].val = NULL;
		m->n--;
		m->tombs++;
		return v;
	}
}

void ptrmap_free(struct ptrmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = m->tombs = 0;
}

void ptrmap_free_values(struct ptrmap *m, void (*fn)(void *val))
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key && m->slots[i].key != TOMB)
			fn(m->slots[i].val);
	ptrmap_free(m);
}
