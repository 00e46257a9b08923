// SPDX-License-Identifier: BSD-3-Clause
/* fuzz_reasm.c - libFuzzer target for TCP reassembly: the input is a
 * program of operations (segment, ack, fin, flush) on one direction;
 * checks that delivered + gap bytes never overlap or go backwards. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "reassembly/reasm.h"

struct chk {
	uint64_t next;
};

static void d(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
	struct chk *c = arg;
	volatile uint8_t x = 0;

	assert(off == c->next);
	for (size_t i = 0; i < n; i++)
		x ^= p[i];
	(void)x;
	c->next += n;
}

static void g(void *arg, uint64_t off, uint64_t len)
{
	struct chk *c = arg;

	assert(off == c->next && len > 0);
	c->next += len;
}

static const struct reasm_ops ops = { d, g, NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reasm_dir r;
	struct reasm_acct a;
	struct chk c = { 0 };
	uint8_t payload[2048];
	size_t i = 0;

	memset(&a, 0, sizeof(a));
	memset(payload, 'p', sizeof(payload));
	reasm_init(&r, &ops, &c, &a, 4096);
	reasm_start(&r, 0xfffff000u);
	while (i + 4 <= size) {
		uint8_t op = data[i];
		uint16_t v = (uint16_t)(data[i + 1] | data[i + 2] << 8);
		uint8_t len = data[i + 3];
		uint32_t seq = 0xfffff000u + (uint32_t)v * 7;

		i += 4;
		switch (op % 5) {
		case 0:
		case 1:
			payload[0] = op;
			reasm_segment(&r, seq, payload, len * 4u);
			break;
		case 2:
			reasm_ack(&r, seq);
			break;
		case 3:
			reasm_fin(&r, seq);
			break;
		case 4:
			if (len == 0)
				reasm_flush(&r);
			break;
		}
		assert(r.ooo_bytes <= 4096);
	}
	reasm_flush(&r);
	reasm_free(&r);
	assert(a.mem_bytes == 0);
	return 0;
}
