// SPDX-License-Identifier: BSD-3-Clause
/* test_log_writer.c - Zeek TSV values (escaping, unset/empty, sets,
 * limits) and JSON rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sink/log_writer.h"
#include "util/json.h"

static const struct log_field fields[] = {
	{ "ts", LOG_TIME },	  { "s", LOG_STRING },	 { "a", LOG_ADDR },
	{ "p", LOG_PORT },	  { "b", LOG_BOOL },	 { "set", LOG_SET_STRING },
	{ "path", LOG_VEC_ADDR }, { "unset", LOG_STRING },
};
static const struct log_schema schema = { "test", fields, 8 };

static void row(struct log_value *v, const char *s, size_t slen,
		struct ev_bytes *set, size_t nset, struct mt_addr *addrs)
{
	memset(v, 0, 8 * sizeof(*v));
	v[0] = (struct log_value){ .set = true, .t = 1254722768.219663 };
	v[1] = (struct log_value){ .set = true, .s = EV_BYTES(s, slen) };
	mt_addr_parse("2001:db8::1", &v[2].a);
	v[2].set = true;
	v[3] = (struct log_value){ .set = true, .u = 25 };
	v[4] = (struct log_value){ .set = true, .b = true };
	v[5] = (struct log_value){ .set = true, .strs = { set, nset } };
	v[6] = (struct log_value){ .set = true, .addrs = { addrs, 2 } };
}

static void test_tsv(void **state)
{
	struct mt_config cfg;
	struct log_value v[8];
	struct ev_bytes set[2] = { EV_STR("a,b"), EV_STR("c") };
	struct mt_addr addrs[2];
	unsigned int t = 0, ct = 0;
	char buf[1024];
	size_t n;

	(void)state;
	config_defaults(&cfg);
	mt_addr_parse("10.0.0.1", &addrs[0]);
	mt_addr_parse("10.0.0.2", &addrs[1]);
	row(v, "x\ty\\z\xff", 6, set, 2, addrs);
	n = log_row_tsv(buf, sizeof(buf), &schema, v, &cfg.lim, &t, &ct);
	buf[n] = '\0';
	assert_string_equal(buf, "1254722768.219663\tx\\x09y\\x5cz\\xff\t"
				 "2001:db8::1\t25\tT\ta\\x2cb,c\t"
				 "10.0.0.1,10.0.0.2\t-\n");
	/* "-" and "(empty)" strings, empty string and empty set */
	row(v, "-", 1, set, 0, addrs);
	n = log_row_tsv(buf, sizeof(buf), &schema, v, &cfg.lim, &t, &ct);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\t\\x2d\t"));
	assert_non_null(strstr(buf, "\t(empty)\t10.0.0.1"));
	row(v, "(empty)", 7, set, 1, addrs);
	n = log_row_tsv(buf, sizeof(buf), &schema, v, &cfg.lim, &t, &ct);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\t\\x28empty)\t"));
	row(v, "", 0, set, 1, addrs);
	n = log_row_tsv(buf, sizeof(buf), &schema, v, &cfg.lim, &t, &ct);
	buf[n] = '\0';
	assert_non_null(strstr(buf, ".219663\t(empty)\t"));
	/* string limit */
	cfg.lim.log_max_field_string_bytes = 4;
	row(v, "abcdefgh", 8, set, 1, addrs);
	n = log_row_tsv(buf, sizeof(buf), &schema, v, &cfg.lim, &t, &ct);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\tabcd\t"));
	assert_int_equal(t, 1);
}

static void test_json(void **state)
{
	struct log_value v[8];
	struct ev_bytes set[1] = { EV_STR("q\"r") };
	struct mt_addr addrs[2];
	struct jw w;

	(void)state;
	mt_addr_parse("10.0.0.1", &addrs[0]);
	mt_addr_parse("10.0.0.2", &addrs[1]);
	row(v, "\x01ok", 3, set, 1, addrs);
	jw_init(&w, false);
	log_row_json(&w, &schema, v);
	assert_string_equal(w.buf,
			    "{\"ts\":1254722768.219663,\"s\":\"\\\\x01ok\","
			    "\"a\":\"2001:db8::1\",\"p\":25,\"b\":true,"
			    "\"set\":[\"q\\\"r\"],\"path\":[\"10.0.0.1\","
			    "\"10.0.0.2\"]}");
	jw_free(&w);
}

/* --- the writer: a write per row live, gathered when reading a file ---- */

static size_t file_text(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n;
}

static void emit_row(struct bus *bus, struct log_value *v, const char *s,
		     size_t n, struct ev_bytes *set, struct mt_addr *addrs)
{
	struct event ev = { .type = EV_log };

	row(v, s, n, set, 1, addrs);
	ev.log.schema = &schema;
	ev.log.values = v;
	bus_emit(bus, &ev);
}

/* Live, a row is in the file as soon as it is complete. Reading a capture
 * file, rows wait (not one write(2) each) and reach the file in order:
 * around a row too long to gather, when the file is renamed away and
 * reopened (SIGHUP), and when the writer is freed. */
