// SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause)
/* mailtap.bpf.c - picks mail traffic out in the kernel: one parsing body,
 * three entry points (tc ingress, tc egress, AF_PACKET socket filter).
 * Writes variable-length records (header + up to MT_CHUNK payload bytes)
 * to a ring buffer and counts every outcome. Never drops or alters a
 * packet: tc programs return TC_ACT_OK, the socket filter returns 0. */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define __BPF__ 1
#include "mailtap/abi.h"

#define TC_ACT_OK 0
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define PACKET_OUTGOING 4
#define AF_INET 2
#define AF_INET6 10

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Load-time knob: the loopback ifindex (packets on lo are seen twice by
 * a packet socket: once outgoing, once incoming). */
const volatile __u32 lo_ifindex = 1;
/* Load-time knob: while the consumer polls (below), records wake it only
 * once this many bytes wait in the ring (0: always the kernel's rule,
 * wake an idle consumer on every record). Batching saves a wakeup per
 * record when the consumer keeps up; it polls on a short timer while
 * connections are open, so a lone command still arrives within that
 * period. */
const volatile __u32 wake_bytes = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by user space before load */
} ring SEC(".maps");

/* Set by user space while its drain timer polls the ring (connections
 * are open): records then wake it only once wake_bytes wait. Otherwise
 * the kernel's rule wakes an idle consumer on every record. (A SYN used
 * to wake it always: at 2000 sessions a second, that was most of its
 * wakeups.) */
volatile __u32 polling = 0;

