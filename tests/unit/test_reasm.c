// SPDX-License-Identifier: BSD-3-Clause
/* test_reasm.c - TCP reassembly: every order of small streams, overlaps
 * with different content, wraparound, gaps by ACK, the buffer cap, FIN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reassembly/reasm.h"

struct out {
	uint8_t data[1 << 16];
	size_t len;
	uint64_t gaps;
	uint64_t gap_bytes;
	uint64_t inconsistent;
	uint64_t next_off; /* offsets must be contiguous */
};

static void o_deliver(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
	struct out *o = arg;

	assert_int_equal(off, o->next_off);
	memcpy(o->data + o->len, p, n);
	o->len += n;
	o->next_off += n;
}

static void o_gap(void *arg, uint64_t off, uint64_t len)
{
	struct out *o = arg;

	assert_int_equal(off, o->next_off);
	o->gaps++;
	o->gap_bytes += len;
	o->next_off += len;
	memset(o->data + o->len, '#', len); /* visible in comparisons */
	o->len += len;
}

static void o_inc(void *arg, uint64_t off, uint64_t len)
{
	(void)off;
	(void)len;
	((struct out *)arg)->inconsistent++;
}

static const struct reasm_ops ops = { o_deliver, o_gap, o_inc };

static void setup(struct reasm_dir *d, struct out *o, struct reasm_acct *a,
		  uint32_t isn, uint64_t cap)
{
	memset(o, 0, sizeof(*o));
	memset(a, 0, sizeof(*a));
	reasm_init(d, &ops, o, a, cap);
	reasm_start(d, isn);
}

static void test_every_permutation(void **state)
{
	static const char *const seg[] = { "abc", "defg", "h", "ijklm" };
	const uint32_t isns[] = { 1000, 0xfffffffa }; /* wraps inside */
	int perm[4] = { 0, 1, 2, 3 };
	unsigned int count = 0;

	(void)state;
	/* Heap's algorithm over 4 segments: 24 orders x 2 ISNs */
	for (size_t k = 0; k < 2; k++) {
		int c[4] = { 0 }, i = 0;

		for (;;) {
			struct reasm_dir d;
			struct out o;
			struct reasm_acct a;
			uint32_t off[4] = { 0, 3, 7, 8 };

			setup(&d, &o, &a, isns[k], 1 << 20);
			for (int j = 0; j < 4; j++)
				reasm_segment(&d, isns[k] + off[perm[j]],
					      (const uint8_t *)seg[perm[j]],
					      strlen(seg[perm[j]]));
			assert_int_equal(o.len, 13);
			assert_memory_equal(o.data, "abcdefghijklm", 13);
			assert_int_equal(o.gaps, 0);
			assert_int_equal(a.mem_bytes, d.tail_len);
			reasm_free(&d);
			assert_int_equal(a.mem_bytes, 0);
			count++;
			while (i < 4 && c[i] >= i) {
				c[i] = 0;
				i++;
			}
			if (i >= 4)
				break;
			{
				int s = i % 2 ? c[i] : 0, t = perm[s];

				perm[s] = perm[i];
				perm[i] = t;
			}
			c[i]++;
			i = 0;
		}
	}
	assert_int_equal(count, 48);
}

static void test_overlap_first_copy_wins(void **state)
{
	struct reasm_dir d;
	struct out o;
	struct reasm_acct a;

	(void)state;
	setup(&d, &o, &a, 100, 1 << 20);
	/* out of order first, then an overlapping segment with other bytes */
	reasm_segment(&d, 105, (const uint8_t *)"FGHIJ", 5);
	reasm_segment(&d, 100, (const uint8_t *)"abcdefgh", 8);
	assert_int_equal(o.len, 10);
	assert_memory_equal(o.data, "abcdeFGHIJ", 10);
	assert_int_equal(o.inconsistent, 1);
	/* a retransmission of delivered bytes, different: flagged */
	reasm_segment(&d, 100, (const uint8_t *)"abXde", 5);
	assert_int_equal(o.inconsistent, 2);
	/* identical retransmission: not flagged */
	reasm_segment(&d, 100, (const uint8_t *)"abcde", 5);
	assert_int_equal(o.inconsistent, 2);
	assert_int_equal(o.len, 10);
	reasm_free(&d);
}

