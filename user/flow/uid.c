// SPDX-License-Identifier: BSD-3-Clause
/* uid.c - Zeek-style uids ("C" / "F" + base62 of 96 random bits).
 * Owns nothing global: each user keeps its own generator. */
#include "flow/uid.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static uint64_t next(struct uid_gen *g)
{
	uint64_t s1 = g->s[0];
	const uint64_t s0 = g->s[1];

	g->s[0] = s0;
	s1 ^= s1 << 23;
	g->s[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
	return g->s[1] + s0;
}

void uid_gen_init(struct uid_gen *g, uint64_t seed)
{
	if (seed == 0 &&
	    getrandom(g->s, sizeof(g->s), GRND_NONBLOCK) != sizeof(g->s))
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (seed) {
		/* splitmix64 to spread a small seed */
		for (int i = 0; i < 2; i++) {
			uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);

			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
			g->s[i] = z ^ (z >> 31);
		}
	}
	if (!g->s[0] && !g->s[1])
		g->s[0] = 1;
}

void uid_make(struct uid_gen *g, char prefix, char out[MT_UID_LEN])
{
	static const char digits[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	uint64_t parts[2] = { next(g), next(g) & 0xffffffffULL };
	char tmp[MT_UID_LEN];
	int n = 0;

	/* Zeek renders each 64-bit word in base62 and concatenates. */
	for (int p = 0; p < 2; p++) {
		uint64_t v = parts[p];

		do {
			tmp[n++] = digits[v % 62];
			v /= 62;
		} while (v && n < MT_UID_LEN - 2);
	}
	out[0] = prefix;
	for (int i = 0; i < n; i++)
		out[1 + i] = tmp[n - 1 - i];
	out[1 + n] = '\0';
}
