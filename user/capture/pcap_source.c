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
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
static FILE *open_input(const char *path, char **vbuf, bool *plain,
			char *err, size_t errlen)
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
		*plain = strcmp(path, "-") != 0;
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

struct reader {
	segment_cb cb;
	pcap_tick_cb tick;
	pcap_release_cb release; /* NULL: payloads are not lent */
	bool lent;               /* the payloads now handed on are */
	void *arg;
	struct pcap_source_stats *st;
	int linktype;
	double last_tick;
};

static void one_packet(struct reader *r, const uint8_t *data, uint32_t caplen,
		       uint32_t len, double ts)
{
	struct pcap_source_stats *st = r->st;
	struct segment seg;
	enum decode_result res;

	st->dec.packets++;
	st->bytes += caplen;
	if (!st->first_ts)
		st->first_ts = ts;
	st->last_ts = ts;
	if (r->tick && ts - r->last_tick >= 1.0) {
		r->tick(r->arg, ts);
		r->last_tick = ts;
	}
	res = decode_packet(r->linktype, data, caplen, len, ts, &seg);
	st->dec.result[res]++;
	if (res != DEC_OK)
		return;
	if (seg.cap_len < seg.payload_len)
		st->dec.payload_truncated++;
	seg.source = SEG_SRC_PCAP;
	seg.lent = r->lent;
	r->cb(r->arg, &seg);
}

/* A plain pcap file in this machine's byte order is mapped, a window at a
 * time, and its records are handed on from there: through stdio and
 * libpcap every byte was copied three times (read(2) into stdio's
 * buffer, then into libpcap's), a quarter of a run; read(2) into one
 * buffer still copied it once (the kernel's copy was 15 % of a run).
 * Only plain records are read so (whole, no longer than the snapshot
 * length or libpcap's 262144); at anything else, or a file that ends in
 * the middle of a record, libpcap takes over from that record on. Returns
 * the records read; *all when that was the whole file.
 * A file cut short by another process in the part that is mapped reads
 * as zeros to the end of the page the cut is in, and faults (SIGBUS)
 * after it: the handler maps zeros from the faulting page to the end of
 * the window and sets map_cut. A record header of zeros makes the reader
 * ask the file's size, so it stops at the cut without taking zeros for
 * packets, and *cut is set. (The one record the cut goes through is
 * handed on with zeros after the cut; lent bytes past a cut are copied
 * as zeros at the release, and the run ends there. Looking at the header
 * after each record before handing it on would catch that record too,
 * but cost 6 % of a run.) */
#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_VERSION_2_4 0x00040002u /* major 2, minor 4 */
#define PCAP_MAX_PLAIN 262144u
#define PCAP_WINDOW (4u << 20) /* records starting in it are read from it */