static void test_gap_by_ack(void **state)
{
	struct reasm_dir d;
	struct out o;
	struct reasm_acct a;

	(void)state;
	setup(&d, &o, &a, 0, 1 << 20);
	reasm_segment(&d, 0, (const uint8_t *)"hello", 5);
	reasm_segment(&d, 10, (const uint8_t *)"world", 5);
	/* the peer acked through 15: bytes 5..9 were never seen */
	reasm_ack(&d, 15);
	assert_int_equal(o.gaps, 1);
	assert_int_equal(o.gap_bytes, 5);
	assert_memory_equal(o.data, "hello#####world", 15);
	/* an ACK beyond everything: gap up to it */
	reasm_ack(&d, 20);
	assert_int_equal(o.gap_bytes, 10);
	reasm_free(&d);
}

static void test_cap_hit(void **state)
{
	struct reasm_dir d;
	struct out o;
	struct reasm_acct a;
	uint8_t blk[100];

	(void)state;
	memset(blk, 'x', sizeof(blk));
	setup(&d, &o, &a, 0, 250);
	/* a hole at 0..9, then 5 blocks of 100: the cap (250) forces the
	 * hole to become a gap */
	for (int i = 0; i < 5; i++)
		reasm_segment(&d, 10 + 100 * i, blk, 100);
	assert_true(a.cap_hits > 0);
	assert_int_equal(o.gap_bytes, 10);
	assert_int_equal(o.len, 510);
	assert_true(d.ooo_bytes <= 250);
	reasm_free(&d);
	assert_int_equal(a.mem_bytes, 0);
}

static void test_fin_and_flush(void **state)
{
	struct reasm_dir d;
	struct out o;
	struct reasm_acct a;

	(void)state;
	setup(&d, &o, &a, 50, 1 << 20);
	reasm_segment(&d, 50, (const uint8_t *)"abc", 3);
	reasm_fin(&d, 60);
	assert_false(d.done);
	/* data beyond FIN is ignored */
	reasm_segment(&d, 60, (const uint8_t *)"zzz", 3);
	reasm_segment(&d, 56, (const uint8_t *)"ghij", 4);
	reasm_flush(&d);
	assert_true(d.done);
	assert_int_equal(o.len, 10);
	assert_memory_equal(o.data, "abc###ghij", 10);
	reasm_free(&d);
}

static void test_old_and_huge_ack_ignored(void **state)
{
	struct reasm_dir d;
	struct out o;
	struct reasm_acct a;

	(void)state;
	setup(&d, &o, &a, 5000, 1 << 20);
	reasm_segment(&d, 4000, (const uint8_t *)"old", 3); /* before start */
	reasm_ack(&d, 5000 + (1u << 31));                /* implausible */
	assert_int_equal(o.len, 0);
	assert_int_equal(o.gaps, 0);
	reasm_free(&d);
}

/* --- lent bytes: the same as copied ones ---------------------------- */

/* A window that slides over a long stream with no ACK: a ring of at
 * most the window's size, written once a byte (the buffer stays put once
 * full and the bytes wrap around instead of moving to the front), and
 * still catching a retransmission with other bytes, wrapped or not. */
struct slide {
	uint64_t delivered;
	uint64_t inconsistent;
};

static void s_deliver(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
	(void)off;
	(void)p;
	((struct slide *)arg)->delivered += n;
}

static void s_gap(void *arg, uint64_t off, uint64_t len)
{
	(void)arg;
	(void)off;
	(void)len;
	fail();
}

static void s_inc(void *arg, uint64_t off, uint64_t len)
{
	(void)off;
	(void)len;
	((struct slide *)arg)->inconsistent++;
}

