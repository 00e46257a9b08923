/* SPDX-License-Identifier: BSD-3-Clause */
/* server.h - the Unix socket: subscribers receive events as JSON lines
 * (server-side filters, bounded queues, in-band 'lost'), and the CLI asks
 * questions (status, stats, flows, ports, config). Owns the listening
 * socket and its clients; knows the daemon only through hooks. */
#ifndef MAILTAP_SERVER_H
#define MAILTAP_SERVER_H

#include <stdint.h>

#include "daemon/config.h"
#include "daemon/loop.h"
#include "event/bus.h"
#include "util/json.h"

struct srv;

/* Each hook writes one JSON value into out; returns 0 or -errno. */
struct srv_hooks {
	int (*status)(void *arg, struct jw *out);
	int (*stats)(void *arg, struct jw *out);
	int (*flows)(void *arg, const char *uid, struct jw *out);
	int (*ports)(void *arg, struct jw *out);
	int (*port_add)(void *arg, uint16_t port, int proto);
	int (*port_del)(void *arg, uint16_t port);
	int (*config)(void *arg, struct jw *out);
	void *arg;
};

struct srv_stats {
	uint64_t clients;
	uint64_t subscribers;
	uint64_t accepted;
	uint64_t events_sent;
	uint64_t events_dropped;  /* queue full, all subscribers */
	uint64_t disconnected_slow;
	uint64_t queue_bytes;      /* allocated for output queues now */
	uint64_t budget_refused;   /* events not queued: memory budget */
	uint64_t budget_shed;      /* queued events dropped: flows needed it */
};

#define SRV_MAX_CLIENTS 128
#define SRV_QUEUE_BYTES (4u << 20)
#define SRV_REPLY_ROOM (64u << 10) /* queue a client may always fill */
#define SRV_SLOW_SECONDS 30

int srv_new(struct srv **out, const struct mt_config *cfg, struct loop *loop,
	    struct bus *bus, const struct srv_hooks *hooks);
void srv_stats(const struct srv *s, struct srv_stats *out);
/* The subscribers' output queues share the global memory budget
 * (cfg->lim.mem_budget) with the connections, whose use used(arg)
 * reports. A queue grows only into what the connections leave free, and
 * the queues together take at most half of the budget: past that, events
 * are dropped for the subscriber whose queue would grow (reported to it as
 * 'lost'). */
void srv_set_mem_source(struct srv *s, uint64_t (*used)(void *arg),
			void *arg);
/* Bytes the queues hold now (allocated). */
const uint64_t *srv_queue_bytes(const struct srv *s);
/* The connections need memory the queues hold: drop queued events (not
 * replies, not a line partly sent) of the largest queues, counted as lost,
 * until WANT bytes are freed or nothing is left to drop. Returns the bytes
 * freed. */
uint64_t srv_shed_queues(struct srv *s, uint64_t want);
/* Once a second: disconnect subscribers stuck over their limit, idle
 * clients that never said anything. */
void srv_tick(struct srv *s);
void srv_free(struct srv **s);

#endif
