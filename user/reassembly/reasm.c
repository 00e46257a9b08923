// SPDX-License-Identifier: BSD-3-Clause
/* reasm.c - one direction of TCP reassembly. Stream offsets are 64-bit
 * (sequence numbers unwrapped around the next expected byte), buffered
 * segments never overlap (first copy wins), and memory is bounded by the
 * out-of-order cap plus a small unacknowledged tail. */
#include "reassembly/reasm.h"

#include <stdlib.h>
#include <string.h>

struct reasm_seg {
	struct reasm_seg *next;
	uint64_t off;
	uint32_t len;
	uint8_t data[];
};

void reasm_init(struct reasm_dir *d, const struct reasm_ops *ops, void *arg,
		struct reasm_acct *acct, uint64_t max_ooo)
{
	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->arg = arg;
	d->acct = acct;
	d->max_ooo = max_ooo;
}

void reasm_start(struct reasm_dir *d, uint32_t seq)
{
	d->started = true;
	d->base = seq;
}

bool reasm_offset(const struct reasm_dir *d, uint32_t seq, uint64_t *off)
{
	/* The sequence number nearest to the next expected one. */
	uint32_t next_seq = d->base + (uint32_t)d->next;
	int64_t delta = (int32_t)(seq - next_seq);

	if (delta < 0 && (uint64_t)-delta > d->next)
		return false;
	*off = d->next + (uint64_t)delta;
	return true;
}

/* --- the unacknowledged window: copied bytes, then lent ones ---------- */

/* d's lent bytes, or NULL (valid until the list changes). */
static struct reasm_lent *lent_of(const struct reasm_dir *d)
{
	return d->lent_idx ? &d->acct->lent[d->lent_idx - 1] : NULL;
}

static uint64_t window_len(const struct reasm_dir *d)
{
	const struct reasm_lent *l = lent_of(d);

	return d->tail_len + (l ? l->bytes : 0);
}

/* Forget the first k bytes of the window. */
static void window_drop(struct reasm_dir *d, uint64_t k)
{
	size_t c = k < d->tail_len ? (size_t)k : d->tail_len;
	struct reasm_lent *l = lent_of(d);
	unsigned int r = 0;

	d->tail_off += k;
	if (c) {
		d->tail_len -= (uint32_t)c;
		d->tail_head += (uint32_t)c;
		if (d->tail_head >= d->tail_cap)
			d->tail_head -= d->tail_cap;
		if (!d->tail_len)
			d->tail_head = 0;
		d->acct->mem_bytes -= c;
		k -= c;
	}
	while (k && l && r < l->nrefs) {
		struct reasm_ref *ref = &l->refs[r];
		size_t t = k < ref->len ? (size_t)k : ref->len;

		ref->p += t;
		ref->len -= t;
		l->bytes -= t;
		d->acct->mem_bytes -= t;
		k -= t;
		if (!ref->len)
			r++;
	}
	if (r) {
		memmove(l->refs, l->refs + r, (l->nrefs - r) * sizeof(l->refs[0]));
		l->nrefs -= r;
	}
}

/* The copied bytes are a ring: tail_len bytes from tail + tail_head,
 * wrapping at tail_cap. Dropping from the front moves tail_head, adding
 * writes after the last byte: a full window sliding over a stream costs
 * one copy a byte, never a move of the window. */

/* The ring's bytes up to its end; the rest, wrapped, are at tail[0]. */
static size_t ring_first(const struct reasm_dir *d)
{
	size_t first = d->tail_cap - d->tail_head;

	return first < d->tail_len ? first : d->tail_len;
}

/* Room for NEED copied bytes (at most REASM_TAIL_MAX) in the ring. */
static bool tail_room(struct reasm_dir *d, size_t need)
{
	size_t ncap = d->tail_cap ? d->tail_cap : 256, first;
	uint8_t *nb;

	if (need <= d->tail_cap)
		return true;
	while (ncap < need)
		ncap *= 2;
	if (ncap > REASM_TAIL_MAX)
		ncap = REASM_TAIL_MAX;
	if (need > ncap || !(nb = malloc(ncap)))
		return false;
	/* the bytes in order, from the front of the new buffer */
	first = ring_first(d);
	if (first)
		memcpy(nb, d->tail + d->tail_head, first);
	if (d->tail_len > first)
		memcpy(nb + first, d->tail, d->tail_len - first);
	free(d->tail);
	d->tail = nb;
	d->tail_cap = (uint32_t)ncap;
	d->tail_head = 0;
	return true;
}

