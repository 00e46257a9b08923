// SPDX-License-Identifier: BSD-3-Clause
/* test_flow.c - the flow table: originator rules, uids, states, idle
 * expiry on capture time, the cap with LRU eviction, port reuse, and
 * that every flow ends with a conn_end event. */
#include <arpa/inet.h>
#include <errno.h>

#include "harness.h"

#include "flow/flow.h"

struct ft_world {
	struct mt_config cfg;
	struct bus bus;
	struct recorder rec;
	struct flow_table *ft;
};

static void ftw_init(struct ft_world *w)
{
	memset(w, 0, sizeof(*w));
	config_defaults(&w->cfg);
	bus_init(&w->bus);
	rec_init(&w->rec, EV_BIT(EV_conn_end) | EV_BIT(EV_smtp_request) |
				  EV_BIT(EV_weird));
	bus_add(&w->bus, &w->rec.sink);
	assert_int_equal(flow_table_new(&w->ft, &w->cfg, &w->bus), 0);
}

static void ftw_free(struct ft_world *w)
{
	flow_table_free(&w->ft);
	rec_clear(&w->rec);
}

static void seg(struct ft_world *w, const char *src, uint16_t sp,
		const char *dst, uint16_t dp, uint32_t seq, uint32_t ack,
		uint8_t flags, const char *payload, double ts)
{
	struct segment s = test_segment(src, sp, dst, dp, seq, ack, flags,
					payload, ts);

	flow_table_segment(w->ft, &s);
}

struct one {
	struct flow_view v;
	int n;
};

static int grab(void *arg, const struct flow_view *v)
{
	struct one *o = arg;

	o->v = *v;
	o->n++;
	return 0;
}

static void test_originator_rules(void **state)
{
	struct ft_world w;
	struct one o = { 0 };
	char a[MT_ADDR_STRLEN];

	(void)state;
	ftw_init(&w);
	/* SYN-ACK seen first: its destination is the originator */
	seg(&w, "10.0.0.2", 25, "10.0.0.1", 40000, 500, 101,
	    TCPF_SYN | TCPF_ACK, NULL, 1.0);
	flow_table_foreach(w.ft, grab, &o);
	assert_int_equal(o.n, 1);
	assert_string_equal(mt_addr_str(&o.v.info->id.orig_h, a), "10.0.0.1");
	assert_int_equal(o.v.info->id.resp_p, 25);
	assert_int_equal(o.v.info->proto, MT_PROTO_SMTP);
	assert_int_equal(o.v.info->uid[0], 'C');
	assert_true(strlen(o.v.info->uid) >= 10);
	/* both stream starts are known from the SYN-ACK: not partial */
	assert_false(o.v.info->partial);
	ftw_free(&w);

	/* mid-stream data from the server port: the client is the other */
	ftw_init(&w);
	o.n = 0;
	seg(&w, "10.0.0.9", 110, "10.0.0.8", 5555, 7, 9, TCPF_ACK,
	    "+OK hi\r\n", 1.0);
	flow_table_foreach(w.ft, grab, &o);
	assert_string_equal(mt_addr_str(&o.v.info->id.orig_h, a), "10.0.0.8");
	assert_int_equal(o.v.info->proto, MT_PROTO_POP3);
	assert_true(o.v.info->partial);
	ftw_free(&w);

	/* not a mail port, or a pure ACK: no flow */
	ftw_init(&w);
	o.n = 0;
	seg(&w, "10.0.0.1", 40000, "10.0.0.2", 80, 1, 0, TCPF_SYN, NULL, 1.0);
	seg(&w, "10.0.0.1", 40001, "10.0.0.2", 25, 1, 1, TCPF_ACK, NULL, 1.0);
	flow_table_foreach(w.ft, grab, &o);
	assert_int_equal(o.n, 0);
	ftw_free(&w);
}

