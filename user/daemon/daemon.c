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
#include "capture/pcap_live.h"
#include "control/server.h"
#include "daemon/version.h"
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

/* --- control socket hooks ------------------------------------------------ */

static void objs_json(struct jw *w, const char *key,
		      const struct live_obj *o, unsigned int n)
{
	jw_key(w, key);
	jw_arr_open(w);
	for (unsigned int i = 0; i < n; i++) {
		jw_obj_open(w);
		jw_key(w, "id");
		jw_u64(w, o[i].id);
		jw_key(w, "name");
		jw_str(w, o[i].name);
		jw_obj_close(w);
	}
	jw_arr_close(w);
}

static int h_prog(struct daemon *d, struct jw *w)
{
	struct live_prog_info pi;

	if (!d->live || live_prog_info(d->live, &pi))
		return -ENOENT;
	jw_obj_open(w);
	objs_json(w, "programs", pi.progs, pi.n_progs);
	objs_json(w, "maps", pi.maps, pi.n_maps);
	jw_key(w, "attachments");
	jw_arr_open(w);
	for (unsigned int i = 0; i < pi.n_attach; i++) {
		jw_obj_open(w);
		jw_key(w, "interface");
		jw_str(w, pi.attach[i].ifname);
		jw_key(w, "how");
		jw_str(w, pi.attach[i].how);
		jw_obj_close(w);
	}
	jw_arr_close(w);
	jw_obj_close(w);
	return 0;
}

static int h_status(void *arg, struct jw *w)
{
	struct daemon *d = arg;
	const struct flow_stats *fs = flow_table_stats(d->ft);

	jw_obj_open(w);
	jw_key(w, "version");
	jw_str(w, MAILTAP_VERSION);
	jw_key(w, "pid");
	jw_i64(w, getpid());
	jw_key(w, "uptime");
	jw_double(w, (double)time(NULL) - d->start_wall);
	jw_key(w, "mode");
	jw_str(w, d->cfg.attach == ATTACH_SOCKET ? "socket" : "tc");
	jw_key(w, "interfaces");
	jw_arr_open(w);
	for (unsigned int i = 0; i < d->cfg.n_ifaces; i++)
		jw_str(w, d->cfg.ifaces[i]);
	jw_arr_close(w);
	jw_key(w, "flows");
	jw_u64(w, fs->active);
	jw_key(w, "log_dir");
	jw_str(w, d->cfg.log_dir);
	jw_key(w, "log_format");
	jw_str(w, d->cfg.log_format == LOG_FORMAT_JSON ? "json" : "zeek");
	if (d->live) { /* what `mailtap prog show` prints */
		jw_key(w, "prog");
		h_prog(d, w);
	}
	jw_obj_close(w);
	return 0;
}

static int weird_count(void *arg, const char *name, uint64_t n)
{
	struct jw *w = arg;

	jw_key(w, name);
	jw_u64(w, n);
	return 0;
}

