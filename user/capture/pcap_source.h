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

/* Read PATH to the end. Returns 0, or -errno / -EINVAL (not a capture)
 * with a message in err (errlen bytes). *stop may be set by the callbacks
 * (or a signal handler) to end early. */
int pcap_source_run(const char *path, segment_cb cb, pcap_tick_cb tick,
		    void *arg, struct pcap_source_stats *st,
		    volatile bool *stop, char *err, size_t errlen);

#endif
