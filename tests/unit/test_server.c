// SPDX-License-Identifier: BSD-3-Clause
/* test_server.c - the socket's queues and the global memory budget, with
 * a real flow table, epoll loop and Unix socket: a stalled subscriber or a
 * client that never reads its replies cannot make the flow table evict
 * connections; connections that need memory take it back from the queues;
 * a half-closed client with a backlog is drained without a busy loop. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

#include "control/server.h"
#include "daemon/loop.h"
#include "flow/flow.h"
#include "util/json.h"

struct srv_world {
	struct mt_config cfg;
	struct bus bus;
	struct loop *loop;
	struct flow_table *ft;
	struct srv *srv;
	char path[64];
	uint32_t sseq[4096];
};

static uint64_t shed(void *srv, uint64_t n)
{
	return srv_shed_queues(srv, n);
}

/* A "flows" reply of 100 kB, as a large flow table gives. */
static int big_flows(void *arg, const char *uid, struct jw *out)
{
	(void)arg;
	(void)uid;
	jw_arr_open(out);
	for (int i = 0; i < 2000; i++)
		jw_str(out, "a flow described at some length, 50 bytes each..");
	jw_arr_close(out);
	return 0;
}

static void sw_init(struct srv_world *w, uint64_t budget)
{
	struct srv_hooks hooks = { .flows = big_flows };

	memset(w, 0, sizeof(*w));
	config_defaults(&w->cfg);
	w->cfg.lim.mem_budget = budget;
	w->cfg.lim.ack_gap_delay = 0;
	snprintf(w->path, sizeof(w->path), "/tmp/mailtap-test-srv.%d",
		 (int)getpid());
	w->cfg.socket_path = w->path;
	bus_init(&w->bus);
	assert_int_equal(loop_new(&w->loop), 0);
	assert_int_equal(flow_table_new(&w->ft, &w->cfg, &w->bus), 0);
	assert_int_equal(srv_new(&w->srv, &w->cfg, w->loop, &w->bus, &hooks),
			 0);
	srv_set_mem_source(w->srv, flow_table_mem_used, w->ft);
	flow_table_set_shed(w->ft, srv_queue_bytes(w->srv), shed, w->srv);
}

static void sw_free(struct srv_world *w)
{
	flow_table_set_shed(w->ft, NULL, NULL, NULL);
	srv_free(&w->srv);
	flow_table_free(&w->ft);
	loop_free(&w->loop);
}

static void stop(struct loop *l, void *arg)
{
	(void)arg;
	loop_stop(l);
}

static void spin(struct srv_world *w, unsigned int ms)
{
	int id = loop_add_timer(w->loop, ms, stop, NULL);

	loop_run(w->loop);
	loop_del_timer(w->loop, id);
}

static void seg(struct srv_world *w, int i, bool from_server, uint32_t seq,
		uint32_t ack, uint8_t flags, const char *payload, double ts)
{
	struct segment s;
	char c[32];

	snprintf(c, sizeof(c), "10.1.%d.%d", i / 250, i % 250 + 1);
	s = from_server ? test_segment("10.0.0.2", 25, c, 40000, seq, ack,
				       flags, payload, ts) :
			  test_segment(c, 40000, "10.0.0.2", 25, seq, ack,
				       flags, payload, ts);
	flow_table_segment(w->ft, &s);
}

static void new_flow(struct srv_world *w, int i, double ts)
{
	seg(w, i, false, 100, 0, TCPF_SYN, NULL, ts);
	seg(w, i, true, 700, 101, TCPF_SYN | TCPF_ACK, NULL, ts);
	seg(w, i, true, 701, 101, TCPF_ACK, "220 hi\r\n", ts);
	w->sseq[i] = 709;
}

/* The reply line R on flow i, and the client's ACK for it. */
static void reply_line(struct srv_world *w, int i, double ts, const char *r)
{
	seg(w, i, true, w->sseq[i], 101, TCPF_ACK, r, ts);
	w->sseq[i] += (uint32_t)strlen(r);
	seg(w, i, false, 101, w->sseq[i], TCPF_ACK, NULL, ts);
}

/* One more reply line on flow i: an smtp_reply event. */
static void reply(struct srv_world *w, int i, double ts)
{
	reply_line(w, i, ts,
		   "250-a reply line long enough to make an event of a good "
		   "size xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n");
}

