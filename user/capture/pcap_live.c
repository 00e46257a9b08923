// SPDX-License-Identifier: BSD-3-Clause
/* pcap_live.c - libpcap live capture (--pcap-live IFACE), the path a user
 * would pick without mailtap's BPF program; used by `make bench` to
 * compare costs. Owns the pcap handle; filters in the kernel with a
 * classic BPF port filter. */
#include "capture/pcap_live.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pcap_live {
	pcap_t *p;
	int linktype;
	segment_cb cb;
	void *arg;
	struct decode_stats dec;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h,
		      const u_char *data)
{
	struct pcap_live *l = (struct pcap_live *)user;
	struct segment seg;
	double ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
	enum decode_result r = decode_packet(l->linktype, data, h->caplen,
					     h->len, ts, &seg);

	l->dec.packets++;
	l->dec.result[r]++;
	if (r != DEC_OK)
		return;
	seg.source = SEG_SRC_LIVE_PCAP;
	l->cb(l->arg, &seg);
}

int pcap_live_open(struct pcap_live **out, const struct mt_config *cfg,
		   segment_cb cb, void *arg, char *err, size_t errlen)
{
	struct pcap_live *l = calloc(1, sizeof(*l));
	char ebuf[PCAP_ERRBUF_SIZE] = "", filter[1024] = "tcp and (";
	struct bpf_program prog;
	size_t o = strlen(filter);

	if (!l)
		return -ENOMEM;
	l->cb = cb;
	l->arg = arg;
	l->p = pcap_create(cfg->pcap_live, ebuf);
	if (!l->p)
		goto fail;
	pcap_set_snaplen(l->p, 262144);
	pcap_set_immediate_mode(l->p, 1);
	pcap_set_buffer_size(l->p, (int)cfg->ring_size);
	if (pcap_activate(l->p) < 0) {
		snprintf(ebuf, sizeof(ebuf), "%s", pcap_geterr(l->p));
		goto fail;
	}
	for (unsigned int i = 0; i < cfg->n_smtp_ports + cfg->n_pop3_ports;
	     i++) {
		uint16_t port = i < cfg->n_smtp_ports ?
					cfg->smtp_ports[i] :
					cfg->pop3_ports[i - cfg->n_smtp_ports];

		o += (size_t)snprintf(filter + o, sizeof(filter) - o, "%sport %u",
				      i ? " or " : "", port);
	}
	snprintf(filter + o, sizeof(filter) - o, ")");
	if (pcap_compile(l->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) ||
	    pcap_setfilter(l->p, &prog)) {
		snprintf(ebuf, sizeof(ebuf), "%s", pcap_geterr(l->p));
		goto fail;
	}
	pcap_freecode(&prog);
	pcap_setnonblock(l->p, 1, ebuf);
	l->linktype = pcap_datalink(l->p);
	*out = l;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", cfg->pcap_live, ebuf);
	if (l->p)
		pcap_close(l->p);
	free(l);
	return -EINVAL;
}

int pcap_live_fd(const struct pcap_live *l)
{
	return pcap_get_selectable_fd(l->p);
}

int pcap_live_dispatch(struct pcap_live *l)
{
	int n = pcap_dispatch(l->p, -1, on_packet, (u_char *)l);

	return n < 0 ? -EIO : n;
}

uint64_t pcap_live_drops(struct pcap_live *l)
{
	struct pcap_stat st;

	return pcap_stats(l->p, &st) ? 0 : (uint64_t)st.ps_drop;
}

const struct decode_stats *pcap_live_decode_stats(const struct pcap_live *l)
{
	return &l->dec;
}

void pcap_live_close(struct pcap_live **lp)
{
	if (!lp || !*lp)
		return;
	pcap_close((*lp)->p);
	free(*lp);
	*lp = NULL;
}
