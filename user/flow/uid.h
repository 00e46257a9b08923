/* SPDX-License-Identifier: BSD-3-Clause */
/* uid.h - Zeek-style unique ids: a prefix letter ('C' connections, 'F'
 * files) and a base62 rendering of 96 random bits.
 * Owns its generator state; callers own the strings. */
#ifndef MAILTAP_UID_H
#define MAILTAP_UID_H

#include <stdint.h>

#include "flow/conn.h"

struct uid_gen {
	uint64_t s[2]; /* xorshift128+ state */
};

/* seed 0 = seed from getrandom(); any other value is deterministic. */
void uid_gen_init(struct uid_gen *g, uint64_t seed);
/* Writes e.g. "CHhAvVGS1DHFjwGM9" (NUL-terminated) into out. */
void uid_make(struct uid_gen *g, char prefix, char out[MT_UID_LEN]);

#endif
