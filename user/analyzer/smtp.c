// SPDX-License-Identifier: BSD-3-Clause
/* smtp.c - placeholder until the SMTP analyzer lands. */
#include <errno.h>
#include <stdlib.h>

#include "analyzer/analyzer.h"

static int smtp_new(void **state, struct an_ctx *ctx)
{
	(void)ctx;
	*state = calloc(1, 1);
	return *state ? 0 : -ENOMEM;
}

static void smtp_deliver(void *state, bool is_orig, const uint8_t *data,
			 size_t len)
{
	(void)state;
	(void)is_orig;
	(void)data;
	(void)len;
}

static void smtp_gap(void *state, bool is_orig, uint64_t offset, uint64_t len)
{
	(void)state;
	(void)is_orig;
	(void)offset;
	(void)len;
}

static void smtp_eof(void *state, bool is_orig)
{
	(void)state;
	(void)is_orig;
}

static void smtp_free(void **state)
{
	if (!state)
		return;
	free(*state);
	*state = NULL;
}

const struct analyzer_ops smtp_analyzer_ops = {
	.name = "SMTP",
	.new = smtp_new,
	.deliver = smtp_deliver,
	.gap = smtp_gap,
	.eof = smtp_eof,
	.free = smtp_free,
};