static void test_handshake_data_close(void **state)
{
	struct ft_world w;
	struct one o = { 0 };

	(void)state;
	ftw_init(&w);
	seg(&w, "10.0.0.1", 40000, "10.0.0.2", 25, 100, 0, TCPF_SYN, NULL, 1.0);
	seg(&w, "10.0.0.2", 25, "10.0.0.1", 40000, 900, 101,
	    TCPF_SYN | TCPF_ACK, NULL, 1.1);
	seg(&w, "10.0.0.2", 25, "10.0.0.1", 40000, 901, 101, TCPF_ACK,
	    "220 mx\r\n", 1.2);
	seg(&w, "10.0.0.1", 40000, "10.0.0.2", 25, 101, 909, TCPF_ACK,
	    "QUIT\r\n", 1.3);
	flow_table_foreach(w.ft, grab, &o);
	assert_false(o.v.info->partial);
	assert_int_equal(o.v.orig.bytes, 6);
	assert_int_equal(o.v.resp.bytes, 8);
	assert_true(rec_find(&w.rec, "\"command\":\"QUIT\"", NULL) >= 0);
	seg(&w, "10.0.0.1", 40000, "10.0.0.2", 25, 107, 909,
	    TCPF_FIN | TCPF_ACK, NULL, 1.4);
	seg(&w, "10.0.0.2", 25, "10.0.0.1", 40000, 909, 108,
	    TCPF_FIN | TCPF_ACK, NULL, 1.5);
	/* both FINs delivered: the flow ended, conn_end raised */
	assert_int_equal(rec_count(&w.rec, "conn_end"), 1);
	assert_int_equal(flow_table_stats(w.ft)->active, 0);
	ftw_free(&w);
}

static void test_idle_expiry_and_cap(void **state)
{
	struct ft_world w;
	char ip[32];

	(void)state;
	ftw_init(&w);
	w.cfg.lim.max_flows = 4;
	for (int i = 0; i < 6; i++) {
		snprintf(ip, sizeof(ip), "10.0.1.%d", i + 1);
		seg(&w, ip, 40000, "10.0.0.2", 25, 1, 0, TCPF_SYN, NULL,
		    10.0 + i);
	}
	/* the cap holds; the least recently active were evicted */
	assert_int_equal(flow_table_stats(w.ft)->active, 4);
	assert_int_equal(flow_table_stats(w.ft)->evicted, 2);
	assert_int_equal(rec_count(&w.rec, "flow_evicted_table_full"), 2);
	/* capture time moves on past the idle timeout */
	flow_table_advance(w.ft, 10.0 + 4 + w.cfg.lim.tcp_inactivity_timeout +
					 1);
	assert_int_equal(flow_table_stats(w.ft)->active, 1);
	assert_int_equal(flow_table_stats(w.ft)->expired, 3);
	assert_int_equal(rec_count(&w.rec, "conn_end"), 5);
	flow_table_close_all(w.ft);
	assert_int_equal(rec_count(&w.rec, "conn_end"), 6);
	ftw_free(&w);
}

