// SPDX-License-Identifier: BSD-3-Clause
/* flow.c - the connection table: canonical 5-tuple hash, Zeek-style uids,
 * originator rules, TCP state, idle expiry on capture time, a hard cap
 * with LRU eviction; each flow owns two reassembly directions and one
 * analyzer. Never parses payload itself. */
#include "flow/flow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "analyzer/analyzer.h"
#include "flow/stream_dump.h"
#include "flow/uid.h"
#include "reassembly/reasm.h"

/* The connection's addresses and ports, the lower endpoint first, as five
 * words: family and ports, then address a, then address b (IPv4 in the
 * first four bytes, the rest zero). Built in registers and stored a word
 * at a time, so the hash reads it back without stalling on byte stores. */
struct flow_key {
	uint64_t w[5];
};

struct flow;

/* What a reassembly direction calls back into. */
struct flow_side {
	struct flow *f;
	bool is_orig;
};

struct flow {
	struct conn_info info;
	struct flow_key key;
	struct an_ctx ctx;
	const struct analyzer_ops *ops;
	void *an;
	struct reasm_dir dir[2]; /* 0 = orig, 1 = resp */
	struct flow_side side[2];
	struct flow_dir_stats st[2];
	bool syn[2];
	bool synack;
	bool fin[2];
	bool rst[2];
	bool eof_sent[2];
	bool ack_pending[2];  /* an ACK for dir[d] bytes not seen yet */
	uint32_t ack_val[2];
	double ack_since[2];
	bool bypassed;
	bool ending;
	bool an_failed;
	bool skipping;      /* the kernel skips the originator's payload */
	bool skip_gap_ok;   /* a gap in orig is that skip, not a loss */
	double last_ts;
	struct stream_dump *dump;
	struct flow_table *ft;
	struct flow *hnext;
	struct flow *lru_prev, *lru_next; /* least recently active first */
	struct flow *cr_prev, *cr_next;   /* creation order */
};

struct flow_table {
	const struct mt_config *cfg;
	struct bus *bus;
	struct flow **buckets;
	uint32_t mask;
	uint32_t max_mask; /* the table grows up to it (max_flows) */
	struct flow *lru_head, *lru_tail;
	struct flow *cr_head, *cr_tail;
	struct flow_stats st;
	struct reasm_acct acct;
	struct uid_gen uids;
	struct stream_dump_ctx dump;
	uint64_t flow_mem; /* flow entries and analyzer states */
	uint64_t acks_pending; /* flows with a delayed ACK gap */
	flow_bypass_cb bypass_cb;
	void *bypass_arg;
	const uint64_t *queued; /* other memory in the budget (queues) */
	uint64_t (*shed)(void *arg, uint64_t n);
	void *shed_arg;
	uint64_t shed_tried; /* *queued after a shed: no retry until it moves */
	double now;
};

static const struct reasm_ops flow_reasm_ops;

/* What an analyzer's state costs with the per-connection state of the log
 * builders behind it, as measured (for the memory budget). */
#define FLOW_ANALYZER_COST 1536

/* Buckets at first: the table doubles whenever it holds more flows than
 * buckets, up to max_flows rounded up. */
#define TABLE_START 1024

