// SPDX-License-Identifier: BSD-3-Clause
/* base64.c - Zeek-compatible base64 decoding (spec §4.2, §5.3).
 * Owns the decoder state; never allocates. */
#include "analyzer/base64.h"

#include <stdio.h>

#include "analyzer/analyzer.h"

static int b64_val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	if (c == '=')
		return 0;
	return -1;
}

void b64_init(struct b64_dec *d, struct an_ctx *ctx)
{
	d->next = 0;
	d->padding = 0;
	d->errored = 0;
	d->ctx = ctx;
}

static void illegal(struct b64_dec *d, const char *msg)
{
	if (d->ctx)
		an_weird_str(d->ctx, "base64_illegal_encoding", msg, NULL);
}

size_t b64_decode(struct b64_dec *d, const uint8_t *in, size_t len,
		  uint8_t *out)
{
	size_t o = 0;
	size_t i = 0;

	while (i < len) {
		while (d->next < 4 && i < len) {
			uint8_t c = in[i++];

			if (b64_val(c) >= 0) {
				d->group[d->next++] = c;
			} else if (++d->errored == 1) {
				char msg[64];

				/* Zeek prints the byte as a signed char. */
				snprintf(msg, sizeof(msg),
					 "character %d ignored by Base64 decoding",
					 (int)(signed char)c);
				illegal(d, msg);
			}
		}
		if (d->next < 4)
			break;
		d->next = 0;
		if (d->padding > 0) {
			if (++d->errored == 1)
				illegal(d, "extra base64 groups after '=' padding are ignored");
			continue;
		}
		int k1 = b64_val(d->group[0]), k2 = b64_val(d->group[1]);
		int k3 = b64_val(d->group[2]), k4 = b64_val(d->group[3]);

		out[o++] = (uint8_t)((k1 << 2) | (k2 >> 4));
		if (d->group[2] == '=') {
			d->padding = 2;
		} else {
			out[o++] = (uint8_t)((k2 << 4) | (k3 >> 2));
			if (d->group[3] == '=')
				d->padding = 1;
			else
				out[o++] = (uint8_t)((k3 << 6) | k4);
		}
	}
	return o;
}

size_t b64_done(struct b64_dec *d, uint8_t *out)
{
	static const uint8_t pad[] = "===";
	char msg[64];
	int missing;

	if (d->next == 0)
		return 0;
	missing = 4 - d->next;
	snprintf(msg, sizeof(msg),
		 "incomplete base64 group, padding with %d bits of 0",
		 missing * 6);
	d->errored++;
	illegal(d, msg);
	return b64_decode(d, pad, (size_t)missing, out);
}

long b64_decode_strict(struct an_ctx *ctx, const uint8_t *in, size_t len,
		       uint8_t *out)
{
	struct b64_dec d;
	size_t n;

	b64_init(&d, ctx);
	n = b64_decode(&d, in, len, out);
	if (d.errored)
		return -1;
	n += b64_done(&d, out + n);
	if (d.errored)
		return -1;
	return (long)n;
}