static void slide_bytes(uint8_t *b, uint64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)((off + i) * 7 + 3);
}

static void test_window_slides(void **state)
{
	static const struct reasm_ops sops = { s_deliver, s_gap, s_inc };
	enum { SEG = 1000, NSEG = 400 };
	struct reasm_dir d;
	struct reasm_acct a = { 0 };
	struct slide o = { 0 };
	uint8_t b[SEG];
	const uint8_t *full = NULL;
	bool slid = false, wrapped = false;

	(void)state;
	reasm_init(&d, &sops, &o, &a, 1 << 20);
	reasm_start(&d, 5);
	for (uint64_t k = 0; k < NSEG; k++) {
		slide_bytes(b, k * SEG, SEG);
		reasm_segment(&d, 5 + (uint32_t)(k * SEG), b, SEG);
		assert_true(d.tail_len <= REASM_TAIL_MAX);
		assert_true(d.tail_cap <= REASM_TAIL_MAX);
		assert_true(d.tail_head < d.tail_cap);
		assert_int_equal(a.mem_bytes, d.tail_len);
		if (d.tail_cap == REASM_TAIL_MAX) {
			if (!full)
				full = d.tail;
			assert_ptr_equal(d.tail, full); /* never moved */
		}
		slid |= d.tail_head > 0;
		wrapped |= d.tail_head + d.tail_len > d.tail_cap;
	}
	assert_int_equal(o.delivered, (uint64_t)NSEG * SEG);
	assert_int_equal(d.tail_len, REASM_TAIL_MAX);
	assert_true(slid);
	assert_true(wrapped);

	/* every segment of the window again, the one across the ring's end
	 * too: the same bytes are consistent, other bytes are caught */
	for (uint64_t k = NSEG - REASM_TAIL_MAX / SEG; k < NSEG; k++) {
		uint64_t before = o.inconsistent;

		slide_bytes(b, k * SEG, SEG);
		reasm_segment(&d, 5 + (uint32_t)(k * SEG), b, SEG);
		assert_int_equal(o.inconsistent, before);
		b[(k * 37) % SEG] ^= 0xff;
		reasm_segment(&d, 5 + (uint32_t)(k * SEG), b, SEG);
		assert_int_equal(o.inconsistent, before + 1);
	}
	o.inconsistent = 1;

	/* an ACK leaves the last 500 bytes, still compared */
	reasm_ack(&d, 5 + NSEG * SEG - 500);
	assert_int_equal(d.tail_len, 500);
	assert_int_equal(a.mem_bytes, 500);
	slide_bytes(b, NSEG * SEG - SEG, SEG);
	b[SEG - 1] ^= 1;
	reasm_segment(&d, 5 + NSEG * SEG - SEG, b, SEG);
	assert_int_equal(o.inconsistent, 2);
	reasm_free(&d);
	assert_int_equal(a.mem_bytes, 0);
	reasm_acct_free(&a);
}

struct trace {
	uint64_t h;      /* of every callback and its bytes */
	uint64_t next;
};

static void mix(struct trace *t, uint64_t v)
{
	t->h = (t->h ^ v) * 0x100000001b3ull;
}

static void t_deliver(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
	struct trace *t = arg;

	assert_int_equal(off, t->next);
	t->next += n;
	mix(t, 1);
	for (size_t i = 0; i < n; i++)
		mix(t, p[i]);
}

static void t_gap(void *arg, uint64_t off, uint64_t len)
{
	struct trace *t = arg;

	assert_int_equal(off, t->next);
	t->next += len;
	mix(t, 2);
	mix(t, len);
}

static void t_inc(void *arg, uint64_t off, uint64_t len)
{
	mix(arg, 3);
	mix(arg, off);
	mix(arg, len);
}

static const struct reasm_ops trace_ops = { t_deliver, t_gap, t_inc };