static int h_stats(void *arg, struct jw *w)
{
	struct daemon *d = arg;
	const struct flow_stats *fs = flow_table_stats(d->ft);
	struct live_counters c;
	struct srv_stats ss;
	static const char *const kn[MT_CNT__MAX] = {
		"seen", "matched", "records", "record_bytes", "ring_full",
		"ring_full_bytes", "load_fail", "truncated", "non_tcp",
		"non_ip", "fragments", "pure_ack", "bypass_packets",
		"bypass_bytes", "loopback_dup",
	};

	jw_obj_open(w);
	jw_key(w, "uptime");
	jw_double(w, (double)time(NULL) - d->start_wall);
	if (d->live && live_counters(d->live, &c) == 0) {
		jw_key(w, "bpf");
		jw_obj_open(w);
		for (int i = 0; i < MT_CNT__MAX; i++) {
			jw_key(w, kn[i]);
			jw_u64(w, c.kernel[i]);
		}
		jw_key(w, "ring_size");
		jw_u64(w, c.ring_size);
		jw_key(w, "ring_used");
		jw_u64(w, c.ring_used);
		jw_key(w, "ring_high_water");
		jw_u64(w, c.ring_high_water);
		jw_key(w, "bypass_entries");
		jw_u64(w, c.bypass_entries);
		jw_key(w, "records_consumed");
		jw_u64(w, c.records);
		jw_obj_close(w);
	}
	jw_key(w, "flows");
	jw_obj_open(w);
#define F(x) jw_key(w, #x); jw_u64(w, fs->x)
	F(segments); F(active); F(created); F(expired); F(evicted);
	F(evicted_mem); F(closed); F(gap_bytes); F(ooo_dropped_bytes);
	F(retrans_bytes); F(retrans_mismatch); F(partial); F(bypassed);
	F(skipped_bytes);
	F(bypassed_bytes);
	F(mem_bytes);
#undef F
	jw_obj_close(w);
	jw_key(w, "events");
	jw_obj_open(w);
	for (int t = 0; t < EV__COUNT; t++) {
		if (!d->bus.count[t])
			continue;
		jw_key(w, ev_name(t));
		jw_u64(w, d->bus.count[t]);
	}
	jw_obj_close(w);
	jw_key(w, "weirds");
	jw_obj_open(w);
	if (d->weirds)
		weird_log_counts(d->weirds, weird_count, w);
	jw_obj_close(w);
	if (d->srv) {
		srv_stats(d->srv, &ss);
		jw_key(w, "socket");
		jw_obj_open(w);
		jw_key(w, "clients");
		jw_u64(w, ss.clients);
		jw_key(w, "subscribers");
		jw_u64(w, ss.subscribers);
		jw_key(w, "events_sent");
		jw_u64(w, ss.events_sent);
		jw_key(w, "events_dropped");
		jw_u64(w, ss.events_dropped);
		jw_key(w, "disconnected_slow");
		jw_u64(w, ss.disconnected_slow);
		jw_key(w, "queue_bytes");
		jw_u64(w, ss.queue_bytes);
		jw_key(w, "budget_refused");
		jw_u64(w, ss.budget_refused);
		jw_key(w, "budget_shed");
		jw_u64(w, ss.budget_shed);
		jw_obj_close(w);
	}
	jw_obj_close(w);
	return 0;
}

static void flow_json(struct jw *w, const struct flow_view *v)
{
	char a[MT_ADDR_STRLEN];
	const struct flow_dir_stats *ds[2] = { &v->orig, &v->resp };

	jw_obj_open(w);
	jw_key(w, "uid");
	jw_str(w, v->info->uid);
	jw_key(w, "proto");
	jw_str(w, v->info->proto == MT_PROTO_SMTP ? "smtp" :
		  v->info->proto == MT_PROTO_POP3 ? "pop3" : "-");
	jw_key(w, "orig_h");
	jw_str(w, mt_addr_str(&v->info->id.orig_h, a));
	jw_key(w, "orig_p");
	jw_u64(w, v->info->id.orig_p);
	jw_key(w, "resp_h");
	jw_str(w, mt_addr_str(&v->info->id.resp_h, a));
	jw_key(w, "resp_p");
	jw_u64(w, v->info->id.resp_p);
	jw_key(w, "state");
	jw_str(w, v->state);
	jw_key(w, "start");
	jw_time(w, v->info->start_ts);
	jw_key(w, "last");
	jw_time(w, v->last_ts);
	jw_key(w, "partial");
	jw_bool(w, v->info->partial);
	jw_key(w, "bypassed");
	jw_bool(w, v->bypassed);
	for (int i = 0; i < 2; i++) {
		jw_key(w, i ? "resp" : "orig");
		jw_obj_open(w);
		jw_key(w, "bytes");
		jw_u64(w, ds[i]->bytes);
		jw_key(w, "packets");
		jw_u64(w, ds[i]->packets);
		jw_key(w, "gap_bytes");
		jw_u64(w, ds[i]->gap_bytes);
		jw_obj_close(w);
	}
	jw_obj_close(w);
}

