// SPDX-License-Identifier: BSD-3-Clause
/* fuzz_reasm.c - libFuzzer target for TCP reassembly: the input is a
 * program of operations (segment, ack, fin, flush, release) on one
 * direction; checks that delivered + gap bytes never overlap or go
 * backwards. The same program runs on a second direction that is lent
 * the bytes (reasm_segment_lent), each segment in a heap block freed at
 * the next release: its callbacks must match the first's exactly, and a
 * reference kept past a release is a use after free. */
#include <stdlib.h>
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "reassembly/reasm.h"

struct chk {
	uint64_t next;
	uint64_t h; /* of every callback and its bytes */
};

static void mix(struct chk *c, uint64_t v)
{
	c->h = (c->h ^ v) * 0x100000001b3ull;
}

static void d(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
	struct chk *c = arg;
	volatile uint8_t x = 0;

	assert(off == c->next);
	for (size_t i = 0; i < n; i++)
		x ^= p[i];
	mix(c, x);
	mix(c, n);
	c->next += n;
}

static void g(void *arg, uint64_t off, uint64_t len)
{
	struct chk *c = arg;

	assert(off == c->next && len > 0);
	mix(c, ~len);
	c->next += len;
}

static void inc(void *arg, uint64_t off, uint64_t len)
{
	mix(arg, off);
	mix(arg, len);
}

static const struct reasm_ops ops = { d, g, inc };

struct blocks {
	uint8_t *b[256];
	size_t n;
};

static void release(struct reasm_acct *a, struct blocks *bl)
{
	reasm_release(a);
	while (bl->n)
		free(bl->b[--bl->n]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reasm_dir r, rl;
	struct reasm_acct a, al;
	struct chk c = { 0 }, cl = { 0 };
	struct blocks bl = { .n = 0 };
	uint8_t payload[2048];
	size_t i = 0;

	memset(&a, 0, sizeof(a));
	memset(&al, 0, sizeof(al));
	memset(payload, 'p', sizeof(payload));
	reasm_init(&r, &ops, &c, &a, 4096);
	reasm_init(&rl, &ops, &cl, &al, 4096);
	reasm_start(&r, 0xfffff000u);
	reasm_start(&rl, 0xfffff000u);
	while (i + 4 <= size) {
		uint8_t op = data[i];
		uint16_t v = (uint16_t)(data[i + 1] | data[i + 2] << 8);
		uint8_t len = data[i + 3];
		uint32_t seq = 0xfffff000u + (uint32_t)v * 7;
		uint8_t *p;

		i += 4;
		switch (op % 5) {
		case 0:
		case 1:
			payload[0] = op;
			payload[len] = (uint8_t)v;
			reasm_segment(&r, seq, payload, len * 4u);
			if (bl.n == 256)
				release(&al, &bl);
			p = malloc(len * 4u + 1);
			if (!p)
				abort();
			memcpy(p, payload, len * 4u);
			bl.b[bl.n++] = p;
			reasm_segment_lent(&rl, seq, p, len * 4u);
			payload[len] = 'p';
			break;
		case 2:
			reasm_ack(&r, seq);
			reasm_ack(&rl, seq);
			break;
		case 3:
			reasm_fin(&r, seq);
			reasm_fin(&rl, seq);
			break;
		case 4:
			if (len == 0) {
				reasm_flush(&r);
				reasm_flush(&rl);
			} else if (len & 1) {
				release(&al, &bl);
				assert(a.mem_bytes == al.mem_bytes);
			}
			break;
		}
		assert(r.ooo_bytes <= 4096);
		assert(c.h == cl.h && c.next == cl.next);
		assert(a.inconsistent == al.inconsistent &&
		       a.retrans_bytes == al.retrans_bytes);
	}
	reasm_flush(&r);
	reasm_flush(&rl);
	assert(c.h == cl.h);
	reasm_free(&r);
	if (size & 1) { /* freed while lent */
		reasm_free(&rl);
		release(&al, &bl);
	} else {
		release(&al, &bl);
		reasm_free(&rl);
	}
	reasm_acct_free(&al);
	assert(a.mem_bytes == 0 && al.mem_bytes == 0);
	return 0;
}
