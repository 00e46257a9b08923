// SPDX-License-Identifier: BSD-3-Clause
/* server.c - the control and event socket in the daemon's epoll loop.
 * Every client is authenticated with SO_PEERCRED; requests and responses
 * are JSON lines; subscribers get the events their filters select through
 * a bounded queue: a subscriber that stops reading loses events (counted,
 * reported in-band as 'lost' when it catches up) and is disconnected after
 * SRV_SLOW_SECONDS over its limit. The pipeline never waits for anyone. */
#include "control/server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control/proto.h"
#include "daemon/version.h"
#include "event/event_json.h"

#define SRV_IDLE_SECONDS 60

struct client {
	struct srv *srv;
	int fd;
	uid_t uid;
	pid_t pid;
	struct linebuf in;
	char *out;          /* queued output: out[out_head..out_len) */
	size_t out_head, out_len, out_cap;
	bool subscribed;
	struct sub_filter filter;
	uint64_t sent, dropped, lost_reported;
	time_t over_since;  /* 0 = within its limit */
	time_t last_active;
	bool eof;           /* the peer is done sending: drain, then close */
	bool has_events;    /* events queued since the queue was last empty */
	bool closing;
};

struct srv {
	const struct mt_config *cfg;
	struct loop *loop;
	struct bus *bus;
	struct srv_hooks hooks;
	struct sink sink;
	int lfd;
	struct client *clients[SRV_MAX_CLIENTS];
	unsigned int n_clients;
	struct jw jw;       /* one serialisation per event */
	struct srv_stats st;
	uint64_t (*mem_used)(void *arg); /* the connections' budget use */
	void *mem_arg;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static void client_close(struct srv *s, struct client *c);

/* --- output ----------------------------------------------------------------- */

/* Bytes queued for c and not sent yet. What was sent stays at the front
 * of its buffer until room is needed (queue_compact): a queue of some
 * MiB drained by a slow reader 200 KB at a time is not moved to the
 * front after every send. */
static size_t queued(const struct client *c)
{
	return c->out_len - c->out_head;
}

static void queue_compact(struct client *c)
{
	if (!c->out_head)
		return;
	memmove(c->out, c->out + c->out_head, queued(c));
	c->out_len -= c->out_head;
	c->out_head = 0;
}

/* Queue capacity changes. */
static void queue_account(struct srv *s, size_t old_cap, size_t new_cap)
{
	s->st.queue_bytes += new_cap;
	s->st.queue_bytes -= old_cap;
}

/* Room for GROWTH more queue bytes within the memory budget? The queues
 * take at most half of it, and leave the connections an eighth to grow
 * into before any queued event has to be shed for them. Replies and 'lost'
 * notices (must) are always queued: a client's replies are bounded by its
 * reading (no request is taken while its queue is full). */
static bool budget_allows(struct srv *s, size_t growth)
{
	uint64_t cap = s->cfg->lim.mem_budget;
	uint64_t q = s->st.queue_bytes + growth;

	if (!s->mem_used || !cap)
		return true;
	return q <= cap / 2 && s->mem_used(s->mem_arg) + q <= cap - cap / 8;
}

/* May more requests be read from c? Their replies wait in its queue: a
 * client that does not read them is not read either. A small queue always
 * may (so `mailtap stats` works when the budget is spent), a larger one
 * up to the per-client limit while the budget allows. */
static bool may_read(struct srv *s, struct client *c)
{
	return !c->eof && (queued(c) <= SRV_REPLY_ROOM ||
			   (queued(c) <= SRV_QUEUE_BYTES && budget_allows(s, 0)));
}

static bool queue(struct client *c, const char *p, size_t n, bool must)
{
	struct srv *s = c->srv;

	if (!must && queued(c) + n > SRV_QUEUE_BYTES)
		return false;
	if (c->out_len + n > c->out_cap)
		queue_compact(c);
	if (c->out_len + n > c->out_cap) {
		size_t nc = c->out_cap ? c->out_cap : 4096;
		char *nb;

		while (nc < c->out_len + n)
			nc *= 2;
		if (!budget_allows(s, nc - c->out_cap)) {
			if (!must) {
				s->st.budget_refused++;
				return false;
			}
			nc = c->out_len + n; /* no doubling past the budget */
		}
		nb = realloc(c->out, nc);
		if (!nb)
			return false;
		queue_account(s, c->out_cap, nc);
		c->out = nb;
		c->out_cap = nc;
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
	return true;
}

/* A drained queue that grew large gives its memory back. */
static void queue_shrink(struct client *c)
{
	if (queued(c) || c->out_cap <= 65536)
		return;
	queue_account(c->srv, c->out_cap, 0);
	free(c->out);
	c->out = NULL;
	c->out_cap = 0;
}

static void flush_out(struct srv *s, struct client *c)
{
	bool sent = false;

	while (queued(c)) {
		ssize_t w = send(c->fd, c->out + c->out_head, queued(c),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			c->closing = true; /* EPIPE, ECONNRESET */
			return;
		}
		c->out_head += (size_t)w;
		sent = true;
	}
	if (!queued(c)) {
		c->out_head = c->out_len = 0;
		c->has_events = false;
	}
	queue_shrink(c);
	/* caught up, by reading (a queue made small by the budget is not):
	 * tell it what it missed */
	if (c->subscribed && c->dropped > c->lost_reported &&
	    (sent || !queued(c)) && queued(c) < SRV_QUEUE_BYTES / 2) {
		char line[160];
		int n = snprintf(line, sizeof(line),
				 "{\"ts\":%.6f,\"event\":\"lost\",\"source\":\"subscriber\",\"count\":%llu}\n",
				 (double)time(NULL),
				 (unsigned long long)(c->dropped - c->lost_reported));

		if (queue(c, line, (size_t)n, true))
			c->lost_reported = c->dropped;
		c->over_since = 0;
	}
	if (c->eof && !queued(c)) {
		c->closing = true; /* closed by the caller or the next tick */
		return;
	}
	loop_mod_fd(s->loop, c->fd,
		    (queued(c) ? EPOLLOUT : 0) |
			    (may_read(s, c) ? EPOLLIN | EPOLLRDHUP : 0));
}

static void reply_obj(struct client *c, long id, bool ok, const char *err,
		      const char *result, size_t rlen)
{
	struct jw w;

	jw_init(&w, false);
	jw_obj_open(&w);
	jw_key(&w, "id");
	jw_i64(&w, id);
	jw_key(&w, "ok");
	jw_bool(&w, ok);
	if (ok) {
		jw_key(&w, "result");
		if (result)
			jw_raw(&w, result, rlen);
		else
			jw_null(&w);
	} else {
		jw_key(&w, "error");
		jw_str(&w, err);
	}
	jw_obj_close(&w);
	jw_newline(&w);
	if (!w.oom)
		queue(c, w.buf, w.len, true);
	jw_free(&w);
}

/* --- requests ----------------------------------------------------------- */

static void update_mask(struct srv *s)
{
	uint64_t m = 0;

	for (unsigned int i = 0; i < s->n_clients; i++)
		if (s->clients[i]->subscribed)
			m |= s->clients[i]->filter.mask;
	s->sink.mask = m;
	bus_update(s->bus);
}

static int hook_call(struct srv *s, const char *cmd, json_object *req,
		     struct jw *w, struct client *c, const char **err)
{
	const struct srv_hooks *h = &s->hooks;
	json_object *v;

	if (!strcmp(cmd, "status") && h->status)
		return h->status(h->arg, w);
	if (!strcmp(cmd, "stats") && h->stats)
		return h->stats(h->arg, w);
	if (!strcmp(cmd, "ports") && h->ports)
		return h->ports(h->arg, w);
	if (!strcmp(cmd, "config") && h->config)
		return h->config(h->arg, w);
	if ((!strcmp(cmd, "flows") || !strcmp(cmd, "flow")) && h->flows) {
		const char *uid = NULL;

		if (json_object_object_get_ex(req, "uid", &v))
			uid = json_object_get_string(v);
		return h->flows(h->arg, uid, w);
	}
	if (!strcmp(cmd, "port_add") || !strcmp(cmd, "port_del")) {
		int port, proto = 0, err2;

		if (c->uid != 0) {
			*err = "changing ports needs root";
			return -EPERM;
		}
		if (!json_object_object_get_ex(req, "port", &v) ||
		    (port = json_object_get_int(v)) <= 0 || port > 65535) {
			*err = "\"port\" must be 1..65535";
			return -EINVAL;
		}
		if (!strcmp(cmd, "port_add")) {
			const char *p = json_object_object_get_ex(req, "proto", &v) ?
						json_object_get_string(v) :
						"";

			proto = !strcasecmp(p, "smtp") ? 1 :
				!strcasecmp(p, "pop3") ? 2 :
							 0;
			if (!proto) {
				*err = "\"proto\" must be smtp or pop3";
				return -EINVAL;
			}
			err2 = h->port_add ? h->port_add(h->arg, (uint16_t)port,
							 proto) :
					     -ENOTSUP;
		} else {
			err2 = h->port_del ? h->port_del(h->arg, (uint16_t)port) :
					     -ENOTSUP;
		}
		if (err2) {
			*err = strerror(-err2);
			return err2;
		}
		return h->ports ? h->ports(h->arg, w) : 0;
	}
	*err = "unknown command";
	return -ENOENT;
}

static void handle_request(struct client *c, char *line)
{
	struct srv *s = c->srv;
	json_object *req = json_tokener_parse(line), *v;
	const char *cmd, *err = NULL;
	long id = 0;
	struct jw w;
	int rc;

	c->last_active = time(NULL);
	if (!req || !json_object_is_type(req, json_type_object)) {
		reply_obj(c, 0, false, "request is not a JSON object", NULL, 0);
		json_object_put(req);
		return;
	}
	if (json_object_object_get_ex(req, "id", &v))
		id = json_object_get_int64(v);
	cmd = json_object_object_get_ex(req, "cmd", &v) ?
		      json_object_get_string(v) :
		      "";
	if (!strcmp(cmd, "hello")) {
		char r[96];
		int n = snprintf(r, sizeof(r),
				 "{\"hello\":\"mailtap\",\"version\":\"%s\",\"proto\":1}",
				 MAILTAP_VERSION);

		reply_obj(c, id, true, NULL, r, (size_t)n);
	} else if (!strcmp(cmd, "subscribe")) {
		struct sub_filter f;
		char e[128];

		if (filter_parse(line, &f, e, sizeof(e))) {
			reply_obj(c, id, false, e, NULL, 0);
		} else {
			if (c->subscribed)
				filter_free(&c->filter);
			c->filter = f;
			c->subscribed = true;
			s->st.subscribers++;
			reply_obj(c, id, true, NULL, "{\"subscribed\":true}", 19);
			update_mask(s);
		}
	} else if (!strcmp(cmd, "unsubscribe")) {
		if (c->subscribed) {
			filter_free(&c->filter);
			c->subscribed = false;
			update_mask(s);
		}
		reply_obj(c, id, true, NULL, "{\"subscribed\":false}", 20);
	} else {
		jw_init(&w, false);
		rc = hook_call(s, cmd, req, &w, c, &err);
		if (rc)
			reply_obj(c, id, false, err ? err : strerror(-rc), NULL, 0);
		else
			reply_obj(c, id, true, NULL, w.len ? w.buf : "null",
				  w.len ? w.len : 4);
		jw_free(&w);
	}
	json_object_put(req);
}

/* One request line; false when the client can take no more replies now
 * (the rest of its input waits in its line buffer). */
static bool on_request(void *arg, char *line, size_t len)
{
	struct client *c = arg;

	(void)len;
	handle_request(c, line);
	return may_read(c->srv, c);
}

/* --- clients ----------------------------------------------------------------- */

/* Take c's requests while its replies have room: first those waiting in
 * its line buffer, then what the socket has. */
static void read_requests(struct srv *s, struct client *c)
{
	char buf[16384];

	while (!c->closing && may_read(s, c)) {
		ssize_t n = 0;

		if (!c->in.held) {
			n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0) { /* half-close: finish writing, then go */
				if (queued(c))
					c->eof = true;
				else
					c->closing = true;
				return;
			}
			if (n < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					c->closing = true;
				return;
			}
		}
		if (linebuf_feed(&c->in, buf, (size_t)n, on_request, c)) {
			static const char m[] =
				"{\"id\":0,\"ok\":false,\"error\":\"request too long\"}\n";

			/* after what is queued already, then the end */
			queue(c, m, sizeof(m) - 1, true);
			c->eof = true;
			return;
		}
	}
}

/* Requests that waited for room, once their replies have it again (the
 * client read, or the budget freed up). */
static void resume_requests(struct srv *s, struct client *c)
{
	if (c->closing || !c->in.held || !may_read(s, c))
		return;
	read_requests(s, c);
	if (!c->closing)
		flush_out(s, c);
}

static void on_client(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	struct srv *s = c->srv;

	(void)l;
	(void)fd;
	if (events & EPOLLIN)
		read_requests(s, c);
	if (events & (EPOLLERR | EPOLLHUP))
		c->closing = true;
	if (!c->closing)
		flush_out(s, c);
	resume_requests(s, c);
	if (c->closing)
		client_close(s, c);
}

static void client_close(struct srv *s, struct client *c)
{
	for (unsigned int i = 0; i < s->n_clients; i++) {
		if (s->clients[i] != c)
			continue;
		s->clients[i] = s->clients[--s->n_clients];
		break;
	}
	loop_del_fd(s->loop, c->fd);
	close(c->fd);
	if (c->subscribed)
		filter_free(&c->filter);
	linebuf_free(&c->in);
	queue_account(s, c->out_cap, 0);
	free(c->out);
	free(c);
	update_mask(s);
}

static void on_accept(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct srv *s = arg;

	(void)events;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		struct client *c;
		char hello[128];
		int n;

		if (cfd < 0)
			return;
		if (s->n_clients == SRV_MAX_CLIENTS ||
		    getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl)) {
			close(cfd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->srv = s;
		c->fd = cfd;
		c->uid = cred.uid;
		c->pid = cred.pid;
		c->last_active = time(NULL);
		if (loop_add_fd(l, cfd, EPOLLIN | EPOLLRDHUP, on_client, c)) {
			close(cfd);
			free(c);
			continue;
		}
		s->clients[s->n_clients++] = c;
		s->st.accepted++;
		n = snprintf(hello, sizeof(hello),
			     "{\"hello\":\"mailtap\",\"version\":\"%s\",\"proto\":1}\n",
			     MAILTAP_VERSION);
		queue(c, hello, (size_t)n, true);
		flush_out(s, c);
	}
}

/* --- events ------------------------------------------------------------------ */

static void srv_on_event(struct sink *sink, const struct event *ev)
{
	struct srv *s = (struct srv *)((char *)sink - offsetof(struct srv, sink));
	bool encoded = false;

	for (unsigned int i = 0; i < s->n_clients; i++) {
		struct client *c = s->clients[i];

		if (!c->subscribed || !filter_match(&c->filter, ev))
			continue;
		if (!encoded) {
			jw_reset(&s->jw);
			event_json_write(&s->jw, ev, !s->cfg->log_passwords);
			jw_newline(&s->jw);
			encoded = true;
		}
		if (s->jw.oom)
			return;
		if (c->dropped > c->lost_reported ||
		    !queue(c, s->jw.buf, s->jw.len, false)) {
			/* keep dropping until it has caught up, so what it
			 * gets afterwards starts with the 'lost' count */
			c->dropped++;
			s->st.events_dropped++;
			if (!c->over_since)
				c->over_since = time(NULL);
			continue;
		}
		c->has_events = true;
		c->sent++;
		s->st.events_sent++;
		if (queued(c) == s->jw.len)
			flush_out(s, c);
	}
}

void srv_tick(struct srv *s)
{
	time_t now = time(NULL);

	for (unsigned int i = 0; i < s->n_clients;) {
		struct client *c = s->clients[i];

		if (queued(c))
			flush_out(s, c);
		resume_requests(s, c);
		if ((c->over_since && now - c->over_since > SRV_SLOW_SECONDS) ||
		    (!c->subscribed && now - c->last_active > SRV_IDLE_SECONDS) ||
		    c->closing) {
			if (c->over_since)
				s->st.disconnected_slow++;
			client_close(s, c);
			continue;
		}
		i++;
	}
}

/* --- setup ----------------------------------------------------------------- */

static int listen_on(struct srv *s, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)], *slash;
	const struct group *g = getgrnam("mailtap");
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) == 0 && g && chown(dir, 0, g->gr_gid)) {
			/* not fatal: a root-only directory then */
		}
	}
	unlink(path); /* a stale socket from a crash */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
		int err = -errno;

		close(fd);
		return err;
	}
	chmod(path, 0660);
	if (g && chown(path, 0, g->gr_gid)) {
		/* not fatal: a root-only socket then */
	}
	strcpy(s->path, path);
	return fd;
}

