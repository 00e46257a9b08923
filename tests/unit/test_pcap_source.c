// SPDX-License-Identifier: BSD-3-Clause
/* test_pcap_source.c - offline captures read in place (a plain pcap file,
 * read a window at a time) give exactly what libpcap gives (the same bytes
 * gzip-compressed, which only libpcap reads): every segment, its time and
 * bytes, the counters, the error of a file cut short; also when libpcap
 * has to take over mid-file (a record longer than the snapshot length),
 * or from the start (a file older than version 2.4); payloads lent until
 * released.
 * tests/fuzz/fuzz_pcap checks the same on any input. */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "capture/pcap_source.h"

struct trace {
	char *text;
	size_t len, cap;
	size_t segments;
};

static void add(struct trace *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->cap - t->len < 512) {
		t->cap = t->cap ? t->cap * 2 : 1 << 16;
		t->text = realloc(t->text, t->cap);
		assert_non_null(t->text);
	}
	va_start(ap, fmt);
	n = vsnprintf(t->text + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

static void on_segment(void *arg, const struct segment *seg)
{
	struct trace *t = arg;
	uint32_t sum = 0;

	for (uint32_t i = 0; i < seg->cap_len; i++)
		sum = sum * 31 + seg->payload[i];
	add(t, "%.9f %u>%u seq %u ack %u f%x cap %u len %u sum %08x\n",
	    seg->ts, seg->sport, seg->dport, seg->seq, seg->ack, seg->flags,
	    seg->cap_len, seg->payload_len, sum);
	t->segments++;
}

static void on_tick(void *arg, double now)
{
	add(arg, "tick %.9f\n", now);
}

/* Run a file; the trace ends with the counters, return code and error. */
static void run(const char *path, struct trace *t)
{
	struct pcap_source_stats st;
	char err[256] = "";
	int rc;

	memset(t, 0, sizeof(*t));
	rc = pcap_source_run(path, on_segment, on_tick, NULL, t, &st, NULL, err,
			     sizeof(err));
	add(t, "rc %d packets %llu bytes %llu first %.9f last %.9f ok %llu "
	       "trunc %llu err '%s'\n",
	    rc, (unsigned long long)st.dec.packets,
	    (unsigned long long)st.bytes, st.first_ts, st.last_ts,
	    (unsigned long long)st.dec.result[DEC_OK],
	    (unsigned long long)st.dec.payload_truncated,
	    strchr(err, ':') ? strchr(err, ':') : err);
}

/* A capture of N Ethernet/IPv4/TCP packets with payloads of varied
 * lengths; record K (if any) longer than the snapshot length. */
static size_t build(uint8_t *out, size_t cap, bool nsec, int n, int k)
{
	uint32_t gh[6] = { nsec ? 0xa1b23c4du : 0xa1b2c3d4u, 0x00040002u, 0,
			   0, 2000, 1 };
	size_t o = sizeof(gh);

	memcpy(out, gh, sizeof(gh));
	for (int i = 0; i < n; i++) {
		uint8_t pkt[2200];
		size_t pay = (size_t)(i * 37) % 1400, len = 14 + 20 + 20 + pay;
		uint32_t rh[4] = { 1700000000u + (uint32_t)i / 3,
				   (uint32_t)i * 333331u % 1000000u, 0, 0 };

		memset(pkt, 0, sizeof(pkt));
		pkt[12] = 0x08; /* IPv4 */
		pkt[14] = 0x45;
		pkt[16] = (uint8_t)((len - 14) >> 8);
		pkt[17] = (uint8_t)(len - 14);
		pkt[22] = 64;
		pkt[23] = 6;
		memcpy(pkt + 26, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
		pkt[34] = 0x9c;
		pkt[35] = (uint8_t)i;
		pkt[36] = 0;
		pkt[37] = 25;
		pkt[41] = (uint8_t)i; /* seq */
		pkt[46] = 0x50;
		pkt[47] = 0x18; /* PSH ACK */
		for (size_t j = 0; j < pay; j++)
			pkt[54 + j] = (uint8_t)('A' + (i + j) % 26);
		if (i == k) /* over the snapshot length: libpcap's case */
			len = 2100;
		rh[2] = (uint32_t)len; /* some cut short of the wire length */
		rh[3] = (uint32_t)len + (i % 3 ? 0 : 20);
		assert_true(o + sizeof(rh) + len <= cap);
		memcpy(out + o, rh, sizeof(rh));
		memcpy(out + o + sizeof(rh), pkt, len);
		o += sizeof(rh) + len;
	}
	return o;
}

static void write_file(const char *path, const uint8_t *p, size_t n, bool gz)
{
	if (gz) {
		gzFile g = gzopen(path, "wb");

		assert_non_null(g);
		assert_int_equal(gzwrite(g, p, (unsigned)n), (int)n);
		gzclose(g);
		return;
	}
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* The same bytes read in place and through libpcap alone: equal traces. */
static void same_both_ways(const uint8_t *p, size_t n, size_t min_segments)
{
	char plain[] = "/tmp/mailtap-pcap-XXXXXX", gz[] = "/tmp/mailtap-pcapgz-XXXXXX";
	struct trace a, b;
	int fa = mkstemp(plain), fb = mkstemp(gz);

	assert_true(fa >= 0 && fb >= 0);
	close(fa);
	close(fb);
	write_file(plain, p, n, false);
	write_file(gz, p, n, true);
	run(plain, &a);
	run(gz, &b);
	if (a.len != b.len || memcmp(a.text, b.text, a.len))
		fprintf(stderr, "in place:\n%.*s\nlibpcap:\n%.*s\n", (int)a.len,
			a.text, (int)b.len, b.text);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.text, b.text, a.len);
	assert_true(a.segments >= min_segments);
	unlink(plain);
	unlink(gz);
	free(a.text);
	free(b.text);
}

static void test_in_place_as_libpcap(void **state)
{
	size_t cap = 4 << 20, n;
	uint8_t *buf = malloc(cap);

	(void)state;
	assert_non_null(buf);
	for (int nsec = 0; nsec < 2; nsec++) {
		n = build(buf, cap, nsec, 300, -1);
		same_both_ways(buf, n, 300);
		/* cut short in a record's data, and in a record header */
		same_both_ways(buf, n - 100, 299);
		same_both_ways(buf, n - (n - 24) / 2, 100);
		same_both_ways(buf, 24 + 10, 0);
		/* versions before 2.4 (lengths swapped): libpcap's alone */
		for (uint8_t minor = 0; minor < 4; minor++) {
			buf[6] = minor;
			same_both_ways(buf, n - 100, 0);
		}
		buf[6] = 4;
		/* a record over the snapshot length: libpcap from there on */
		n = build(buf, cap, nsec, 300, 150);
		same_both_ways(buf, n, 150);
	}
	free(buf);
}

/* A file cut short while it is read (a writer truncating it): no fault,
 * the packets up to the cut, and libpcap's error for a cut file; also
 * when the cut is in the part of the file the reader has mapped. */
struct cutter {
	struct trace t;
	const char *path;
	size_t at_segment;
	off_t to;
};

static void cut_on_segment(void *arg, const struct segment *seg)
{
	struct cutter *c = arg;

	on_segment(&c->t, seg);
	if (c->t.segments == c->at_segment)
		assert_int_equal(truncate(c->path, c->to), 0);
}

static void test_file_cut_while_read(void **state)
{
	char path[] = "/tmp/mailtap-pcapcut-XXXXXX";
	size_t cap = 16 << 20, n;
	uint8_t *buf = malloc(cap);
	struct pcap_source_stats st;
	struct cutter c = { .path = path };
	char err[256] = "";
	int fd = mkstemp(path), rc;

	(void)state;
	assert_non_null(buf);
	assert_true(fd >= 0);
	close(fd);
	n = build(buf, cap, false, 12000, -1); /* ~8 MiB */
	assert_true(n > (6u << 20));
	write_file(path, buf, n, false);
	c.at_segment = 1500; /* about 1 MiB in */
	c.to = (off_t)(n / 2);
	rc = pcap_source_run(path, cut_on_segment, NULL, NULL, &c, &st, NULL, err,
			     sizeof(err));
	assert_int_equal(rc, -EIO);
	assert_non_null(strstr(err, "truncated"));
	assert_true(c.t.segments > 1500 && c.t.segments < 12000);
	/* cut a few records ahead of the one being read, in the part of the
	 * file mapped now: the rest of the page the cut is in reads as zeros,
	 * the next access past it faults (SIGBUS); the reader stops at the
	 * cut, neither dying of the fault nor taking zeros for packets */
	write_file(path, buf, n, false);
	free(c.t.text);
	memset(&c.t, 0, sizeof(c.t));
	c.at_segment = 2500; /* about 1.7 MiB in, mid-window */
	c.to = 24;
	for (size_t i = 0; i < c.at_segment + 3; i++) {
		uint32_t rh[4];

		memcpy(rh, buf + c.to, sizeof(rh));
		c.to += (off_t)(sizeof(rh) + rh[2]);
	}
	c.to += 100;
	rc = pcap_source_run(path, cut_on_segment, NULL, NULL, &c, &st, NULL, err,
			     sizeof(err));
	assert_int_equal(rc, -EIO);
	assert_non_null(strstr(err, "truncated"));
	assert_true(c.t.segments >= 2500 && c.t.segments <= 2504);
	/* and nothing past the cut was read as a packet of zeros */
	assert_int_equal(st.dec.packets, c.t.segments);
	assert_true(st.last_ts > 1.7e9);
	unlink(path);
	free(c.t.text);
	free(buf);
}

/* With a release callback, the payloads of a plain file are lent: each
 * stays where it was handed on, unchanged, until the next release (a
 * window is about to be unmapped, or the end); the segments are the same as
 * without one. A gzip-compressed file lends nothing. */
struct lender {
	struct trace t;
	struct { const uint8_t *p; uint32_t len, sum; } held[20000];
	size_t nheld, releases, lent, not_lent;
};

static uint32_t sum_of(const uint8_t *p, uint32_t n)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < n; i++)
		sum = sum * 31 + p[i];
	return sum;
}