static int connect_client(struct srv_world *w, int rcvbuf)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	strcpy(sa.sun_path, w->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	spin(w, 10);
	return fd;
}

static void subscribe(struct srv_world *w, int fd)
{
	static const char sub[] =
		"{\"id\":1,\"cmd\":\"subscribe\",\"events\":[\"*\"]}\n";

	assert_int_equal(write(fd, sub, sizeof(sub) - 1), sizeof(sub) - 1);
	spin(w, 10);
}

static struct srv_stats stats(struct srv_world *w)
{
	struct srv_stats st;

	srv_stats(w->srv, &st);
	return st;
}

/* No connection was evicted for memory; ACTIVE are open. */
static void assert_flows_kept(struct srv_world *w, uint64_t active)
{
	assert_int_equal(flow_table_stats(w->ft)->evicted_mem, 0);
	assert_int_equal(flow_table_stats(w->ft)->active, active);
}

/* A world with one connection and a subscriber that does not read,
 * N reply events queued for it; returns the subscriber's socket. */
static int stalled_subscriber(struct srv_world *w, uint64_t budget, int n)
{
	int fd;

	sw_init(w, budget);
	new_flow(w, 0, 1.0);
	fd = connect_client(w, 4096);
	subscribe(w, fd);
	for (int r = 0; r < n; r++)
		reply(w, 0, 2.0);
	spin(w, 5);
	return fd;
}

static void sw_done(struct srv_world *w, int fd)
{
	close(fd);
	spin(w, 10);
	sw_free(w);
	free(w);
}

/* A 1 MiB budget, 320 connections holding most of it, and a client
 * with a small receive buffer; returns the client's socket. */
static int flows_hold_the_budget(struct srv_world *w)
{
	sw_init(w, 1 << 20);
	for (int i = 0; i < 320; i++)
		new_flow(w, i, 1.0 + i * 1e-3);
	return connect_client(w, 4096);
}

/* Flows hold most of a 1 MiB budget; a subscriber stops reading. Its
 * queue grows only into what is left, and the next connection evicts
 * nobody (before: the queue took half the budget, 92 flows went). */
static void test_stalled_subscriber_leaves_flows(void **state)
{
	struct srv_world *w = malloc(sizeof(*w));
	int fd;

	(void)state;
	fd = flows_hold_the_budget(w);
	subscribe(w, fd);
	for (int r = 0; r < 60; r++) {
		for (int i = 0; i < 320; i++)
			reply(w, i, 2.0 + r * 0.01);
		spin(w, 1);
	}
	assert_true(stats(w).events_dropped > 0);
	assert_true(flow_table_mem_used(w->ft) + stats(w).queue_bytes <=
		    w->cfg.lim.mem_budget);
	new_flow(w, 1000, 5.0);
	assert_flows_kept(w, 321);
	close(fd);
	spin(w, 10);
	assert_int_equal(stats(w).queue_bytes, 0);
	sw_free(w);
	free(w);
}

/* A client sends requests and never reads the replies: the daemon stops
 * reading it, its queue stays small, and no flow is evicted (before: 1.8
 * MB of replies against a 1 MiB budget evicted every flow). */
static void test_unread_replies_are_not_read(void **state)
{
	struct srv_world *w = malloc(sizeof(*w));
	static const char req[] = "{\"id\":7,\"cmd\":\"x\"}\n";
	char buf[64 * 1024];
	size_t n = 0;
	int fd;

	(void)state;
	fd = flows_hold_the_budget(w);
	while (n + sizeof(req) - 1 <= sizeof(buf)) {
		memcpy(buf + n, req, sizeof(req) - 1);
		n += sizeof(req) - 1;
	}
	for (int r = 0; r < 8; r++) {
		for (size_t off = 0; off < n;) {
			ssize_t k = send(fd, buf + off, n - off, MSG_DONTWAIT);

			if (k > 0)
				off += (size_t)k;
			else
				break; /* the daemon no longer reads */
			spin(w, 2);
		}
		spin(w, 2);
	}
	assert_true(stats(w).queue_bytes <= SRV_REPLY_ROOM + 256 * 1024);
	new_flow(w, 1000, 5.0);
	assert_flows_kept(w, 321);
	sw_done(w, fd);
}

/* One write of a thousand requests whose replies are 100 kB each: the
 * daemon takes them one at a time as the client reads (before: all were
 * answered at once, 100 MB queued past every limit). */
