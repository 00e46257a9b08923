// SPDX-License-Identifier: BSD-3-Clause
/* fuzz_email.c - libFuzzer target for the address and Received helpers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sink/email.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct email_piece p[64];
	struct mt_addr ips[16];
	char *arena = malloc(size + 128);
	uint8_t *copy = malloc(size ? size : 1);

	memcpy(copy, data, size);
	email_extract_addrs(copy, size, p, 64, arena, size + 64);
	email_split_mime(copy, size, p, 64, arena, size + 64);
	email_extract_ips(copy, size, true, ips, 16);
	email_extract_ips(copy, size, false, ips, 16);
	free(copy);
	free(arena);
	return 0;
}
