/* SPDX-License-Identifier: BSD-3-Clause */
/* smtp_log.h - smtp.log, Zeek's SMTP::Info (seed 003, spec §8), built
 * from SMTP and MIME events. Owns per-connection records; rows go out as
 * EV_log events. */
#ifndef MAILTAP_SMTP_LOG_H
#define MAILTAP_SMTP_LOG_H

#include "daemon/config.h"
#include "event/bus.h"
#include "sink/files_log.h"

struct smtp_log;

/* files: where fuids come from (may be NULL: fuids stay empty). */
int smtp_log_new(struct smtp_log **out, const struct mt_config *cfg,
		 struct bus *bus, struct files_log *files);
struct sink *smtp_log_sink(struct smtp_log *sl);
void smtp_log_free(struct smtp_log **sl);

#endif
