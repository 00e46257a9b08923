// SPDX-License-Identifier: BSD-3-Clause
/* test_decode.c - packet decoding for every link type, IPv6 extension
 * headers, fragments, and truncation at every byte length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "capture/decode.h"

static size_t tcp_hdr(uint8_t *p, const char *payload)
{
	size_t n = strlen(payload);

	memset(p, 0, 20);
	p[0] = 0x9c; p[1] = 0x40;          /* sport 40000 */
	p[2] = 0x00; p[3] = 25;            /* dport 25 */
	p[4] = 0; p[5] = 0; p[6] = 0x10; p[7] = 0x00; /* seq 4096 */
	p[12] = 5 << 4;
	p[13] = 0x18;                      /* PSH|ACK */
	memcpy(p + 20, payload, n);
	return 20 + n;
}

static size_t ipv4(uint8_t *p, const char *payload)
{
	size_t t = tcp_hdr(p + 20, payload);

	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)((20 + t) >> 8);
	p[3] = (uint8_t)(20 + t);
	p[8] = 64;
	p[9] = 6;
	p[12] = 10; p[15] = 1;             /* 10.0.0.1 */
	p[16] = 10; p[19] = 2;             /* 10.0.0.2 */
	return 20 + t;
}

static size_t ipv6_ext(uint8_t *p, const char *payload)
{
	/* hop-by-hop (8 bytes) then destination options (16), then TCP */
	size_t t = tcp_hdr(p + 40 + 8 + 16, payload);

	memset(p, 0, 40 + 24);
	p[0] = 0x60;
	p[4] = (uint8_t)((24 + t) >> 8);
	p[5] = (uint8_t)(24 + t);
	p[6] = 0;   /* next: hop-by-hop */
	p[7] = 64;
	p[23] = 1;  /* ::1 */
	p[39] = 2;  /* ::2 */
	p[40] = 60; /* hop-by-hop -> dest opts */
	p[41] = 0;
	p[48] = 6;  /* dest opts -> TCP */
	p[49] = 1;  /* 16 bytes */
	return 40 + 24 + t;
}

static void check_ok(int lt, const uint8_t *pkt, size_t len, int family)
{
	struct segment s;

	assert_int_equal(decode_packet(lt, pkt, (uint32_t)len, (uint32_t)len,
				       1.5, &s),
			 DEC_OK);
	assert_int_equal(s.src.family, family);
	assert_int_equal(s.sport, 40000);
	assert_int_equal(s.dport, 25);
	assert_int_equal(s.seq, 4096);
	assert_int_equal(s.flags, 0x18);
	assert_int_equal(s.payload_len, 5);
	assert_int_equal(s.cap_len, 5);
	assert_memory_equal(s.payload, "HELO\n", 5);
	assert_true(s.ts == 1.5);
}

/* Truncate at every length: never DEC_OK with bytes past caplen (ASan
 * watches the reads: each copy is exactly caplen bytes on the heap). */
static void check_truncations(int lt, const uint8_t *pkt, size_t len)
{
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		struct segment s;
		enum decode_result r;

		memcpy(copy, pkt, cut);
		r = decode_packet(lt, copy, (uint32_t)cut, (uint32_t)len, 0, &s);
		if (r == DEC_OK)
			assert_true(s.cap_len < s.payload_len);
		free(copy);
	}
}

static void test_ethernet_vlan_qinq(void **state)
{
	uint8_t pkt[256];
	size_t n;

	(void)state;
	memset(pkt, 0xaa, 12);
	pkt[12] = 0x08; pkt[13] = 0x00;
	n = 14 + ipv4(pkt + 14, "HELO\n");
	check_ok(MT_DLT_EN10MB, pkt, n, AF_INET);
	check_truncations(MT_DLT_EN10MB, pkt, n);

	/* 802.1ad outer + 802.1Q inner */
	pkt[12] = 0x88; pkt[13] = 0xa8; pkt[14] = 0; pkt[15] = 7;
	pkt[16] = 0x81; pkt[17] = 0x00; pkt[18] = 0; pkt[19] = 9;
	pkt[20] = 0x08; pkt[21] = 0x00;
	n = 22 + ipv4(pkt + 22, "HELO\n");
	check_ok(MT_DLT_EN10MB, pkt, n, AF_INET);
	check_truncations(MT_DLT_EN10MB, pkt, n);

	/* ARP is not IP */
	pkt[12] = 0x08; pkt[13] = 0x06;
	{
		struct segment s;

		assert_int_equal(decode_packet(MT_DLT_EN10MB, pkt, 60, 60, 0,
					       &s),
				 DEC_NOT_IP);
	}
}

