/* SPDX-License-Identifier: BSD-3-Clause */
/* conn.h - the identity of one TCP connection as analyzers and sinks see it.
 * Owned by the flow table; everything downstream only reads it. */
#ifndef MAILTAP_CONN_H
#define MAILTAP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Application protocol chosen for a flow from the port map. */
enum mt_proto {
	MT_PROTO_NONE = 0,
	MT_PROTO_SMTP = 1,
	MT_PROTO_POP3 = 2,
};

/* An endpoint address: IPv4 is stored in the first 4 bytes of addr. */
struct mt_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
};

/* Zeek's conn_id: orig = the side that sent the first SYN (or the client
 * side by port when no SYN was seen). Ports in host byte order. */
struct conn_id {
	struct mt_addr orig_h;
	struct mt_addr resp_h;
	uint16_t orig_p;
	uint16_t resp_p;
};

#define MT_UID_LEN 24 /* "C" + up to 22 base62 digits + NUL */

/* One slot per log sink that keeps per-connection state. */
enum conn_slot {
	CONN_SLOT_SMTP_LOG,
	CONN_SLOT_FILES_LOG,
	CONN_SLOT_POP3_LOG,
	CONN_SLOT_WEIRD_LOG,
	CONN_SLOTS
};

struct conn_info {
	char uid[MT_UID_LEN];
	struct conn_id id;
	enum mt_proto proto;
	double start_ts; /* first packet of the connection */
	double ts;       /* time of the packet being processed now */
	bool partial;    /* picked up mid-stream (no SYN seen) */
	uint64_t ifindex;
	/* Socket cookie / process info, where the capture knows it (0 = no). */
	uint64_t sock_cookie;
	/* Each log sink's state for this connection, found without a hash
	 * lookup on every event (see sink/conn_state.h). Zero at creation;
	 * written only by the sink owning the slot. */
	void *sink_state[CONN_SLOTS];
};

/* Text form of an address as Zeek prints it (IPv6 compressed).
 * buf must hold at least MT_ADDR_STRLEN bytes. Returns buf. */
#define MT_ADDR_STRLEN 46
const char *mt_addr_str(const struct mt_addr *a, char *buf);
/* Parse "1.2.3.4" or an IPv6 literal. Returns 0 or -EINVAL. */
int mt_addr_parse(const char *s, struct mt_addr *out);
bool mt_addr_eq(const struct mt_addr *a, const struct mt_addr *b);

/* "tcp", "smtp", ... for logs; "SMTP"/"POP3" as Zeek's analyzer tag. */
const char *mt_proto_tag(enum mt_proto p);

#endif
