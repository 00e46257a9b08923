// SPDX-License-Identifier: BSD-3-Clause
/* live.c - the BPF side from user space: load (skeleton), attach (tc with
 * a fixed handle/priority, replacing a stale mailtap filter, creating
 * clsact only if absent; or an AF_PACKET socket filter), consume ring
 * records into segments, update the port and bypass maps, read counters.
 * Owns its attachments and detaches exactly them; never touches other
 * tools' filters. */
#include "capture/live.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mailtap.skel.h"

#define MT_TC_HANDLE 0x6d74 /* "mt" */
#define MT_TC_PRIO 0x6d74

struct live_if {
	char name[IF_NAMESIZE];
	int ifindex;            /* 0 = not attached (gone) */
	bool clsact_created;
	bool ingress, egress;   /* tc attachments made */
	int sock;               /* socket mode: AF_PACKET fd, or -1 */
};

struct live {
	const struct mt_config *cfg;
	struct mailtap_bpf *skel;
	struct ring_buffer *rb;
	segment_cb cb;
	void *arg;
	struct live_if ifs[MT_MAX_IFACES];
	unsigned int n_ifs;
	int ncpus;
	uint64_t *percpu;
	double wall_offset;     /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	void *cons_page, *prod_page;
	size_t page;
	uint64_t records, bad, high_water;
};

static double now_clock(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void refresh_offset(struct live *l)
{
	l->wall_offset = now_clock(CLOCK_REALTIME) - now_clock(CLOCK_MONOTONIC);
}

double live_wallclock(struct live *l, uint64_t ts_ns)
{
	return (double)ts_ns / 1e9 + l->wall_offset;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct live *l = ctx;
	const struct mt_rec_hdr *h = data;
	struct segment seg;
	size_t n;

	if (size < sizeof(*h) || h->version != MT_ABI_VERSION ||
	    size < sizeof(*h) + h->len) {
		l->bad++;
		return 0;
	}
	l->records++;
	memset(&seg, 0, sizeof(seg));
	n = h->key.family == 10 ? 16 : 4;
	seg.src.family = seg.dst.family = h->key.family == 10 ? AF_INET6 :
								 AF_INET;
	memcpy(seg.src.addr, h->key.saddr, n);
	memcpy(seg.dst.addr, h->key.daddr, n);
	seg.sport = h->key.sport;
	seg.dport = h->key.dport;
	seg.seq = h->seq;
	seg.ack = h->ack;
	seg.flags = h->tcp_flags;
	seg.source = SEG_SRC_RING;
	seg.payload = (const uint8_t *)(h + 1);
	seg.cap_len = seg.payload_len = h->len;
	seg.ifindex = h->ifindex;
	seg.ip_len = h->ip_len;
	seg.sock_cookie = h->cookie;
	seg.ts = live_wallclock(l, h->ts_ns);
	l->cb(l->arg, &seg);
	return 0;
}

/* --- attaching ------------------------------------------------------------ */

static int tc_attach_one(struct live *l, struct live_if *f,
			 enum bpf_tc_attach_point where, int prog_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = f->ifindex,
			    .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, q, .handle = MT_TC_HANDLE,
			    .priority = MT_TC_PRIO);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = MT_TC_HANDLE,
			    .priority = MT_TC_PRIO, .prog_fd = prog_fd,
			    .flags = BPF_TC_F_REPLACE);
	int err;

	if (bpf_tc_query(&hook, &q) == 0)
		fprintf(stderr,
			"mailtapd: %s: replacing a stale mailtap filter (prog id %u)\n",
			f->name, q.prog_id);
	err = bpf_tc_attach(&hook, &opts);
	(void)l;
	return err;
}

static void tc_detach_one(struct live_if *f, enum bpf_tc_attach_point where)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = f->ifindex,
			    .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = MT_TC_HANDLE,
			    .priority = MT_TC_PRIO);

	bpf_tc_detach(&hook, &opts);
}

