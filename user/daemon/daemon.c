// SPDX-License-Identifier: BSD-3-Clause
/* daemon.c - assembling mailtapd: the sinks in their required order, the
 * flow table, and (live) the loop. Owns start-up and shutdown order. */
#include "daemon/daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/live.h"
#include "daemon/loop.h"
#include "daemon/privs.h"
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
	if (!cfg->no_logs && mkdir(cfg->log_dir, 0750) && errno != EEXIST) {
		fprintf(stderr, "mailtapd: %s: %s\n", cfg->log_dir,
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

/* --- live ---------------------------------------------------------------- */

static void on_ring(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct daemon *d = arg;

	(void)l;
	(void)fd;
	(void)events;
	live_consume(d->live);
}

static void on_signal(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (d->logs)
				log_writer_reopen(d->logs);
			if (d->events)
				event_file_flush(d->events);
			fprintf(stderr, "mailtapd: SIGHUP: logs reopened\n");
		} else {
			loop_stop(l);
		}
	}
}

static void emit_lost(struct daemon *d, const char *source, uint64_t n)
{
	struct event ev = { .type = EV_lost, .redact_from = EV_NO_REDACT };

	ev.ts = (double)time(NULL);
	ev.lost.source = source;
	ev.lost.count = n;
	bus_emit(&d->bus, &ev);
}

/* Every second: time moves on for flows, losses become events, files are
 * flushed, vanished interfaces are looked for. */
static void on_tick(struct loop *l, void *arg)
{
	struct daemon *d = arg;
	struct live_counters c;
	struct timespec ts;

	(void)l;
	clock_gettime(CLOCK_REALTIME, &ts);
	live_consume(d->live);
	flow_table_advance(d->ft, (double)ts.tv_sec + ts.tv_nsec / 1e9);
	if (live_counters(d->live, &c) == 0) {
		uint64_t full = c.kernel[MT_CNT_RING_FULL];

		if (full > d->ring_full_seen)
			emit_lost(d, "ring", full - d->ring_full_seen);
		d->ring_full_seen = full;
	}
	live_reattach(d->live);
	if (d->events)
		event_file_flush(d->events);
	bus_flush(&d->bus);
}

static void bypass_flow(void *arg, const struct conn_info *c, bool add)
{
	struct daemon *d = arg;

	if (d->live)
		live_bypass(d->live, c, add);
}

static int write_pid(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	return 0;
}

int daemon_run_live(struct daemon *d)
{
	struct privs_target who;
	sigset_t mask;
	int err, sfd;

	if (d->cfg.pcap_live) {
		fprintf(stderr, "mailtapd: --pcap-live: not built in this version\n");
		return -ENOTSUP;
	}
	err = privs_lookup(d->cfg.user, &who);
	if (err) {
		fprintf(stderr, "mailtapd: user %s: no such user\n", d->cfg.user);
		return err;
	}
	err = loop_new(&d->loop);
	if (err)
		return err;
	/* A daemon started in the background by a shell inherits SIGINT as
	 * ignored: take the signals back before routing them to signalfd. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		return -errno;
	/* The privileged part, in this order: load, attach, open the ring
	 * consumer (live_open does all three), then drop privileges before
	 * the first untrusted byte is parsed. */
	err = live_open(&d->live, &d->cfg, flow_table_segment, d->ft);
	if (err) {
		close(sfd);
		return err;
	}
	flow_table_set_bypass_cb(d->ft, bypass_flow, d);
	if (d->cfg.pid_file)
		write_pid(d->cfg.pid_file);
	err = privs_drop(&who, false);
	if (err) {
		fprintf(stderr, "mailtapd: dropping privileges: %s\n",
			strerror(-err));
		goto out;
	}
	if (d->cfg.verbose) {
		char desc[256];

		privs_describe(desc, sizeof(desc));
		fprintf(stderr, "mailtapd: capturing (%s)\n", desc);
	}
	err = loop_add_fd(d->loop, live_fd(d->live), EPOLLIN, on_ring, d);
	if (!err)
		err = loop_add_fd(d->loop, sfd, EPOLLIN, on_signal, d);
	if (!err)
		err = loop_add_timer(d->loop, 1000, on_tick, d) < 0 ? -ENOSPC : 0;
	if (!err)
		err = loop_run(d->loop);
out:
	/* drain what is left, account for losses, then end every flow */
	live_consume(d->live);
	{
		struct live_counters c;

		if (live_counters(d->live, &c) == 0) {
			uint64_t full = c.kernel[MT_CNT_RING_FULL];

			if (full > d->ring_full_seen)
				emit_lost(d, "ring", full - d->ring_full_seen);
			if (d->cfg.verbose)
				fprintf(stderr,
					"mailtapd: kernel: %llu seen, %llu matched, %llu records (%llu bytes), %llu ring full, %llu bypassed; ring high water %llu of %llu bytes\n",
					(unsigned long long)c.kernel[MT_CNT_SEEN],
					(unsigned long long)c.kernel[MT_CNT_MATCHED],
					(unsigned long long)c.kernel[MT_CNT_RECORDS],
					(unsigned long long)c.kernel[MT_CNT_RECORD_BYTES],
					(unsigned long long)full,
					(unsigned long long)c.kernel[MT_CNT_BYPASS_BYTES],
					(unsigned long long)c.ring_high_water,
					(unsigned long long)c.ring_size);
		}
	}
	flow_table_close_all(d->ft);
	live_close(&d->live);
	close(sfd);
	if (d->cfg.pid_file)
		unlink(d->cfg.pid_file);
	return err;
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
	loop_free(&d->loop);
}
