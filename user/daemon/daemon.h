/* SPDX-License-Identifier: BSD-3-Clause */
/* daemon.h - the one struct that holds mailtapd's state (no globals but
 * the signal flag), and the steps main() runs: setup, run, teardown. */
#ifndef MAILTAP_DAEMON_H
#define MAILTAP_DAEMON_H

#include "daemon/config.h"
#include "event/bus.h"

struct flow_table;
struct event_file;
struct log_writer;
struct weird_log;
struct smtp_log;
struct files_log;
struct pop3_log;
struct loop;
struct live;
struct pcap_live;
struct srv;

struct daemon {
	struct mt_config cfg;
	struct bus bus;
	struct flow_table *ft;
	struct event_file *events;
	struct log_writer *logs;
	struct weird_log *weirds;
	struct smtp_log *smtp_log;
	struct files_log *files_log;
	struct pop3_log *pop3_log;
	struct loop *loop;
	struct live *live;
	struct pcap_live *plive;
	struct srv *srv;
	double start_wall;
	uint64_t ring_full_seen;
	int drain_timer; /* loop timer id while connections are open, or 0 */
	bool drain_last; /* polling is off: the timer drains once more */
};

/* Build the pipeline (sinks first, then the flow table). Logs errors. */
int daemon_setup(struct daemon *d);
/* Live capture until SIGINT/SIGTERM. */
int daemon_run_live(struct daemon *d);
/* Flush and free everything; safe after a failed setup. */
void daemon_teardown(struct daemon *d);

#endif
