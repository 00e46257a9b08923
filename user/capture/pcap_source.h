/* SPDX-License-Identifier: BSD-3-Clause */
/* pcap_source.h - the offline capture source: pcap and pcapng files
 * through libpcap, gzip-compressed ones through zlib, '-' for stdin.
 * Owns the file; hands every TCP segment to a segment_cb. */
#ifndef MAILTAP_PCAP_SOURCE_H
#define MAILTAP_PCAP_SOURCE_H

#include <stdbool.h>

#include "capture/decode.h"
#include "capture/segment.h"

struct pcap_source_stats {
	struct decode_stats dec;
	uint64_t bytes;     /* captured bytes read */
	double first_ts;
	double last_ts;
};

/* Called between packets with the capture time (for timeouts). */
typedef void (*pcap_tick_cb)(void *arg, double now);

/* Called when payloads handed on with segment.lent set are about to go
 * away (the part of the file they are in is unmapped). */
typedef void (*pcap_release_cb)(void *arg);

/* Read PATH to the end. Returns 0, or -errno / -EINVAL (not a capture)
 * with a message in err (errlen bytes). *stop may be set by the callbacks
 * (or a signal handler) to end early. With a release callback, payloads
 * read from a plain pcap file are lent (segment.lent) until it is called;
 * without one (NULL), each is valid only during its segment_cb. */
int pcap_source_run(const char *path, segment_cb cb, pcap_tick_cb tick,
		    pcap_release_cb release, void *arg,
		    struct pcap_source_stats *st, volatile bool *stop,
		    char *err, size_t errlen);

#endif
