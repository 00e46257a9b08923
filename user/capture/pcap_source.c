// SPDX-License-Identifier: BSD-3-Clause
/* pcap_source.c - offline captures: libpcap for pcap/pcapng, zlib for .gz
 * (detected by magic, not by name), stdin for '-'. Owns the FILE and the
 * pcap handle; memory stays flat however large the capture is. */
#include "capture/pcap_source.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <fcntl.h>
#include <unistd.h>

static ssize_t gz_read(void *cookie, char *buf, size_t size)
{
	int n = gzread((gzFile)cookie, buf, size > 1u << 30 ? 1u << 30 :
								(unsigned)size);

	return n < 0 ? -1 : n;
}

static int gz_close(void *cookie)
{
	return gzclose((gzFile)cookie) == Z_OK ? 0 : -1;
}

/* Open PATH ('-' = stdin) as a FILE that yields uncompressed bytes;
 * *vbuf is its buffer, to be freed after the FILE is closed. */
static FILE *open_input(const char *path, char **vbuf, char *err,
			size_t errlen)
{
	cookie_io_functions_t io = { .read = gz_read, .close = gz_close };
	unsigned char magic[2];
	gzFile gz;
	int fd;

	fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* A regular file that is not gzip is read directly: zlib would pass
	 * it through, but with one more copy of every byte. Anything else
	 * (stdin, a pipe) goes through zlib, which needs no peeking. */
	if (pread(fd, magic, 2, 0) == 2 && (magic[0] != 0x1f || magic[1] != 0x8b)) {
		FILE *f = fdopen(fd, "rb");

		if (!f) {
			close(fd);
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return NULL;
		}
		/* glibc ignores the size unless given the buffer too */
		*vbuf = malloc(1 << 20);
		if (*vbuf)
			setvbuf(f, *vbuf, _IOFBF, 1 << 20);
		return f;
	}
	gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		snprintf(err, errlen, "%s: cannot open", path);
		return NULL;
	}
	gzbuffer(gz, 256 * 1024);
	return fopencookie(gz, "r", io);
}

int pcap_source_run(const char *path, segment_cb cb, pcap_tick_cb tick,
		    void *arg, struct pcap_source_stats *st,
		    volatile bool *stop, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	char *vbuf = NULL;
	struct pcap_pkthdr *h;
	const u_char *data;
	FILE *f;
	pcap_t *p;
	int linktype, rc, ret = 0;
	double last_tick = 0;

	memset(st, 0, sizeof(*st));
	f = open_input(path, &vbuf, err, errlen);
	if (!f)
		return -errno ? -errno : -EIO;
	p = pcap_fopen_offline_with_tstamp_precision(
		f, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!p) {
		fclose(f);
		free(vbuf);
		snprintf(err, errlen, "%s: %s", path, perr);
		return -EINVAL;
	}
	linktype = pcap_datalink(p);
	while (!(stop && *stop) && (rc = pcap_next_ex(p, &h, &data)) == 1) {
		struct segment seg;
		double ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e9;
		enum decode_result r;

		st->dec.packets++;
		st->bytes += h->caplen;
		if (!st->first_ts)
			st->first_ts = ts;
		st->last_ts = ts;
		if (tick && ts - last_tick >= 1.0) {
			tick(arg, ts);
			last_tick = ts;
		}
		r = decode_packet(linktype, data, h->caplen, h->len, ts, &seg);
		st->dec.result[r]++;
		if (r != DEC_OK)
			continue;
		if (seg.cap_len < seg.payload_len)
			st->dec.payload_truncated++;
		seg.source = SEG_SRC_PCAP;
		cb(arg, &seg);
	}
	if (!(stop && *stop) && rc == PCAP_ERROR) {
		/* A capture cut short (truncated file) still counts what was
		 * read; report the error. */
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(p));
		ret = -EIO;
	}
	pcap_close(p); /* closes f too */
	free(vbuf);
	return ret;
}