int srv_new(struct srv **out, const struct mt_config *cfg, struct loop *loop,
	    struct bus *bus, const struct srv_hooks *hooks)
{
	struct srv *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->loop = loop;
	s->bus = bus;
	s->hooks = *hooks;
	s->sink.name = "socket";
	s->sink.on_event = srv_on_event;
	jw_init(&s->jw, false);
	s->lfd = listen_on(s, cfg->socket_path);
	if (s->lfd < 0) {
		err = s->lfd;
		free(s);
		return err;
	}
	err = loop_add_fd(loop, s->lfd, EPOLLIN, on_accept, s);
	if (!err)
		err = bus_add(bus, &s->sink);
	if (err) {
		close(s->lfd);
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

void srv_stats(const struct srv *s, struct srv_stats *out)
{
	*out = s->st;
	out->clients = s->n_clients;
	out->subscribers = 0;
	for (unsigned int i = 0; i < s->n_clients; i++)
		out->subscribers += s->clients[i]->subscribed;
}

void srv_set_mem_source(struct srv *s, uint64_t (*used)(void *arg),
			void *arg)
{
	s->mem_used = used;
	s->mem_arg = arg;
}

const uint64_t *srv_queue_bytes(const struct srv *s)
{
	return &s->st.queue_bytes;
}

static bool is_reply_line(const char *p, size_t n)
{
	/* replies and the hello start with "id" or "hello"; 'lost' notices
	 * carry counts already taken off the client's books */
	return (n > 6 && !memcmp(p, "{\"id\":", 6)) ||
	       (n > 9 && !memcmp(p, "{\"hello\":", 9)) ||
	       memmem(p, n < 48 ? n : 48, ",\"event\":\"lost\"", 15);
}

/* Drop c's queued event lines, all but the first (it may be partly sent)
 * and replies; shrink the queue. Returns the bytes freed. */
static uint64_t shed_client(struct srv *s, struct client *c)
{
	const char *nl;
	size_t o, i, old_cap = c->out_cap, ncap;
	uint64_t dropped = 0;
	char *nb;

	queue_compact(c);
	nl = memchr(c->out, '\n', c->out_len);
	o = nl ? (size_t)(nl - c->out) + 1 : c->out_len;
	i = o;

	while (i < c->out_len) {
		const char *e = memchr(c->out + i, '\n', c->out_len - i);
		size_t n = e ? (size_t)(e - (c->out + i)) + 1 : c->out_len - i;

		if (is_reply_line(c->out + i, n)) {
			memmove(c->out + o, c->out + i, n);
			o += n;
		} else {
			dropped++;
		}
		i += n;
	}
	c->out_len = o;
	c->has_events = false;
	/* queued, counted as sent, now not: dropped instead */
	c->sent -= dropped < c->sent ? dropped : c->sent;
	s->st.events_sent -= dropped < s->st.events_sent ? dropped :
							   s->st.events_sent;
	c->dropped += dropped;
	s->st.events_dropped += dropped;
	s->st.budget_shed += dropped;
	ncap = o < 4096 ? 4096 : o;
	if (ncap >= old_cap)
		return 0;
	nb = realloc(c->out, ncap);
	if (nb) {
		c->out = nb;
		c->out_cap = ncap;
		queue_account(s, old_cap, ncap);
	}
	return old_cap - c->out_cap;
}

uint64_t srv_shed_queues(struct srv *s, uint64_t want)
{
	uint64_t freed = 0;
	bool tried[SRV_MAX_CLIENTS] = { false };

	while (freed < want) {
		int big = -1;

		for (unsigned int i = 0; i < s->n_clients; i++)
			if (!tried[i] && s->clients[i]->has_events &&
			    s->clients[i]->out_cap > 4096 &&
			    (big < 0 || s->clients[i]->out_cap >
						s->clients[big]->out_cap))
				big = (int)i;
		if (big < 0)
			break;
		tried[big] = true;
		freed += shed_client(s, s->clients[big]);
	}
	return freed;
}

void srv_free(struct srv **sp)
{
	struct srv *s;

	if (!sp || !*sp)
		return;
	s = *sp;
	s->mem_used = NULL; /* the flow table may be gone already */
	while (s->n_clients)
		client_close(s, s->clients[0]);
	bus_remove(s->bus, &s->sink);
	loop_del_fd(s->loop, s->lfd);
	close(s->lfd);
	unlink(s->path);
	jw_free(&s->jw);
	free(s);
	*sp = NULL;
}
