// SPDX-License-Identifier: BSD-3-Clause
/* daemon.c - assembling mailtapd: the sinks in their required order, the
 * flow table, and (live) the loop. Owns start-up and shutdown order. */
#include "daemon/daemon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sink/event_file.h"
#include "flow/flow.h"

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
}