static void test_request_burst_waits(void **state)
{
	struct srv_world *w = malloc(sizeof(*w));
	static const char req[] = "{\"id\":1,\"cmd\":\"flows\"}\n";
	char *burst = malloc(1000 * (sizeof(req) - 1)), buf[65536];
	size_t got = 0, lines = 0;
	int fd;

	(void)state;
	sw_init(w, 64 << 20);
	fd = connect_client(w, 0);
	for (int i = 0; i < 1000; i++)
		memcpy(burst + i * (sizeof(req) - 1), req, sizeof(req) - 1);
	assert_int_equal(send(fd, burst, 1000 * (sizeof(req) - 1), 0),
			 1000 * (sizeof(req) - 1));
	spin(w, 20);
	/* replies up to the client's limit (a queue doubles as it grows) */
	assert_true(stats(w).queue_bytes <= 2 * SRV_QUEUE_BYTES);
	/* reading, it gets every reply, in order, whole */
	for (int r = 0; r < 20000 && lines < 1001; r++) {
		ssize_t k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		for (ssize_t i = 0; i < k; i++)
			lines += buf[i] == '\n';
		got += k > 0 ? (size_t)k : 0;
		assert_true(stats(w).queue_bytes <= 2 * SRV_QUEUE_BYTES);
		spin(w, 1);
	}
	assert_int_equal(lines, 1001); /* the hello and 1000 replies */
	assert_true(got > 1000 * 100000);
	free(burst);
	sw_done(w, fd);
}

/* Connections come first: a stalled subscriber holds queue memory, then
 * new connections need it; the queue's events are dropped (counted, and
 * reported to it as lost) and no connection is evicted. */
static void test_flows_take_memory_back(void **state)
{
	struct srv_world *w = malloc(sizeof(*w));
	uint64_t queued;
	int fd, i;

	(void)state;
	fd = stalled_subscriber(w, 4 << 20, 12000);
	queued = stats(w).queue_bytes;
	assert_true(queued >= 1 << 20);
	for (i = 1; i < 4000 && !stats(w).budget_shed; i++)
		new_flow(w, i, 3.0 + i * 1e-4);
	assert_true(stats(w).budget_shed > 0);
	assert_true(stats(w).queue_bytes < queued);
	assert_flows_kept(w, (uint64_t)i);
	sw_done(w, fd);
}

/* A subscriber with a backlog shuts down its sending side: the daemon
 * keeps writing to it without spinning on the end of its input (before:
 * a level-triggered EPOLLIN ran the loop flat out). */
