// SPDX-License-Identifier: BSD-3-Clause
/* daemon.c - assembling mailtapd: the sinks in their required order, the
 * flow table, and (live) the loop. Owns start-up and shutdown order. */
#include "daemon/daemon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "flow/flow.h"
#include "sink/event_file.h"
#include "sink/files_log.h"
#include "sink/log_writer.h"
#include "sink/pop3_log.h"
#include "sink/smtp_log.h"
#include "sink/weird_log.h"

int daemon_setup(struct daemon *d)
{
	struct mt_config *cfg = &d->cfg;
	int err;

	bus_init(&d->bus);
	d->start_wall = (double)time(NULL);
	if (cfg->dump_streams && mkdir(cfg->dump_streams, 0755) &&
	    errno != EEXIST) {
		fprintf(stderr, "mailtapd: %s: %s\n", cfg->dump_streams,
			strerror(errno));
		return -errno;
	}
	if (cfg->events_file) {
		err = event_file_new(&d->events, cfg, &d->bus);
		if (err) {
			fprintf(stderr, "mailtapd: %s: %s\n", cfg->events_file,
				strerror(-err));
			return err;
		}
	}
	/* Log builders first (they emit rows and weirds), then the writer.
	 * files_log tells smtp_log about new files synchronously, so their
	 * relative order does not matter. */
	err = files_log_new(&d->files_log, cfg, &d->bus);
	if (!err)
		err = bus_add(&d->bus, files_log_sink(d->files_log));
	if (!err)
		err = smtp_log_new(&d->smtp_log, cfg, &d->bus, d->files_log);
	if (!err)
		err = bus_add(&d->bus, smtp_log_sink(d->smtp_log));
	if (!err)
		err = pop3_log_new(&d->pop3_log, cfg, &d->bus, d->files_log);
	if (!err)
		err = bus_add(&d->bus, pop3_log_sink(d->pop3_log));
	if (!err)
		err = weird_log_new(&d->weirds, cfg, &d->bus);
	if (!err)
		err = bus_add(&d->bus, weird_log_sink(d->weirds));
	if (!err && !cfg->no_logs) {
		err = log_writer_new(&d->logs, cfg, &d->bus);
		if (!err)
			err = bus_add(&d->bus, log_writer_sink(d->logs));
	}
	if (err) {
		fprintf(stderr, "mailtapd: logs: %s\n", strerror(-err));
		return err;
	}
	err = flow_table_new(&d->ft, cfg, &d->bus);
	if (err) {
		fprintf(stderr, "mailtapd: flow table: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

int daemon_run_live(struct daemon *d)
{
	(void)d;
	fprintf(stderr, "mailtapd: live capture is not built in\n");
	return -ENOTSUP;
}

void daemon_teardown(struct daemon *d)
{
	flow_table_free(&d->ft);
	bus_flush(&d->bus);
	event_file_free(&d->events);
	smtp_log_free(&d->smtp_log);
	pop3_log_free(&d->pop3_log);
	files_log_free(&d->files_log);
	weird_log_free(&d->weirds);
	log_writer_free(&d->logs);
}
