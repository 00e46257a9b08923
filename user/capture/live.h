/* SPDX-License-Identifier: BSD-3-Clause */
/* live.h - the live capture source: loads the BPF object, attaches it
 * (tc clsact ingress+egress, or an AF_PACKET socket filter), consumes the
 * ring buffer into segments, and manages the port and bypass maps.
 * Owns every BPF object, link and attachment it creates; detaches exactly
 * those on close. */
#ifndef MAILTAP_LIVE_H
#define MAILTAP_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/segment.h"
#include "daemon/config.h"
#include "flow/conn.h"
#include "mailtap/abi.h"

struct live;

struct live_counters {
	uint64_t kernel[MT_CNT__MAX]; /* summed over CPUs */
	uint64_t records;             /* consumed by user space */
	uint64_t bad_records;         /* wrong version or size */
	uint64_t ring_size;
	uint64_t ring_used;           /* bytes not yet consumed, now */
	uint64_t ring_high_water;     /* the most seen (sampled) */
	uint64_t bypass_entries;
};

/* Load, attach to cfg->ifaces in cfg->attach mode, open the ring. */
int live_open(struct live **out, const struct mt_config *cfg, segment_cb cb,
	      void *arg);
/* The ring buffer's epoll fd: readable when records wait. */
int live_fd(const struct live *l);
/* Consume every waiting record (calls cb per segment). Returns the number
 * of records or -errno. */
int live_consume(struct live *l);
/* The caller polls the ring on a timer (on) or waits for wakeups (off):
 * while it polls, records wake it only in batches (ring-wake-bytes).
 * After turning it off, consume once more: records held back before the
 * change may be waiting. */
void live_set_polling(struct live *l, bool on);
int live_set_port(struct live *l, uint16_t port, int proto);
int live_del_port(struct live *l, uint16_t port);
/* mode 0: forget the flow; 1: stop its payload in the kernel (both
 * directions); 2: stop only what the originator sends. */
int live_bypass(struct live *l, const struct conn_info *c, int mode);
int live_counters(struct live *l, struct live_counters *out);
/* For `mailtap prog show`: program ids, map ids, attachments. */
struct live_obj {
	uint32_t id;
	char name[32];
};

struct live_prog_info {
	unsigned int n_progs;
	struct live_obj progs[3];
	unsigned int n_maps;
	struct live_obj maps[5];
	unsigned int n_attach;
	struct {
		char ifname[32];
		char how[32];
	} attach[32];
};
int live_prog_info(struct live *l, struct live_prog_info *out);
/* Wall-clock seconds for a kernel (CLOCK_MONOTONIC) timestamp. */
double live_wallclock(struct live *l, uint64_t ts_ns);
/* Re-attach interfaces that came back (name known, not attached). */
int live_reattach(struct live *l);
/* Detach what we attached, free everything. NULL-safe; resets *l. */
void live_close(struct live **l);

#endif