static int attach_if(struct live *l, struct live_if *f)
{
	int ifindex = (int)if_nametoindex(f->name);
	bool is_lo = !strcmp(f->name, "lo");
	int err;

	if (!ifindex)
		return -ENODEV;
	f->ifindex = ifindex;
	f->sock = -1;
	if (l->cfg->attach == ATTACH_SOCKET) {
		struct sockaddr_ll sll = { .sll_family = AF_PACKET,
					   .sll_protocol = htons(ETH_P_ALL),
					   .sll_ifindex = ifindex };
		int fd = bpf_program__fd(l->skel->progs.mailtap_socket);

		f->sock = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
				 htons(ETH_P_ALL));
		if (f->sock < 0)
			return -errno;
		if (setsockopt(f->sock, SOL_SOCKET, SO_ATTACH_BPF, &fd,
			       sizeof(fd)) ||
		    bind(f->sock, (struct sockaddr *)&sll, sizeof(sll))) {
			err = -errno;
			close(f->sock);
			f->sock = -1;
			return err;
		}
		return 0;
	}
	{
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
				    .attach_point = BPF_TC_INGRESS);

		err = bpf_tc_hook_create(&hook);
		if (err && err != -EEXIST)
			return err;
		f->clsact_created = err == 0;
	}
	/* On loopback every packet passes egress then ingress: one is
	 * enough. */
	if (!is_lo) {
		err = tc_attach_one(l, f, BPF_TC_INGRESS,
				    bpf_program__fd(l->skel->progs.mailtap_tc_ingress));
		if (err)
			return err;
		f->ingress = true;
	}
	err = tc_attach_one(l, f, BPF_TC_EGRESS,
			    bpf_program__fd(l->skel->progs.mailtap_tc_egress));
	if (err)
		return err;
	f->egress = true;
	return 0;
}

static void detach_if(struct live_if *f)
{
	if (f->sock >= 0) {
		close(f->sock);
		f->sock = -1;
	}
	if (!f->ifindex)
		return;
	/* The device may be gone (then so are its filters). */
	if ((int)if_nametoindex(f->name) != f->ifindex) {
		f->ifindex = 0;
		return;
	}
	if (f->ingress)
		tc_detach_one(f, BPF_TC_INGRESS);
	if (f->egress)
		tc_detach_one(f, BPF_TC_EGRESS);
	f->ingress = f->egress = false;
	if (f->clsact_created) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = f->ifindex,
				    .attach_point = BPF_TC_INGRESS |
						    BPF_TC_EGRESS);

		bpf_tc_hook_destroy(&hook);
		f->clsact_created = false;
	}
	f->ifindex = 0;
}

int live_reattach(struct live *l)
{
	int n = 0;

	for (unsigned int i = 0; i < l->n_ifs; i++) {
		struct live_if *f = &l->ifs[i];
		int idx = (int)if_nametoindex(f->name);

		if (f->ifindex && idx == f->ifindex)
			continue;
		if (f->ifindex && idx != f->ifindex) { /* gone or replaced */
			if (f->sock >= 0)
				close(f->sock);
			f->sock = -1;
			f->ifindex = 0;
			f->ingress = f->egress = f->clsact_created = false;
		}
		if (idx && attach_if(l, f) == 0) {
			fprintf(stderr, "mailtapd: %s: attached again\n",
				f->name);
			n++;
		}
	}
	return n;
}

/* --- maps ------------------------------------------------------------------ */

int live_set_port(struct live *l, uint16_t port, int proto)
{
	uint8_t v = (uint8_t)proto;

	return bpf_map_update_elem(bpf_map__fd(l->skel->maps.ports), &port, &v,
				   BPF_ANY) ?
		       -errno :
		       0;
}

int live_del_port(struct live *l, uint16_t port)
{
	return bpf_map_delete_elem(bpf_map__fd(l->skel->maps.ports), &port) ?
		       -errno :
		       0;
}

static void canonical_key(const struct conn_info *c, struct mt_flow_key *k)
{
	size_t n = c->id.orig_h.family == AF_INET6 ? 16 : 4;
	int cmp = memcmp(c->id.orig_h.addr, c->id.resp_h.addr, n);
	bool orig_first = cmp < 0 || (cmp == 0 && c->id.orig_p <= c->id.resp_p);

	memset(k, 0, sizeof(*k));
	k->family = c->id.orig_h.family == AF_INET6 ? 10 : 2;
	if (orig_first) {
		memcpy(k->saddr, c->id.orig_h.addr, n);
		memcpy(k->daddr, c->id.resp_h.addr, n);
		k->sport = c->id.orig_p;
		k->dport = c->id.resp_p;
	} else {
		memcpy(k->saddr, c->id.resp_h.addr, n);
		memcpy(k->daddr, c->id.orig_h.addr, n);
		k->sport = c->id.resp_p;
		k->dport = c->id.orig_p;
	}
}