static int flow_cb(void *arg, const struct flow_view *v)
{
	flow_json(arg, v);
	return 0;
}

static int h_flows(void *arg, const char *uid, struct jw *w)
{
	struct daemon *d = arg;
	struct flow_view v;

	if (uid) {
		if (flow_table_lookup_uid(d->ft, uid, &v))
			return -ENOENT;
		flow_json(w, &v);
		return 0;
	}
	jw_arr_open(w);
	flow_table_foreach(d->ft, flow_cb, w);
	jw_arr_close(w);
	return 0;
}

static int h_ports(void *arg, struct jw *w)
{
	struct daemon *d = arg;

	jw_obj_open(w);
	jw_key(w, "smtp");
	jw_arr_open(w);
	for (unsigned int i = 0; i < d->cfg.n_smtp_ports; i++)
		jw_u64(w, d->cfg.smtp_ports[i]);
	jw_arr_close(w);
	jw_key(w, "pop3");
	jw_arr_open(w);
	for (unsigned int i = 0; i < d->cfg.n_pop3_ports; i++)
		jw_u64(w, d->cfg.pop3_ports[i]);
	jw_arr_close(w);
	jw_obj_close(w);
	return 0;
}

static void port_remove(uint16_t *list, unsigned int *n, uint16_t port)
{
	for (unsigned int i = 0; i < *n; i++) {
		if (list[i] != port)
			continue;
		list[i] = list[--*n];
		return;
	}
}

static int h_port_del(void *arg, uint16_t port)
{
	struct daemon *d = arg;

	if (!config_port_proto(&d->cfg, port))
		return -ENOENT;
	port_remove(d->cfg.smtp_ports, &d->cfg.n_smtp_ports, port);
	port_remove(d->cfg.pop3_ports, &d->cfg.n_pop3_ports, port);
	return d->live ? live_del_port(d->live, port) : 0;
}

static int h_port_add(void *arg, uint16_t port, int proto)
{
	struct daemon *d = arg;
	uint16_t *list = proto == 1 ? d->cfg.smtp_ports : d->cfg.pop3_ports;
	unsigned int *n = proto == 1 ? &d->cfg.n_smtp_ports :
				       &d->cfg.n_pop3_ports;

	if (config_port_proto(&d->cfg, port))
		h_port_del(d, port);
	if (*n == MT_MAX_PORTS)
		return -ENOSPC;
	list[(*n)++] = port;
	return d->live ? live_set_port(d->live, port, proto) : 0;
}

static int h_config(void *arg, struct jw *w)
{
	struct daemon *d = arg;
	const struct mt_config *c = &d->cfg;

	jw_obj_open(w);
	jw_key(w, "socket");
	jw_str(w, c->socket_path);
	jw_key(w, "ring_size");
	jw_u64(w, c->ring_size);
	jw_key(w, "max_flows");
	jw_u64(w, c->lim.max_flows);
	jw_key(w, "mem_budget");
	jw_u64(w, c->lim.mem_budget);
	jw_key(w, "tcp_inactivity_timeout");
	jw_double(w, c->lim.tcp_inactivity_timeout);
	jw_key(w, "log_passwords");
	jw_bool(w, c->log_passwords);
	jw_key(w, "file_hashes");
	jw_u64(w, c->file_hashes);
	jw_obj_close(w);
	return 0;
}

/* --- live ---------------------------------------------------------------- */

static void drain_timer_update(struct daemon *d, bool fired);

static void on_drain(struct loop *l, void *arg)
{
	struct daemon *d = arg;

	(void)l;
	live_consume(d->live);
	drain_timer_update(d, true);
}

/* The drain timer set to go off a period from now (d->drain_timer 0 if
 * it could not be). */
static void drain_timer_arm(struct daemon *d)
{
	int id;

	if (d->drain_timer)
		loop_del_timer(d->loop, d->drain_timer);
	id = loop_add_timer(d->loop, d->cfg.ring_poll_ms, on_drain, d);
	d->drain_timer = id > 0 ? id : 0;
}