/* Random programs of segments (retransmissions with other bytes among
 * them), ACKs, FINs and releases, run on a direction that copies and on
 * one that is lent the bytes: the same callbacks, the same counters, and
 * after each release the same memory. Lent bytes live in their own heap
 * blocks, scribbled over and freed at each release, so a reference kept
 * past one is a use after free (ASan) or a difference. Some programs
 * deliver more than the 64 KiB window, and more than REASM_REFS lent
 * segments go unacknowledged. */
static void test_lent_same_as_copied(void **state)
{
	unsigned int seed = 2026;

	(void)state;
	for (int round = 0; round < 400; round++) {
		struct reasm_dir dc, dl;
		struct reasm_acct ac, al;
		struct trace tc = { 0 }, tl = { 0 };
		uint8_t *blocks[64];
		size_t nblocks = 0;
		uint32_t isn = (uint32_t)rand_r(&seed);
		size_t span = round % 4 == 0 ? 300000 : 3000;
		int ops = 20 + rand_r(&seed) % 300;

		memset(&ac, 0, sizeof(ac));
		memset(&al, 0, sizeof(al));
		reasm_init(&dc, &trace_ops, &tc, &ac, 1 << 16);
		reasm_init(&dl, &trace_ops, &tl, &al, 1 << 16);
		reasm_start(&dc, isn);
		reasm_start(&dl, isn);
		for (int op = 0; op < ops; op++) {
			int r = rand_r(&seed) % 100;
			uint32_t at = isn + (uint32_t)(rand_r(&seed) % span);

			if (r < 60) {
				size_t len = 1 + (size_t)rand_r(&seed) %
						     (span > 3000 ? 40000 : 400);
				uint8_t *p = malloc(len), fill;

				assert_non_null(p);
				/* mostly the stream's own bytes (a function
				 * of the offset), sometimes others */
				fill = rand_r(&seed) % 8 ? 0 : (uint8_t)r;
				for (size_t i = 0; i < len; i++)
					p[i] = (uint8_t)((at - isn + i) * 7 +
							 fill);
				if (r < 20) /* in order, as usual */
					at = isn + (uint32_t)dc.next;
				for (size_t i = 0; fill == 0 && i < len; i++)
					p[i] = (uint8_t)((at - isn + i) * 7);
				reasm_segment(&dc, at, p, (uint32_t)len);
				reasm_segment_lent(&dl, at, p, (uint32_t)len);
				if (nblocks == 64) {
					reasm_release(&al);
					while (nblocks) {
						memset(blocks[--nblocks], 0xa5, 1);
						free(blocks[nblocks]);
					}
				}
				blocks[nblocks++] = p;
			} else if (r < 85) {
				uint32_t ack = isn + (uint32_t)dc.next -
					       (uint32_t)(rand_r(&seed) % 3000);

				if (r < 83) {
					reasm_ack(&dc, ack);
					reasm_ack(&dl, ack);
				} else {
					reasm_ack(&dc, at);
					reasm_ack(&dl, at);
				}
			} else if (r < 97) {
				reasm_release(&al);
				assert_int_equal(ac.mem_bytes, al.mem_bytes);
				while (nblocks) {
					nblocks--;
					memset(blocks[nblocks], 0xa5, 1);
					free(blocks[nblocks]);
				}
			} else if (r == 97) {
				reasm_fin(&dc, at);
				reasm_fin(&dl, at);
			}
			assert_int_equal(tc.h, tl.h);
			assert_int_equal(dc.next, dl.next);
			assert_int_equal(ac.mem_bytes, al.mem_bytes);
			assert_int_equal(ac.retrans_bytes, al.retrans_bytes);
			assert_int_equal(ac.inconsistent, al.inconsistent);
		}
		reasm_flush(&dc);
		reasm_flush(&dl);
		assert_int_equal(tc.h, tl.h);
		if (round % 2) { /* freed while lent: off the list */
			reasm_free(&dl);
			assert_int_equal(al.nlent, 0);
			reasm_release(&al);
		} else {
			reasm_release(&al);
			assert_int_equal(ac.mem_bytes, al.mem_bytes);
			reasm_free(&dl);
		}
		while (nblocks) {
			nblocks--;
			free(blocks[nblocks]);
		}
		reasm_free(&dc);
		assert_int_equal(ac.mem_bytes, 0);
		assert_int_equal(al.mem_bytes, 0);
		reasm_acct_free(&al);
	}
}