static uint32_t hash_key(const struct flow_key *k)
{
	/* each word mixed in by a multiply and a shift (FNV-1a byte by
	 * byte was 250 instructions a packet) */
	uint64_t h = 0x243f6a8885a308d3ull;

	for (size_t i = 0; i < 5; i++) {
		h = (h ^ k->w[i]) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return (uint32_t)(h ^ (h >> 32));
}

static bool key_equal(const struct flow_key *x, const struct flow_key *y)
{
	uint64_t diff = 0;

	for (size_t i = 0; i < 5; i++)
		diff |= x->w[i] ^ y->w[i];
	return !diff;
}

/* An address as two words, read with the widths decode stored it with
 * (a wider read of narrower stores waits for them to retire). */
static void addr_words(const struct mt_addr *a, uint64_t w[2])
{
	if (a->family == AF_INET6) {
		memcpy(w, a->addr, 16);
	} else {
		uint32_t v4;

		memcpy(&v4, a->addr, sizeof(v4));
		w[0] = v4;
		w[1] = 0;
	}
}

/* memcmp order of two addresses' words */
static int addr_cmp(const uint64_t x[2], const uint64_t y[2])
{
	for (int i = 0; i < 2; i++)
		if (x[i] != y[i])
			return __builtin_bswap64(x[i]) <
					       __builtin_bswap64(y[i]) ?
				       -1 :
				       1;
	return 0;
}

static void make_key(const struct segment *seg, struct flow_key *k)
{
	uint64_t s[2], d[2];
	int c;

	addr_words(&seg->src, s);
	addr_words(&seg->dst, d);
	c = addr_cmp(s, d);
	if (c < 0 || (c == 0 && seg->sport <= seg->dport)) {
		k->w[0] = seg->src.family | (uint64_t)seg->sport << 32 |
			  (uint64_t)seg->dport << 48;
		k->w[1] = s[0], k->w[2] = s[1], k->w[3] = d[0], k->w[4] = d[1];
	} else {
		k->w[0] = seg->src.family | (uint64_t)seg->dport << 32 |
			  (uint64_t)seg->sport << 48;
		k->w[1] = d[0], k->w[2] = d[1], k->w[3] = s[0], k->w[4] = s[1];
	}
}

int flow_table_new(struct flow_table **out, const struct mt_config *cfg,
		   struct bus *bus)
{
	struct flow_table *ft = calloc(1, sizeof(*ft));
	uint32_t n = TABLE_START;
	const char *seed;

	if (!ft)
		return -ENOMEM;
	while (n < cfg->lim.max_flows && n < (1u << 24))
		n <<= 1;
	ft->max_mask = n - 1;
	/* small to start with, grown with the flows (grow): a table sized
	 * for max_flows is 8 MiB, and its every lookup a cache miss */
	ft->buckets = calloc(TABLE_START, sizeof(*ft->buckets));
	if (!ft->buckets) {
		free(ft);
		return -ENOMEM;
	}
	ft->mask = TABLE_START - 1;
	ft->cfg = cfg;
	ft->bus = bus;
	seed = getenv("MAILTAP_UID_SEED");
	uid_gen_init(&ft->uids, seed ? strtoull(seed, NULL, 0) : 0);
	ft->dump.dir = cfg->dump_streams;
	*out = ft;
	return 0;
}

void flow_table_set_bypass_cb(struct flow_table *ft, flow_bypass_cb cb,
			      void *arg)
{
	ft->bypass_cb = cb;
	ft->bypass_arg = arg;
}

uint64_t flow_table_mem_used(void *arg)
{
	const struct flow_table *ft = arg;

	return ft->flow_mem + ft->acct.mem_bytes;
}

void flow_table_set_shed(struct flow_table *ft, const uint64_t *queued,
			 uint64_t (*shed)(void *arg, uint64_t n), void *arg)
{
	ft->queued = queued;
	ft->shed = shed;
	ft->shed_arg = arg;
}

/* Connections come first in the budget: when they and the queues
 * together pass it, the queues give back the difference (a segment's
 * growth at most is over the budget, until the next segment). A shed
 * gives back all it can, so it is not tried again until the queues have
 * changed (replies, which cannot be shed, would be rescanned per segment). */
static void shed_others(struct flow_table *ft)
{
	uint64_t cap = ft->cfg->lim.mem_budget, used;

	if (!cap || *ft->queued == ft->shed_tried)
		return;
	used = flow_table_mem_used(ft) + *ft->queued;
	if (used > cap) {
		ft->shed(ft->shed_arg, used - cap);
		ft->shed_tried = *ft->queued;
	}
}

const struct flow_stats *flow_table_stats(const struct flow_table *ft)
{
	struct flow_table *m = (struct flow_table *)ft;

	m->st.ooo_dropped_bytes = ft->acct.dropped_bytes;
	m->st.retrans_bytes = ft->acct.retrans_bytes;
	m->st.retrans_mismatch = ft->acct.inconsistent;
	m->st.mem_bytes = ft->acct.mem_bytes + ft->flow_mem;
	return &ft->st;
}

/* --- lists ------------------------------------------------------------- */

static void lru_unlink(struct flow_table *ft, struct flow *f)
{
	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		ft->lru_head = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		ft->lru_tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_append(struct flow_table *ft, struct flow *f)
{
	f->lru_prev = ft->lru_tail;
	f->lru_next = NULL;
	if (ft->lru_tail)
		ft->lru_tail->lru_next = f;
	else
		ft->lru_head = f;
	ft->lru_tail = f;
}

static void unlink_all(struct flow_table *ft, struct flow *f)
{
	struct flow **pp = &ft->buckets[hash_key(&f->key) & ft->mask];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == f) {
			*pp = f->hnext;
			break;
		}
	}
	lru_unlink(ft, f);
	if (f->cr_prev)
		f->cr_prev->cr_next = f->cr_next;
	else
		ft->cr_head = f->cr_next;
	if (f->cr_next)
		f->cr_next->cr_prev = f->cr_prev;
	else
		ft->cr_tail = f->cr_prev;
}

