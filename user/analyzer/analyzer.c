// SPDX-License-Identifier: BSD-3-Clause
/* analyzer.c - helpers shared by all analyzers (weird emission).
 * Owns nothing; never keeps a reference to the event it builds. */
#include "analyzer/analyzer.h"

void an_weird(struct an_ctx *ctx, const char *name, const void *addl,
	      size_t addl_len, const char *source)
{
	struct event ev = {
		.type = EV_weird,
		.redact_from = EV_NO_REDACT,
		.weird = { .name = name,
			   .addl = EV_BYTES(addl, addl ? addl_len : 0),
			   .source = source },
	};

	ctx->weirds++;
	an_emit(ctx, &ev);
}
