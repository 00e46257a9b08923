/* SPDX-License-Identifier: BSD-3-Clause */
/* decode.h - link layer, IPv4/IPv6 and TCP headers of one captured packet
 * into a struct segment. Owns the bounds checks; never reads past caplen
 * and never keeps a pointer beyond the packet's lifetime. */
#ifndef MAILTAP_DECODE_H
#define MAILTAP_DECODE_H

#include <stdint.h>

#include "capture/segment.h"

/* libpcap link types handled (DLT_* / LINKTYPE_* values). */
#define MT_DLT_NULL 0
#define MT_DLT_EN10MB 1
#define MT_DLT_RAW 12 /* OpenBSD's DLT_RAW is 14; LINKTYPE_RAW is 101 */
#define MT_DLT_RAW14 14
#define MT_DLT_LOOP 108
#define MT_LINKTYPE_RAW 101
#define MT_DLT_LINUX_SLL 113
#define MT_LINKTYPE_IPV4 228
#define MT_LINKTYPE_IPV6 229
#define MT_DLT_LINUX_SLL2 276

enum decode_result {
	DEC_OK = 0,
	DEC_NOT_IP,      /* ARP, LLDP, ... */
	DEC_NOT_TCP,
	DEC_FRAGMENT,    /* IPv4/IPv6 fragment: counted and skipped */
	DEC_TRUNCATED,   /* headers cut by the snap length */
	DEC_BAD,         /* malformed header */
	DEC_LINKTYPE,    /* link type not supported */
	DEC__COUNT,
};

struct decode_stats {
	uint64_t packets;
	uint64_t result[DEC__COUNT];
	uint64_t payload_truncated; /* TCP payload cut by the snap length */
};

const char *decode_result_name(enum decode_result r);

/* Decode one packet. On DEC_OK, seg points into pkt. */
enum decode_result decode_packet(int linktype, const uint8_t *pkt,
				 uint32_t caplen, uint32_t wirelen, double ts,
				 struct segment *seg);
/* Decode from the IP header on (used by the BPF ring path too). */
enum decode_result decode_ip(const uint8_t *p, uint32_t caplen,
			     uint32_t wirelen, struct segment *seg);

#endif
