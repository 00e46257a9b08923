/* SPDX-License-Identifier: BSD-3-Clause */
/* reasm.h - TCP reassembly for one direction: in-order delivery, bounded
 * out-of-order buffering, retransmission/overlap trimming (first copy
 * wins), 32-bit wraparound, and explicit gaps for bytes that will never
 * arrive. Owns buffered segments; never interprets the bytes. */
#ifndef MAILTAP_REASM_H
#define MAILTAP_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reasm_seg;

struct reasm_ops {
	/* In-order bytes at stream offset 'off'. */
	void (*deliver)(void *arg, uint64_t off, const uint8_t *p, size_t n);
	/* Bytes [off, off+len) will never arrive. */
	void (*gap)(void *arg, uint64_t off, uint64_t len);
	/* Overlapping bytes differ from the first copy. */
	void (*inconsistent)(void *arg, uint64_t off, uint64_t len);
};

/* Shared accounting: all directions of all flows add into these. */
struct reasm_acct {
	uint64_t mem_bytes;        /* buffered now (out of order + unacked,
				    * lent unacked bytes counted as copied) */
	uint64_t dropped_bytes;    /* out-of-order bytes shed at the cap */
	uint64_t retrans_bytes;
	uint64_t inconsistent;
	uint64_t cap_hits;
	/* the directions whose window refers to lent bytes
	 * (reasm_segment_lent), until reasm_release */
	struct reasm_lent *lent;
	size_t nlent;
	size_t lent_cap;
};

/* Delivered bytes still in the capture source's memory. */
struct reasm_ref {
	const uint8_t *p;
	size_t len;
};

#define REASM_REFS 4

/* A direction's lent bytes, the newest of its window, while it has some:
 * kept by the accounting (few directions at a time), not in every
 * direction. */
struct reasm_lent {
	struct reasm_dir *dir;
	struct reasm_ref refs[REASM_REFS];
	unsigned int nrefs;
	size_t bytes;
};

struct reasm_dir {
	bool started;     /* base known */
	bool fin;         /* FIN seen: fin_off valid */
	bool done;        /* everything up to FIN delivered, or closed */
	uint32_t base;    /* sequence number of stream offset 0 */
	uint64_t next;    /* next offset to deliver */
	uint64_t fin_off;
	uint64_t max_seen;/* highest offset + 1 seen in a segment */
	struct reasm_seg *ooo;   /* sorted, non-overlapping */
	uint64_t ooo_bytes;
	unsigned int ooo_count;
	uint32_t lent_idx; /* 1 + index in acct->lent; 0: none lent */
	/* Delivered bytes the peer has not acknowledged yet, kept to detect
	 * inconsistent retransmissions (capped; freed as ACKs arrive): the
	 * window from stream offset tail_off is tail_len copied bytes, a
	 * ring from tail + tail_head wrapping at tail_cap, then any lent
	 * ones still in the source's memory (acct->lent). */
	uint8_t *tail;
	uint32_t tail_head;
	uint32_t tail_len;
	uint32_t tail_cap;
	uint64_t tail_off; /* stream offset of tail[0] */
	uint64_t max_ooo;  /* cap on ooo_bytes */
	const struct reasm_ops *ops;
	void *arg;
	struct reasm_acct *acct;
};

#define REASM_TAIL_MAX (64u * 1024)

void reasm_init(struct reasm_dir *d, const struct reasm_ops *ops, void *arg,
		struct reasm_acct *acct, uint64_t max_ooo);
/* Start the stream: offset 0 is at sequence number 'seq'. */
void reasm_start(struct reasm_dir *d, uint32_t seq);
/* Map a sequence number to a stream offset (nearest to 'next'). Returns
 * false when the number lies before the stream start. */
bool reasm_offset(const struct reasm_dir *d, uint32_t seq, uint64_t *off);
/* A segment of this direction. */
void reasm_segment(struct reasm_dir *d, uint32_t seq, const uint8_t *p,
		   uint32_t len);
/* The same, for bytes that stay where they are until reasm_release: what
 * is delivered of them is kept by reference, not copied, until then. */
void reasm_segment_lent(struct reasm_dir *d, uint32_t seq, const uint8_t *p,
			uint32_t len);
/* Lent bytes are about to go away: every direction copies what it still
 * refers to. */
void reasm_release(struct reasm_acct *acct);
/* FIN at sequence number seq (the FIN's own seq, after its payload). */
void reasm_fin(struct reasm_dir *d, uint32_t seq);
/* The peer acknowledged up to 'ack': bytes before it that we never saw
 * are a gap. */
void reasm_ack(struct reasm_dir *d, uint32_t ack);
/* Deliver everything buffered, turning holes into gaps (RST, timeout,
 * end of capture). Up to FIN if known, else up to the highest byte seen. */
void reasm_flush(struct reasm_dir *d);
void reasm_free(struct reasm_dir *d);
/* The accounting's own memory (after every direction is freed). */
void reasm_acct_free(struct reasm_acct *acct);

#endif
