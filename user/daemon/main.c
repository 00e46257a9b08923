// SPDX-License-Identifier: BSD-3-Clause
/* main.c - mailtapd: parse options, wire capture -> flow -> analyzers ->
 * bus -> sinks, run. Owns the start-up order; no analysis happens here. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "capture/pcap_source.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "flow/flow.h"

static volatile bool stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = true;
}

static void tick(void *arg, double now)
{
	flow_table_advance(arg, now);
}

/* --syslog: everything mailtapd says on stderr goes to syslog instead. */
static ssize_t syslog_write(void *cookie, const char *buf, size_t size)
{
	size_t n = size;

	(void)cookie;
	while (n && buf[n - 1] == '\n')
		n--;
	if (n)
		syslog(LOG_INFO, "%.*s", (int)n, buf);
	return (ssize_t)size;
}

static void use_syslog(void)
{
	cookie_io_functions_t io = { .write = syslog_write };
	FILE *f;

	openlog("mailtapd", LOG_PID, LOG_DAEMON);
	f = fopencookie(NULL, "w", io);
	if (!f)
		return;
	setvbuf(f, NULL, _IOLBF, 0);
	stderr = f;
}

static int run_offline(struct daemon *d)
{
	struct pcap_source_stats st;
	char err[512] = "";
	int rc;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = pcap_source_run(d->cfg.read_file, flow_table_segment, tick,
			     flow_table_release, d->ft, &st, &stop_flag, err,
			     sizeof(err));
	if (rc)
		fprintf(stderr, "mailtapd: %s\n", err);
	if (st.last_ts)
		flow_table_advance(d->ft, st.last_ts);
	flow_table_close_all(d->ft);
	if (d->cfg.verbose) {
		const struct flow_stats *fs = flow_table_stats(d->ft);

		fprintf(stderr,
			"mailtapd: %llu packets (%llu tcp), %llu connections, "
			"%llu gap bytes, %.3f s of capture\n",
			(unsigned long long)st.dec.packets,
			(unsigned long long)st.dec.result[DEC_OK],
			(unsigned long long)fs->created,
			(unsigned long long)fs->gap_bytes,
			st.last_ts - st.first_ts);
	}
	/* A capture cut short still yields what was read: not fatal when
	 * something was read at all. */
	return rc && !st.dec.packets ? rc : 0;
}

int main(int argc, char **argv)
{
	struct daemon d;
	int err;

	memset(&d, 0, sizeof(d));
	config_defaults(&d.cfg);
	err = config_parse_args(&d.cfg, argc, argv);
	if (err) {
		config_free(&d.cfg);
		return err > 0 ? 0 : 2;
	}
	if (d.cfg.syslog)
		use_syslog();
	err = daemon_setup(&d);
	if (err) {
		daemon_teardown(&d);
		config_free(&d.cfg);
		return 1;
	}
	if (d.cfg.read_file)
		err = run_offline(&d);
	else
		err = daemon_run_live(&d);
	daemon_teardown(&d);
	config_free(&d.cfg);
	return err ? 1 : 0;
}
