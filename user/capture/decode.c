// SPDX-License-Identifier: BSD-3-Clause
/* decode.c - packet headers to segments: Ethernet (802.1Q, QinQ), Linux
 * cooked SLL/SLL2, raw IP, BSD loopback; IPv4, IPv6 with extension
 * headers; TCP. Owns bounds checking; never trusts a length field. */
#include "capture/decode.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ1 0x9100

static const char *const result_names[DEC__COUNT] = {
	[DEC_OK] = "ok",		[DEC_NOT_IP] = "not_ip",
	[DEC_NOT_TCP] = "not_tcp",	[DEC_FRAGMENT] = "fragment",
	[DEC_TRUNCATED] = "truncated",	[DEC_BAD] = "bad_header",
	[DEC_LINKTYPE] = "bad_linktype",
};

const char *decode_result_name(enum decode_result r)
{
	return (unsigned int)r < DEC__COUNT ? result_names[r] : "?";
}

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* TCP header at p; avail = bytes present, tcp_len = bytes on the wire
 * (from the IP header). */
static enum decode_result decode_tcp(const uint8_t *p, uint32_t avail,
				     uint32_t tcp_len, struct segment *seg)
{
	uint32_t hl;

	if (tcp_len < 20)
		return DEC_BAD;
	if (avail < 20)
		return DEC_TRUNCATED;
	hl = (uint32_t)(p[12] >> 4) * 4;
	if (hl < 20 || hl > tcp_len)
		return DEC_BAD;
	if (avail < hl)
		return DEC_TRUNCATED;
	seg->sport = rd16(p);
	seg->dport = rd16(p + 2);
	seg->seq = rd32(p + 4);
	seg->ack = rd32(p + 8);
	seg->flags = p[13] & 0x3f;
	seg->payload = p + hl;
	seg->payload_len = tcp_len - hl;
	seg->cap_len = avail - hl < seg->payload_len ? avail - hl :
							seg->payload_len;
	return DEC_OK;
}

static enum decode_result decode_ipv4(const uint8_t *p, uint32_t caplen,
				      struct segment *seg)
{
	uint32_t hl, tot;
	uint16_t frag;

	if (caplen < 20)
		return DEC_TRUNCATED;
	if ((p[0] >> 4) != 4)
		return DEC_BAD;
	hl = (uint32_t)(p[0] & 0x0f) * 4;
	tot = rd16(p + 2);
	if (hl < 20 || tot < hl)
		return DEC_BAD;
	if (caplen < hl)
		return DEC_TRUNCATED;
	frag = rd16(p + 6);
	if (frag & 0x3fff) /* MF set or offset != 0 */
		return DEC_FRAGMENT;
	seg->src.family = AF_INET;
	seg->dst.family = AF_INET;
	memset(seg->src.addr, 0, sizeof(seg->src.addr));
	memset(seg->dst.addr, 0, sizeof(seg->dst.addr));
	memcpy(seg->src.addr, p + 12, 4);
	memcpy(seg->dst.addr, p + 16, 4);
	seg->ip_len = tot;
	if (p[9] != 6)
		return DEC_NOT_TCP;
	/* A TSO/GRO capture may carry tot = 0: trust the captured length. */
	if (tot == 0)
		tot = caplen;
	return decode_tcp(p + hl, (caplen < tot ? caplen : tot) - hl, tot - hl,
			  seg);
}

static enum decode_result decode_ipv6(const uint8_t *p, uint32_t caplen,
				      struct segment *seg)
{
	uint32_t off = 40, plen;
	uint8_t nh;