/* --- delivery ------------------------------------------------------------ */

static void maybe_bypass(struct flow *f)
{
	if (f->ctx.skip_orig != f->skipping && !f->bypassed) {
		f->skipping = f->ctx.skip_orig;
		if (f->skipping)
			f->skip_gap_ok = true;
		if (f->ft->bypass_cb)
			f->ft->bypass_cb(f->ft->bypass_arg, &f->info,
					 f->skipping ? 2 : 0);
	}
	if (f->bypassed || !f->ctx.want_bypass)
		return;
	f->bypassed = true;
	f->ft->st.bypassed++;
	if (f->ft->bypass_cb)
		f->ft->bypass_cb(f->ft->bypass_arg, &f->info, 1);
}

/* Analyzers are created with the first payload byte: a SYN flood costs
 * flow entries only. */
static bool analyzer_ready(struct flow *f)
{
	if (f->an || !f->ops || f->an_failed)
		return f->an != NULL;
	if (f->ops->new(&f->an, &f->ctx)) {
		f->an = NULL;
		f->an_failed = true;
		return false;
	}
	f->ft->flow_mem += FLOW_ANALYZER_COST;
	return true;
}

static void side_deliver(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
	struct flow_side *s = arg;
	struct flow *f = s->f;

	(void)off;
	f->st[s->is_orig ? 0 : 1].bytes += n;
	if (f->dump)
		stream_dump_data(f->dump, s->is_orig, p, n);
	if (s->is_orig && !f->skipping)
		f->skip_gap_ok = false; /* in order again after a skip */
	if (f->bypassed || !analyzer_ready(f))
		return;
	f->ops->deliver(f->an, s->is_orig, p, n);
	maybe_bypass(f);
}

static void side_gap(void *arg, uint64_t off, uint64_t len)
{
	struct flow_side *s = arg;
	struct flow *f = s->f;

	if (s->is_orig && f->skip_gap_ok) {
		/* bytes the kernel skipped on the analyzer's request */
		f->ft->st.skipped_bytes += len;
		if (f->dump)
			stream_dump_gap(f->dump, s->is_orig, off, len);
		return;
	}
	if (f->dump)
		stream_dump_gap(f->dump, s->is_orig, off, len);
	if (f->bypassed) {
		/* encrypted payload after STARTTLS, stopped in the kernel or
		 * ignored here: not a loss, so not a content gap either */
		f->ft->st.bypassed_bytes += len;
		return;
	}
	/* Only here is a hole a content gap: reassembly reports every hole,
	 * the flow knows which ones were asked for. */
	f->ft->st.gap_bytes += len;
	f->st[s->is_orig ? 0 : 1].gap_bytes += len;
	if (!analyzer_ready(f))
		return;
	f->ops->gap(f->an, s->is_orig, off, len);
	maybe_bypass(f);
}