int live_bypass(struct live *l, const struct conn_info *c, int mode)
{
	struct mt_flow_key k;
	struct mt_bypass_val v = { 0 };
	int fd = bpf_map__fd(l->skel->maps.bypass);

	canonical_key(c, &k);
	if (mode == 2) {
		v.flags = MT_BYPASS_ONE_WAY;
		v.only_sport = c->id.orig_p;
	}
	if (mode)
		return bpf_map_update_elem(fd, &k, &v, BPF_ANY) ? -errno : 0;
	bpf_map_delete_elem(fd, &k);
	return 0;
}

int live_counters(struct live *l, struct live_counters *out)
{
	int fd = bpf_map__fd(l->skel->maps.counters);

	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < MT_CNT__MAX; i++) {
		if (bpf_map_lookup_elem(fd, &i, l->percpu))
			continue;
		for (int c = 0; c < l->ncpus; c++)
			out->kernel[i] += l->percpu[c];
	}
	out->records = l->records;
	out->bad_records = l->bad;
	out->ring_size = l->cfg->ring_size;
	if (l->cons_page && l->prod_page) {
		uint64_t cons = __atomic_load_n((uint64_t *)l->cons_page,
						__ATOMIC_ACQUIRE);
		uint64_t prod = __atomic_load_n((uint64_t *)l->prod_page,
						__ATOMIC_ACQUIRE);

		out->ring_used = prod - cons;
		if (out->ring_used > l->high_water)
			l->high_water = out->ring_used;
	}
	out->ring_high_water = l->high_water;
	{
		struct mt_flow_key k, nk;
		int bfd = bpf_map__fd(l->skel->maps.bypass);
		void *prev = NULL;

		while (bpf_map_get_next_key(bfd, prev, &nk) == 0 &&
		       out->bypass_entries < 1000000) {
			out->bypass_entries++;
			k = nk;
			prev = &k;
		}
	}
	refresh_offset(l);
	return 0;
}

int live_prog_info(struct live *l, struct live_prog_info *out)
{
	struct bpf_program *progs[3] = { l->skel->progs.mailtap_tc_ingress,
					 l->skel->progs.mailtap_tc_egress,
					 l->skel->progs.mailtap_socket };
	struct bpf_map *maps[5] = { l->skel->maps.ring, l->skel->maps.ports,
				    l->skel->maps.bypass,
				    l->skel->maps.counters,
				    l->skel->maps.scratch_map };

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 3; i++) {
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);

		if (bpf_obj_get_info_by_fd(bpf_program__fd(progs[i]), &info,
					   &len))
			continue;
		out->progs[out->n_progs].id = info.id;
		snprintf(out->progs[out->n_progs].name,
			 sizeof(out->progs[0].name), "%s",
			 bpf_program__name(progs[i]));
		out->n_progs++;
	}
	for (int i = 0; i < 5; i++) {
		struct bpf_map_info info = { 0 };
		uint32_t len = sizeof(info);

		if (bpf_obj_get_info_by_fd(bpf_map__fd(maps[i]), &info, &len))
			continue;
		out->maps[out->n_maps].id = info.id;
		snprintf(out->maps[out->n_maps].name, sizeof(out->maps[0].name),
			 "%s", bpf_map__name(maps[i]));
		out->n_maps++;
	}
	for (unsigned int i = 0; i < l->n_ifs && out->n_attach < 32; i++) {
		const struct live_if *f = &l->ifs[i];

		snprintf(out->attach[out->n_attach].ifname,
			 sizeof(out->attach[0].ifname), "%s", f->name);
		snprintf(out->attach[out->n_attach].how,
			 sizeof(out->attach[0].how), "%s",
			 !f->ifindex ? "detached (no device)" :
			 f->sock >= 0 ? "socket filter" :
			 f->ingress && f->egress ? "tc ingress+egress" :
						  "tc egress");
		out->n_attach++;
	}
	return 0;
}

/* --- life cycle --------------------------------------------------------- */

/* libbpf's own messages only with -vv: probing for a stale filter makes
 * it complain when there is none. */
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* The batch that wakes the daemon: at most an eighth of the ring, so a
 * sleeping consumer is called well before the ring fills. */
static uint32_t wake_bytes(const struct mt_config *cfg)
{
	uint32_t cap = cfg->ring_size / 8;

	return cfg->ring_wake_bytes < cap ? cfg->ring_wake_bytes : cap;
}