static void test_cooked_raw_loop(void **state)
{
	uint8_t pkt[256];
	size_t n;

	(void)state;
	memset(pkt, 0, sizeof(pkt));
	pkt[14] = 0x08; pkt[15] = 0x00; /* SLL protocol */
	n = 16 + ipv4(pkt + 16, "HELO\n");
	check_ok(MT_DLT_LINUX_SLL, pkt, n, AF_INET);
	check_truncations(MT_DLT_LINUX_SLL, pkt, n);

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x86; pkt[1] = 0xdd; /* SLL2 protocol */
	n = 20 + ipv6_ext(pkt + 20, "HELO\n");
	check_ok(MT_DLT_LINUX_SLL2, pkt, n, AF_INET6);
	check_truncations(MT_DLT_LINUX_SLL2, pkt, n);

	n = ipv4(pkt, "HELO\n");
	check_ok(MT_LINKTYPE_RAW, pkt, n, AF_INET);
	check_ok(MT_DLT_RAW, pkt, n, AF_INET);
	check_truncations(MT_LINKTYPE_RAW, pkt, n);

	/* BSD loopback: AF_INET in host order; AF_INET6 = 30 (macOS) */
	memset(pkt, 0, 4);
	pkt[0] = 2;
	n = 4 + ipv4(pkt + 4, "HELO\n");
	check_ok(MT_DLT_NULL, pkt, n, AF_INET);
	memset(pkt, 0, 4);
	pkt[3] = 30;
	n = 4 + ipv6_ext(pkt + 4, "HELO\n");
	check_ok(MT_DLT_LOOP, pkt, n, AF_INET6);
	check_truncations(MT_DLT_LOOP, pkt, n);
}

static void test_fragments_and_not_tcp(void **state)
{
	uint8_t pkt[256];
	struct segment s;
	size_t n = ipv4(pkt, "HELO\n");

	(void)state;
	pkt[6] = 0x20; /* MF */
	assert_int_equal(decode_packet(MT_LINKTYPE_RAW, pkt, n, n, 0, &s),
			 DEC_FRAGMENT);
	pkt[6] = 0x00; pkt[7] = 0x10; /* offset 16 */
	assert_int_equal(decode_packet(MT_LINKTYPE_RAW, pkt, n, n, 0, &s),
			 DEC_FRAGMENT);
	pkt[7] = 0;
	pkt[9] = 17; /* UDP */
	assert_int_equal(decode_packet(MT_LINKTYPE_RAW, pkt, n, n, 0, &s),
			 DEC_NOT_TCP);
	pkt[9] = 6;
	pkt[0] = 0x44; /* IHL 16 < 20 */
	assert_int_equal(decode_packet(MT_LINKTYPE_RAW, pkt, n, n, 0, &s),
			 DEC_BAD);
	assert_int_equal(decode_packet(999, pkt, n, n, 0, &s), DEC_LINKTYPE);
}

static void test_snaplen_cut_payload(void **state)
{
	uint8_t pkt[256];
	struct segment s;
	size_t n = ipv4(pkt, "HELO\n");

	(void)state;
	/* the headers are complete but the payload is cut: decoded, with
	 * cap_len telling how much is really there */
	assert_int_equal(decode_packet(MT_LINKTYPE_RAW, pkt, (uint32_t)n - 2,
				       (uint32_t)n, 0, &s),
			 DEC_OK);
	assert_int_equal(s.payload_len, 5);
	assert_int_equal(s.cap_len, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_vlan_qinq),
		cmocka_unit_test(test_cooked_raw_loop),
		cmocka_unit_test(test_fragments_and_not_tcp),
		cmocka_unit_test(test_snaplen_cut_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