/* With ring-wake-bytes, records do not wake the daemon one by one: while
 * connections are open, a timer drains the ring every ring-poll-ms and the
 * kernel wakes the daemon only for a batch; with none open the timer
 * stops, and every record wakes the daemon again.
 * Turning polling off races with a program that read the flag just
 * before: its record, committed without a wakeup after the last drain,
 * would wait for the next tick, and hold back the kernel's wakeups for
 * the records behind it (they wake a consumer only once it has caught
 * up). So the timer drains once more, a period later (FIRED: called from
 * it), before it stops. */
static void drain_timer_update(struct daemon *d, bool fired)
{
	bool want = d->live && d->cfg.ring_wake_bytes &&
		    flow_table_stats(d->ft)->active > 0;

	if (want && !d->drain_timer) {
		drain_timer_arm(d);
		if (d->drain_timer)
			live_set_polling(d->live, true);
	} else if (want && d->drain_last) {
		d->drain_last = false;
		live_set_polling(d->live, true);
	} else if (!want && d->drain_timer && !d->drain_last) {
		live_set_polling(d->live, false);
		/* held back before the kernel saw the change */
		live_consume(d->live);
		/* the last drain a whole period from now, not when the timer
		 * happened to be due (it may be in this very pass) */
		drain_timer_arm(d);
		d->drain_last = d->drain_timer != 0;
		if (flow_table_stats(d->ft)->active > 0)
			drain_timer_update(d, false);
	} else if (!want && d->drain_last && fired) {
		loop_del_timer(d->loop, d->drain_timer);
		d->drain_timer = 0;
		d->drain_last = false;
	}
}

static void on_ring(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct daemon *d = arg;

	(void)l;
	(void)fd;
	(void)events;
	if (d->live) {
		live_consume(d->live);
		drain_timer_update(d, false);
	} else if (d->plive) {
		pcap_live_dispatch(d->plive);
	}
}

/* The flows need memory the subscribers' queues hold. */
static uint64_t shed_queues(void *srv, uint64_t n)
{
	return srv_shed_queues(srv, n);
}

/* SIGHUP with -c: take the settings that can change while running
 * (limits, redaction, hashes, ports); interfaces, attach mode, ring,
 * socket, log directory and user need a restart. */
static void reload_config(struct daemon *d)
{
	struct mt_config n;

	if (!d->cfg.config_file)
		return;
	config_defaults(&n);
	if (config_load_file(&n, d->cfg.config_file)) {
		fprintf(stderr, "mailtapd: SIGHUP: %s: keeping the old settings\n",
			d->cfg.config_file);
		config_free(&n);
		return;
	}
	if (n.lim.ack_gap_delay < 0)
		n.lim.ack_gap_delay = d->cfg.lim.ack_gap_delay;
	d->cfg.lim = n.lim;
	d->cfg.log_passwords = n.log_passwords;
	d->cfg.file_hashes = n.file_hashes;
	if (d->live) {
		for (unsigned int i = 0; i < d->cfg.n_smtp_ports; i++)
			live_del_port(d->live, d->cfg.smtp_ports[i]);
		for (unsigned int i = 0; i < d->cfg.n_pop3_ports; i++)
			live_del_port(d->live, d->cfg.pop3_ports[i]);
		for (unsigned int i = 0; i < n.n_smtp_ports; i++)
			live_set_port(d->live, n.smtp_ports[i], MT_PORT_SMTP);
		for (unsigned int i = 0; i < n.n_pop3_ports; i++)
			live_set_port(d->live, n.pop3_ports[i], MT_PORT_POP3);
	}
	memcpy(d->cfg.smtp_ports, n.smtp_ports, sizeof(n.smtp_ports));
	d->cfg.n_smtp_ports = n.n_smtp_ports;
	memcpy(d->cfg.pop3_ports, n.pop3_ports, sizeof(n.pop3_ports));
	d->cfg.n_pop3_ports = n.n_pop3_ports;
	config_free(&n); /* the settings a restart needs stay as they were */
	fprintf(stderr, "mailtapd: SIGHUP: settings reread from %s\n",
		d->cfg.config_file);
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
			reload_config(d);
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
	if (d->plive) {
		uint64_t drops = pcap_live_drops(d->plive);

		pcap_live_dispatch(d->plive);
		if (drops > d->ring_full_seen)
			emit_lost(d, "pcap", drops - d->ring_full_seen);
		d->ring_full_seen = drops;
	} else {
		live_consume(d->live);
	}
	flow_table_advance(d->ft, (double)ts.tv_sec + ts.tv_nsec / 1e9);
	drain_timer_update(d, false);
	if (d->live && live_counters(d->live, &c) == 0) {
		uint64_t full = c.kernel[MT_CNT_RING_FULL];

		if (full > d->ring_full_seen)
			emit_lost(d, "ring", full - d->ring_full_seen);
		d->ring_full_seen = full;
	}
	if (d->cfg.hotplug && d->live)
		live_reattach(d->live);
	if (d->srv)
		srv_tick(d->srv);
	if (d->events)
		event_file_flush(d->events);
	bus_flush(&d->bus);
}