/* Many directions lending on one accounting (its list grows past its
 * first allocation and shrinks by swaps as directions are freed while
 * listed, then reused), each beside a copying twin: the same callbacks,
 * windows and counters, and every listed direction knows its place. */
#define MANY 100

static void lent_list_consistent(const struct reasm_acct *a)
{
	for (size_t t = 0; t < a->nlent; t++)
		assert_int_equal(a->lent[t].dir->lent_idx, t + 1);
}

static void test_lent_many_directions(void **state)
{
	static struct reasm_dir dc[MANY], dl[MANY];
	static struct trace tc[MANY], tl[MANY];
	static uint8_t *blocks[1024];
	struct reasm_acct ac, al;
	unsigned int seed = 77;
	size_t nblocks = 0, most = 0;

	(void)state;
	memset(&ac, 0, sizeof(ac));
	memset(&al, 0, sizeof(al));
	for (int k = 0; k < MANY; k++) {
		memset(&tc[k], 0, sizeof(tc[k]));
		memset(&tl[k], 0, sizeof(tl[k]));
		reasm_init(&dc[k], &trace_ops, &tc[k], &ac, 1 << 14);
		reasm_init(&dl[k], &trace_ops, &tl[k], &al, 1 << 14);
		reasm_start(&dc[k], 1000u * (uint32_t)k);
		reasm_start(&dl[k], 1000u * (uint32_t)k);
	}
	for (int op = 0; op < 20000; op++) {
		int k = rand_r(&seed) % MANY, r = rand_r(&seed) % 100;
		uint32_t base = 1000u * (uint32_t)k;
		uint32_t at = base + (uint32_t)dc[k].next;

		if (r < 55) {
			size_t len = 1 + (size_t)rand_r(&seed) % 3000;
			uint8_t *p = malloc(len);

			assert_non_null(p);
			if (r < 10) /* a retransmission or a hole */
				at = at - 2000 + (uint32_t)(rand_r(&seed) % 6000);
			for (size_t i = 0; i < len; i++)
				p[i] = (uint8_t)((at - base + i) * 7 +
						 (r == 3 && i == len / 2));
			if (nblocks == 1024) {
				reasm_release(&al);
				while (nblocks)
					free(blocks[--nblocks]);
			}
			reasm_segment(&dc[k], at, p, (uint32_t)len);
			reasm_segment_lent(&dl[k], at, p, (uint32_t)len);
			blocks[nblocks++] = p;
		} else if (r < 85) {
			uint32_t ack = at - (uint32_t)(rand_r(&seed) % 4000);

			reasm_ack(&dc[k], ack);
			reasm_ack(&dl[k], ack);
		} else if (r < 86) {
			reasm_release(&al);
			assert_int_equal(al.nlent, 0);
			while (nblocks)
				free(blocks[--nblocks]);
		} else if (r < 91) { /* the connection ends; a new one */
			reasm_flush(&dc[k]);
			reasm_flush(&dl[k]);
			assert_int_equal(tc[k].h, tl[k].h);
			reasm_free(&dc[k]);
			reasm_free(&dl[k]);
			assert_int_equal(dl[k].lent_idx, 0);
			memset(&tc[k], 0, sizeof(tc[k]));
			memset(&tl[k], 0, sizeof(tl[k]));
			reasm_init(&dc[k], &trace_ops, &tc[k], &ac, 1 << 14);
			reasm_init(&dl[k], &trace_ops, &tl[k], &al, 1 << 14);
			reasm_start(&dc[k], base);
			reasm_start(&dl[k], base);
		}
		lent_list_consistent(&al);
		if (al.nlent > most)
			most = al.nlent;
		assert_int_equal(tc[k].h, tl[k].h);
		assert_int_equal(dc[k].tail_off, dl[k].tail_off);
		assert_int_equal(ac.mem_bytes, al.mem_bytes);
		assert_int_equal(ac.inconsistent, al.inconsistent);
		assert_int_equal(ac.retrans_bytes, al.retrans_bytes);
	}
	assert_true(ac.inconsistent > 0);
	assert_true(most > 64); /* past the list's first allocation */
	for (int k = 0; k < MANY; k++) {
		reasm_free(&dc[k]);
		reasm_free(&dl[k]);
	}
	assert_int_equal(al.nlent, 0);
	reasm_release(&al);
	while (nblocks)
		free(blocks[--nblocks]);
	assert_int_equal(ac.mem_bytes, 0);
	assert_int_equal(al.mem_bytes, 0);
	reasm_acct_free(&al);
}

