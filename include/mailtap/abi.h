/* SPDX-License-Identifier: BSD-3-Clause */
/* abi.h - what the BPF program and the daemon both compile: the ring
 * record, map keys and values, counter indexes. Fixed-width types,
 * explicit padding, sizes asserted. Nothing else lives here. */
#ifndef MAILTAP_ABI_H
#define MAILTAP_ABI_H

#ifdef __BPF__
/* vmlinux.h provides __u8 ... __u64 */
#else
#include <linux/types.h>
#endif

#define MT_ABI_VERSION 1

/* Payload bytes per ring record; a packet with more (GRO/GSO) becomes
 * several records, each with its own sequence number. */
#define MT_CHUNK 4096
/* Records per packet: 16 x 4 KiB covers a 64 KiB GSO packet; the rest of a
 * larger (BIG TCP) packet is counted as truncated and becomes a gap. */
#define MT_MAX_CHUNKS 16

enum mt_rec_type {
	MT_REC_DATA = 1, /* payload bytes follow */
	MT_REC_CTRL = 2, /* SYN/FIN/RST without payload (or bypassed) */
};

enum mt_dir {
	MT_DIR_INGRESS = 0,
	MT_DIR_EGRESS = 1,
};

enum mt_rec_source {
	MT_SRC_TC = 0,
	MT_SRC_SOCKET = 1,
	MT_SRC_UPROBE = 2, /* reserved: TLS plaintext from SSL_read/write */
};

enum mt_proto_id {
	MT_PORT_SMTP = 1,
	MT_PORT_POP3 = 2,
};

/* Addresses as in the packet: IPv4 in the first 4 bytes. */
struct mt_flow_key {
	__u8 family; /* AF_INET (2) or AF_INET6 (10) */
	__u8 pad[3];
	__u16 sport; /* host byte order */
	__u16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct mt_rec_hdr {
	__u8 version;    /* MT_ABI_VERSION */
	__u8 type;       /* enum mt_rec_type */
	__u8 dir;        /* enum mt_dir */
	__u8 source;     /* enum mt_rec_source */
	__u8 tcp_flags;
	__u8 pad[3];
	__u32 ifindex;
	__u32 seq;       /* of the first payload byte of this record */
	__u32 ack;
	__u32 len;       /* payload bytes in this record */
	__u32 pkt_len;   /* payload bytes of the whole packet */
	__u32 ip_len;    /* IP packet length */
	__u64 ts_ns;     /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cookie;    /* socket cookie, 0 = unknown */
	struct mt_flow_key key;
};

/* Bypass map key: the flow in canonical order (lower address/port first,
 * as user space computes it), so both directions hit one entry. */
struct mt_bypass_val {
	__u64 packets;     /* skipped, counted by the program */
	__u64 bytes;
	__u16 only_sport;  /* MT_BYPASS_ONE_WAY: the sender's port */
	__u16 flags;       /* 0 = both directions */
	__u32 pad;
};

/* Skip only the packets sent from only_sport (a message body beyond
 * --max-data-bytes); the other direction keeps flowing. */
#define MT_BYPASS_ONE_WAY 1

enum mt_counter {
	MT_CNT_SEEN = 0,       /* packets the program ran on */
	MT_CNT_MATCHED,        /* TCP on a mail port */
	MT_CNT_RECORDS,        /* records written to the ring */
	MT_CNT_RECORD_BYTES,   /* payload bytes written */
	MT_CNT_RING_FULL,      /* records dropped: ring full */
	MT_CNT_RING_FULL_BYTES,/* payload bytes in those */
	MT_CNT_LOAD_FAIL,      /* bpf_skb_load_bytes failed */
	MT_CNT_TRUNCATED,      /* payload beyond MT_MAX_CHUNKS records */
	MT_CNT_NON_TCP,        /* IP but not TCP */
	MT_CNT_NON_IP,
	MT_CNT_FRAGMENTS,      /* IP fragments, skipped */
	MT_CNT_PURE_ACK,       /* matched, nothing to send */
	MT_CNT_BYPASS_PKTS,    /* payload not sent: bypassed flow */
	MT_CNT_BYPASS_BYTES,
	MT_CNT_LOOPBACK_DUP,   /* second copy of a loopback packet */
	MT_CNT__MAX,
};

#ifndef __BPF__
_Static_assert(sizeof(struct mt_flow_key) == 40, "flow key layout");
_Static_assert(sizeof(struct mt_rec_hdr) == 88, "record header layout");
_Static_assert(sizeof(struct mt_bypass_val) == 24, "bypass value layout");
#endif

#endif
