// SPDX-License-Identifier: BSD-3-Clause
/* fuzz_pcap.c - libFuzzer target for the offline capture reader, checked
 * against libpcap: the input is a capture file (an input that does not
 * start with a pcap magic gets a usec Ethernet header in front, so that
 * most runs explore records). pcap_source_run reads it from a memfd, in
 * place where it can; libpcap alone reads the same bytes (fmemopen). Both
 * must give the same packets, segments and counters, and end alike. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/pcap_source.h"

struct trace {
	uint64_t n;
	uint64_t h; /* hash of every segment seen, in order */
};

static void mix(struct trace *t, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		t->h = (t->h ^ b[i]) * 0x100000001b3ull;
}

static void on_segment(void *arg, const struct segment *seg)
{
	struct trace *t = arg;

	t->n++;
	mix(t, &seg->ts, sizeof(seg->ts));
	mix(t, &seg->seq, sizeof(seg->seq));
	mix(t, &seg->cap_len, sizeof(seg->cap_len));
	mix(t, &seg->payload_len, sizeof(seg->payload_len));
	mix(t, seg->payload, seg->cap_len);
}

/* What pcap_source_run does per packet, over libpcap alone. */
static int reference(const uint8_t *p, size_t n, struct trace *t,
		     struct pcap_source_stats *st)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	FILE *f = fmemopen((void *)p, n, "rb");
	pcap_t *pc;
	int rc, linktype;

	if (!f)
		return -ENOMEM;
	pc = pcap_fopen_offline_with_tstamp_precision(
		f, PCAP_TSTAMP_PRECISION_NANO, err);
	if (!pc) {
		fclose(f);
		return -EINVAL;
	}
	linktype = pcap_datalink(pc);
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		double ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e9;
		struct segment seg;

		st->dec.packets++;
		st->bytes += h->caplen;
		if (!st->first_ts)
			st->first_ts = ts;
		st->last_ts = ts;
		if (decode_packet(linktype, data, h->caplen, h->len, ts,
				  &seg) == DEC_OK)
			on_segment(t, &seg);
	}
	pcap_close(pc);
	return rc == PCAP_ERROR ? -EIO : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t head[6] = { 0xa1b2c3d4u, 0x00040002u, 0, 0,
					  65535, 1 };
	struct pcap_source_stats st, rst;
	struct trace a = { 0, 0 }, b = { 0, 0 };
	char path[64], err[256];
	uint32_t magic = 0;
	uint8_t *buf;
	size_t n = size;
	int fd, rc, rrc;

	if (size >= 4)
		memcpy(&magic, data, 4);
	buf = malloc(size + sizeof(head));
	if (!buf)
		return 0;
	if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du ||
	    magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) {
		memcpy(buf, data, size);
	} else {
		memcpy(buf, head, sizeof(head));
		memcpy(buf + sizeof(head), data, size);
		n += sizeof(head);
	}
	fd = memfd_create("fuzz_pcap", MFD_CLOEXEC);
	if (fd < 0 || write(fd, buf, n) != (ssize_t)n) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rc = pcap_source_run(path, on_segment, NULL, NULL, &a, &st, NULL, err,
			     sizeof(err));
	/* gzip input is zlib's and libpcap's alone: nothing to compare */
	if (!(n >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)) {
		memset(&rst, 0, sizeof(rst));
		rrc = reference(buf, n, &b, &rst);
		if (rc != rrc || a.n != b.n || a.h != b.h ||
		    st.dec.packets != rst.dec.packets || st.bytes != rst.bytes ||
		    st.first_ts != rst.first_ts || st.last_ts != rst.last_ts) {
			fprintf(stderr,
				"reader rc %d segments %llu packets %llu bytes %llu ts %.9f..%.9f\n"
				"libpcap rc %d segments %llu packets %llu bytes %llu ts %.9f..%.9f\n",
				rc, (unsigned long long)a.n,
				(unsigned long long)st.dec.packets,
				(unsigned long long)st.bytes, st.first_ts,
				st.last_ts, rrc, (unsigned long long)b.n,
				(unsigned long long)rst.dec.packets,
				(unsigned long long)rst.bytes, rst.first_ts,
				rst.last_ts);
			abort();
		}
	}
	close(fd);
	free(buf);
	return 0;
}
