// SPDX-License-Identifier: BSD-3-Clause
/* fuzz_decode.c - libFuzzer target for packet decoding: the first byte
 * picks the link type, the rest is the packet (caplen = its length,
 * wire length a little more to exercise truncation). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = { MT_DLT_EN10MB, MT_DLT_LINUX_SLL,
				     MT_DLT_LINUX_SLL2, MT_LINKTYPE_RAW,
				     MT_DLT_NULL, MT_DLT_LOOP,
				     MT_LINKTYPE_IPV6, 9999 };
	struct segment s;
	uint8_t *copy;

	if (!size)
		return 0;
	/* an exact-size heap copy: reads past the end are caught */
	copy = malloc(size - 1 ? size - 1 : 1);
	memcpy(copy, data + 1, size - 1);
	if (decode_packet(types[data[0] % 8], copy, (uint32_t)size - 1,
			  (uint32_t)size + 16, 0, &s) == DEC_OK &&
	    s.cap_len) {
		volatile uint8_t x = 0;

		for (uint32_t i = 0; i < s.cap_len; i++)
			x ^= s.payload[i];
		(void)x;
	}
	free(copy);
	return 0;
}
