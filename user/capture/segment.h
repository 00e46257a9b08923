/* SPDX-License-Identifier: BSD-3-Clause */
/* segment.h - one TCP segment as every capture source hands it on: the
 * offline pcap reader, the BPF ring buffer and the libpcap live path all
 * produce this, so everything after capture is shared. */
#ifndef MAILTAP_SEGMENT_H
#define MAILTAP_SEGMENT_H

#include <stdint.h>

#include "flow/conn.h"

/* TCP flags as on the wire. */
#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20

enum seg_source {
	SEG_SRC_PCAP = 0,   /* offline file */
	SEG_SRC_RING = 1,   /* BPF ring buffer (tc or socket filter) */
	SEG_SRC_LIVE_PCAP = 2, /* --pcap-live */
};

struct segment {
	double ts;            /* seconds since the epoch */
	struct mt_addr src;
	struct mt_addr dst;
	uint16_t sport;       /* host byte order */
	uint16_t dport;
	uint32_t seq;         /* of payload[0] */
	uint32_t ack;
	uint8_t flags;        /* TCPF_* */
	uint8_t source;       /* enum seg_source */
	/* the payload stays where it is after the callback, until the
	 * source calls its release callback (else: only during the call) */
	uint8_t lent;
	uint8_t reserved;
	const uint8_t *payload;
	uint32_t cap_len;     /* payload bytes present in 'payload' */
	uint32_t payload_len; /* payload bytes on the wire (>= cap_len) */
	uint32_t ifindex;
	uint32_t ip_len;      /* IP packet length, for byte counters */
	uint64_t sock_cookie; /* 0 = unknown */
};

/* Where capture sources hand segments on. */
typedef void (*segment_cb)(void *arg, const struct segment *seg);

#endif