/* The window mapped now, for the SIGBUS handler (one reader at a time). */
static uint8_t *volatile map_base;
static volatile size_t map_len;
static size_t map_page; /* set before the handler is (no sysconf in it) */
static volatile sig_atomic_t map_cut;
static struct sigaction map_old; /* SIGBUS's action before read_plain */

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uint8_t *a = si->si_addr, *b = map_base;
	size_t page = map_page;

	(void)uc;
	if (si->si_code == BUS_ADRERR && b && a >= b && a < b + map_len) {
		uint8_t *from = b + (size_t)(a - b) / page * page;

		if (mmap(from, (size_t)(b + map_len - from), PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
			 0) != MAP_FAILED) {
			map_cut = 1;
			return; /* the access is made again, and reads zeros */
		}
	}
	/* not ours: as if this handler were not there (a fault is made
	 * again, into the old action; a signal sent is sent again) */
	sigaction(sig, &map_old, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

/* The captured length of the record whose header is at P; 0 when that is
 * over what read_plain takes (its caller then checks the header). */
static uint32_t rec_len(const uint8_t *p)
{
	uint32_t c;

	memcpy(&c, p + 8, sizeof(c));
	return c <= PCAP_MAX_PLAIN ? c : 0;
}

/* A part of the file, mapped. */
struct window {
	const uint8_t *base;
	size_t len;
	off_t start; /* file offset of base[0] */
	int fd;
};

/* Does the file still reach window offset END? If not, map_cut. */
static bool intact_to(const struct window *w, size_t end)
{
	struct stat sb;

	if (!map_cut &&
	    (fstat(w->fd, &sb) || sb.st_size < w->start + (off_t)end))
		map_cut = 1;
	return !map_cut;
}

/* The records of window W from offset *p on, up to PCAP_WINDOW; false
 * when libpcap is to take over at *p (a record it has to judge). */
static bool read_window(struct reader *r, const struct window *w, size_t *p,
			uint32_t snap, bool nsec, uint64_t *n,
			volatile bool *stop)
{
	const uint8_t *base = w->base;
	size_t len = w->len;

	while (!(stop && *stop) && !map_cut) {
		uint32_t rec[4];
		double ts;

		if (*p >= PCAP_WINDOW || len - *p < 16 ||
		    len - *p < 16 + (size_t)rec_len(base + *p))
			return true;
		memcpy(rec, base + *p, sizeof(rec));
		if (rec[2] > snap)
			return false;
		/* past a cut, the rest of its page reads as zeros (and the
		 * pages after it fault, into zeros): no packet of them */
		if (!(rec[0] | rec[1] | rec[2] | rec[3]) &&
		    !intact_to(w, *p + 16))
			return true;
		/* the fields are signed 32-bit numbers, as libpcap reads them */
		ts = (double)(int32_t)rec[0] +
		     (double)((int64_t)(int32_t)rec[1] * (nsec ? 1 : 1000)) /
			     1e9;
		one_packet(r, base + *p + 16, rec[2], rec[3], ts);
		*p += 16 + rec[2];
		(*n)++;
	}
	return true;
}

static uint64_t read_plain(struct reader *r, int fd, volatile bool *stop,
			   bool *all, bool *cut)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const size_t cap = PCAP_WINDOW + page + 16 + PCAP_MAX_PLAIN;
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	uint32_t hdr[6], snap;
	uint64_t n = 0;
	off_t at = 24; /* file offset of the next record */
	struct stat sb; /* the file's size: here, then after each window */
	bool nsec;

	*all = *cut = false;
	if (pread(fd, hdr, sizeof(hdr), 0) != sizeof(hdr) || fstat(fd, &sb))
		return 0;
	/* version 2.4 only: libpcap swaps the lengths of older files */
	if ((hdr[0] != PCAP_MAGIC_USEC && hdr[0] != PCAP_MAGIC_NSEC) ||
	    hdr[1] != PCAP_VERSION_2_4)
		return 0;
	nsec = hdr[0] == PCAP_MAGIC_NSEC;
	snap = hdr[4] && hdr[4] < PCAP_MAX_PLAIN ? hdr[4] : PCAP_MAX_PLAIN;
	sigemptyset(&sa.sa_mask);
	map_page = page;
	if (sigaction(SIGBUS, &sa, &map_old))
		return 0;
	map_cut = 0;
	r->lent = r->release != NULL;
	while (!(stop && *stop)) {
		off_t start = at / (off_t)page * (off_t)page;
		size_t len, p = (size_t)(at - start);
		bool whole, on;
		uint8_t *base;

		if (sb.st_size <= at) {
			*all = sb.st_size == at;
			break;
		}
		whole = (uint64_t)(sb.st_size - start) <= cap;
		len = whole ? (size_t)(sb.st_size - start) : cap;
		base = mmap(NULL, len, PROT_READ, MAP_PRIVATE,
			    fd, start);
		if (base == MAP_FAILED)
			break;
		map_len = len;
		map_base = base;
		on = read_window(r,
				 &(struct window){ .base = base, .len = len,
						   .start = start, .fd = fd },
				 &p, snap, nsec, &n, stop);
		/* what was lent from the window goes away */
		if (r->release)
			r->release(r->arg);
		map_base = NULL;
		munmap(base, len);
		if (map_cut || fstat(fd, &sb) || sb.st_size < start + (off_t)p) {
			*cut = true;
			break;
		}
		if (!on || (whole && start + (off_t)p == at))
			break; /* libpcap's from here (or a record cut short) */
		at = start + (off_t)p;
	}
	*all = *all || *cut || (stop && *stop);
	r->lent = false;
	sigaction(SIGBUS, &map_old, NULL);
	return n;
}

int pcap_source_run(const char *path, segment_cb cb, pcap_tick_cb tick,
		    pcap_release_cb release, void *arg,
		    struct pcap_source_stats *st, volatile bool *stop,
		    char *err, size_t errlen)
{
	struct reader r = { .cb = cb, .tick = tick, .release = release,
			    .arg = arg, .st = st };
	bool plain = false, all = false, cut = false;
	uint64_t taken = 0;
	char perr[PCAP_ERRBUF_SIZE] = "";
	char *vbuf = NULL;
	struct pcap_pkthdr *h;
	const u_char *data;
	FILE *f;
	pcap_t *p;
	int rc, ret = 0;

	memset(st, 0, sizeof(*st));
	f = open_input(path, &vbuf, &plain, err, errlen);
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
	/* libpcap has checked the file header and knows the link type */
	r.linktype = pcap_datalink(p);
	if (plain)
		taken = read_plain(&r, fileno(f), stop, &all, &cut);
	/* libpcap reads on after what was read here, if anything (a file
	 * cut short since is its error to report) */
	rc = 1;
	for (uint64_t i = 0; !all && i < taken && rc == 1; i++)
		rc = pcap_next_ex(p, &h, &data);
	while (!all && rc == 1 && !(stop && *stop) &&
	       (rc = pcap_next_ex(p, &h, &data)) == 1)
		one_packet(&r, data, h->caplen, h->len,
			   (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e9);
	if (cut) {
		snprintf(err, errlen, "%s: truncated while it was read", path);
		ret = -EIO;
	} else if (!(stop && *stop) && rc == PCAP_ERROR) {
		/* A capture cut short (truncated file) still counts what was
		 * read; report the error. */
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(p));
		ret = -EIO;
	}
	pcap_close(p); /* closes f too */
	free(vbuf);
	return ret;
}
