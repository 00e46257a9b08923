/* SPDX-License-Identifier: BSD-3-Clause */
/* pcap_live.h - the comparison path: libpcap live capture with a port
 * filter, feeding the same decoder and flow table as everything else.
 * Owns its pcap handle; never touches BPF maps. */
#ifndef MAILTAP_PCAP_LIVE_H
#define MAILTAP_PCAP_LIVE_H

#include <stdint.h>

#include "capture/decode.h"
#include "capture/segment.h"
#include "daemon/config.h"

struct pcap_live;

int pcap_live_open(struct pcap_live **out, const struct mt_config *cfg,
		   segment_cb cb, void *arg, char *err, size_t errlen);
int pcap_live_fd(const struct pcap_live *p);
/* Read what is waiting. Returns packets handled or -errno. */
int pcap_live_dispatch(struct pcap_live *p);
/* Packets the kernel dropped for us so far (pcap_stats ps_drop). */
uint64_t pcap_live_drops(struct pcap_live *p);
const struct decode_stats *pcap_live_decode_stats(const struct pcap_live *p);
void pcap_live_close(struct pcap_live **p);

#endif