/* Append n bytes to the ring (room checked). */
static void tail_put(struct reasm_dir *d, const uint8_t *p, size_t n)
{
	size_t at = d->tail_head + d->tail_len, first;

	if (!n)
		return;
	if (at >= d->tail_cap)
		at -= d->tail_cap;
	first = d->tail_cap - at < n ? d->tail_cap - at : n;
	memcpy(d->tail + at, p, first);
	if (n > first)
		memcpy(d->tail, p + first, n - first);
	d->tail_len += (uint32_t)n;
}

/* Copy the lent bytes into the tail (they are going away). */
static void materialize(struct reasm_dir *d)
{
	struct reasm_lent *l = lent_of(d);

	if (!l || !l->nrefs)
		return;
	if (!tail_room(d, d->tail_len + l->bytes)) {
		/* forget the window: only costs detection */
		window_drop(d, window_len(d));
		return;
	}
	for (unsigned int i = 0; i < l->nrefs; i++)
		tail_put(d, l->refs[i].p, l->refs[i].len);
	l->nrefs = 0;
	l->bytes = 0;
}

/* Keep a reference to lent bytes: false when that cannot be. */
static bool add_ref(struct reasm_dir *d, const uint8_t *p, size_t n)
{
	struct reasm_acct *a = d->acct;
	struct reasm_lent *l;

	if (!d->lent_idx) {
		if (a->nlent == a->lent_cap) {
			size_t ncap = a->lent_cap ? 2 * a->lent_cap : 64;
			struct reasm_lent *nl =
				realloc(a->lent, ncap * sizeof(*nl));

			if (!nl)
				return false;
			a->lent = nl;
			a->lent_cap = ncap;
		}
		l = &a->lent[a->nlent++];
		memset(l, 0, sizeof(*l));
		l->dir = d;
		d->lent_idx = (uint32_t)a->nlent;
	}
	l = lent_of(d);
	if (l->nrefs == REASM_REFS)
		materialize(d);
	l->refs[l->nrefs].p = p;
	l->refs[l->nrefs].len = n;
	l->nrefs++;
	l->bytes += n;
	/* counted as if copied: the budget sees what a copy would hold */
	a->mem_bytes += n;
	return true;
}

/* Bytes [off, off+n) were delivered: the window keeps the last
 * REASM_TAIL_MAX of them, by reference when they are lent. */
static void tail_add(struct reasm_dir *d, uint64_t off, const uint8_t *p,
		     size_t n, bool lent)
{
	if (n >= REASM_TAIL_MAX) {
		p += n - REASM_TAIL_MAX;
		off += n - REASM_TAIL_MAX;
		n = REASM_TAIL_MAX;
	}
	if (window_len(d) + n > REASM_TAIL_MAX)
		window_drop(d, window_len(d) + n - REASM_TAIL_MAX);
	if (!window_len(d))
		d->tail_off = off;
	if (lent && add_ref(d, p, n))
		return;
	/* a copy comes after everything lent before it */
	materialize(d);
	if (!tail_room(d, d->tail_len + n)) {
		/* forget the window: only costs detection */
		window_drop(d, window_len(d) + n);
		return;
	}
	tail_put(d, p, n);
	d->acct->mem_bytes += n;
}

static void tail_trim(struct reasm_dir *d, uint64_t upto)
{
	uint64_t w = window_len(d);

	if (!w || upto <= d->tail_off)
		return;
	window_drop(d, upto - d->tail_off >= w ? w : upto - d->tail_off);
	if (!d->tail_len) {
		free(d->tail);
		d->tail = NULL;
		d->tail_cap = 0;
	}
}

void reasm_release(struct reasm_acct *a)
{
	for (size_t i = 0; i < a->nlent; i++) {
		struct reasm_dir *d = a->lent[i].dir;

		materialize(d);
		d->lent_idx = 0;
	}
	a->nlent = 0;
	if (a->lent_cap > 1024) { /* a block of many small flows: give back */
		free(a->lent);
		a->lent = NULL;
		a->lent_cap = 0;
	}
}

/* Take d off the list of directions with lent bytes (it is freed). */
static void unlend(struct reasm_dir *d)
{
	struct reasm_acct *a = d->acct;

	if (!d->lent_idx)
		return;
	a->lent[d->lent_idx - 1] = a->lent[--a->nlent];
	a->lent[d->lent_idx - 1].dir->lent_idx = d->lent_idx;
	d->lent_idx = 0;
}