/* A retransmission of lent bytes, nothing copied yet: the window is only
 * references (no tail buffer at all). */
static void test_rexmit_of_lent_only(void **state)
{
	static const uint8_t seg[] = "HELO x\r\n";
	struct reasm_dir d;
	struct out o;
	struct reasm_acct a;

	(void)state;
	setup(&d, &o, &a, 7, 1 << 20);
	reasm_segment_lent(&d, 7, seg, 8);
	assert_null(d.tail);
	reasm_segment_lent(&d, 7, seg, 8);
	assert_int_equal(o.inconsistent, 0);
	reasm_segment_lent(&d, 7, (const uint8_t *)"HELO y\r\n", 8);
	assert_int_equal(o.inconsistent, 1);
	assert_int_equal(o.len, 8);
	reasm_release(&a);
	reasm_free(&d);
	reasm_acct_free(&a);
	assert_int_equal(a.mem_bytes, 0);
}

/* Two directions lent bytes: freeing one keeps the other on the list. */
static void test_lent_list(void **state)
{
	struct reasm_dir d[3];
	struct out o[3];
	struct reasm_acct a;
	uint8_t buf[3][8];

	(void)state;
	memset(&a, 0, sizeof(a));
	for (int i = 0; i < 3; i++) {
		memset(&o[i], 0, sizeof(o[i]));
		reasm_init(&d[i], &ops, &o[i], &a, 1 << 20);
		reasm_start(&d[i], 100);
		memcpy(buf[i], "abcdefgh", 8);
		reasm_segment_lent(&d[i], 100, buf[i], 8);
	}
	assert_int_equal(a.nlent, 3);
	assert_int_equal(a.mem_bytes, 24); /* counted as if copied */
	reasm_free(&d[0]);
	assert_int_equal(a.nlent, 2);
	reasm_release(&a);
	assert_int_equal(a.nlent, 0);
	assert_int_equal(a.mem_bytes, 16); /* d[0]'s freed, the rest copied */
	memset(buf, 'x', sizeof(buf));
	/* the copies still catch a retransmission with other bytes */
	reasm_segment(&d[1], 100, (const uint8_t *)"abcdefgh", 8);
	assert_int_equal(o[1].inconsistent, 0);
	reasm_segment(&d[2], 104, (const uint8_t *)"EFGH", 4);
	assert_int_equal(o[2].inconsistent, 1);
	reasm_free(&d[1]);
	reasm_free(&d[2]);
	assert_int_equal(a.mem_bytes, 0);
	reasm_acct_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_permutation),
		cmocka_unit_test(test_overlap_first_copy_wins),
		cmocka_unit_test(test_gap_by_ack),
		cmocka_unit_test(test_cap_hit),
		cmocka_unit_test(test_fin_and_flush),
		cmocka_unit_test(test_old_and_huge_ack_ignored),
		cmocka_unit_test(test_window_slides),
		cmocka_unit_test(test_lent_same_as_copied),
		cmocka_unit_test(test_lent_list),
		cmocka_unit_test(test_rexmit_of_lent_only),
		cmocka_unit_test(test_lent_many_directions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