static void test_port_reuse_and_rst(void **state)
{
	struct ft_world w;
	struct one o = { 0 };

	(void)state;
	ftw_init(&w);
	seg(&w, "10.0.0.1", 40000, "10.0.0.2", 25, 100, 0, TCPF_SYN, NULL, 1.0);
	/* a new SYN with another ISN on the same 5-tuple: a new connection */
	seg(&w, "10.0.0.1", 40000, "10.0.0.2", 25, 5000, 0, TCPF_SYN, NULL, 2.0);
	assert_int_equal(rec_count(&w.rec, "conn_end"), 1);
	assert_int_equal(flow_table_stats(w.ft)->created, 2);
	/* the SYN retransmitted: the same connection */
	seg(&w, "10.0.0.1", 40000, "10.0.0.2", 25, 5000, 0, TCPF_SYN, NULL, 2.5);
	assert_int_equal(flow_table_stats(w.ft)->created, 2);
	flow_table_foreach(w.ft, grab, &o);
	assert_int_equal(o.n, 1);
	/* RST ends it */
	seg(&w, "10.0.0.2", 25, "10.0.0.1", 40000, 0, 5001, TCPF_RST, NULL, 3.0);
	assert_int_equal(rec_count(&w.rec, "conn_end"), 2);
	assert_int_equal(flow_table_stats(w.ft)->active, 0);

	/* a connection whose FIN/RST were lost, then the next one on the
	 * same ports whose SYN was lost too: its SYN-ACK (another ISN on
	 * the server side) starts a new flow, where old and new sequence
	 * numbers would otherwise be mixed into giant gaps */
	seg(&w, "10.0.0.1", 40001, "10.0.0.2", 25, 100, 0, TCPF_SYN, NULL, 4.0);
	seg(&w, "10.0.0.2", 25, "10.0.0.1", 40001, 700, 101,
	    TCPF_SYN | TCPF_ACK, NULL, 4.1);
	seg(&w, "10.0.0.2", 25, "10.0.0.1", 40001, 900000, 777,
	    TCPF_SYN | TCPF_ACK, NULL, 5.0);
	assert_int_equal(rec_count(&w.rec, "conn_end"), 3);
	assert_int_equal(flow_table_stats(w.ft)->created, 4);
	/* the SYN-ACK retransmitted: the same connection */
	seg(&w, "10.0.0.2", 25, "10.0.0.1", 40001, 900000, 777,
	    TCPF_SYN | TCPF_ACK, NULL, 5.5);
	assert_int_equal(flow_table_stats(w.ft)->created, 4);

	/* picked up mid-stream (no SYN seen), then a new SYN on its ports */
	seg(&w, "10.0.0.1", 40002, "10.0.0.2", 25, 3000, 1, TCPF_ACK,
	    "MAIL FROM:<a@b>\r\n", 6.0);
	seg(&w, "10.0.0.1", 40002, "10.0.0.2", 25, 123456, 0, TCPF_SYN, NULL,
	    7.0);
	assert_int_equal(rec_count(&w.rec, "conn_end"), 4);
	assert_int_equal(flow_table_stats(w.ft)->created, 6);

	/* picked up mid-stream where only the server had sent data (a POP3
	 * RETR: the client only ACKs), then a new connection on its ports */
	seg(&w, "10.0.0.2", 110, "10.0.0.1", 40003, 50000, 777, TCPF_ACK,
	    "+OK part of a message\r\n", 8.0);
	seg(&w, "10.0.0.1", 40003, "10.0.0.2", 110, 777, 50023, TCPF_ACK,
	    NULL, 8.1);
	seg(&w, "10.0.0.1", 40003, "10.0.0.2", 110, 3000000, 0, TCPF_SYN,
	    NULL, 9.0);
	assert_int_equal(rec_count(&w.rec, "conn_end"), 5);
	assert_int_equal(flow_table_stats(w.ft)->created, 8);
	ftw_free(&w);
}

/* A SYN-ACK from the client or a bare SYN from the server, with a made-up
 * sequence number, in the middle of a session: a real stack answers with
 * an ACK and goes on, so the flow goes on too and the commands after it
 * are still seen (a forged segment could hide them before). */
static void test_forged_syn_keeps_flow(void **state)
{
	struct ft_world w;

	(void)state;
	ftw_init(&w);
	w.cfg.lim.ack_gap_delay = 0;
	seg(&w, "10.0.0.1", 40000, "10.0.0.2", 25, 100, 0, TCPF_SYN, NULL, 1.0);
	seg(&w, "10.0.0.2", 25, "10.0.0.1", 40000, 700, 101,
	    TCPF_SYN | TCPF_ACK, NULL, 1.1);
	seg(&w, "10.0.0.2", 25, "10.0.0.1", 40000, 701, 101, TCPF_ACK,
	    "220 hi\r\n", 1.2);
	seg(&w, "10.0.0.1", 40000, "10.0.0.2", 25, 101, 709, TCPF_ACK,
	    "HELO x\r\n", 1.3);
	seg(&w, "10.0.0.1", 40000, "10.0.0.2", 25, 77777, 0,
	    TCPF_SYN | TCPF_ACK, NULL, 1.4);
	seg(&w, "10.0.0.2", 25, "10.0.0.1", 40000, 55555, 0, TCPF_SYN, NULL,
	    1.5);
	seg(&w, "10.0.0.2", 25, "10.0.0.1", 40000, 709, 109, TCPF_ACK,
	    "250 ok\r\n", 1.6);
	seg(&w, "10.0.0.1", 40000, "10.0.0.2", 25, 109, 717, TCPF_ACK,
	    "MAIL FROM:<a@b>\r\n", 1.7);
	assert_int_equal(flow_table_stats(w.ft)->created, 1);
	assert_int_equal(rec_count(&w.rec, "conn_end"), 0);
	assert_int_equal(rec_count(&w.rec, "smtp_request"), 2);
	assert_true(rec_find(&w.rec, "\"command\":\"MAIL\"", NULL) >= 0);
	ftw_free(&w);
}