	if (caplen < 40)
		return DEC_TRUNCATED;
	if ((p[0] >> 4) != 6)
		return DEC_BAD;
	plen = rd16(p + 4);
	nh = p[6];
	seg->src.family = AF_INET6;
	seg->dst.family = AF_INET6;
	memcpy(seg->src.addr, p + 8, 16);
	memcpy(seg->dst.addr, p + 24, 16);
	seg->ip_len = plen + 40;
	/* Skip extension headers (bounded: at most 8). */
	for (int i = 0; i < 8; i++) {
		uint32_t len;

		switch (nh) {
		case 0:   /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
			if (caplen < off + 8)
				return DEC_TRUNCATED;
			len = ((uint32_t)p[off + 1] + 1) * 8;
			nh = p[off];
			off += len;
			continue;
		case 44: /* fragment */
			if (caplen < off + 8)
				return DEC_TRUNCATED;
			if (rd16(p + off + 2) & 0xfff9) /* offset or MF */
				return DEC_FRAGMENT;
			nh = p[off];
			off += 8;
			continue;
		case 51: /* AH */
			if (caplen < off + 8)
				return DEC_TRUNCATED;
			len = ((uint32_t)p[off + 1] + 2) * 4;
			nh = p[off];
			off += len;
			continue;
		default:
			break;
		}
		break;
	}
	if (nh != 6)
		return DEC_NOT_TCP;
	if (plen == 0) /* jumbogram or GRO: use the captured length */
		plen = caplen - 40;
	if (off > 40 + plen)
		return DEC_BAD;
	if (off > caplen)
		return DEC_TRUNCATED;
	{
		uint32_t end = 40 + plen;
		uint32_t avail = (caplen < end ? caplen : end) - off;

		return decode_tcp(p + off, avail, end - off, seg);
	}
}

enum decode_result decode_ip(const uint8_t *p, uint32_t caplen,
			     uint32_t wirelen, struct segment *seg)
{
	(void)wirelen;
	if (caplen < 1)
		return DEC_TRUNCATED;
	switch (p[0] >> 4) {
	case 4:
		return decode_ipv4(p, caplen, seg);
	case 6:
		return decode_ipv6(p, caplen, seg);
	default:
		return DEC_NOT_IP;
	}
}

static enum decode_result by_ethertype(uint16_t type, const uint8_t *p,
				       uint32_t caplen, struct segment *seg)
{
	if (type == ETH_P_IP)
		return decode_ipv4(p, caplen, seg);
	if (type == ETH_P_IPV6)
		return decode_ipv6(p, caplen, seg);
	return DEC_NOT_IP;
}

static enum decode_result decode_eth(const uint8_t *p, uint32_t caplen,
				     struct segment *seg)
{
	uint32_t off = 12;
	uint16_t type;

	if (caplen < 14)
		return DEC_TRUNCATED;
	type = rd16(p + off);
	off += 2;
	/* 802.1Q / 802.1ad / QinQ: at most two tags deep (plus slack). */
	for (int i = 0; i < 4 && (type == ETH_P_8021Q || type == ETH_P_8021AD ||
				  type == ETH_P_QINQ1);
	     i++) {
		if (caplen < off + 4)
			return DEC_TRUNCATED;
		type = rd16(p + off + 2);
		off += 4;
	}
	return by_ethertype(type, p + off, caplen - off, seg);
}

enum decode_result decode_packet(int linktype, const uint8_t *pkt,
				 uint32_t caplen, uint32_t wirelen, double ts,
				 struct segment *seg)
{
	memset(seg, 0, sizeof(*seg));
	seg->ts = ts;
	(void)wirelen;
	switch (linktype) {
	case MT_DLT_EN10MB:
		return decode_eth(pkt, caplen, seg);
	case MT_DLT_LINUX_SLL:
		if (caplen < 16)
			return DEC_TRUNCATED;
		return by_ethertype(rd16(pkt + 14), pkt + 16, caplen - 16, seg);
	case MT_DLT_LINUX_SLL2:
		if (caplen < 20)
			return DEC_TRUNCATED;
		return by_ethertype(rd16(pkt), pkt + 20, caplen - 20, seg);
	case MT_DLT_RAW:
	case MT_DLT_RAW14:
	case MT_LINKTYPE_RAW:
	case MT_LINKTYPE_IPV4:
	case MT_LINKTYPE_IPV6:
		return decode_ip(pkt, caplen, wirelen, seg);
	case MT_DLT_NULL:
	case MT_DLT_LOOP: {
		uint32_t fam;

		if (caplen < 4)
			return DEC_TRUNCATED;
		/* host byte order for NULL, network order for LOOP: accept
		 * either by looking at the values */
		fam = rd32(pkt);
		if (fam > 0xffff)
			fam = (uint32_t)pkt[0] | (uint32_t)pkt[1] << 8;
		if (fam == 2)
			return decode_ipv4(pkt + 4, caplen - 4, seg);
		/* AF_INET6 differs per BSD: 10 (Linux), 24, 28, 30 */
		if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
			return decode_ipv6(pkt + 4, caplen - 4, seg);
		return DEC_NOT_IP;
	}
	default:
		return DEC_LINKTYPE;
	}
}