static void bypass_flow(void *arg, const struct conn_info *c, int mode)
{
	struct daemon *d = arg;

	/* tls-bypass=no: the kernel keeps sending the encrypted bytes, which
	 * the flow table then drops (what the bypass saves, made visible) */
	if (mode == 1 && !d->cfg.tls_bypass)
		return;
	if (d->live)
		live_bypass(d->live, c, mode);
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
	if (d->cfg.pcap_live) {
		char perr[512];

		err = pcap_live_open(&d->plive, &d->cfg, flow_table_segment,
				     d->ft, perr, sizeof(perr));
		if (err)
			fprintf(stderr, "mailtapd: %s\n", perr);
	} else {
		err = live_open(&d->live, &d->cfg, flow_table_segment, d->ft);
	}
	if (err) {
		close(sfd);
		return err;
	}
	flow_table_set_bypass_cb(d->ft, bypass_flow, d);
	{
		static const struct srv_hooks hooks_tmpl = {
			.status = h_status, .stats = h_stats,
			.flows = h_flows, .ports = h_ports,
			.port_add = h_port_add, .port_del = h_port_del,
			.config = h_config,
		};
		struct srv_hooks hooks = hooks_tmpl;

		hooks.arg = d;
		err = srv_new(&d->srv, &d->cfg, d->loop, &d->bus, &hooks);
		if (err) {
			fprintf(stderr, "mailtapd: socket %s: %s\n",
				d->cfg.socket_path, strerror(-err));
			goto out;
		}
		srv_set_mem_source(d->srv, flow_table_mem_used, d->ft);
		flow_table_set_shed(d->ft, srv_queue_bytes(d->srv),
				    shed_queues, d->srv);
	}
	if (d->cfg.pid_file)
		write_pid(d->cfg.pid_file);
	err = privs_drop(&who, d->cfg.hotplug);
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
	err = loop_add_fd(d->loop,
			  d->live ? live_fd(d->live) : pcap_live_fd(d->plive),
			  EPOLLIN, on_ring, d);
	if (!err)
		err = loop_add_fd(d->loop, sfd, EPOLLIN, on_signal, d);
	if (!err)
		err = loop_add_timer(d->loop, 1000, on_tick, d) < 0 ? -ENOSPC : 0;
	if (!err)
		err = loop_run(d->loop);
out:
	/* drain what is left, account for losses, then end every flow */
	if (d->plive) {
		pcap_live_dispatch(d->plive);
		if (d->cfg.verbose)
			fprintf(stderr, "mailtapd: pcap: %llu packets, %llu dropped\n",
				(unsigned long long)pcap_live_decode_stats(d->plive)->packets,
				(unsigned long long)pcap_live_drops(d->plive));
	} else {
		live_consume(d->live);
	}
	if (d->live) {
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
	flow_table_set_shed(d->ft, NULL, NULL, NULL);
	srv_free(&d->srv);
	live_close(&d->live);
	pcap_live_close(&d->plive);
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