static void lent_segment(void *arg, const struct segment *seg)
{
	struct lender *l = arg;

	on_segment(&l->t, seg);
	if (!seg->lent) {
		l->not_lent++;
		return;
	}
	l->lent++;
	assert_true(l->nheld < 20000);
	l->held[l->nheld].p = seg->payload;
	l->held[l->nheld].len = seg->cap_len;
	l->held[l->nheld].sum = sum_of(seg->payload, seg->cap_len);
	l->nheld++;
}

static void lent_release(void *arg)
{
	struct lender *l = arg;

	for (size_t i = 0; i < l->nheld; i++)
		assert_int_equal(sum_of(l->held[i].p, l->held[i].len),
				 l->held[i].sum);
	l->nheld = 0;
	l->releases++;
}

static void test_lent_until_release(void **state)
{
	char plain[] = "/tmp/mailtap-pcaplent-XXXXXX";
	char gz[sizeof(plain) + 3];
	size_t cap = 16 << 20, n;
	uint8_t *buf = malloc(cap);
	struct lender *l = calloc(1, sizeof(*l));
	struct pcap_source_stats st;
	struct trace ref;
	char err[256] = "";
	int fd = mkstemp(plain);

	(void)state;
	assert_non_null(buf);
	assert_non_null(l);
	assert_true(fd >= 0);
	close(fd);
	snprintf(gz, sizeof(gz), "%s.gz", plain);
	n = build(buf, cap, false, 12000, -1); /* ~8 MiB: 2 windows */
	write_file(plain, buf, n, false);
	write_file(gz, buf, n, true);
	run(plain, &ref);
	assert_int_equal(pcap_source_run(plain, lent_segment, on_tick,
					 lent_release, l, &st, NULL, err,
					 sizeof(err)), 0);
	add(&l->t, "rc %d packets %llu bytes %llu first %.9f last %.9f "
		   "ok %llu trunc %llu err '%s'\n",
	    0, (unsigned long long)st.dec.packets,
	    (unsigned long long)st.bytes, st.first_ts, st.last_ts,
	    (unsigned long long)st.dec.result[DEC_OK],
	    (unsigned long long)st.dec.payload_truncated, "");
	assert_string_equal(l->t.text, ref.text);
	assert_int_equal(l->lent, 12000);
	assert_int_equal(l->not_lent, 0);
	assert_int_equal(l->nheld, 0);      /* released at the end */
	assert_true(l->releases >= 2);
	free(l->t.text);
	memset(l, 0, sizeof(*l));
	assert_int_equal(pcap_source_run(gz, lent_segment, NULL, lent_release,
					 l, &st, NULL, err, sizeof(err)), 0);
	assert_int_equal(l->lent, 0);
	assert_int_equal(l->not_lent, 12000);
	unlink(plain);
	unlink(gz);
	free(l->t.text);
	free(ref.text);
	free(l);
	free(buf);
}

/* The captures under tests/data, each as it is and gzip-compressed. */
static void test_data_files(void **state)
{
	static const char *files[] = { "gap", "loop", "null", "ooo-rexmit",
				       "raw", "sll", "sll2-v6", "snap",
				       "v6-qinq-wrap", "vlan" };
	size_t cap = 8 << 20;
	uint8_t *buf = malloc(cap);

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[128];
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "tests/data/%s.pcap", files[i]);
		f = fopen(path, "rb");
		if (!f) {
			fprintf(stderr, "%s: not found, skipped\n", path);
			continue;
		}
		n = fread(buf, 1, cap, f);
		fclose(f);
		same_both_ways(buf, n, 1);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_place_as_libpcap),
		cmocka_unit_test(test_data_files),
		cmocka_unit_test(test_file_cut_while_read),
		cmocka_unit_test(test_lent_until_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
