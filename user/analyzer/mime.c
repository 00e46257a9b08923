// SPDX-License-Identifier: BSD-3-Clause
/* mime.c - placeholder until the MIME analyzer lands. */
#include "analyzer/mime.h"

#include <errno.h>
#include <stdlib.h>

#include "analyzer/analyzer.h"

struct mime_mail {
	struct an_ctx *ctx;
};

int mime_mail_new(struct mime_mail **out, struct an_ctx *ctx,
		  const char *source, bool is_orig)
{
	(void)source;
	(void)is_orig;
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->ctx = ctx;
	return 0;
}

void mime_mail_deliver(struct mime_mail *m, const uint8_t *line, size_t len,
		       bool crlf)
{
	(void)m;
	(void)line;
	(void)len;
	(void)crlf;
}

void mime_mail_gap(struct mime_mail *m, uint64_t len)
{
	(void)m;
	(void)len;
}

void mime_mail_end(struct mime_mail **m)
{
	if (!m || !*m)
		return;
	free(*m);
	*m = NULL;
}