/* Does [p, p+n), at stream offset off, match the window over [lo, hi)? */
static bool window_matches(const struct reasm_dir *d, uint64_t off,
			   const uint8_t *p, uint64_t lo, uint64_t hi)
{
	const struct reasm_lent *l = lent_of(d);
	int nrefs = l ? (int)l->nrefs : 0;
	uint64_t at = d->tail_off;
	/* the ring's two pieces (-2: to its end, -1: wrapped), then refs */
	size_t first = ring_first(d);

	for (int i = -2; i < nrefs && lo < hi; i++) {
		const uint8_t *q = i >= 0  ? l->refs[i].p
				   : !d->tail ? NULL /* nothing copied */
				   : i == -2 ? d->tail + d->tail_head
					     : d->tail;
		uint64_t len = i >= 0  ? l->refs[i].len
			       : i == -2 ? first
					 : d->tail_len - first;
		uint64_t e = at + len < hi ? at + len : hi;

		if (lo < e) {
			if (memcmp(q + (lo - at), p + (lo - off), e - lo))
				return false;
			lo = e;
		}
		at += len;
	}
	return true;
}

/* Compare a retransmitted range [off, off+n) with what was delivered. */
static void check_delivered(struct reasm_dir *d, uint64_t off,
			    const uint8_t *p, uint64_t n)
{
	uint64_t lo = off > d->tail_off ? off : d->tail_off;
	uint64_t hi = off + n;

	d->acct->retrans_bytes += n;
	if (hi > d->tail_off + window_len(d))
		hi = d->tail_off + window_len(d);
	if (lo >= hi)
		return;
	if (!window_matches(d, off, p, lo, hi)) {
		d->acct->inconsistent++;
		if (d->ops->inconsistent)
			d->ops->inconsistent(d->arg, lo, hi - lo);
	}
}

/* LENT: p stays valid until reasm_release (else it is copied if kept). */
static void deliver(struct reasm_dir *d, const uint8_t *p, size_t n,
		    bool lent)
{
	uint64_t off = d->next;

	d->next += n;
	tail_add(d, off, p, n, lent);
	d->ops->deliver(d->arg, off, p, n);
}

static void gap(struct reasm_dir *d, uint64_t len)
{
	uint64_t off = d->next;

	if (!len)
		return;
	d->next += len;
	/* The tail no longer lines up with the stream. */
	tail_trim(d, UINT64_MAX);
	d->ops->gap(d->arg, off, len);
}

static void free_seg(struct reasm_dir *d, struct reasm_seg *s)
{
	d->ooo_bytes -= s->len;
	d->ooo_count--;
	d->acct->mem_bytes -= s->len;
	free(s);
}

/* Deliver buffered segments that are now in order. */
static void drain(struct reasm_dir *d)
{
	while (d->ooo && d->ooo->off <= d->next) {
		struct reasm_seg *s = d->ooo;

		d->ooo = s->next;
		if (s->off + s->len > d->next) {
			uint64_t skip = d->next - s->off;

			deliver(d, s->data + skip, s->len - skip, false);
		}
		free_seg(d, s);
	}
	if (d->fin && d->next >= d->fin_off)
		d->done = true;
}

/* Give up on the hole before the first buffered segment. */
static void skip_hole(struct reasm_dir *d)
{
	if (d->ooo && d->ooo->off > d->next)
		gap(d, d->ooo->off - d->next);
	drain(d);
}

static bool buffer_piece(struct reasm_dir *d, struct reasm_seg **pos,
			 uint64_t off, const uint8_t *p, uint64_t n)
{
	struct reasm_seg *s;

	s = malloc(sizeof(*s) + n);
	if (!s) {
		d->acct->dropped_bytes += n;
		return false;
	}
	s->off = off;
	s->len = (uint32_t)n;
	memcpy(s->data, p, n);
	s->next = *pos;
	*pos = s;
	d->ooo_bytes += n;
	d->ooo_count++;
	d->acct->mem_bytes += n;
	return true;
}

/* Insert [off, off+n) into the sorted list, filling only holes; bytes that
 * overlap buffered ones are compared (first copy wins). */