static void side_inconsistent(void *arg, uint64_t off, uint64_t len)
{
	struct flow_side *s = arg;

	(void)off;
	(void)len;
	an_weird_str(&s->f->ctx, "rexmit_inconsistency", NULL, NULL);
}

static const struct reasm_ops flow_reasm_ops = {
	.deliver = side_deliver,
	.gap = side_gap,
	.inconsistent = side_inconsistent,
};

static void send_eof(struct flow *f, int d)
{
	if (f->eof_sent[d])
		return;
	f->eof_sent[d] = true;
	f->st[d].closed = true;
	if (f->an && !f->bypassed)
		f->ops->eof(f->an, d == 0);
}

/* End a flow: flush, tell the analyzer, emit conn_end, free. */
static void flow_end(struct flow_table *ft, struct flow *f)
{
	struct event ev = { .type = EV_conn_end, .redact_from = EV_NO_REDACT };

	if (f->ending)
		return;
	f->ending = true;
	for (int d = 0; d < 2; d++) {
		if (f->ack_pending[d]) {
			f->ack_pending[d] = false;
			ft->acks_pending--;
			reasm_ack(&f->dir[d], f->ack_val[d]);
		}
		reasm_flush(&f->dir[d]);
		send_eof(f, d);
	}
	if (f->an) {
		f->ops->free(&f->an);
		ft->flow_mem -= FLOW_ANALYZER_COST;
	}
	ev.ts = f->info.ts;
	ev.conn = &f->info;
	bus_emit(ft->bus, &ev);
	if (f->dump)
		stream_dump_close(&f->dump, f->last_ts, &f->st[0], &f->st[1]);
	if ((f->bypassed || f->skipping) && ft->bypass_cb)
		ft->bypass_cb(ft->bypass_arg, &f->info, 0); /* kernel entry */
	unlink_all(ft, f);
	for (int d = 0; d < 2; d++)
		reasm_free(&f->dir[d]);
	ft->st.active--;
	ft->flow_mem -= sizeof(*f);
	free(f);
}

/* --- lookup and creation ----------------------------------------------- */

static struct flow *lookup(struct flow_table *ft, const struct flow_key *k,
			   uint32_t h)
{
	for (struct flow *f = ft->buckets[h & ft->mask]; f; f = f->hnext)
		if (key_equal(&f->key, k))
			return f;
	return NULL;
}

/* Twice the buckets, every flow hashed again (in creation order); when
 * there is no memory for them, the table stays as it is. */
static void grow(struct flow_table *ft)
{
	uint32_t mask = ft->mask * 2 + 1;
	struct flow **b = calloc((size_t)mask + 1, sizeof(*b));

	if (!b)
		return;
	for (struct flow *f = ft->cr_head; f; f = f->cr_next) {
		uint32_t i = hash_key(&f->key) & mask;

		f->hnext = b[i];
		b[i] = f;
	}
	free(ft->buckets);
	ft->buckets = b;
	ft->mask = mask;
}

