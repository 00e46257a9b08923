// SPDX-License-Identifier: BSD-3-Clause
/* pop3.c - placeholder until the POP3 analyzer lands. */
#include <errno.h>
#include <stdlib.h>

#include "analyzer/analyzer.h"

static int pop3_new(void **state, struct an_ctx *ctx)
{
	(void)ctx;
	*state = calloc(1, 1);
	return *state ? 0 : -ENOMEM;
}

static void pop3_deliver(void *state, bool is_orig, const uint8_t *data,
			 size_t len)
{
	(void)state;
	(void)is_orig;
	(void)data;
	(void)len;
}

static void pop3_gap(void *state, bool is_orig, uint64_t offset, uint64_t len)
{
	(void)state;
	(void)is_orig;
	(void)offset;
	(void)len;
}

static void pop3_eof(void *state, bool is_orig)
{
	(void)state;
	(void)is_orig;
}

static void pop3_free(void **state)
{
	if (!state)
		return;
	free(*state);
	*state = NULL;
}

const struct analyzer_ops pop3_analyzer_ops = {
	.name = "POP3",
	.new = pop3_new,
	.deliver = pop3_deliver,
	.gap = pop3_gap,
	.eof = pop3_eof,
	.free = pop3_free,
};
