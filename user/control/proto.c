// SPDX-License-Identifier: BSD-3-Clause
/* proto.c - framing and filters of the socket protocol (json-c parses the
 * requests). Owns nothing beyond the filter strings it copies. */
#include "control/proto.h"

#include <errno.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "event/bus.h"

int linebuf_feed(struct linebuf *lb, const char *p, size_t n,
		 bool (*cb)(void *arg, char *line, size_t len), void *arg)
{
	size_t at = 0;

	if (n) {
		char *nb = realloc(lb->buf, lb->len + n + 1);

		if (!nb)
			return -ENOMEM;
		lb->buf = nb;
		memcpy(lb->buf + lb->len, p, n);
		lb->len += n;
	}
	lb->held = false;
	while (at < lb->len) {
		char *nl = memchr(lb->buf + at, '\n', lb->len - at);
		size_t take;

		if (!nl)
			break;
		take = (size_t)(nl - (lb->buf + at));
		if (take > PROTO_MAX_LINE)
			return -E2BIG;
		*nl = '\0';
		at += take + 1;
		if (take && !cb(arg, nl - take, take)) {
			lb->held = memchr(lb->buf + at, '\n', lb->len - at);
			break;
		}
	}
	if (lb->len - at > PROTO_MAX_LINE && !lb->held)
		return -E2BIG;
	if (at) {
		memmove(lb->buf, lb->buf + at, lb->len - at);
		lb->len -= at;
	}
	return 0;
}

void linebuf_free(struct linebuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
	lb->len = 0;
	lb->held = false;
}

int cidr_parse(const char *s, struct cidr *out)
{
	char tmp[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	char *end;

	if (n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (mt_addr_parse(tmp, &out->a))
		return -EINVAL;
	out->bits = out->a.family == AF_INET6 ? 128 : 32;
	if (slash) {
		long b = strtol(slash + 1, &end, 10);

		if (*end || b < 0 || b > (long)out->bits)
			return -EINVAL;
		out->bits = (unsigned int)b;
	}
	return 0;
}

bool cidr_match(const struct cidr *c, const struct mt_addr *a)
{
	unsigned int full = c->bits / 8, rest = c->bits % 8;

	if (c->a.family != a->family)
		return false;
	if (memcmp(c->a.addr, a->addr, full))
		return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));

		if ((c->a.addr[full] & m) != (a->addr[full] & m))
			return false;
	}
	return true;
}

/* A string or an array of strings -> calls add() for each. */
static int each_string(json_object *v, int (*add)(void *arg, const char *s),
		       void *arg)
{
	if (!v)
		return 0;
	if (json_object_is_type(v, json_type_string))
		return add(arg, json_object_get_string(v));
	if (!json_object_is_type(v, json_type_array))
		return -EINVAL;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *e = json_object_array_get_idx(v, i);
		int err;

		if (!json_object_is_type(e, json_type_string))
			return -EINVAL;
		err = add(arg, json_object_get_string(e));
		if (err)
			return err;
	}
	return 0;
}

struct adder {
	struct sub_filter *f;
	int which; /* 0 events, 1 not, 2 proto, 3 client, 4 server */
};

static int add_one(void *arg, const char *s)
{
	struct adder *a = arg;
	struct sub_filter *f = a->f;

	switch (a->which) {
	case 0:
	case 1: {
		char **list = a->which ? f->not_events : f->events;
		unsigned int *n = a->which ? &f->n_not : &f->n_events;

		if (*n == FILTER_MAX || strlen(s) > 64)
			return -EINVAL;
		list[*n] = strdup(s);
		if (!list[*n])
			return -ENOMEM;
		(*n)++;
		return 0;
	}
	case 2:
		if (!strcasecmp(s, "smtp"))
			f->protos |= 1 << MT_PROTO_SMTP;
		else if (!strcasecmp(s, "pop3"))
			f->protos |= 1 << MT_PROTO_POP3;
		else
			return -EINVAL;
		return 0;
	default: {
		struct cidr *list = a->which == 3 ? f->clients : f->servers;
		unsigned int *n = a->which == 3 ? &f->n_clients : &f->n_servers;

		if (*n == FILTER_MAX || cidr_parse(s, &list[*n]))
			return -EINVAL;
		(*n)++;
		return 0;
	}
	}
}

int filter_parse(const char *json, struct sub_filter *f, char *err,
		 size_t errlen)
{
	static const char *const keys[] = { "events", "not", "proto", "client",
					    "server" };
	json_object *o = json_tokener_parse(json);
	int rc = 0;

	memset(f, 0, sizeof(*f));
	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		json_object_put(o);
		return -EINVAL;
	}
	for (int i = 0; i < 5 && !rc; i++) {
		struct adder a = { f, i };
		json_object *v;

		if (!json_object_object_get_ex(o, keys[i], &v))
			continue;
		rc = each_string(v, add_one, &a);
		if (rc)
			snprintf(err, errlen, "bad value for \"%s\"", keys[i]);
	}
	json_object_put(o);
	if (rc) {
		filter_free(f);
		return -EINVAL;
	}
	f->mask = filter_mask(f);
	return 0;
}

static bool glob_any(char *const *globs, unsigned int n, const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (fnmatch(globs[i], name, 0) == 0)
			return true;
	return false;
}

uint64_t filter_mask(const struct sub_filter *f)
{
	uint64_t m = 0;

	for (int t = 0; t < EV__COUNT; t++) {
		const char *name = ev_name(t);

		if (f->n_events && !glob_any(f->events, f->n_events, name))
			continue;
		if (glob_any(f->not_events, f->n_not, name))
			continue;
		m |= EV_BIT(t);
	}
	return m;
}

bool filter_match(const struct sub_filter *f, const struct event *ev)
{
	const struct conn_info *c = ev->conn;
	bool ok;

	if (!(f->mask & EV_BIT(ev->type)))
		return false;
	if (f->protos && (!c || !(f->protos & (1 << c->proto))))
		return false;
	if (f->n_clients) {
		ok = false;
		for (unsigned int i = 0; c && i < f->n_clients && !ok; i++)
			ok = cidr_match(&f->clients[i], &c->id.orig_h);
		if (!ok)
			return false;
	}
	if (f->n_servers) {
		ok = false;
		for (unsigned int i = 0; c && i < f->n_servers && !ok; i++)
			ok = cidr_match(&f->servers[i], &c->id.resp_h);
		if (!ok)
			return false;
	}
	return true;
}

void filter_free(struct sub_filter *f)
{
	for (unsigned int i = 0; i < f->n_events; i++)
		free(f->events[i]);
	for (unsigned int i = 0; i < f->n_not; i++)
		free(f->not_events[i]);
	memset(f, 0, sizeof(*f));
}