/* The table starts small and grows with the flows (flow.c, grow): 5000
 * connections open at once, each seen again after every growth, are 5000
 * flows, found again by their packets; then each ends. */
static void test_table_grows(void **state)
{
	struct ft_world w;
	struct one o = { 0 };
	char src[32];

	(void)state;
	ftw_init(&w);
	w.cfg.lim.ack_gap_delay = 0;
	for (int i = 0; i < 5000; i++) {
		snprintf(src, sizeof(src), "10.1.%d.%d", i / 250, i % 250 + 1);
		seg(&w, src, 40000, "10.0.0.2", 25, 100, 0, TCPF_SYN, NULL,
		    1.0);
		seg(&w, "10.0.0.2", 25, src, 40000, 700, 101,
		    TCPF_SYN | TCPF_ACK, NULL, 1.0);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(src, sizeof(src), "10.1.%d.%d", i / 250, i % 250 + 1);
		seg(&w, src, 40000, "10.0.0.2", 25, 101, 701, TCPF_ACK,
		    "HELO x\r\n", 2.0);
	}
	assert_int_equal(flow_table_stats(w.ft)->created, 5000);
	assert_int_equal(flow_table_stats(w.ft)->active, 5000);
	flow_table_foreach(w.ft, grab, &o);
	assert_int_equal(o.n, 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(src, sizeof(src), "10.1.%d.%d", i / 250, i % 250 + 1);
		seg(&w, src, 40000, "10.0.0.2", 25, 109, 701, TCPF_RST, NULL,
		    3.0);
	}
	assert_int_equal(flow_table_stats(w.ft)->active, 0);
	assert_int_equal(flow_table_stats(w.ft)->created, 5000);
	ftw_free(&w);
}

static void test_lookup_by_uid(void **state)
{
	struct ft_world w;
	struct one o = { 0 };
	struct flow_view v;

	(void)state;
	ftw_init(&w);
	seg(&w, "2001:db8::1", 40000, "2001:db8::2", 587, 1, 0, TCPF_SYN, NULL,
	    1.0);
	flow_table_foreach(w.ft, grab, &o);
	assert_int_equal(flow_table_lookup_uid(w.ft, o.v.info->uid, &v), 0);
	assert_int_equal(v.info->id.resp_p, 587);
	assert_int_equal(flow_table_lookup_uid(w.ft, "CNOPE", &v), -ENOENT);
	ftw_free(&w);
}

/* Addresses print as inet_ntop prints them (IPv4 is formatted by hand). */
static void test_addr_str(void **state)
{
	char want[MT_ADDR_STRLEN], got[MT_ADDR_STRLEN];
	struct mt_addr a = { .family = AF_INET };
	unsigned int seed = 9;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		for (int k = 0; k < 4; k++)
			a.addr[k] = (uint8_t)(i < 256 ? (k == i % 4 ? i : 0)
						      : rand_r(&seed));
		assert_non_null(inet_ntop(AF_INET, a.addr, want, sizeof(want)));
		assert_string_equal(mt_addr_str(&a, got), want);
	}
	assert_int_equal(mt_addr_parse("2001:db8::1", &a), 0);
	assert_string_equal(mt_addr_str(&a, got), "2001:db8::1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_originator_rules),
		cmocka_unit_test(test_handshake_data_close),
		cmocka_unit_test(test_idle_expiry_and_cap),
		cmocka_unit_test(test_port_reuse_and_rst),
		cmocka_unit_test(test_forged_syn_keeps_flow),
		cmocka_unit_test(test_table_grows),
		cmocka_unit_test(test_lookup_by_uid),
		cmocka_unit_test(test_addr_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