static struct flow *create(struct flow_table *ft, const struct segment *seg,
			   const struct flow_key *k, uint32_t h)
{
	const struct mt_config *cfg = ft->cfg;
	bool src_is_orig;
	struct flow *f;
	int pd = config_port_proto(cfg, seg->dport);
	int ps = config_port_proto(cfg, seg->sport);

	if (ft->st.active >= cfg->lim.max_flows && ft->lru_head) {
		ft->st.evicted++;
		an_weird_str(&ft->lru_head->ctx, "flow_evicted_table_full", NULL,
			     NULL);
		flow_end(ft, ft->lru_head);
	}
	/* The global memory budget: shed the least recently active. */
	while (cfg->lim.mem_budget && ft->lru_head &&
	       ft->flow_mem + ft->acct.mem_bytes + sizeof(*f) >
		       cfg->lim.mem_budget) {
		ft->st.evicted++;
		ft->st.evicted_mem++;
		an_weird_str(&ft->lru_head->ctx, "flow_evicted_memory_budget",
			     NULL, NULL);
		flow_end(ft, ft->lru_head);
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	if ((seg->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN)
		src_is_orig = true;
	else if ((seg->flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK))
		src_is_orig = false;
	else if (pd && !ps)
		src_is_orig = true;
	else if (ps && !pd)
		src_is_orig = false;
	else
		src_is_orig = seg->sport >= seg->dport;

	f->ft = ft;
	f->key = *k;
	uid_make(&ft->uids, 'C', f->info.uid);
	if (src_is_orig) {
		f->info.id.orig_h = seg->src;
		f->info.id.resp_h = seg->dst;
		f->info.id.orig_p = seg->sport;
		f->info.id.resp_p = seg->dport;
	} else {
		f->info.id.orig_h = seg->dst;
		f->info.id.resp_h = seg->src;
		f->info.id.orig_p = seg->dport;
		f->info.id.resp_p = seg->sport;
	}
	f->info.proto = (enum mt_proto)config_port_proto(cfg, f->info.id.resp_p);
	f->info.start_ts = seg->ts;
	f->info.ts = seg->ts;
	f->info.partial = !(seg->flags & TCPF_SYN);
	f->info.ifindex = seg->ifindex;
	f->info.sock_cookie = seg->sock_cookie;
	f->last_ts = seg->ts;
	f->ctx.bus = ft->bus;
	f->ctx.conn = &f->info;
	f->ctx.cfg = cfg;
	f->ctx.mem = &ft->acct.mem_bytes;
	for (int d = 0; d < 2; d++) {
		f->side[d].f = f;
		f->side[d].is_orig = d == 0;
		reasm_init(&f->dir[d], &flow_reasm_ops, &f->side[d], &ft->acct,
			   cfg->lim.reasm_max_ooo);
	}
	if (f->info.proto == MT_PROTO_SMTP)
		f->ops = &smtp_analyzer_ops;
	else if (f->info.proto == MT_PROTO_POP3)
		f->ops = &pop3_analyzer_ops;
	if (ft->dump.dir)
		stream_dump_new(&f->dump, &ft->dump, &f->info);

	f->hnext = ft->buckets[h & ft->mask];
	ft->buckets[h & ft->mask] = f;
	lru_append(ft, f);
	f->cr_prev = ft->cr_tail;
	if (ft->cr_tail)
		ft->cr_tail->cr_next = f;
	else
		ft->cr_head = f;
	ft->cr_tail = f;
	ft->st.active++;
	ft->st.created++;
	if (f->info.partial)
		ft->st.partial++;
	ft->flow_mem += sizeof(*f);
	if (ft->st.active > ft->mask && ft->mask < ft->max_mask)
		grow(ft);
	return f;
}

/* --- segments ------------------------------------------------------------ */

/* ACKs of bytes never seen make gaps (Zeek's rule) - at once offline, after
 * ack_gap_delay live, where records of one packet and of its ACK can reach
 * the ring from different CPUs in either order. */
static void peer_ack(struct flow_table *ft, struct flow *f, int d,
		     uint32_t ack, double ts)
{
	struct reasm_dir *r = &f->dir[d];
	uint64_t off;

	if (ft->cfg->lim.ack_gap_delay <= 0) {
		reasm_ack(r, ack);
		return;
	}
	if (!reasm_offset(r, ack, &off) || off <= r->next)
		return;
	if (!f->ack_pending[d]) {
		f->ack_pending[d] = true;
		f->ack_since[d] = ts;
		ft->acks_pending++;
	}
	f->ack_val[d] = ack;
}

static void check_acks(struct flow_table *ft, struct flow *f, double now)
{
	for (int d = 0; d < 2; d++) {
		uint64_t off;

		if (!f->ack_pending[d])
			continue;
		if (reasm_offset(&f->dir[d], f->ack_val[d], &off) &&
		    off > f->dir[d].next &&
		    now - f->ack_since[d] < ft->cfg->lim.ack_gap_delay)
			continue;
		f->ack_pending[d] = false;
		ft->acks_pending--;
		reasm_ack(&f->dir[d], f->ack_val[d]);
		if (f->dir[d].done)
			send_eof(f, d);
	}
}

/* The 5-tuple is being reused: the originator sends a SYN whose sequence
 * number is not the one its direction started with (or, on a connection
 * picked up mid-stream where only the responder has sent data, any SYN),
 * or the responder a SYN-ACK with a new sequence number for another
 * client ISN than the one seen (its SYN was lost, or the old connection
 * was picked up mid-stream). A retransmitted SYN is not new, and neither
 * is a SYN-ACK from the client or a bare SYN from the server: real stacks
 * answer those with an ACK and go on, so they must not end the flow (a
 * forged one would hide the rest of the session). */
static bool new_isn(const struct flow *f, const struct segment *seg)
{
	bool is_orig = seg->sport == f->info.id.orig_p &&
		       mt_addr_eq(&seg->src, &f->info.id.orig_h);
	const struct reasm_dir *me = &f->dir[is_orig ? 0 : 1];
	const struct reasm_dir *peer = &f->dir[is_orig ? 1 : 0];

	if (me->started && seg->seq + 1 == me->base)
		return false; /* retransmitted */
	if (!(seg->flags & TCPF_ACK))
		return is_orig && (me->started || peer->max_seen > 0);
	return !is_orig && me->started &&
	       (!peer->started || seg->ack != peer->base);
}

static void process(struct flow_table *ft, struct flow *f,
		    const struct segment *seg)
{
	bool is_orig = seg->sport == f->info.id.orig_p &&
		       mt_addr_eq(&seg->src, &f->info.id.orig_h);
	int d = is_orig ? 0 : 1;
	struct reasm_dir *me = &f->dir[d], *peer = &f->dir[!d];
	uint32_t seq = seg->seq;

	f->info.ts = seg->ts;
	f->last_ts = seg->ts;
	f->st[d].packets++;
	if (f->lru_next) {
		lru_unlink(ft, f);
		lru_append(ft, f);
	}
	if (seg->flags & TCPF_SYN) {
		if (!me->started)
			reasm_start(me, seq + 1);
		f->syn[d] = true;
		if (seg->flags & TCPF_ACK)
			f->synack = true;
		seq++;
	}
	if (seg->payload_len && d == 0 && f->skip_gap_ok && me->started) {
		/* The kernel skipped the originator's bytes up to here on
		 * the analyzer's request: the hole is known, skip it now
		 * rather than wait for an ACK (the replies must not get
		 * ahead of the commands that follow). */
		uint64_t off;

		if (reasm_offset(me, seq, &off) && off > me->next)
			reasm_ack(me, seq);
	}
	if (seg->payload_len) {
		if (f->bypassed) {
			/* still tracked so FIN/ACK math stays right */
			if (!me->started)
				reasm_start(me, seq);
		} else if (seg->cap_len < seg->payload_len) {
			/* Snap length cut the payload: what is missing is a
			 * gap, found when the stream moves past it. */
			reasm_segment(me, seq, seg->payload, seg->cap_len);
		} else if (seg->lent) {
			reasm_segment_lent(me, seq, seg->payload,
					   seg->payload_len);
		} else {
			reasm_segment(me, seq, seg->payload, seg->payload_len);
		}
	}
	if ((seg->flags & TCPF_ACK) && peer->started)
		peer_ack(ft, f, !d, seg->ack, seg->ts);
	check_acks(ft, f, seg->ts);
	if (seg->flags & TCPF_FIN) {
		f->fin[d] = true;
		reasm_fin(me, seq + seg->payload_len);
	}
	if (me->done)
		send_eof(f, d);
	if (seg->flags & TCPF_RST) {
		f->rst[d] = true;
		flow_end(ft, f);
		ft->st.closed++;
		return;
	}
	if (f->fin[0] && f->fin[1] && f->dir[0].done && f->dir[1].done) {
		flow_end(ft, f);
		ft->st.closed++;
	}
}

void flow_table_release(void *arg)
{
	struct flow_table *ft = arg;

	reasm_release(&ft->acct);
}

void flow_table_segment(void *arg, const struct segment *seg)
{
	struct flow_table *ft = arg;
	struct flow_key k;
	struct flow *f;
	uint32_t h;

	ft->st.segments++;
	if (seg->ts > ft->now)
		ft->now = seg->ts;
	if (ft->queued && *ft->queued) /* set with ft->shed */
		shed_others(ft);
	make_key(seg, &k);
	h = hash_key(&k);
	f = lookup(ft, &k, h);
	if (f && (seg->flags & TCPF_SYN) && new_isn(f, seg)) {
		/* a new SYN or SYN-ACK on a used 5-tuple: port reuse */
		flow_end(ft, f);
		f = NULL;
	}
	if (!f) {
		if (!(seg->flags & TCPF_SYN) && !seg->payload_len)
			return; /* pure ACK/FIN/RST of something unknown */
		if (!config_port_proto(ft->cfg, seg->sport) &&
		    !config_port_proto(ft->cfg, seg->dport))
			return;
		if (seg->flags & TCPF_RST)
			return;
		f = create(ft, seg, &k, h);
		if (!f)
			return;
	}
	process(ft, f, seg);
}

void flow_table_advance(struct flow_table *ft, double now)
{
	double timeout = ft->cfg->lim.tcp_inactivity_timeout;

	if (now > ft->now)
		ft->now = now;
	if (ft->acks_pending) {
		for (struct flow *f = ft->cr_head, *n; f; f = n) {
			n = f->cr_next;
			check_acks(ft, f, now);
			if (f->fin[0] && f->fin[1] && f->dir[0].done &&
			    f->dir[1].done) {
				flow_end(ft, f);
				ft->st.closed++;
			}
		}
	}
	while (ft->lru_head && ft->lru_head->last_ts + timeout < now) {
		struct flow *f = ft->lru_head;

		f->info.ts = now;
		ft->st.expired++;
		flow_end(ft, f);
	}
}

void flow_table_close_all(struct flow_table *ft)
{
	while (ft->cr_head)
		flow_end(ft, ft->cr_head);
}

void flow_table_free(struct flow_table **ftp)
{
	struct flow_table *ft;

	if (!ftp || !*ftp)
		return;
	ft = *ftp;
	flow_table_close_all(ft);
	reasm_acct_free(&ft->acct);
	free(ft->buckets);
	free(ft);
	*ftp = NULL;
}

/* --- views ------------------------------------------------------------- */

static const char *state_of(const struct flow *f)
{
	if (f->rst[0] || f->rst[1])
		return f->rst[0] ? "RSTO" : "RSTR";
	if (f->fin[0] && f->fin[1])
		return "SF";
	if (f->fin[0] || f->fin[1])
		return "S2";
	if (f->syn[0] && !f->synack)
		return "S0";
	if (f->info.partial)
		return "OTH";
	return "S1";
}

static void fill_view(const struct flow *f, struct flow_view *v)
{
	v->info = &f->info;
	v->state = state_of(f);
	v->last_ts = f->last_ts;
	v->orig = f->st[0];
	v->resp = f->st[1];
	v->orig.ooo_bytes_buffered = f->dir[0].ooo_bytes;
	v->resp.ooo_bytes_buffered = f->dir[1].ooo_bytes;
	v->bypassed = f->bypassed;
}

int flow_table_foreach(struct flow_table *ft,
		       int (*cb)(void *arg, const struct flow_view *v),
		       void *arg)
{
	for (struct flow *f = ft->cr_head; f; f = f->cr_next) {
		struct flow_view v;
		int r;

		fill_view(f, &v);
		r = cb(arg, &v);
		if (r)
			return r;
	}
	return 0;
}

int flow_table_lookup_uid(struct flow_table *ft, const char *uid,
			  struct flow_view *v)
{
	for (struct flow *f = ft->cr_head; f; f = f->cr_next) {
		if (strcmp(f->info.uid, uid) == 0) {
			fill_view(f, v);
			return 0;
		}
	}
	return -ENOENT;
}