int live_open(struct live **out, const struct mt_config *cfg, segment_cb cb,
	      void *arg)
{
	struct live *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return -ENOMEM;
	l->cfg = cfg;
	l->cb = cb;
	l->arg = arg;
	l->page = (size_t)sysconf(_SC_PAGESIZE);
	l->ncpus = libbpf_num_possible_cpus();
	l->percpu = calloc(l->ncpus > 0 ? l->ncpus : 1, sizeof(uint64_t));
	refresh_offset(l);
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	if (cfg->verbose < 2)
		libbpf_set_print(libbpf_quiet);
	l->skel = mailtap_bpf__open();
	if (!l->skel || !l->percpu) {
		err = -errno ? -errno : -ENOMEM;
		goto fail;
	}
	l->skel->rodata->lo_ifindex = if_nametoindex("lo");
	l->skel->rodata->wake_bytes = wake_bytes(cfg);
	err = bpf_map__set_max_entries(l->skel->maps.ring, cfg->ring_size);
	if (err)
		goto fail;
	err = mailtap_bpf__load(l->skel);
	if (err && cfg->verbose < 2) {
		/* once more with libbpf talking: the verifier log matters */
		libbpf_set_print(NULL);
		mailtap_bpf__destroy(l->skel);
		l->skel = mailtap_bpf__open();
		if (l->skel) {
			l->skel->rodata->lo_ifindex = if_nametoindex("lo");
			l->skel->rodata->wake_bytes = wake_bytes(cfg);
			bpf_map__set_max_entries(l->skel->maps.ring,
						 cfg->ring_size);
			err = mailtap_bpf__load(l->skel);
		}
	}
	if (err) {
		fprintf(stderr, "mailtapd: loading the BPF program failed: %s\n",
			strerror(-err));
		goto fail;
	}
	for (unsigned int i = 0; i < cfg->n_smtp_ports; i++)
		live_set_port(l, cfg->smtp_ports[i], MT_PORT_SMTP);
	for (unsigned int i = 0; i < cfg->n_pop3_ports; i++)
		live_set_port(l, cfg->pop3_ports[i], MT_PORT_POP3);
	l->rb = ring_buffer__new(bpf_map__fd(l->skel->maps.ring), on_record, l,
				 NULL);
	if (!l->rb) {
		err = -errno;
		goto fail;
	}
	/* Read-only views of the ring's positions, for its fill level. */
	l->cons_page = mmap(NULL, l->page, PROT_READ, MAP_SHARED,
			    bpf_map__fd(l->skel->maps.ring), 0);
	if (l->cons_page == MAP_FAILED)
		l->cons_page = NULL;
	l->prod_page = mmap(NULL, l->page, PROT_READ, MAP_SHARED,
			    bpf_map__fd(l->skel->maps.ring), (off_t)l->page);
	if (l->prod_page == MAP_FAILED)
		l->prod_page = NULL;
	for (unsigned int i = 0; i < cfg->n_ifaces; i++) {
		struct live_if *f = &l->ifs[l->n_ifs++];

		snprintf(f->name, sizeof(f->name), "%s", cfg->ifaces[i]);
		f->sock = -1;
		err = attach_if(l, f);
		if (err) {
			fprintf(stderr, "mailtapd: %s: attach failed: %s\n",
				f->name, strerror(-err));
			goto fail;
		}
	}
	*out = l;
	return 0;
fail:
	live_close(&l);
	return err ? err : -EINVAL;
}

int live_fd(const struct live *l)
{
	return ring_buffer__epoll_fd(l->rb);
}

void live_set_polling(struct live *l, bool on)
{
	if (l->skel->bss)
		__atomic_store_n(&l->skel->bss->polling, on ? 1u : 0u,
				 __ATOMIC_SEQ_CST);
}

int live_consume(struct live *l)
{
	if (l->cons_page && l->prod_page) {
		uint64_t used = __atomic_load_n((uint64_t *)l->prod_page,
						__ATOMIC_ACQUIRE) -
				__atomic_load_n((uint64_t *)l->cons_page,
						__ATOMIC_ACQUIRE);

		if (used > l->high_water)
			l->high_water = used;
	}
	return ring_buffer__consume(l->rb);
}

void live_close(struct live **lp)
{
	struct live *l;

	if (!lp || !*lp)
		return;
	l = *lp;
	for (unsigned int i = 0; i < l->n_ifs; i++)
		detach_if(&l->ifs[i]);
	if (l->cons_page)
		munmap(l->cons_page, l->page);
	if (l->prod_page)
		munmap(l->prod_page, l->page);
	ring_buffer__free(l->rb);
	mailtap_bpf__destroy(l->skel);
	free(l->percpu);
	free(l);
	*lp = NULL;
}
