// SPDX-License-Identifier: BSD-3-Clause
/* addr.c - formatting and parsing of endpoint addresses.
 * Owns the text form of addresses; never allocates. */
#include "flow/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

const char *mt_addr_str(const struct mt_addr *a, char *buf)
{
	if (a->family != AF_INET6) {
		/* dotted quad by hand: inet_ntop goes through printf */
		char *o = buf;

		for (int i = 0; i < 4; i++) {
			uint8_t v = a->addr[i];

			if (i)
				*o++ = '.';
			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
		}
		*o = '\0';
		return buf;
	}
	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->addr, buf,
		       MT_ADDR_STRLEN))
		strcpy(buf, "?");
	return buf;
}

int mt_addr_parse(const char *s, struct mt_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->addr) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

bool mt_addr_eq(const struct mt_addr *a, const struct mt_addr *b)
{
	size_t n = a->family == AF_INET6 ? 16 : 4;

	return a->family == b->family && memcmp(a->addr, b->addr, n) == 0;
}

const char *mt_proto_tag(enum mt_proto p)
{
	switch (p) {
	case MT_PROTO_SMTP:
		return "SMTP";
	case MT_PROTO_POP3:
		return "POP3";
	default:
		return "-";
	}
}