static __always_inline __u64 wake_flags(void)
{
	if (!wake_bytes || !polling)
		return 0;
	return bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA) >= wake_bytes ?
		       BPF_RB_FORCE_WAKEUP :
		       BPF_RB_NO_WAKEUP;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);  /* port, host order */
	__type(value, __u8); /* enum mt_proto_id */
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct mt_flow_key); /* canonical order */
	__type(value, struct mt_bypass_val);
} bypass SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MT_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct scratch {
	struct mt_rec_hdr hdr;
	__u8 data[MT_CHUNK];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

static __always_inline void count(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += n;
}

/* The canonical (direction-independent) key, as user space builds it. */
static __always_inline void canonical(const struct mt_flow_key *k,
				       struct mt_flow_key *c)
{
	int n = k->family == AF_INET6 ? 16 : 4, cmp = 0;

	for (int i = 0; i < 16; i++) {
		if (i >= n || cmp)
			break;
		if (k->saddr[i] != k->daddr[i])
			cmp = k->saddr[i] < k->daddr[i] ? -1 : 1;
	}
	__builtin_memset(c, 0, sizeof(*c));
	c->family = k->family;
	if (cmp < 0 || (cmp == 0 && k->sport <= k->dport)) {
		__builtin_memcpy(c->saddr, k->saddr, 16);
		__builtin_memcpy(c->daddr, k->daddr, 16);
		c->sport = k->sport;
		c->dport = k->dport;
	} else {
		__builtin_memcpy(c->saddr, k->daddr, 16);
		__builtin_memcpy(c->daddr, k->saddr, 16);
		c->sport = k->dport;
		c->dport = k->sport;
	}
}

static __always_inline int handle(struct __sk_buff *skb, __u8 dir,
				  __u8 source)
{
	__u32 zero = 0, off = 14, l4, poff, ip_end, plen;
	struct scratch *s;
	struct mt_rec_hdr *h;
	struct mt_flow_key ck;
	__u16 proto;
	__u8 l4proto, doff, flags;
	__u8 buf[40];

	count(MT_CNT_SEEN, 1);
	s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!s)
		return 0;
	h = &s->hdr;
	if (bpf_skb_load_bytes(skb, 12, &proto, 2))
		return 0;
	proto = bpf_ntohs(proto);
	/* up to two VLAN tags (802.1ad + 802.1Q) */
	for (int i = 0; i < 2; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if (bpf_skb_load_bytes(skb, off + 2, &proto, 2))
			return 0;
		proto = bpf_ntohs(proto);
		off += 4;
	}
	__builtin_memset(&h->key, 0, sizeof(h->key));
	if (proto == ETH_P_IP) {
		__u32 ihl;
		__u16 frag, tot;

		if (bpf_skb_load_bytes(skb, off, buf, 20))
			return 0;
		ihl = (buf[0] & 0x0f) * 4;
		if (ihl < 20)
			return 0;
		frag = ((__u16)buf[6] << 8 | buf[7]) & 0x3fff;
		if (frag) {
			count(MT_CNT_FRAGMENTS, 1);
			return 0;
		}
		l4proto = buf[9];
		tot = (__u16)buf[2] << 8 | buf[3];
		h->key.family = AF_INET;
		__builtin_memcpy(h->key.saddr, buf + 12, 4);
		__builtin_memcpy(h->key.daddr, buf + 16, 4);
		h->ip_len = tot;
		/* GRO packets may carry tot = 0: the skb length then */
		ip_end = tot ? off + tot : skb->len;
		l4 = off + ihl;
	} else if (proto == ETH_P_IPV6) {
		__u16 pl;

		if (bpf_skb_load_bytes(skb, off, buf, 40))
			return 0;
		l4proto = buf[6];
		pl = (__u16)buf[4] << 8 | buf[5];
		h->key.family = AF_INET6;
		__builtin_memcpy(h->key.saddr, buf + 8, 16);
		__builtin_memcpy(h->key.daddr, buf + 24, 16);
		h->ip_len = pl + 40;
		ip_end = pl ? off + 40 + pl : skb->len;
		l4 = off + 40;
		/* a few extension headers (hop-by-hop, routing, dstopts) */
		for (int i = 0; i < 4; i++) {
			__u8 ext[2];

			if (l4proto != 0 && l4proto != 43 && l4proto != 60)
				break;
			if (bpf_skb_load_bytes(skb, l4, ext, 2))
				return 0;
			l4proto = ext[0];
			l4 += ((__u32)ext[1] + 1) * 8;
		}
		if (l4proto == 44) {
			count(MT_CNT_FRAGMENTS, 1);
			return 0;
		}
	} else {
		count(MT_CNT_NON_IP, 1);
		return 0;
	}
	if (l4proto != 6) {
		count(MT_CNT_NON_TCP, 1);
		return 0;
	}
	if (bpf_skb_load_bytes(skb, l4, buf, 20))
		return 0;
	h->key.sport = (__u16)buf[0] << 8 | buf[1];
	h->key.dport = (__u16)buf[2] << 8 | buf[3];
	if (!bpf_map_lookup_elem(&ports, &h->key.dport) &&
	    !bpf_map_lookup_elem(&ports, &h->key.sport))
		return 0;
	/* a packet socket sees each loopback packet twice */
	if (source == MT_SRC_SOCKET && skb->ifindex == lo_ifindex &&
	    skb->pkt_type == PACKET_OUTGOING) {
		count(MT_CNT_LOOPBACK_DUP, 1);
		return 0;
	}
	count(MT_CNT_MATCHED, 1);
	doff = (buf[12] >> 4) * 4;
	flags = buf[13] & 0x3f;
	poff = l4 + doff;
	if (ip_end > skb->len)
		ip_end = skb->len;
	plen = ip_end > poff ? ip_end - poff : 0;
	h->version = MT_ABI_VERSION;
	h->dir = dir;
	h->source = source;
	h->tcp_flags = flags;
	h->ifindex = skb->ifindex;
	h->seq = (__u32)buf[4] << 24 | (__u32)buf[5] << 16 |
		 (__u32)buf[6] << 8 | buf[7];
	h->ack = (__u32)buf[8] << 24 | (__u32)buf[9] << 16 |
		 (__u32)buf[10] << 8 | buf[11];
	h->pkt_len = plen;
	h->ts_ns = bpf_ktime_get_ns();
	h->cookie = bpf_get_socket_cookie(skb);

	if (!plen && !(flags & 0x07)) { /* no payload, no SYN/FIN/RST */
		count(MT_CNT_PURE_ACK, 1);
		return 0;
	}
	canonical(&h->key, &ck);
	{
		struct mt_bypass_val *bv = bpf_map_lookup_elem(&bypass, &ck);

		/* One-way skip of a message body: the packet that ends with
		 * the end-of-data marker goes through (and ends the skip),
		 * so the analyzer sees the '.' and what follows. */
		if (bv && plen && (bv->flags & MT_BYPASS_ONE_WAY) &&
		    h->key.sport == bv->only_sport && plen >= 3) {
			__u8 t[5] = { 0 };
			bool end = false;

			/* constant sizes: the verifier (6.1) refuses
			 * "subtraction from stack pointer" */
			if (plen >= 5 &&
			    !bpf_skb_load_bytes(skb, poff + plen - 5, t, 5))
				end = t[0] == '\r' && t[1] == '\n' && t[2] == '.' &&
				      t[3] == '\r' && t[4] == '\n';
			else if (plen == 3 &&
				 !bpf_skb_load_bytes(skb, poff, t, 3))
				end = t[0] == '.' && t[1] == '\r' && t[2] == '\n';
			if (end) {
				bpf_map_delete_elem(&bypass, &ck);
				bv = NULL;
			}
		}
		if (bv && plen &&
		    (!(bv->flags & MT_BYPASS_ONE_WAY) ||
		     h->key.sport == bv->only_sport)) {
			__sync_fetch_and_add(&bv->packets, 1);
			__sync_fetch_and_add(&bv->bytes, plen);
			count(MT_CNT_BYPASS_PKTS, 1);
			count(MT_CNT_BYPASS_BYTES, plen);
			if (!(flags & 0x07))
				return 0;
			plen = 0; /* FIN/RST still reported, without bytes */
			h->pkt_len = 0;
		}
	}
	if (!plen) {
		h->type = MT_REC_CTRL;
		h->len = 0;
		if (bpf_ringbuf_output(&ring, h, sizeof(*h),
				       wake_flags())) {
			count(MT_CNT_RING_FULL, 1);
		} else {
			count(MT_CNT_RECORDS, 1);
		}
		return 0;
	}
	h->type = MT_REC_DATA;
	{
		__u32 seq0 = h->seq;

		for (__u32 i = 0; i < MT_MAX_CHUNKS; i++) {
			__u32 done = i * MT_CHUNK;
			__u64 len;
			__u8 f = flags;

			if (done >= plen)
				break;
			len = plen - done;
			/* verifier (6.1, "R4 min value is negative"): hide len
			 * from clang so the bounds checks below stay in the
			 * program and prove len in [1, MT_CHUNK] */
			asm volatile("" : "+r"(len));
			if (len > MT_CHUNK)
				len = MT_CHUNK;
			asm volatile("" : "+r"(len));
			if (len == 0 || len > MT_CHUNK)
				break;
			if (bpf_skb_load_bytes(skb, poff + done, s->data,
					       len)) {
				count(MT_CNT_LOAD_FAIL, 1);
				break;
			}
			/* each record has its own sequence number; SYN on
			 * the first, FIN/RST on the last only */
			if (i)
				f &= ~0x02;
			if (done + len < plen)
				f &= ~0x05;
			h->seq = seq0 + done;
			h->tcp_flags = f;
			h->len = len;
			if (bpf_ringbuf_output(&ring, s, sizeof(*h) + len,
					       wake_flags())) {
				count(MT_CNT_RING_FULL, 1);
				count(MT_CNT_RING_FULL_BYTES, len);
			} else {
				count(MT_CNT_RECORDS, 1);
				count(MT_CNT_RECORD_BYTES, len);
			}
		}
	}
	if (plen > (__u32)MT_MAX_CHUNKS * MT_CHUNK)
		count(MT_CNT_TRUNCATED, 1);
	return 0;
}

SEC("tc")
int mailtap_tc_ingress(struct __sk_buff *skb)
{
	handle(skb, MT_DIR_INGRESS, MT_SRC_TC);
	return TC_ACT_OK;
}

SEC("tc")
int mailtap_tc_egress(struct __sk_buff *skb)
{
	handle(skb, MT_DIR_EGRESS, MT_SRC_TC);
	return TC_ACT_OK;
}

SEC("socket")
int mailtap_socket(struct __sk_buff *skb)
{
	handle(skb, skb->pkt_type == PACKET_OUTGOING ? MT_DIR_EGRESS :
						       MT_DIR_INGRESS,
	       MT_SRC_SOCKET);
	return 0; /* nothing is queued to the socket */
}