static void insert(struct reasm_dir *d, uint64_t off, const uint8_t *p,
		   uint64_t n, bool lent)
{
	struct reasm_seg **pos = &d->ooo;
	uint64_t end = off + n;

	while (off < end) {
		struct reasm_seg *s = *pos;

		if (s && s->off + s->len <= off) {
			pos = &s->next;
			continue;
		}
		if (s && s->off <= off) {
			/* overlap with s: compare */
			uint64_t hi = end < s->off + s->len ? end :
							      s->off + s->len;

			d->acct->retrans_bytes += hi - off;
			if (memcmp(s->data + (off - s->off), p, hi - off)) {
				d->acct->inconsistent++;
				if (d->ops->inconsistent)
					d->ops->inconsistent(d->arg, off,
							     hi - off);
			}
			p += hi - off;
			off = hi;
			pos = &s->next;
			continue;
		}
		/* a hole up to s (or the end) */
		uint64_t hi = s && s->off < end ? s->off : end;

		while (d->ooo_bytes + (hi - off) > d->max_ooo && d->ooo) {
			/* Cap hit: stop waiting for the first hole. */
			d->acct->cap_hits++;
			skip_hole(d);
			if (off < d->next) { /* now (partly) in order */
				uint64_t skip = d->next - off;

				if (skip >= end - off)
					return;
				p += skip;
				off = d->next;
			}
			pos = &d->ooo;
			goto again;
		}
		if (off == d->next && pos == &d->ooo) {
			/* in order: no copy needed */
			deliver(d, p, hi - off, lent);
		} else if (d->ooo_bytes + (hi - off) > d->max_ooo) {
			/* nothing buffered and still too big: jump */
			d->acct->cap_hits++;
			gap(d, off - d->next);
			deliver(d, p, hi - off, lent);
		} else if (!buffer_piece(d, pos, off, p, hi - off)) {
			return;
		}
		p += hi - off;
		off = hi;
		if (*pos && (*pos)->off < off)
			pos = &(*pos)->next;
again:;
	}
}

static void segment(struct reasm_dir *d, uint32_t seq, const uint8_t *p,
		    uint32_t len, bool lent)
{
	uint64_t off, end;

	if (!len || d->done)
		return;
	if (!d->started)
		reasm_start(d, seq);
	if (!reasm_offset(d, seq, &off)) {
		d->acct->retrans_bytes += len;
		return;
	}
	end = off + len;
	if (d->fin && end > d->fin_off) {
		if (off >= d->fin_off)
			return;
		end = d->fin_off;
		len = (uint32_t)(end - off);
	}
	if (end > d->max_seen)
		d->max_seen = end;
	if (end <= d->next) {
		check_delivered(d, off, p, len);
		return;
	}
	if (off < d->next) {
		check_delivered(d, off, p, d->next - off);
		p += d->next - off;
		off = d->next;
	}
	insert(d, off, p, end - off, lent);
	drain(d);
}

void reasm_segment(struct reasm_dir *d, uint32_t seq, const uint8_t *p,
		   uint32_t len)
{
	segment(d, seq, p, len, false);
}

void reasm_segment_lent(struct reasm_dir *d, uint32_t seq, const uint8_t *p,
			uint32_t len)
{
	segment(d, seq, p, len, true);
}

void reasm_fin(struct reasm_dir *d, uint32_t seq)
{
	uint64_t off;

	if (!d->started)
		reasm_start(d, seq);
	if (d->fin || !reasm_offset(d, seq, &off))
		return;
	d->fin = true;
	d->fin_off = off < d->next ? d->next : off;
	if (d->fin_off > d->max_seen)
		d->max_seen = d->fin_off;
	drain(d);
}

void reasm_ack(struct reasm_dir *d, uint32_t ack)
{
	uint64_t off;

	if (!d->started || d->done || !reasm_offset(d, ack, &off))
		return;
	/* An ACK more than 1 GiB ahead is not a plausible ACK of our data. */
	if (off > d->next + (1ULL << 30))
		return;
	if (d->fin && off > d->fin_off)
		off = d->fin_off;
	while (d->next < off) {
		uint64_t hi = d->ooo && d->ooo->off < off ? d->ooo->off : off;

		gap(d, hi - d->next);
		drain(d);
	}
	tail_trim(d, off);
}

void reasm_flush(struct reasm_dir *d)
{
	uint64_t end = d->fin ? d->fin_off : d->max_seen;

	while (d->ooo) {
		skip_hole(d);
	}
	if (d->fin && d->next < end)
		gap(d, end - d->next);
	d->done = true;
}

void reasm_free(struct reasm_dir *d)
{
	while (d->ooo) {
		struct reasm_seg *s = d->ooo;

		d->ooo = s->next;
		free_seg(d, s);
	}
	tail_trim(d, UINT64_MAX);
	unlend(d);
	free(d->tail);
	d->tail = NULL;
	d->tail_cap = 0;
}

void reasm_acct_free(struct reasm_acct *a)
{
	free(a->lent);
	a->lent = NULL;
	a->nlent = a->lent_cap = 0;
}
