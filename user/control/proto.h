/* SPDX-License-Identifier: BSD-3-Clause */
/* proto.h - the socket protocol's pure parts: request framing (one JSON
 * object per line, capped) and subscription filters (event-name globs,
 * protocol, client/server address or prefix; OR within a field, AND
 * across fields). No I/O here, so it is unit-tested and fuzzed. */
#ifndef MAILTAP_PROTO_H
#define MAILTAP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event/event.h"

#define PROTO_MAX_LINE (64u * 1024)
#define FILTER_MAX 16

struct cidr {
	struct mt_addr a;
	unsigned int bits;
};

struct sub_filter {
	char *events[FILTER_MAX]; /* globs; none = every event */
	unsigned int n_events;
	char *not_events[FILTER_MAX];
	unsigned int n_not;
	int protos;               /* bit 1<<MT_PROTO_*; 0 = any */
	struct cidr clients[FILTER_MAX];
	unsigned int n_clients;
	struct cidr servers[FILTER_MAX];
	unsigned int n_servers;
	uint64_t mask;            /* event types that can match */
};

/* Framing: bytes are appended, and complete lines are handed to cb in
 * order while it returns true; when it returns false (it can take no more
 * now) the rest stays buffered until the next call, which may add nothing
 * (p = NULL, n = 0). Returns 0, or -E2BIG when a line exceeds
 * PROTO_MAX_LINE (the caller disconnects), or -ENOMEM. */
struct linebuf {
	char *buf;
	size_t len;
	bool held; /* complete lines wait: cb stopped */
};
int linebuf_feed(struct linebuf *lb, const char *p, size_t n,
		 bool (*cb)(void *arg, char *line, size_t len), void *arg);
void linebuf_free(struct linebuf *lb);

/* Parse a "subscribe" request's filter fields out of a JSON object text.
 * Returns 0 or -EINVAL with a message in err. */
int filter_parse(const char *json, struct sub_filter *f, char *err,
		 size_t errlen);
bool filter_match(const struct sub_filter *f, const struct event *ev);
/* Which event types can match at all (for the bus mask). */
uint64_t filter_mask(const struct sub_filter *f);
void filter_free(struct sub_filter *f);
int cidr_parse(const char *s, struct cidr *out);
bool cidr_match(const struct cidr *c, const struct mt_addr *a);

#endif