static void test_rows_written(void **state)
{
	static char text[1 << 21];
	char dir[] = "/tmp/mailtap-lw-XXXXXX", path[256], old[256];
	struct ev_bytes set[1] = { EV_STR("a") };
	struct mt_addr addrs[2];
	struct log_value v[8];
	struct log_writer *lw;
	struct mt_config cfg;
	struct bus bus;
	char *big = malloc(300000);

	(void)state;
	assert_non_null(big);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/test.log", dir);
	snprintf(old, sizeof(old), "%s/test.log.1", dir);
	mt_addr_parse("10.0.0.1", &addrs[0]);
	mt_addr_parse("10.0.0.2", &addrs[1]);
	memset(big, 'B', 300000);
	for (int offline = 0; offline < 2; offline++) {
		config_defaults(&cfg);
		cfg.log_dir = dir;
		cfg.lim.log_max_field_string_bytes = 400000;
		cfg.read_file = offline ? "capture.pcap" : NULL;
		bus_init(&bus);
		assert_int_equal(log_writer_new(&lw, &cfg, &bus), 0);
		assert_int_equal(bus_add(&bus, log_writer_sink(lw)), 0);
		emit_row(&bus, v, "row-one", 7, set, addrs);
		file_text(path, text, sizeof(text));
		/* live: there already; offline: not yet */
		assert_true((strstr(text, "row-one") != NULL) == !offline);
		emit_row(&bus, v, "row-two", 7, set, addrs);
		emit_row(&bus, v, big, 300000, set, addrs); /* too long */
		emit_row(&bus, v, "row-four", 8, set, addrs);
		assert_int_equal(rename(path, old), 0);
		log_writer_reopen(lw);
		emit_row(&bus, v, "row-five", 8, set, addrs);
		log_writer_free(&lw);

		file_text(old, text, sizeof(text));
		assert_non_null(strstr(text, "row-one"));
		assert_true(strstr(text, "row-one") < strstr(text, "row-two"));
		assert_true(strstr(text, "row-two") < strstr(text, "BBBB"));
		assert_true(strstr(text, "BBBB") < strstr(text, "row-four"));
		assert_true(strstr(text, "row-four") < strstr(text, "#close"));
		assert_null(strstr(text, "row-five"));
		file_text(path, text, sizeof(text));
		assert_non_null(strstr(text, "#fields"));
		assert_true(strstr(text, "#fields") < strstr(text, "row-five"));
		assert_true(strstr(text, "row-five") < strstr(text, "#close"));
		unlink(path);
		unlink(old);
	}
	rmdir(dir);
	free(big);
}

/* Byte-at-a-time references for the escapers, whose runs of plain ASCII
 * are found 16 bytes at a time. */
static size_t ref_escape(const uint8_t *p, size_t n, bool json, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		size_t l;

		if (json && (c == '"' || c == '\\')) {
			out[o++] = '\\';
			out[o++] = (char)c;
			i++;
		} else if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
			i++;
		} else if (c >= 0x80 && (l = utf8_seq_len(p + i, n - i))) {
			memcpy(out + o, p + i, l);
			o += l;
			i += l;
		} else {
			o += (size_t)sprintf(out + o, json ? "\\\\x%02x" :
							     "\\x%02x", c);
			i++;
		}
	}
	out[o] = '\0';
	return o;
}

/* Every byte value at every place of strings of 0..70 bytes, once alone
 * and once before a two-byte UTF-8 sequence: the same as byte by byte,
 * for Zeek's TSV escaping and for JSON strings. */
static void test_escape_runs(void **state)
{
	static const uint8_t probe[] = { 0, 0x1f, ' ', '"', '\\', '~', 0x7f,
					 0x80, 0xc3, 0xff };
	uint8_t in[72];
	char ref[72 * 6 + 8], got[72 * 6 + 8];

	(void)state;
	for (size_t n = 0; n <= 70; n++) {
		for (size_t at = 0; at < n; at++) {
			for (size_t b = 0; b < sizeof(probe); b++) {
				struct jw w;
				size_t r, g;

				for (size_t i = 0; i < n; i++)
					in[i] = (uint8_t)('a' + i % 26);
				in[at] = probe[b];
				if (at + 3 < n) { /* "é" after it */
					in[at + 1] = 0xc3;
					in[at + 2] = 0xa9;
				}
				r = ref_escape(in, n, false, ref);
				g = zeek_escape(in, n, got, sizeof(got));
				assert_int_equal(g, r);
				assert_string_equal(got, ref);

				r = ref_escape(in, n, true, ref);
				jw_init(&w, false);
				jw_bytes(&w, in, n);
				assert_int_equal(w.len, r + 2);
				assert_memory_equal(w.buf + 1, ref, r);
				free(w.buf);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsv),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_escape_runs),
		cmocka_unit_test(test_rows_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