static void test_half_closed_backlog_no_spin(void **state)
{
	struct srv_world *w = malloc(sizeof(*w));
	struct rusage r0, r1;
	double used;
	int fd;

	(void)state;
	fd = stalled_subscriber(w, 256 << 20, 2000);
	assert_true(stats(w).queue_bytes > 0);
	shutdown(fd, SHUT_WR);
	getrusage(RUSAGE_SELF, &r0);
	spin(w, 300);
	getrusage(RUSAGE_SELF, &r1);
	used = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) +
	       (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
	       (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
	       (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
	assert_true(used < 0.1);
	assert_int_equal(stats(w).clients, 1);
	/* it reads everything, then the daemon closes */
	{
		char buf[65536];
		ssize_t k;
		int rounds = 0;

		while (rounds++ < 10000) {
			k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (k == 0)
				break;
			spin(w, 1);
		}
		assert_int_equal(k, 0);
	}
	assert_int_equal(stats(w).clients, 0);
	close(fd);
	sw_free(w);
	free(w);
}

/* Reply N on flow 0, its number in the text: "250-n=000042 ...". */
static void numbered_reply(struct srv_world *w, int n)
{
	char r[96];

	snprintf(r, sizeof(r), "250-n=%06d a numbered reply line, long "
		 "enough to fill a queue xxxxxxxx\r\n", n);
	reply_line(w, 0, 2.0, r);
}

/* What a subscriber read: every line whole, the numbered replies in
 * increasing order; returns how many, *lost the counts of 'lost' lines. */
static int check_stream(const char *p, size_t len, int *last, int *lost)
{
	int count = 0;

	while (len) {
		const char *e = memchr(p, '\n', len);
		const char *m;
		size_t n;

		assert_non_null(e);
		n = (size_t)(e - p);
		assert_true(n > 2 && p[0] == '{' && p[n - 1] == '}');
		m = memmem(p, n, "\"n=", 3);
		if (m) {
			int v = atoi(m + 3);

			assert_true(v > *last);
			*last = v;
			count++;
		} else if ((m = memmem(p, n, "\"event\":\"lost\"", 14))) {
			m = memmem(p, n, "\"count\":", 8);
			assert_non_null(m);
			*lost += atoi(m + 8);
		}
		p += n + 1;
		len -= n + 1;
	}
	return count;
}

/* Read what is there, a little at a time, into B at *got. */
static void read_some(int fd, char *b, size_t cap, size_t *got, size_t max)
{
	ssize_t k = recv(fd, b + *got, cap - *got < max ? cap - *got : max,
			 MSG_DONTWAIT);

	if (k > 0)
		*got += (size_t)k;
}

/* Read until the line of reply LAST is in, whole. */
static void read_all(struct srv_world *w, int fd, char *b, size_t cap,
		     size_t *got, int last)
{
	char mark[16];

	snprintf(mark, sizeof(mark), "n=%06d", last);
	for (int r = 0; r < 3000; r++) {
		read_some(fd, b, cap, got, 65536);
		if (*got && b[*got - 1] == '\n' && memmem(b, *got, mark, 8))
			return;
		spin(w, 0);
	}
	fail_msg("reply %d never came", last);
}

/* A subscriber that reads less than it is sent, a few KB at a time, while
 * more events are queued behind what it has not read: it gets every
 * event once, in order, whole (the daemon's queue keeps what was sent at
 * its front and moves the rest down only when it needs the room). */
static void test_slow_reader_gets_every_event_once(void **state)
{
	struct srv_world *w = malloc(sizeof(*w));
	const size_t cap = 16 << 20;
	char *b = malloc(cap);
	size_t got = 0;
	int fd, n = 0, last = -1, lost = 0;

	(void)state;
	sw_init(w, 256 << 20);
	new_flow(w, 0, 1.0);
	fd = connect_client(w, 4096);
	subscribe(w, fd);
	for (int round = 0; round < 200; round++) { /* 3 MB, under the limit */
		for (int i = 0; i < 60; i++)
			numbered_reply(w, n++);
		spin(w, 1);
		read_some(fd, b, cap, &got, 3000);
	}
	read_all(w, fd, b, cap, &got, n - 1);
	assert_int_equal(check_stream(b, got, &last, &lost), n);
	assert_int_equal(lost, 0);
	assert_int_equal(stats(w).events_dropped, 0);
	free(b);
	sw_done(w, fd);
}

/* The same reader's queue is shed (the connections need the memory)
 * after it has read part of it: the line it was in the middle of stays
 * whole, the dropped events are reported as lost, and it gets the
 * rest in order. */
static void test_shed_after_partial_read(void **state)
{
	struct srv_world *w = malloc(sizeof(*w));
	const size_t cap = 16 << 20;
	char *b = malloc(cap);
	size_t got = 0;
	int fd, n = 0, last = -1, lost = 0, count;

	(void)state;
	sw_init(w, 256 << 20);
	new_flow(w, 0, 1.0);
	fd = connect_client(w, 4096);
	subscribe(w, fd);
	for (int i = 0; i < 5000; i++)
		numbered_reply(w, n++);
	spin(w, 1);
	for (int r = 0; r < 20; r++) {
		read_some(fd, b, cap, &got, 16384);
		spin(w, 1);
	}
	assert_true(srv_shed_queues(w->srv, 1 << 30) > 0);
	/* what was left is read; then 'lost', then what came after */
	for (int r = 0; r < 50; r++) {
		read_some(fd, b, cap, &got, 65536);
		spin(w, 1);
	}
	for (int i = 0; i < 100; i++)
		numbered_reply(w, n++);
	read_all(w, fd, b, cap, &got, n - 1);
	count = check_stream(b, got, &last, &lost);
	assert_int_equal(last, n - 1);
	assert_true(lost > 0);
	assert_int_equal(count + lost, n);
	free(b);
	sw_done(w, fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalled_subscriber_leaves_flows),
		cmocka_unit_test(test_unread_replies_are_not_read),
		cmocka_unit_test(test_request_burst_waits),
		cmocka_unit_test(test_flows_take_memory_back),
		cmocka_unit_test(test_half_closed_backlog_no_spin),
		cmocka_unit_test(test_slow_reader_gets_every_event_once),
		cmocka_unit_test(test_shed_after_partial_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
